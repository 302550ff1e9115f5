package dedupe

// ruMobile reads the commonest number a Russian form carries, a mobile
// +7 9XX XXX XX XX, from its digits (digitsOnly's result) without the
// library: "+79XXXXXXXXX", and with region RU also "89XXXXXXXXX",
// "79XXXXXXXXX" and "9XXXXXXXXX". It gives the E.164 number and true
// exactly when the library would read the same; anything else is false,
// for the library to decide.
//
// Why this equals the library (its metadata; TestRuMobileRestsOnMetadata
// holds each fact, FuzzRuMobileReadsAlike the result): country code 7 is
// Russia's and Kazakhstan's, Kazakhstan claims only national numbers
// that begin with 7, and Russia's mobile numbers are exactly 9\d{9} — so
// every such number is a valid Russian mobile. Read with region RU, the
// national prefix 8 is taken off a number that is not valid with it and
// is without it, and so is a leading country code 7; ten digits are the
// national number as they are.
func ruMobile(d, region string) (string, bool) {
	var national string
	switch {
	case len(d) == 12 && d[0] == '+' && d[1] == '7':
		national = d[2:]
	case region != "RU":
		return "", false
	case len(d) == 11 && (d[0] == '8' || d[0] == '7'):
		national = d[1:]
	case len(d) == 10:
		national = d
	default:
		return "", false
	}
	if national[0] != '9' {
		return "", false
	}
	for i := 1; i < len(national); i++ {
		if c := national[i]; c < '0' || c > '9' {
			return "", false
		}
	}
	return "+7" + national, true
}
