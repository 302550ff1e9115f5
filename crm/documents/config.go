package documents

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/leadd/leadd/crm"
)

// Config is the documents section of the configuration: who we are, where
// the templates are and how documents are numbered.
type Config struct {
	// Templates is the directory of <type>.tmpl files, read at each
	// document so the company edits them without a restart.
	Templates string `yaml:"templates"`
	// TimeZone dates documents: "Europe/Moscow".
	TimeZone string `yaml:"time_zone"`
	// Numbers is a numbering pattern per type (see NumberFormat); a type
	// not named takes "{type}-{year}-{seq:05}".
	Numbers map[string]string `yaml:"numbers"`
	// Prefixes is what {type} stands for per type: "СЧ" for an invoice.
	Prefixes map[string]string `yaml:"prefixes"`
	// Seller is our company as documents print it. Documents are off
	// until its INN is given.
	Seller Seller `yaml:"seller"`
	// Package is the set POST /deals/{id}/documents/package makes.
	Package []string `yaml:"package"`
}

// Seller is our company's name, requisites and signatories.
type Seller struct {
	Name        string `yaml:"name"` // ООО «Ромашка»
	INN         string `yaml:"inn"`
	KPP         string `yaml:"kpp"`
	OGRN        string `yaml:"ogrn"`
	Address     string `yaml:"address"`
	Phone       string `yaml:"phone"`
	Bank        string `yaml:"bank"` // ПАО Сбербанк (at most 45 characters: the payment QR carries it)
	BIK         string `yaml:"bik"`
	Account     string `yaml:"account"`      // settlement account
	CorrAccount string `yaml:"corr_account"` // the bank's correspondent account
	Director    string `yaml:"director"`     // Иванов И. И., under the signature lines
	Accountant  string `yaml:"accountant"`
	// Signatory signs contracts: the full name in the nominative
	// («Иванов Иван Иванович»; Director when not given), the post
	// («Генеральный директор») and the basis in the genitive («Устава»,
	// the default; «доверенности № 5 от 01.02.2026»). A contract declines
	// the name and the post: «в лице генерального директора Иванова Ивана
	// Ивановича, действующего на основании Устава»; give the *_genitive
	// fields where the rules decline a name wrong.
	Signatory             string `yaml:"signatory"`
	SignatoryPost         string `yaml:"signatory_post"`
	SignatoryBasis        string `yaml:"signatory_basis"`
	SignatoryGenitive     string `yaml:"signatory_genitive"`
	SignatoryPostGenitive string `yaml:"signatory_post_genitive"`
	// VATMode is "vat" (the default) or "none" for a seller outside VAT
	// (the simplified system): documents then refuse lines that carry VAT
	// and print VATNote ("НДС не облагается, УСН") after "Без НДС".
	VATMode string `yaml:"vat_mode"`
	VATNote string `yaml:"vat_note"`
	// Logo, Stamp and Signature are optional PNG or JPEG files the
	// templates draw (!image, !overlay): the logo atop the invoice, the
	// stamp and the signature by the signature lines. A relative path is
	// from the daemon's working directory (unlike templates, it is not
	// taken beside the config file); an absolute one is safer.
	Logo      string `yaml:"logo"`
	Stamp     string `yaml:"stamp"`
	Signature string `yaml:"signature"`
}

// Enabled reports whether documents can be made: our INN is given.
func (c *Config) Enabled() bool { return c.Seller.INN != "" }

// Defaults fills what is not given.
func (c *Config) Defaults() {
	if c.Package == nil {
		c.Package = DefaultPackage
	}
	if c.Templates == "" {
		c.Templates = "configs/templates"
	}
	if c.TimeZone == "" {
		c.TimeZone = "Europe/Moscow"
	}
	defaults := map[string]string{crm.DocQuote: "КП", crm.DocInvoice: "СЧ", crm.DocContract: "ДГ", crm.DocAct: "АКТ"}
	if c.Prefixes == nil {
		c.Prefixes = map[string]string{}
	}
	if c.Numbers == nil {
		c.Numbers = map[string]string{}
	}
	for _, t := range crm.DocumentTypes {
		if _, ok := c.Prefixes[t]; !ok {
			c.Prefixes[t] = defaults[t]
		}
		if _, ok := c.Numbers[t]; !ok {
			c.Numbers[t] = "{type}-{year}-{seq:05}"
		}
	}
}

