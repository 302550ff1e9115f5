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

// taxCodes are the VAT codes Robokassa documents for an item (none, 0%,
// 10%, 20%, and the 10/110 and 20/120 calculated rates).
var taxCodes = map[string]bool{"none": true, "vat0": true, "vat10": true, "vat110": true, "vat20": true, "vat120": true}

// ReceiptFor makes the receipt of a deal's lines; a line's VAT key must be
// a Robokassa tax code. Errors: EINVALID.
func ReceiptFor(cfg Config, lines []crm.Line) (*Receipt, error) {
	if len(lines) == 0 {
		return nil, crm.Invalid("lines", "the shop sends receipts: the deal needs lines to put in it")
	}
	r := &Receipt{SNO: cfg.SNO}
	for i, l := range lines {
		if !taxCodes[l.VAT] {
			return nil, crm.Invalid("lines", "line %d (%s): VAT %q is not a Robokassa tax code (none, vat0, vat10, vat110, vat20, vat120)", i+1, l.Name, l.VAT)
		}
		r.Items = append(r.Items, ReceiptItem{Name: cut(l.Name, 128), Quantity: json.Number(l.Quantity), Sum: json.Number(l.Total),
			Tax: l.VAT, PaymentMethod: cfg.PaymentMethod, PaymentObject: cfg.PaymentObject})
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
