package documents

import (
	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/dedupe"
)

// The checksums live in dedupe, where the core can reach them without the
// PDF libraries this package pulls in; these names keep the documents'
// code and tests as they were.

// ValidINN reports whether s is an INN with correct control digits.
func ValidINN(s string) bool { return dedupe.ValidINN(s) }

// ValidOGRN reports whether s is an OGRN (13) or OGRNIP (15) with a correct control digit.
func ValidOGRN(s string) bool { return dedupe.ValidOGRN(s) }

// ValidKPP reports whether s has the form of a KPP.
func ValidKPP(s string) bool { return dedupe.ValidKPP(s) }

// ValidBIK reports whether s has the form of a BIK: 9 digits.
func ValidBIK(s string) bool { return dedupe.ValidBIK(s) }

// ValidAccount reports whether account's control key matches the bank with this BIK.
func ValidAccount(bik, account string) bool { return dedupe.ValidAccount(bik, account) }

// ValidCorrAccount reports whether a correspondent account's control key matches the BIK.
func ValidCorrAccount(bik, account string) bool { return dedupe.ValidCorrAccount(bik, account) }

func allDigits(s string) bool { return dedupe.AllDigits(s) }

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
