package dedupe

import "strconv"

// The algorithms below were checked against public sources, not recalled:
//
//   - INN control digits (weights 2,4,10,3,5,9,4,6,8 for 10 digits; 7,2,4,
//     10,3,5,9,4,6,8 and 3,7,2,4,10,3,5,9,4,6,8 for 12; sum mod 11 mod 10):
//     https://zapolnenie.info/algoritm-proverki-inn/ and
//     https://logachev.pro/programmirovanie/proverka-inn-po-kontrolnoy-summe-php-javascript/
//   - OGRN (first 12 digits as a number mod 11 mod 10) and OGRNIP (first 14
//     mod 13 mod 10): https://elmin.ru/... (example 1117746358608) and
//     github.com/melervand/tax-info-validation src/tax.php (after
//     zapolnenie.info/algoritm-proverki-ogrn/).
//   - KPP: 4 digits (tax office), 2 characters of reason (digits or A–Z,
//     FNS order ММВ-7-6/435@ of 29.06.2012), 3 digits (sequence).
//   - Account control key: Bank of Russia, «Порядок расчета контрольного
//     ключа в номере лицевого счета» N 515 of 08.09.1997 (consultant.ru
//     cons_doc_LAW_16053): the 3-digit conditional number of the bank, then
//     the 20-digit account, weights 7,1,3 repeated; the key makes the sum of
//     products ≡ 0 mod 10. For a credit institution's account the number is
//     BIK digits 7–9; for an account at a cash-settlement centre (the bank's
//     correspondent account) it is "0" + BIK digits 5–6.

var (
	inn10Weights  = []int{2, 4, 10, 3, 5, 9, 4, 6, 8}
	inn12Weights1 = []int{7, 2, 4, 10, 3, 5, 9, 4, 6, 8}
	inn12Weights2 = []int{3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8}
	accountWeight = []int{7, 1, 3}
)

// AllDigits reports whether s is one or more ASCII digits.
func AllDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// innControl is the weighted sum of the leading digits mod 11 mod 10.
func innControl(s string, weights []int) byte {
	sum := 0
	for i, w := range weights {
		sum += int(s[i]-'0') * w
	}
	return byte(sum % 11 % 10)
}

// ValidINN reports whether s is an INN with correct control digits: 10
// digits for an organisation, 12 for an individual (entrepreneur).
func ValidINN(s string) bool {
	if !AllDigits(s) {
		return false
	}
	switch len(s) {
	case 10:
		return s[9]-'0' == innControl(s, inn10Weights)
	case 12:
		return s[10]-'0' == innControl(s, inn12Weights1) && s[11]-'0' == innControl(s, inn12Weights2)
	}
	return false
}

// ValidOGRN reports whether s is a registration number with a correct
// control digit: an OGRN of an organisation (13 digits, the first 12 as a
// number mod 11 mod 10) or an OGRNIP of an entrepreneur (15 digits, the
// first 14 mod 13 mod 10).
func ValidOGRN(s string) bool {
	if !AllDigits(s) {
		return false
	}
	var mod uint64
	switch len(s) {
	case 13:
		mod = 11
	case 15:
		mod = 13
	default:
		return false
	}
	n, err := strconv.ParseUint(s[:len(s)-1], 10, 64) // at most 14 digits: fits
	if err != nil {
		return false
	}
	return uint64(s[len(s)-1]-'0') == n%mod%10
}

// ValidKPP reports whether s has the form of a KPP: 4 digits, 2 digits or
// capital Latin letters, 3 digits. A KPP has no control digit.
func ValidKPP(s string) bool {
	if len(s) != 9 || !AllDigits(s[:4]) || !AllDigits(s[6:]) {
		return false
	}
	for _, c := range []byte(s[4:6]) {
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// ValidBIK reports whether s has the form of a BIK: 9 digits.
func ValidBIK(s string) bool { return len(s) == 9 && AllDigits(s) }

// accountKeyOK checks the Bank of Russia control key of a 20-digit account
// behind a 3-digit conditional number of its bank.
func accountKeyOK(prefix, account string) bool {
	if len(account) != 20 || !AllDigits(account) {
		return false
	}
	sum := 0
	for i, c := range []byte(prefix + account) {
		sum += int(c-'0') * accountWeight[i%3]
	}
	return sum%10 == 0
}

// ValidAccount reports whether account is a 20-digit account (settlement,
// current) whose control key matches the bank with this BIK. The key is one
// digit: it catches any single mistyped digit, but an account paired with
// the wrong bank still passes one time in ten.
func ValidAccount(bik, account string) bool {
	return ValidBIK(bik) && accountKeyOK(bik[6:9], account)
}

// ValidCorrAccount reports whether account is a 20-digit correspondent
// account whose control key matches the BIK: it is checked as an account at
// the cash-settlement centre, "0" + BIK digits 5–6 (for 044525225, "025"),
// so it ties the account to the bank's region, not to the bank.
func ValidCorrAccount(bik, account string) bool {
	return ValidBIK(bik) && accountKeyOK("0"+bik[4:6], account)
}

// cleanDigits removes the spaces and dashes people type inside numbers
// ("7707 083 893", "40702-810-…"); anything else is left for the check to
// refuse.
func cleanDigits(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if c := s[i]; c != ' ' && c != '-' && c != '\t' {
			out = append(out, c)
		}
	}
	return string(out)
}

// Requisite returns a requisite as it is stored: without the spaces and
// dashes typed around and inside it.
func Requisite(s string) string { return cleanDigits(s) }