// Validate returns every problem, each naming its key under prefix
// ("documents.seller.inn: …"). With no seller INN only the shape of the
// section is checked: documents are off.
func (c *Config) Validate(prefix string) []error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s.%s: %s", prefix, key, fmt.Sprintf(format, args...)))
	}
	if _, err := time.LoadLocation(c.TimeZone); err != nil {
		bad("time_zone", "unknown time zone %q", c.TimeZone)
	}
	for t, p := range c.Numbers {
		if !known(t) {
			bad("numbers."+t, "unknown document type; the types are %v", crm.DocumentTypes)
			continue
		}
		if err := CheckNumberPattern(prefix+".numbers."+t, p); err != nil {
			errs = append(errs, fieldError(err))
		}
	}
	if m := c.Seller.VATMode; m != "" && m != "vat" && m != "none" {
		errs = append(errs, fmt.Errorf("%s.seller.vat_mode: must be vat or none, not %q", prefix, m))
	}
	errs = append(errs, CheckPackage(prefix+".package", c.Package)...)
	for t := range c.Prefixes {
		if !known(t) {
			bad("prefixes."+t, "unknown document type; the types are %v", crm.DocumentTypes)
		}
	}
	if !c.Enabled() {
		return errs
	}
	s := c.Seller
	if s.Name == "" {
		bad("seller.name", "is required")
	}
	errs = append(errs, checkSellerText(prefix, s)...)
	for _, err := range CheckRequisites(Requisites{INN: s.INN, KPP: s.KPP, OGRN: s.OGRN, BIK: s.BIK, Account: s.Account, CorrAccount: s.CorrAccount}) {
		var e *crm.Error
		errors.As(err, &e)
		bad("seller."+e.Field, "%s", e.Message)
	}
	// An invoice carries the payment QR: it needs the bank in full, and
	// a QR made of these requisites now, not at the first invoice.
	if s.Bank == "" || s.BIK == "" || s.Account == "" || s.CorrAccount == "" {
		bad("seller.bank", "bank, bik, account and corr_account are required: every invoice carries them and the payment QR")
	} else if _, err := PaymentQR(QRPayment{Name: s.Name, PersonalAcc: s.Account, BankName: s.Bank, BIC: s.BIK,
		CorrespAcc: s.CorrAccount, PayeeINN: s.INN, KPP: s.KPP, Sum: "1.00",
		Purpose: "Оплата по счёту № " + strings.Repeat("0", 20) + " от 01.01.2026, в т.ч. НДС 22% 1 000 000 000,00"}); err != nil {
		for _, e := range unjoin(err) {
			var ce *crm.Error
			if errors.As(e, &ce) && (ce.Field == "name" || ce.Field == "bank_name") {
				continue // checked above, by the seller's keys
			}
			bad("seller", "the payment QR cannot be made: %v", e)
		}
	}
	for _, img := range [][2]string{{ImageLogo, s.Logo}, {ImageStamp, s.Stamp}, {ImageSignature, s.Signature}} {
		if img[1] == "" {
			continue
		}
		if _, err := readImage(img[1]); err != nil {
			bad("seller."+img[0], "%v", err)
		}
	}
	for _, t := range crm.DocumentTypes {
		name := filepath.Join(c.Templates, t+".tmpl")
		if _, err := os.Stat(name); err != nil {
			bad("templates", "no template for %s: %v", t, err)
		} else if _, err := parseTemplate(name); err != nil {
			bad("templates", "%v", err)
		}
	}
	return errs
}

// unjoin is the errors an errors.Join holds, or err alone.
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// sellerLimits are the longest values the documents carry: the payment QR
// takes a payee's name of 160 characters and a bank's of 45 (ГОСТ Р
// 56042-2014); the form's cells and the contract's lines take the rest.
var sellerLimits = []struct {
	key string
	get func(Seller) string
	max int
	qr  bool // carried by the payment QR: no "|", no line break
}{
	{"name", func(s Seller) string { return s.Name }, 160, true},
	{"bank", func(s Seller) string { return s.Bank }, 45, true},
	{"address", func(s Seller) string { return s.Address }, 300, false},
	{"phone", func(s Seller) string { return s.Phone }, 60, false},
	{"director", func(s Seller) string { return s.Director }, 60, false},
	{"accountant", func(s Seller) string { return s.Accountant }, 60, false},
	{"signatory", func(s Seller) string { return s.Signatory }, 100, false},
	{"signatory_post", func(s Seller) string { return s.SignatoryPost }, 100, false},
	{"signatory_basis", func(s Seller) string { return s.SignatoryBasis }, 150, false},
	{"signatory_genitive", func(s Seller) string { return s.SignatoryGenitive }, 100, false},
	{"signatory_post_genitive", func(s Seller) string { return s.SignatoryPostGenitive }, 100, false},
	{"vat_note", func(s Seller) string { return s.VATNote }, 100, false},
}

// checkSellerText checks the seller's text fields against what the
// documents and the payment QR take, so that the first invoice does not
// find it out.
func checkSellerText(prefix string, s Seller) []error {
	var errs []error
	for _, f := range sellerLimits {
		v := f.get(s)
		switch {
		case !utf8.ValidString(v) || strings.ContainsRune(v, 0):
			errs = append(errs, fmt.Errorf("%s.seller.%s: is not valid UTF-8 text", prefix, f.key))
		case utf8.RuneCountInString(strings.TrimSpace(v)) > f.max:
			why := "the documents"
			if f.qr {
				why = "the payment QR (ГОСТ Р 56042)"
			}
			errs = append(errs, fmt.Errorf("%s.seller.%s: is %d characters; at most %d fit %s", prefix, f.key,
				utf8.RuneCountInString(strings.TrimSpace(v)), f.max, why))
		case f.qr && strings.ContainsAny(v, "|\r\n"):
			errs = append(errs, fmt.Errorf("%s.seller.%s: must not contain \"|\" or a line break: the payment QR separates its fields with \"|\"", prefix, f.key))
		case !f.qr && strings.ContainsAny(v, "\r\n"):
			errs = append(errs, fmt.Errorf("%s.seller.%s: must be one line", prefix, f.key))
		}
	}
	if s.Signatory == "" && s.Director == "" {
		errs = append(errs, fmt.Errorf("%s.seller.signatory: who signs the documents is required (signatory, or director)", prefix))
	}
	return errs
}

func known(t string) bool {
	for _, k := range crm.DocumentTypes {
		if k == t {
			return true
		}
	}
	return false
}

// fieldError writes a coded error as "field: message".
func fieldError(err error) error {
	var e *crm.Error
	if errors.As(err, &e) && e.Field != "" {
		return fmt.Errorf("%s: %s", e.Field, e.Message)
	}
	return err
}
