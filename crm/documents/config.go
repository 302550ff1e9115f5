package documents

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

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
	Director    string `yaml:"director"`     // Иванов И. И.
	Accountant  string `yaml:"accountant"`
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
	for _, err := range CheckRequisites(Requisites{INN: s.INN, KPP: s.KPP, OGRN: s.OGRN, BIK: s.BIK, Account: s.Account, CorrAccount: s.CorrAccount}) {
		var e *crm.Error
		errors.As(err, &e)
		bad("seller."+e.Field, "%s", e.Message)
	}
	// An invoice carries the payment QR: it needs the bank in full.
	if s.Bank == "" || s.BIK == "" || s.Account == "" || s.CorrAccount == "" {
		bad("seller.bank", "bank, bik, account and corr_account are required: every invoice carries them and the payment QR")
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
