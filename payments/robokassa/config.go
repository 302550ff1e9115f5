// Package robokassa takes payments for deals through Robokassa: a signed
// payment link (with the 54-FZ receipt when the shop fiscalizes through
// Robokassa) and the ResultURL notice that marks the payment paid.
//
// Protocol references (docs.robokassa.ru):
//   - payment form and SignatureValue: https://docs.robokassa.ru/script-parameters/
//     and https://docs.robokassa.ru/ru/pay-interface
//   - ResultURL: https://docs.robokassa.ru/ru/notifications-and-redirects
//   - Receipt: https://docs.robokassa.ru/ru/fiscalization
//   - Shp_ ordering as Robokassa's own SDK does it: github.com/robokassa/sdk-php,
//     src/Signature/SignatureService.php (collectShpPairs).
package robokassa

import (
	"fmt"
	"regexp"

	"github.com/leadd/leadd/crm"
)

// DefaultURL is the payment page for GET and POST.
const DefaultURL = "https://auth.robokassa.ru/Merchant/Index.aspx"

// Config is one Robokassa shop; it is off while merchant_login is empty.
type Config struct {
	MerchantLogin string `yaml:"merchant_login"`
	Password1     string `yaml:"password1"` // signs links; or ROBOKASSA_PASSWORD1 / _FILE
	Password2     string `yaml:"password2"` // signs ResultURL notices; or ROBOKASSA_PASSWORD2 / _FILE
	// Hash is the algorithm chosen in the shop's technical settings.
	Hash string `yaml:"hash"` // md5 (default), sha1, sha256, sha384, sha512
	Test bool   `yaml:"test"` // links carry IsTest=1 (use the test passwords)
	// Receipt sends the deal's lines as the 54-FZ receipt: each line's
	// VAT rate as its tax code (vat22, vat10, vat0, none, …) and its type
	// (commodity or service) as its payment_object.
	Receipt       bool   `yaml:"receipt"`
	SNO           string `yaml:"sno"`            // tax system; "": the shop's default
	PaymentMethod string `yaml:"payment_method"` // default full_prepayment
	// CalculatedVAT sends the calculated rates (vat122, vat120, vat110,
	// vat107, vat105) instead of the plain ones: a receipt for an advance,
	// the goods shipped later, as the shop's accountant decides.
	CalculatedVAT bool `yaml:"calculated_vat"`
	// PaymentObject was one payment_object for every line; each line's
	// type decides now. Still read, so that an older file loads, and
	// named by Deprecated.
	PaymentObject string `yaml:"payment_object"`
	// PaidStage is the stage key a paid deal moves to, in whichever
	// pipeline the deal is in ("": it stays).
	PaidStage string `yaml:"paid_stage"`
	URL       string `yaml:"url"` // default DefaultURL
}

// Enabled reports whether a shop is configured.
func (c *Config) Enabled() bool { return c.MerchantLogin != "" }

// Defaults fills what the file left out.
func (c *Config) Defaults() {
	if c.Hash == "" {
		c.Hash = "md5"
	}
	if c.URL == "" {
		c.URL = DefaultURL
	}
	if c.PaymentMethod == "" {
		c.PaymentMethod = "full_prepayment"
	}
}

var wordRe = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// Validate returns the problems of the shop, each naming its key under
// prefix; paid_stage must be a stage (not a lost one) of some pipeline;
// with receipts, every VAT rate must have a Robokassa tax code.
func (c *Config) Validate(prefix string, pipelines []crm.Pipeline, rates crm.VATRates) []error {
	if !c.Enabled() {
		return nil
	}
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s.%s: %s", prefix, key, fmt.Sprintf(format, args...)))
	}
	if c.Password1 == "" {
		bad("password1", "is required: it signs payment links (or ROBOKASSA_PASSWORD1)")
	}
	if c.Password2 == "" {
		bad("password2", "is required: it signs ResultURL notices (or ROBOKASSA_PASSWORD2)")
	}
	if c.Password1 != "" && c.Password1 == c.Password2 {
		bad("password2", "must differ from password1")
	}
	if _, ok := hashes[c.Hash]; !ok {
		bad("hash", "must be md5, sha1, sha256, sha384 or sha512, as in the shop's technical settings, not %q", c.Hash)
	}
	if c.Receipt {
		for key, p := range rates {
			if _, ok := TaxCode(p, c.CalculatedVAT); !ok {
				bad("receipt", "vat_rates.%s (%s%%) has no Robokassa tax code: receipts take 0, 5, 7, 10, 20 and 22%%", key, p)
			}
		}
	}
	for key, v := range map[string]string{"sno": c.SNO, "payment_method": c.PaymentMethod} {
		if v != "" && !wordRe.MatchString(v) {
			bad(key, "is a Robokassa code like full_prepayment or usn_income, not %q", v)
		}
	}
	if c.PaidStage != "" {
		found := false
		for _, p := range pipelines {
			for _, s := range p.Stages {
				if s.Key == c.PaidStage && s.Semantic != crm.StageLost {
					found = true
				}
			}
		}
		if !found {
			bad("paid_stage", "no pipeline has a stage %q that is not lost", c.PaidStage)
		}
	}
	return errs
}
