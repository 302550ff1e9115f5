package dedupe

import (
	"regexp"
	"testing"
)

var e164 = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

// Phones and e-mails come from strangers: no input panics, a phone found
// is E.164 and normalizes to itself, an e-mail found fits SMTP's limit.
func FuzzPhoneAndEmail(f *testing.F) {
	for _, s := range []string{"8 (912) 345-67-89", "+7 912 345 67 89", "89123456789, 8-495-123-45-67", "+44 20 7946 0958",
		"ext. 123", "\x00", "\xff+7912", "a@b.ru", "Иван <ivan@пример.рф>", "+"} {
		f.Add(s)
	}
	n := Normalizer{Region: "RU"}
	f.Fuzz(func(t *testing.T, raw string) {
		if p, ok := n.Phone(raw); ok {
			if !e164.MatchString(p) {
				t.Fatalf("Phone(%q) = %q, not E.164", raw, p)
			}
			if again, ok := n.Phone(p); !ok || again != p {
				t.Fatalf("Phone(%q) = %q, but Phone(%q) = %q, %v", raw, p, p, again, ok)
			}
		}
		valid, _ := n.Phones(raw)
		for _, p := range valid {
			if !e164.MatchString(p) {
				t.Fatalf("Phones(%q) holds %q, not E.164", raw, p)
			}
		}
		for _, e := range Emails(raw) {
			if len(e) > 254 {
				t.Fatalf("Emails(%q) holds %d bytes", raw, len(e))
			}
		}
	})
}
