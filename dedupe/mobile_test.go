package dedupe

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/nyaruka/phonenumbers"
)

// The facts of the library's metadata that ruMobile's reading rests on:
// when an upgrade changes one of them, this fails and the fast path must
// be thought through again (its doc comment says why each one matters).
func TestRuMobileRestsOnMetadata(t *testing.T) {
	coll, err := phonenumbers.MetadataCollection()
	if err != nil {
		t.Fatal(err)
	}
	var sharing []string
	for _, md := range coll.GetMetadata() {
		if md.GetCountryCode() != 7 {
			continue
		}
		sharing = append(sharing, md.GetId())
		switch md.GetId() {
		case "RU":
			if got := md.GetMobile().GetNationalNumberPattern(); got != `9\d{9}` {
				t.Errorf("Russia's mobile numbers are %q, not 9\\d{9}", got)
			}
			if got := md.GetNationalPrefixForParsing(); got != "8" || md.GetNationalPrefixTransformRule() != "" {
				t.Errorf("Russia's national prefix for parsing is %q (transform %q), not a plain 8", got, md.GetNationalPrefixTransformRule())
			}
			if !md.GetMainCountryForCode() {
				t.Error("Russia is not the main country of +7")
			}
		case "KZ":
			if got := md.GetLeadingDigits(); got != "7" {
				t.Errorf("Kazakhstan claims +7 numbers beginning %q, not 7", got)
			}
		}
	}
	slices.Sort(sharing)
	if !slices.Equal(sharing, []string{"KZ", "RU"}) {
		t.Errorf("+7 is shared by %v, not Kazakhstan and Russia alone", sharing)
	}
}

// Every Russian mobile code, each way a number is written, reads as the
// library reads it; and so do numbers a digit too short or too long, and
// other countries' numbers, which ruMobile leaves to the library.
func TestRuMobileReadsAlike(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for code := 900; code <= 999; code++ {
		for _, sub := range []int{0, 9999999, rng.IntN(1e7), rng.IntN(1e7)} {
			national := fmt.Sprintf("%d%07d", code, sub)
			for _, d := range []string{"+7" + national, "8" + national, "7" + national, national,
				"+7" + national[1:], "8" + national + "1", "+8" + national, "+37" + national, "07" + national} {
				for _, region := range []string{"RU", "KZ", "BY", "DE"} {
					got, gotOK := ruMobile(d, region)
					if !gotOK {
						continue
					}
					want, wantOK := regionNumber(d, region)
					if got != want || !wantOK {
						t.Fatalf("ruMobile(%q, %s) = %q; the library reads %q, %v", d, region, got, want, wantOK)
					}
				}
			}
			for _, d := range []string{"+7" + national, "8" + national, "7" + national, national} {
				if got, ok := ruMobile(d, "RU"); !ok || got != "+7"+national {
					t.Fatalf("ruMobile(%q, RU) = %q, %v: a mobile left to the library", d, got, ok)
				}
			}
		}
	}
}

// Whatever a fuzzer makes, ruMobile either leaves it to the library or
// reads it as the library does. Each input is read as it is, spelled in
// digits and separators, and forced into a mobile's shape (one of the
// four ways to write one, 9 and nine digits), where the fast path says
// yes.
func FuzzRuMobileReadsAlike(f *testing.F) {
	for _, s := range []string{"89123456789", "+79123456789", "79251234567", "9161234567", "+7 912 345-67-89", "8 (800) 555-35-35",
		"+79123", "7912345678901", "+49 30 123456"} {
		f.Add(s, uint8(0))
	}
	const digits = "0123456789"
	const spelling = "0123456789012345678901234567890123456789 -.()+"
	f.Fuzz(func(t *testing.T, s string, form uint8) {
		if len(s) > 40 {
			return
		}
		spelled, shaped := []byte(s), []byte("9")
		for i, c := range spelled {
			spelled[i] = spelling[int(c)%len(spelling)]
			if len(shaped) < 10 {
				shaped = append(shaped, digits[int(c)%len(digits)])
			}
		}
		for len(shaped) < 10 {
			shaped = append(shaped, '0')
		}
		mobile := []string{"+7", "8", "7", ""}[form%4] + string(shaped)
		for _, s := range []string{s, digitsOnly(s), digitsOnly(string(spelled)), mobile} {
			for _, region := range []string{"RU", "KZ"} {
				got, ok := ruMobile(s, region)
				if !ok {
					continue
				}
				if want, wantOK := regionNumber(s, region); got != want || !wantOK {
					t.Fatalf("ruMobile(%q, %s) = %q; the library reads %q, %v", s, region, got, want, wantOK)
				}
			}
		}
		if _, ok := ruMobile(mobile, "RU"); !ok {
			t.Fatalf("ruMobile(%q, RU) left a mobile to the library", mobile)
		}
	})
}

func regionNumber(s, region string) (string, bool) {
	num, err := phonenumbers.Parse(s, region)
	if err != nil || !phonenumbers.IsValidNumber(num) {
		return "", false
	}
	return phonenumbers.Format(num, phonenumbers.E164), true
}
