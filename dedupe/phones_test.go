package dedupe

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/nyaruka/phonenumbers"
)

// A number is found wherever a person put it in the field, with whatever
// they wrote around it kept as typed.
func TestPhonesFindsNumbersInText(t *testing.T) {
	n := Normalizer{Region: "RU"}
	tests := []struct {
		raw          string
		valid, typed []string
	}{
		{"8 912 345 67 89 Сергей", []string{"+79123456789"}, []string{"8 912 345 67 89 Сергей"}},
		{"звоните 8-912-345-67-89 после 18", []string{"+79123456789"}, []string{"звоните 8-912-345-67-89 после 18"}},
		{"Сергей: +7 (912) 345-67-89", []string{"+79123456789"}, []string{"Сергей: +7 (912) 345-67-89"}},
		{"тел. 89123456789", []string{"+79123456789"}, []string{"тел. 89123456789"}},
		{"(912) 345-67-89", []string{"+79123456789"}, nil},
		{"8 912 345 67 89.", []string{"+79123456789"}, nil},
		// Two numbers in one field, with or without a separator.
		{"8 912 345 67 89 8 495 123 45 67", []string{"+79123456789", "+74951234567"}, nil},
		{"8 912 345 67 89 или 8 495 123 45 67", []string{"+79123456789", "+74951234567"}, []string{"8 912 345 67 89 или 8 495 123 45 67"}},
		{"+79123456789 / +74951234567", []string{"+79123456789", "+74951234567"}, nil},
		{"8 912 345-67-89, +7 (495) 123-45-67", []string{"+79123456789", "+74951234567"}, nil},
		// Not a number at all: kept, never dropped.
		{"не помню", nil, []string{"не помню"}},
		{"12345", nil, []string{"12345"}},
		{"ИНН7701234567", nil, []string{"ИНН7701234567"}},
		{"", nil, nil},
		{" - ", nil, nil},
	}
	for _, tt := range tests {
		valid, typed := n.Phones(tt.raw)
		if !slices.Equal(valid, tt.valid) || !slices.Equal(typed, tt.typed) {
			t.Errorf("Phones(%q) = %q, %q; want %q, %q", tt.raw, valid, typed, tt.valid, tt.typed)
		}
	}
}

// An extension stays with its number in every spelling people use, and
// the key a person is matched by ignores it.
func TestPhoneKeepsTheExtension(t *testing.T) {
	n := Normalizer{Region: "RU"}
	numbers := []struct{ typed, e164 string }{
		{"8 912 345 67 89", "+79123456789"},
		{"+7 (495) 123-45-67", "+74951234567"},
		{"84951234567", "+74951234567"},
	}
	exts := []string{"доб. %s", "доб %s", "доб.%s", "Доб. %s", "добавочный %s", "ext. %s", "ext %s", "EXT.%s", "x%s", "#%s", "# %s", "(доб. %s)", ", доб. %s", "вн. %s", "внутр. %s"}
	for _, num := range numbers {
		for _, e := range exts {
			for _, ext := range []string{"1", "123", "2051"} {
				raw := num.typed + " " + fmt.Sprintf(e, ext)
				want := num.e164 + ";ext=" + ext
				got, ok := n.Phone(raw)
				if !ok || got != want {
					t.Errorf("Phone(%q) = %q, %v; want %q", raw, got, ok, want)
					continue
				}
				if PhoneKey(got) != num.e164 {
					t.Errorf("PhoneKey(%q) = %q", got, PhoneKey(got))
				}
				if valid, typed := n.Phones(raw); !slices.Equal(valid, []string{want}) || typed != nil {
					t.Errorf("Phones(%q) = %q, %q", raw, valid, typed)
				}
				// What is stored reads back as itself.
				if again, ok := n.Phone(got); !ok || again != got {
					t.Errorf("Phone(%q) = %q, %v: a stored number changed", got, again, ok)
				}
			}
		}
	}
	if got := Display("+79123456789;ext=123"); got != "+79123456789 доб. 123" {
		t.Errorf("Display = %q", got)
	}
	if got := Display("+79123456789"); got != "+79123456789" {
		t.Errorf("Display without an extension = %q", got)
	}
	if got := Country("+77011234567;ext=5"); got != "KZ" {
		t.Errorf("Country with an extension = %q", got)
	}
}

