package documents

import (
	"strconv"

	"github.com/leadd/leadd/crm"
)

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

func allDigits(s string) bool {
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
	if !allDigits(s) {
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
	if !allDigits(s) {
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
	if len(s) != 9 || !allDigits(s[:4]) || !allDigits(s[6:]) {
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
func ValidBIK(s string) bool { return len(s) == 9 && allDigits(s) }

// accountKeyOK checks the Bank of Russia control key of a 20-digit account
// behind a 3-digit conditional number of its bank.
func accountKeyOK(prefix, account string) bool {
	if len(account) != 20 || !allDigits(account) {
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

// Requisites are a party's details as an invoice prints them. Empty means
// not given.
type Requisites struct {
	INN         string
	KPP         string
	OGRN        string // OGRN of an organisation or OGRNIP of an entrepreneur
	BIK         string
	Account     string // settlement account
	CorrAccount string // the bank's correspondent account
}

// CheckRequisites returns one EINVALID error per field at fault, naming it
// (inn, kpp, ogrn, bik, account, corr_account), or nil. The INN is
// required and decides the rest: an organisation (10 digits) has a KPP and
// a 13-digit OGRN, an entrepreneur (12) has no KPP and a 15-digit OGRNIP.
// Bank details are optional, but an account needs its BIK.
func CheckRequisites(r Requisites) []error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, crm.Invalid(field, format, args...))
	}

	org, ie := len(r.INN) == 10, len(r.INN) == 12
	switch {
	case r.INN == "":
		bad("inn", "is required")
	case !allDigits(r.INN) || !org && !ie:
		bad("inn", "an INN is 10 digits (organisation) or 12 (entrepreneur), not %q", r.INN)
	case !ValidINN(r.INN):
		bad("inn", "control digits do not match: %q is mistyped", r.INN)
	}

	switch {
	case ie && r.KPP != "":
		bad("kpp", "an entrepreneur (12-digit INN) has no KPP")
	case org && r.KPP == "":
		bad("kpp", "is required for an organisation")
	case r.KPP != "" && !ValidKPP(r.KPP):
		bad("kpp", "a KPP is 4 digits, 2 digits or letters A-Z, 3 digits, not %q", r.KPP)
	}

	if r.OGRN != "" {
		switch {
		case !allDigits(r.OGRN) || len(r.OGRN) != 13 && len(r.OGRN) != 15:
			bad("ogrn", "an OGRN is 13 digits, an OGRNIP 15, not %q", r.OGRN)
		case org && len(r.OGRN) != 13:
			bad("ogrn", "an organisation has a 13-digit OGRN, not %q", r.OGRN)
		case ie && len(r.OGRN) != 15:
			bad("ogrn", "an entrepreneur has a 15-digit OGRNIP, not %q", r.OGRN)
		case !ValidOGRN(r.OGRN):
			bad("ogrn", "control digit does not match: %q is mistyped", r.OGRN)
		}
	}

	bikOK := ValidBIK(r.BIK)
	switch {
	case r.BIK != "" && !bikOK:
		bad("bik", "a BIK is 9 digits, not %q", r.BIK)
	case r.BIK == "" && (r.Account != "" || r.CorrAccount != ""):
		bad("bik", "is required with an account")
	}
	checkAccount := func(field, account string, valid func(bik, account string) bool) {
		switch {
		case account == "":
		case len(account) != 20 || !allDigits(account):
			bad(field, "an account is 20 digits, not %q", account)
		case bikOK && !valid(r.BIK, account):
			bad(field, "control key does not match BIK %s: %q is mistyped or belongs to another bank", r.BIK, account)
		}
	}
	checkAccount("account", r.Account, ValidAccount)
	checkAccount("corr_account", r.CorrAccount, ValidCorrAccount)
	return errs
}
