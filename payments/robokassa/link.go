package robokassa

import (
	"bytes"
	"encoding/json"
	"math/big"
	"net/url"
	"strconv"
	"strings"
	"unicode"

	"github.com/leadd/leadd/crm"
)

// Receipt is the 54-FZ receipt sent with a payment (the Receipt parameter,
// JSON; docs.robokassa.ru/ru/fiscalization).
type Receipt struct {
	SNO   string        `json:"sno,omitempty"` // tax system; omitted: the shop's default
	Items []ReceiptItem `json:"items"`
}

// ReceiptItem is one position: sum is the whole position's price after
// discounts, tax a Robokassa rate code.
type ReceiptItem struct {
	Name          string      `json:"name"` // at most 128 characters
	Quantity      json.Number `json:"quantity"`
	Sum           json.Number `json:"sum"`
	Tax           string      `json:"tax"`
	PaymentMethod string      `json:"payment_method,omitempty"`
	PaymentObject string      `json:"payment_object,omitempty"`
}

// Robokassa's tax codes by the rate's percent: the plain rates and the
// calculated ones (22/122, 20/120, 10/110, 7/107, 5/105) that a receipt
// for an advance payment carries (docs.robokassa.ru/ru/fiscalization,
// the item's "tax"; 22% since 2026, 5% and 7% of the simplified system).
var (
	taxCodes      = map[string]string{"22": "vat22", "20": "vat20", "10": "vat10", "7": "vat7", "5": "vat5", "0": "vat0"}
	calculatedTax = map[string]string{"22": "vat122", "20": "vat120", "10": "vat110", "7": "vat107", "5": "vat105", "0": "vat0"}
	knownTax      = map[string]bool{"none": true, "vat0": true, "vat5": true, "vat7": true, "vat10": true, "vat20": true, "vat22": true,
		"vat105": true, "vat107": true, "vat110": true, "vat120": true, "vat122": true}
)

// TaxCode is the Robokassa tax code of a configured VAT rate: "none"
// without VAT, "vat22" for 22%, "vat122" for 22% calculated. ok is false
// for a percent Robokassa has no code for (18%, say).
func TaxCode(percent string, calculated bool) (code string, ok bool) {
	if percent == "" {
		return "none", true
	}
	p := strings.TrimSuffix(strings.TrimRight(strings.TrimRight(percent, "0"), "."), ".")
	if !strings.Contains(percent, ".") {
		p = percent
	}
	if calculated {
		code, ok = calculatedTax[p]
	} else {
		code, ok = taxCodes[p]
	}
	return code, ok
}

// ReceiptFor makes the receipt of a deal's lines: each line's rate (by
// rates) becomes its tax code, its type (commodity or service) its
// payment_object. Errors: EINVALID for a deal without lines or a line
// whose rate Robokassa has no code for.
func ReceiptFor(cfg Config, rates crm.VATRates, lines []crm.Line) (*Receipt, error) {
	if len(lines) == 0 {
		return nil, crm.Invalid("lines", "the shop sends receipts: the deal needs lines to put in it")
	}
	r := &Receipt{SNO: cfg.SNO}
	for i, l := range lines {
		tax, ok := "", false
		if p, known := rates.Percent(l.VAT); known {
			tax, ok = TaxCode(p, cfg.CalculatedVAT)
		} else if knownTax[l.VAT] { // a rate taken out of the configuration since, keyed as Robokassa's
			tax, ok = l.VAT, true
		}
		if !ok {
			return nil, crm.Invalid("lines", "line %d (%s): VAT %q has no Robokassa tax code (none, vat0, vat5, vat7, vat10, vat20, vat22 and their calculated vat105 … vat122)",
				i+1, l.Name, l.VAT)
		}
		object := l.Type
		if object == "" {
			object = crm.TypeCommodity
		}
		r.Items = append(r.Items, ReceiptItem{Name: cut(l.Name, 128), Quantity: json.Number(l.Quantity), Sum: json.Number(l.Total),
			Tax: tax, PaymentMethod: cfg.PaymentMethod, PaymentObject: object})
	}
	return r, nil
}

// Total is the sum of the items.
func (r *Receipt) Total() *big.Rat {
	t := new(big.Rat)
	for _, it := range r.Items {
		x, ok := new(big.Rat).SetString(string(it.Sum))
		if ok {
			t.Add(t, x)
		}
	}
	return t
}

// Encode is the receipt as it is signed and sent: its JSON, URL-encoded
// ("значение параметра Receipt перед использованием в строке для подсчета
// контрольной суммы и отправкой его формой необходимо URL-кодировать").
func (r *Receipt) Encode() string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(r) // strings and numbers only: it cannot fail
	return url.QueryEscape(strings.TrimSuffix(b.String(), "\n"))
}

// Link is the address that takes a person to pay outSum (a decimal with a
// point, "1200.00") for invoice invID. The receipt, when given, is signed
// after InvId; shp are the shop's own parameters (a name without the Shp_
// prefix gets it), signed last, sorted. Long receipts make long links:
// Robokassa advises POST for them.
func Link(cfg Config, invID int64, outSum, description string, receipt *Receipt, shp map[string]string) string {
	inv := ""
	if invID > 0 {
		inv = strconv.FormatInt(invID, 10)
	}
	v := url.Values{}
	v.Set("MerchantLogin", cfg.MerchantLogin)
	v.Set("OutSum", outSum)
	if inv != "" {
		v.Set("InvId", inv)
	}
	v.Set("Description", description)
	encoded := ""
	if receipt != nil {
		encoded = receipt.Encode()
		v.Set("Receipt", encoded)
	}
	for k, val := range shp {
		v.Set(shpName(k), val)
	}
	v.Set("SignatureValue", Sign(cfg.Hash, PaymentBase(cfg.MerchantLogin, outSum, inv, encoded, cfg.Password1, shp)))
	if cfg.Test {
		v.Set("IsTest", "1")
	}
	base := cfg.URL
	if base == "" {
		base = DefaultURL
	}
	return base + "?" + v.Encode()
}

// Description is what the payment page shows: Robokassa takes Latin and
// Cyrillic letters, digits and punctuation, at most 100 characters.
func Description(d crm.Deal) string {
	s := strings.Map(func(r rune) rune {
		switch {
		case unicode.In(r, unicode.Latin, unicode.Cyrillic), unicode.IsDigit(r), unicode.IsPunct(r), r == ' ':
			return r
		}
		return ' '
	}, "Оплата по сделке "+strconv.FormatInt(d.ID, 10)+": "+d.Title)
	return cut(strings.Join(strings.Fields(s), " "), 100)
}

func cut(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}