// Every way of writing a number found in text gives the same number, and
// text on either side never changes it (a generated table: spellings ×
// surroundings).
func TestPhonesInTextGenerated(t *testing.T) {
	n := Normalizer{Region: "RU"}
	spellings := []string{"8 (912) 345-67-89", "+7 912 345 67 89", "89123456789", "+7(912)345-67-89", "8-912-345-67-89", "8.912.345.67.89", "+7 912 3456789", "8 912 345 6789"}
	around := []string{"%s", "%s Сергей", "Сергей %s", "звоните %s после 18", "моб: %s", "%s (вечером)", "«%s»", "%s, спросить Ивана"}
	for _, sp := range spellings {
		for _, a := range around {
			raw := fmt.Sprintf(a, sp)
			valid, typed := n.Phones(raw)
			if !slices.Equal(valid, []string{"+79123456789"}) {
				t.Errorf("Phones(%q) = %q", raw, valid)
			}
			hasText := strings.ContainsAny(strings.ToLower(raw), "абвгдеёжзийклмнопрстуфхцчшщъыьэюя")
			if hasText != (typed != nil) {
				t.Errorf("Phones(%q) kept %q as typed", raw, typed)
			}
		}
	}
}

// Whatever is typed, every number read is one Phone reads back as itself,
// and nothing typed is lost: a piece is either a number or kept as typed.
func FuzzPhones(f *testing.F) {
	for _, s := range []string{"8 912 345 67 89 Сергей", "звоните 8-912-345-67-89 после 18", "+7 495 123-45-67 доб. 12", "#45", "8 912 345 67 89 8 495 123 45 67", "x", "ext=1;ext=2"} {
		f.Add(s)
	}
	n := Normalizer{Region: "RU"}
	f.Fuzz(func(t *testing.T, raw string) {
		valid, typed := n.Phones(raw)
		for _, p := range valid {
			if again, ok := n.Phone(p); !ok || again != p {
				t.Fatalf("Phones(%q) gave %q, which reads back as %q, %v", raw, p, again, ok)
			}
		}
		if len(valid) == 0 && len(typed) == 0 && strings.IndexFunc(raw, func(r rune) bool { return r >= '0' && r <= '9' }) >= 0 {
			t.Fatalf("Phones(%q) lost the digits", raw)
		}
	})
}

// Taking the separators out before the library reads a number changes
// nothing it decides: the same numbers are valid, with the same E.164.
func FuzzDigitsOnlyReadsAlike(f *testing.F) {
	for _, s := range []string{"8 (912) 345-67-89", "+7 912 345 67 89", "89123456789", "7-925-123-45-67", "8.912.345.67.89",
		"+7(912)345-67-89", "(495) 123-45-67", "8 10 49 30 1234567", "+49 30 123456", "+380 44 123 45 67", "8 800 555-35-35",
		"+7 7011234567", "00 49 30 123456", "123-45-67", "+1 (212) 555-0100", "9123456789"} {
		f.Add(s)
	}
	// Most strings a fuzzer makes hold a letter, and digitsOnly leaves
	// those alone; each input is also read spelled in digits, separators
	// and pluses only, where it does its work.
	const alphabet = "0123456789012345678901234567890123456789 -.()+"
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > 40 {
			return
		}
		spelled := []byte(s)
		for i, c := range spelled {
			spelled[i] = alphabet[int(c)%len(alphabet)]
		}
		for _, s := range []string{s, string(spelled)} {
			want, wantOK := libraryNumber(s)
			got, gotOK := libraryNumber(digitsOnly(s))
			if got != want || gotOK != wantOK {
				t.Fatalf("%q reads as %q %v, its digits %q as %q %v", s, want, wantOK, digitsOnly(s), got, gotOK)
			}
		}
	})
}

func libraryNumber(s string) (string, bool) {
	num, err := phonenumbers.Parse(s, "RU")
	if err != nil || !phonenumbers.IsValidNumber(num) {
		return "", false
	}
	return phonenumbers.Format(num, phonenumbers.E164), true
}

// BenchmarkPhones is a form's phone field as the benchmark's callers type
// it: the intake path reads one on every post.
func BenchmarkPhones(b *testing.B) {
	n := Normalizer{Region: "RU"}
	typed := []string{"8 (925) 123-45-67", "+7 925 123 45 67", "89251234567", "7-925-123-45-67", "звоните 8-912-345-67-89 после 18"}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if v, _ := n.Phones(typed[i%len(typed)]); len(v) != 1 {
			b.Fatal(v)
		}
	}
}
