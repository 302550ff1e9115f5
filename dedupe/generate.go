package dedupe

import (
	"math/rand/v2"
	"strconv"
)

// The generators below make numbers by the checksum rules, for tests and
// demo data: a valid one, and one mistyped in a single digit (which every
// rule here catches).

func randomDigits(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('0' + r.IntN(10))
	}
	if b[0] == '0' {
		b[0] = '1'
	}
	return b
}

// GenerateINN returns a random INN of 10 (organisation) or 12 (person)
// digits with correct control digits.
func GenerateINN(r *rand.Rand, digits int) string {
	if digits == 12 {
		b := randomDigits(r, 12)
		b[10] = '0' + innControl(string(b), inn12Weights1)
		b[11] = '0' + innControl(string(b), inn12Weights2)
		return string(b)
	}
	b := randomDigits(r, 10)
	b[9] = '0' + innControl(string(b), inn10Weights)
	return string(b)
}

// GenerateOGRN returns a random OGRN (13 digits) or OGRNIP (15) with a
// correct control digit.
func GenerateOGRN(r *rand.Rand, digits int) string {
	mod := uint64(11)
	if digits == 15 {
		mod = 13
	}
	b := randomDigits(r, digits)
	n, _ := strconv.ParseUint(string(b[:digits-1]), 10, 64)
	b[digits-1] = byte('0' + n%mod%10)
	return string(b)
}

// Mistype changes the last (control) digit of a number to another: the
// one mistake every rule here catches always (a digit elsewhere is caught
// by mod 11 sums only nine times in ten).
func Mistype(r *rand.Rand, s string) string {
	b := []byte(s)
	i := len(b) - 1
	b[i] = byte('0' + (int(b[i]-'0')+1+r.IntN(9))%10)
	return string(b)
}
