package documents

import (
	"bytes"
	"fmt"
	"math/big"
	"path/filepath"
	"strings"
	"text/template"
	"time"

	"github.com/leadd/leadd/crm"
)

// Renderer makes documents' PDFs from the templates in Config.Templates.
type Renderer struct {
	cfg   Config
	loc   *time.Location
	rates crm.VATRates
}

var _ crm.DocumentMaker = (*Renderer)(nil)

// NewRenderer returns a renderer for a validated, enabled configuration;
// rates name the VAT of the lines. Errors: an unknown time zone.
func NewRenderer(cfg Config, rates crm.VATRates) (*Renderer, error) {
	loc, err := time.LoadLocation(cfg.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("documents: %w", err)
	}
	return &Renderer{cfg: cfg, loc: loc, rates: rates}, nil
}

// Location is where documents are dated.
func (r *Renderer) Location() *time.Location { return r.loc }

// Number formats a document's number by its type's pattern.
func (r *Renderer) Number(typ string, year, seq int) string {
	return NumberFormat(r.cfg.Numbers[typ], r.cfg.Prefixes[typ], year, seq)
}

// Data is what a template sees.
type Data struct {
	Type    string
	Number  string
	Version int
	Date    time.Time
	Deal    crm.Deal
	Contact *crm.Contact // the buyer in person, if any
	Company *crm.Company // the buyer's organisation, if any
	Buyer   string       // the buyer as one line: name, INN, KPP, address
	Seller  Seller
	Lines   []DataLine
	Totals  Totals
	QR      string // the payment QR payload (an invoice only); !qr draws it
}

// DataLine is a line as printed: N from 1, Sum what the line adds to
// Итого (with VAT when included, without when VAT is on top).
type DataLine struct {
	N int
	crm.Line
	Sum string
}

// Totals sum the lines, exactly.
type Totals struct {
	Count    int    // Всего наименований
	Subtotal string // Итого: the sum of the printed sums
	VAT      string // the VAT of all lines
	VATLabel string // "В том числе НДС 20%", "НДС 20%" or "Без НДС"
	Total    string // Всего к оплате
	Words    string // Total in words
}

// Render returns the PDF of a draft. Errors: a template that is missing or
// fails, a seller whose requisites make no payment QR.
func (r *Renderer) Render(d crm.DocumentDraft) ([]byte, error) {
	data, err := r.data(d)
	if err != nil {
		return nil, err
	}
	name := filepath.Join(r.cfg.Templates, d.Type+".tmpl")
	t, err := parseTemplate(name)
	if err != nil {
		return nil, err
	}
	var text bytes.Buffer
	if err := t.Execute(&text, data); err != nil {
		return nil, fmt.Errorf("template %s: %w", name, err)
	}
	images, err := readImages(r.cfg.Seller)
	if err != nil {
		return nil, err
	}
	return drawPDF(text.String(), data.Number, data.QR, images)
}

func (r *Renderer) data(d crm.DocumentDraft) (Data, error) {
	data := Data{Type: d.Type, Number: d.Number, Version: d.Version, Date: d.Date, Deal: d.Deal,
		Contact: d.Contact, Company: d.Company, Buyer: buyer(d), Seller: r.cfg.Seller}
	sub, vat, total := new(big.Rat), new(big.Rat), new(big.Rat)
	included, onTop, percents := false, false, map[string]bool{}
	for i, l := range d.Lines {
		sum := l.Total
		if l.VATAmount != "0.00" && !l.VATIncluded {
			sum, onTop = l.Net, true
		} else if l.VATAmount != "0.00" {
			included = true
		}
		if p := r.rates[l.VAT]; p != "" && l.VATAmount != "0.00" {
			percents[p] = true
		}
		add(sub, sum)
		add(vat, l.VATAmount)
		add(total, l.Total)
		data.Lines = append(data.Lines, DataLine{N: i + 1, Line: l, Sum: sum})
	}
	t := Totals{Count: len(d.Lines), Subtotal: sub.FloatString(2), VAT: vat.FloatString(2), Total: total.FloatString(2)}
	t.Words = RublesInWords(t.Total)
	rate := "НДС"
	if len(percents) == 1 {
		for p := range percents {
			rate += " " + p + "%"
		}
	}
	if r.cfg.Seller.VATMode == "none" && vat.Sign() != 0 {
		return data, crm.Invalid("lines", "the seller works without VAT (documents.seller.vat_mode: none): put vat \"none\" on the deal's lines")
	}
	switch {
	case vat.Sign() == 0 && r.cfg.Seller.VATNote != "":
		t.VATLabel = "Без НДС (" + r.cfg.Seller.VATNote + ")"
	case vat.Sign() == 0:
		t.VATLabel = "Без НДС"
	case included && !onTop:
		t.VATLabel = "В том числе " + rate
	default:
		t.VATLabel = rate
	}
	data.Totals = t
	if d.Type == crm.DocInvoice {
		var err error
		if data.QR, err = r.paymentQR(data); err != nil {
			return data, err
		}
	}
	return data, nil
}

