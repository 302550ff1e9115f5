package documents

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/leadd/leadd/crm"
)

// Published numbers. Sberbank: INN 7707083893, KPP 773601001, OGRN
// 1027700132195, BIK 044525225, correspondent account
// 30101810400000000225. The Bank of Russia's own worked examples (letter
// N 515): 30101810800000000746 at BIK 0498050xx, 40602810700000000025 at
// BIK 049805746, 40102810100000010001 at the centre with BIK 040305000.
const (
	sberINN  = "7707083893"
	sberKPP  = "773601001"
	sberOGRN = "1027700132195"
	sberBIK  = "044525225"
	sberCorr = "30101810400000000225"
)

// accountWithKey sets the control key (the 9th digit) of account for the
// 3-digit number of its bank, the way the Bank of Russia's letter N 515
// does it by hand: the key zeroed, the low digit of each product with
// 7,1,3 summed, the low digit of the sum times 3, its low digit. It is
// written apart from the code under test on purpose.
func accountWithKey(bankNumber, account string) string {
	zeroed := account[:8] + "0" + account[9:]
	weights := "713"
	sum := 0
	for i, c := range bankNumber + zeroed {
		sum += int(c-'0') * int(weights[i%3]-'0') % 10
	}
	key := sum % 10 * 3 % 10
	return account[:8] + string(rune('0'+key)) + account[9:]
}

// Settlement accounts at Sberbank made with the independent key, so that
// the tests do not depend on anyone's real account.
var (
	sberAccount   = accountWithKey("225", "40702810_38000012345")
	sberAccountIE = accountWithKey("225", "40802810_38000000001")
)

func TestTheIndependentKeyAgreesWithTheBankOfRussiasExamples(t *testing.T) {
	tests := []struct{ bankNumber, template, want string }{
		{"005", "30101810_00000000746", "30101810800000000746"},
		{"746", "40602810_00000000025", "40602810700000000025"},
		{"025", "30101810_00000000225", sberCorr}, // "0" + BIK digits 5–6
	}
	for _, tt := range tests {
		if got := accountWithKey(tt.bankNumber, tt.template); got != tt.want {
			t.Errorf("key for %s at %s: %s, want %s", tt.template, tt.bankNumber, got, tt.want)
		}
	}
}

