package documents

import (
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/leadd/leadd/crm"
)

// The payload follows ГОСТ Р 56042-2014 «Стандарты финансовых операций.
// Двумерные символы штрихового кода для осуществления платежей физических
// лиц»: a service block "ST" + version "0001" + the character set (1
// windows-1251, 2 UTF-8, 3 KOI8-R), then Key=Value requisites each behind
// the separator, the five required ones first in the standard's order. The
// field names and maximum lengths were checked against implementations of
// the standard: github.com/Shane32/QRCoder RussiaPaymentOrder.cs,
// github.com/if0ne/gost-56042-rs src/payment.rs and the sample payloads of
// github.com/pk-pro/qr-payment-php and lib.rs/crates/gost-56042.

// qrHeader is format "ST", version "0001", character set "2" (UTF-8).
const qrHeader = "ST00012"

// QRPayment is what a payer's banking app fills in from the QR code.
// Name, PersonalAcc, BankName, BIC and CorrespAcc are required; the rest
// are left out when empty (an entrepreneur has no KPP; without Sum the payer
// types the amount).
type QRPayment struct {
	Name        string // payee
	PersonalAcc string // payee's settlement account
	BankName    string
	BIC         string
	CorrespAcc  string
	PayeeINN    string
	KPP         string
	Sum         string // rubles, a decimal string like "1200.50"
	Purpose     string
}

// PaymentQR returns the text of a payment QR code for p, UTF-8:
// "ST00012|Name=…|PersonalAcc=…|BankName=…|BIC=…|CorrespAcc=…|PayeeINN=…|KPP=…|Sum=<kopecks>|Purpose=…".
// Errors: EINVALID for each field at fault, joined — a missing required
// field, one too long for the standard, one holding the separator "|" or a
// line break, an account or INN whose control digits do not match, a Sum
// that is not a positive amount.
func PaymentQR(p QRPayment) (string, error) {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, crm.Invalid(field, format, args...))
	}
	text := func(field, v string, max int, required bool) string {
		v = strings.TrimSpace(v)
		switch {
		case v == "" && required:
			bad(field, "is required")
		case utf8.RuneCountInString(v) > max:
			bad(field, "is at most %d characters in a payment QR code", max)
		case strings.ContainsAny(v, "|\r\n"):
			// The standard would let us pick another separator; a value
			// with "|" in it is more likely a paste error worth showing.
			bad(field, "must not contain \"|\" or a line break")
		}
		return v
	}

	name := text("name", p.Name, 160, true)
	bankName := text("bank_name", p.BankName, 45, true)
	purpose := text("purpose", p.Purpose, 210, false)

	if !ValidBIK(p.BIC) {
		bad("bic", "a BIK is 9 digits, not %q", p.BIC)
	}
	switch {
	case p.PersonalAcc == "":
		bad("personal_acc", "is required")
	case ValidBIK(p.BIC) && !ValidAccount(p.BIC, p.PersonalAcc) || !accountShape(p.PersonalAcc):
		bad("personal_acc", "is not a settlement account at BIK %s: %q", p.BIC, p.PersonalAcc)
	}
	switch {
	case p.CorrespAcc == "":
		bad("corresp_acc", "is required")
	case ValidBIK(p.BIC) && !ValidCorrAccount(p.BIC, p.CorrespAcc) || !accountShape(p.CorrespAcc):
		bad("corresp_acc", "is not the correspondent account of BIK %s: %q", p.BIC, p.CorrespAcc)
	}
	if p.PayeeINN != "" && !ValidINN(p.PayeeINN) {
		bad("payee_inn", "is not a valid INN: %q", p.PayeeINN)
	}
	if p.KPP != "" && !ValidKPP(p.KPP) {
		bad("kpp", "is not a KPP: %q", p.KPP)
	}
	var sum int64
	if p.Sum != "" {
		k, err := ParseKopecks(p.Sum)
		switch {
		case err != nil:
			bad("sum", "must be a decimal string with at most 2 decimals, like \"1200.50\", not %q", p.Sum)
		case k == 0:
			bad("sum", "must be more than zero; leave it empty to let the payer type it")
		}
		sum = k
	}
	if len(errs) > 0 {
		return "", errors.Join(errs...)
	}

	var b strings.Builder
	b.WriteString(qrHeader)
	add := func(key, value string) {
		if value != "" {
			b.WriteString("|" + key + "=" + value)
		}
	}
	add("Name", name)
	add("PersonalAcc", p.PersonalAcc)
	add("BankName", bankName)
	add("BIC", p.BIC)
	add("CorrespAcc", p.CorrespAcc)
	add("PayeeINN", p.PayeeINN)
	add("KPP", p.KPP)
	if p.Sum != "" {
		add("Sum", strconv.FormatInt(sum, 10))
	}
	add("Purpose", purpose)
	return b.String(), nil
}

func accountShape(s string) bool { return len(s) == 20 && allDigits(s) }