// paymentQR is the GOST R 56042 payload of an invoice.
func (r *Renderer) paymentQR(d Data) (string, error) {
	purpose := "Оплата по счёту № " + d.Number + " от " + d.Date.Format("02.01.2006") + ", "
	if d.Totals.VAT == "0.00" {
		purpose += "без НДС"
	} else {
		purpose += d.Totals.VATLabel + ": " + Money(d.Totals.VAT)
	}
	s := r.cfg.Seller
	qr, err := PaymentQR(QRPayment{Name: s.Name, PersonalAcc: s.Account, BankName: s.Bank, BIC: s.BIK, CorrespAcc: s.CorrAccount,
		PayeeINN: s.INN, KPP: s.KPP, Sum: d.Totals.Total, Purpose: purpose})
	if err != nil {
		return "", fmt.Errorf("invoice %s: payment QR: %w", d.Number, err)
	}
	return qr, nil
}

func add(sum *big.Rat, amount string) {
	if v, ok := new(big.Rat).SetString(amount); ok {
		sum.Add(sum, v)
	}
}

// buyer writes the buyer as invoices do: the organisation with its INN,
// KPP and address, else the person.
func buyer(d crm.DocumentDraft) string {
	if c := d.Company; c != nil {
		parts := []string{c.Name}
		if c.INN != nil && *c.INN != "" {
			parts = append(parts, "ИНН "+*c.INN)
		}
		if c.KPP != nil && *c.KPP != "" {
			parts = append(parts, "КПП "+*c.KPP)
		}
		if c.Address != "" {
			parts = append(parts, c.Address)
		}
		return strings.Join(parts, ", ")
	}
	if d.Contact != nil {
		return d.Contact.Name
	}
	return d.Deal.Title
}

// parseTemplate reads a template file with the document functions.
func parseTemplate(name string) (*template.Template, error) {
	t, err := template.New(filepath.Base(name)).Funcs(funcs).ParseFiles(name)
	if err != nil {
		return nil, fmt.Errorf("template %s: %w", name, err)
	}
	return t, nil
}

var funcs = template.FuncMap{
	"money": Money,
	"words": RublesInWords,
	"date":  func(t time.Time) string { return t.Format("02.01.2006") },
	"qty":   func(s string) string { return strings.ReplaceAll(s, ".", ",") },
	"cell":  Cell,
}

// Money writes an amount as Russian documents do: "1 234,50".
func Money(amount string) string {
	whole, frac, _ := strings.Cut(amount, ".")
	neg := strings.HasPrefix(whole, "-")
	whole = strings.TrimPrefix(whole, "-")
	var b strings.Builder
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(c)
	}
	out := b.String()
	if frac != "" {
		out += "," + frac
	}
	if neg {
		out = "-" + out
	}
	return out
}

// Cell makes a value safe inside a table row: the cell separator and line
// breaks would split it.
func Cell(s string) string {
	return strings.NewReplacer("|", "/", "\r", " ", "\n", " ").Replace(s)
}