func TestValidINN(t *testing.T) {
	tests := []struct {
		name string
		inn  string
		want bool
	}{
		{"Sberbank", sberINN, true},
		{"Yandex", "7736207543", true},
		{"Gazprom", "7736050003", true},
		{"a 12-digit INN of an individual", "500100732259", true},
		{"Sberbank with the control digit off by one", "7707083894", false},
		{"a 12-digit INN with the first control digit wrong", "500100732269", false},
		{"a 12-digit INN with the second control digit wrong", "500100732250", false},
		{"11 digits", "77070838931", false},
		{"9 digits", "770708389", false},
		{"a letter", "770708389O", false},
		{"spaces around", " 7707083893", false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		if got := ValidINN(tt.inn); got != tt.want {
			t.Errorf("%s: ValidINN(%q) = %v, want %v", tt.name, tt.inn, got, tt.want)
		}
	}
}

func TestValidOGRN(t *testing.T) {
	tests := []struct {
		name string
		ogrn string
		want bool
	}{
		{"Sberbank", sberOGRN, true},
		{"the Pension Fund", "1027700220624", true},
		{"a published example", "1117746358608", true},
		{"an entrepreneur's OGRNIP", "304500116000157", true},
		{"Sberbank with the control digit off by one", "1027700132196", false},
		{"an OGRNIP with the control digit off by one", "304500116000158", false},
		{"an OGRN checked mod 13 is not an OGRNIP", "1027700132195" + "00", false},
		{"14 digits", "10277001321950", false},
		{"12 digits", "102770013219", false},
		{"a letter", "102770013219O", false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		if got := ValidOGRN(tt.ogrn); got != tt.want {
			t.Errorf("%s: ValidOGRN(%q) = %v, want %v", tt.name, tt.ogrn, got, tt.want)
		}
	}
}

func TestValidKPP(t *testing.T) {
	tests := []struct {
		kpp  string
		want bool
	}{
		{sberKPP, true},
		{"7736AB001", true}, // the reason code may be letters A–Z
		{"77360A001", true},
		{"7736ab001", false}, // capitals only
		{"7736АБ001", false}, // Cyrillic is not A–Z
		{"773A01001", false}, // the tax office code is digits
		{"77360100A", false}, // so is the sequence
		{"77360100", false},
		{"7736010011", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := ValidKPP(tt.kpp); got != tt.want {
			t.Errorf("ValidKPP(%q) = %v, want %v", tt.kpp, got, tt.want)
		}
	}
}

func TestValidAccount(t *testing.T) {
	tests := []struct {
		name, bik, account string
		want               bool
	}{
		{"a settlement account at Sberbank", sberBIK, sberAccount, true},
		{"an entrepreneur's account at Sberbank", sberBIK, sberAccountIE, true},
		{"the Bank of Russia's example", "049805746", "40602810700000000025", true},
		{"a published sample at Avangard", "044525201", "40802810700020000317", true},
		{"the same account at another bank", "044525201", sberAccount, false},
		{"the correspondent account is not checked as a settlement one", sberBIK, sberCorr, false},
		{"19 digits", sberBIK, sberAccount[:19], false},
		{"a letter", sberBIK, sberAccount[:19] + "O", false},
		{"a BIK of 8 digits", "04452522", sberAccount, false},
		{"no BIK", "", sberAccount, false},
	}
	for _, tt := range tests {
		if got := ValidAccount(tt.bik, tt.account); got != tt.want {
			t.Errorf("%s: ValidAccount(%q, %q) = %v, want %v", tt.name, tt.bik, tt.account, got, tt.want)
		}
	}
}

func TestValidCorrAccount(t *testing.T) {
	tests := []struct {
		name, bik, account string
		want               bool
	}{
		{"Sberbank", sberBIK, sberCorr, true},
		{"the Bank of Russia's example, bank in region 05", "049805746", "30101810800000000746", true},
		{"an account at the centre itself", "040305000", "40102810100000010001", true},
		{"Avangard", "044525201", "30101810000000000201", true},
		{"Sberbank's with the key off by one", sberBIK, "30101810500000000225", false},
		{"Sberbank's against a BIK of another region", "049805225", sberCorr, false},
		{"19 digits", sberBIK, sberCorr[:19], false},
	}
	for _, tt := range tests {
		if got := ValidCorrAccount(tt.bik, tt.account); got != tt.want {
			t.Errorf("%s: ValidCorrAccount(%q, %q) = %v, want %v", tt.name, tt.bik, tt.account, got, tt.want)
		}
	}
}

// oneDigitChanged returns s with the digit at i replaced by d.
func oneDigitChanged(s string, i int, d byte) string {
	return s[:i] + string(d) + s[i+1:]
}

// Weights 7, 1, 3 are prime to 10, so the account key catches every
// single mistyped digit, wherever it is.
func TestAnAccountWithAnyOneDigitMistypedFails(t *testing.T) {
	tests := []struct {
		name, bik, account string
		valid              func(bik, account string) bool
	}{
		{"settlement", sberBIK, sberAccount, ValidAccount},
		{"Bank of Russia example", "049805746", "40602810700000000025", ValidAccount},
		{"correspondent", sberBIK, sberCorr, ValidCorrAccount},
	}
	for _, tt := range tests {
		for i := range tt.account {
			for d := byte('0'); d <= '9'; d++ {
				if d == tt.account[i] {
					continue
				}
				if m := oneDigitChanged(tt.account, i, d); tt.valid(tt.bik, m) {
					t.Errorf("%s: %s (digit %d changed) passes", tt.name, m, i+1)
				}
			}
		}
	}
}

// The INN and OGRN take a remainder mod 11 (or 13) and then mod 10, so a
// remainder of 10 reads as 0: a mistyped digit can in general slip through.
// For these published numbers none does, and a wrong control digit never
// does.
func TestPublishedNumbersWithOneDigitMistypedFail(t *testing.T) {
	tests := []struct {
		name, number string
		valid        func(string) bool
	}{
		{"Sberbank INN", sberINN, ValidINN},
		{"Yandex INN", "7736207543", ValidINN},
		{"12-digit INN", "500100732259", ValidINN},
		{"Sberbank OGRN", sberOGRN, ValidOGRN},
		{"Pension Fund OGRN", "1027700220624", ValidOGRN},
		{"OGRNIP", "304500116000157", ValidOGRN},
	}
	for _, tt := range tests {
		for i := range tt.number {
			for d := byte('0'); d <= '9'; d++ {
				if d == tt.number[i] {
					continue
				}
				if m := oneDigitChanged(tt.number, i, d); tt.valid(m) {
					t.Errorf("%s: %s (digit %d changed) passes", tt.name, m, i+1)
				}
			}
		}
	}
}

// fieldsAtFault lists the fields the coded errors name, in order.
func fieldsAtFault(t *testing.T, errs []error) []string {
	t.Helper()
	var fields []string
	for _, err := range errs {
		var e *crm.Error
		if !errors.As(err, &e) || e.Code != crm.EINVALID {
			t.Fatalf("%v is not an EINVALID *crm.Error", err)
		}
		fields = append(fields, e.Field)
	}
	return fields
}

func TestCheckRequisitesNamesEachFieldAtFault(t *testing.T) {
	sber := Requisites{INN: sberINN, KPP: sberKPP, OGRN: sberOGRN, BIK: sberBIK, Account: sberAccount, CorrAccount: sberCorr}
	entrepreneur := Requisites{INN: "500100732259", OGRN: "304500116000157", BIK: sberBIK, Account: sberAccountIE, CorrAccount: sberCorr}
	with := func(r Requisites, change func(*Requisites)) Requisites { change(&r); return r }

	tests := []struct {
		name   string
		r      Requisites
		fields []string
		says   string // a fragment of the first message
	}{
		{"an organisation, all correct", sber, nil, ""},
		{"an entrepreneur, all correct", entrepreneur, nil, ""},
		{"an organisation without bank details", Requisites{INN: sberINN, KPP: sberKPP}, nil, ""},
		{"no INN", with(sber, func(r *Requisites) { r.INN = "" }), []string{"inn"}, "required"},
		{"an INN of 11 digits", with(sber, func(r *Requisites) { r.INN = "77070838931" }), []string{"inn"}, "10 digits"},
		{"a mistyped INN", with(sber, func(r *Requisites) { r.INN = "7707083894" }), []string{"inn"}, "control digits"},
		{"an organisation without KPP", with(sber, func(r *Requisites) { r.KPP = "" }), []string{"kpp"}, "required"},
		{"an entrepreneur with a KPP", with(entrepreneur, func(r *Requisites) { r.KPP = sberKPP }), []string{"kpp"}, "no KPP"},
		{"a KPP in Cyrillic", with(sber, func(r *Requisites) { r.KPP = "7736АБ001" }), []string{"kpp"}, "letters A-Z"},
		{"an organisation with an OGRNIP", with(sber, func(r *Requisites) { r.OGRN = "304500116000157" }), []string{"ogrn"}, "13-digit"},
		{"an entrepreneur with an OGRN", with(entrepreneur, func(r *Requisites) { r.OGRN = sberOGRN }), []string{"ogrn"}, "15-digit"},
		{"a mistyped OGRN", with(sber, func(r *Requisites) { r.OGRN = "1027700132196" }), []string{"ogrn"}, "control digit"},
		{"a BIK of 8 digits", with(sber, func(r *Requisites) { r.BIK = "04452522" }), []string{"bik"}, "9 digits"},
		{"an account without BIK", with(sber, func(r *Requisites) { r.BIK = "" }), []string{"bik"}, "required with an account"},
		// The correspondent account's key sees only BIK digits 5–6 (the
		// region), so another Moscow bank's BIK passes it.
		{"accounts given with another Moscow bank's BIK", with(sber, func(r *Requisites) { r.BIK = "044525201" }), []string{"account"}, "another bank"},
		{"accounts given with a BIK of another region", with(sber, func(r *Requisites) { r.BIK = "040349602" }), []string{"account", "corr_account"}, "another bank"},
		{"an account of 19 digits", with(sber, func(r *Requisites) { r.Account = sberAccount[:19] }), []string{"account"}, "20 digits"},
		{"a mistyped correspondent account", with(sber, func(r *Requisites) { r.CorrAccount = "30101810400000000226" }), []string{"corr_account"}, "control key"},
		{"everything wrong at once", Requisites{INN: "123", KPP: "x", OGRN: "1", BIK: "1", Account: "2", CorrAccount: "3"},
			[]string{"inn", "kpp", "ogrn", "bik", "account", "corr_account"}, ""},
	}
	for _, tt := range tests {
		errs := CheckRequisites(tt.r)
		if got := fieldsAtFault(t, errs); !reflect.DeepEqual(got, tt.fields) {
			t.Errorf("%s: fields at fault %v, want %v (%v)", tt.name, got, tt.fields, errs)
			continue
		}
		if tt.says != "" && !strings.Contains(errs[0].Error(), tt.says) {
			t.Errorf("%s: %q does not say %q", tt.name, errs[0], tt.says)
		}
	}
}
