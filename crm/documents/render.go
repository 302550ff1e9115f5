package documents

import (
	"bytes"
	"fmt"
	"math/big"
	"path/filepath"
	"regexp"
	"strconv"
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

	// Fields, when set, is the custom fields in force: templates see the
	// deal's, the contact's and the company's as people read them
	// ({{.Fields.Deal.delivery_date}} is 06.12.2026), and the raw values
	// as {{.Deal.Fields.delivery_date}}.
	Fields func() *crm.FieldSet
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
	Number  string // "" for a draft
	Version int
	Date    time.Time
	Deal    crm.Deal
	Contact *crm.Contact // the buyer in person, if any
	Company *crm.Company // the buyer's organisation, if any
	Buyer   string       // the buyer as one line: name, INN, KPP, address
	Seller  Seller
	// SellerParty and BuyerParty are the parties as a contract names them.
	SellerParty Party
	BuyerParty  Party
	// Basis is the contract the document rests on («Договор № … от …»),
	// for an act without one the invoice («Счёт № … от …»), else "".
	Basis string
	// Subject is what the deal sells, in a few words: the first line's
	// name and how many more («Фреза концевая и ещё 2 позиции»).
	Subject string
	// Place is where a contract is signed: the town of the seller's
	// address («г. Москва»), else the address.
	Place string
	Lines []DataLine
	// Discount: some line has one; the tables then show it.
	Discount bool
	Totals   Totals
	QR       string // the payment QR payload (a current invoice only); !qr draws it
	// Draft: a preview without a number. Superseded: a later version of
	// the same number replaced this one (its version and date).
	Draft      bool
	Superseded *crm.Supersession
	// Fields are the custom fields as people read them, by key: a date
	// 06.12.2026, money «1 275 833,33 ₽», Да/Нет, an enum's label; a
	// declared field the record lacks is "" (a template may test it).
	Fields DocFields
}

// DocFields are the custom fields of a document's records, displayed.
type DocFields struct {
	Deal, Contact, Company map[string]string
}

// Party is a side of a contract.
type Party struct {
	Name string // ООО «Ромашка»; Сидоров Пётр Ильич
	// Requisites: ИНН, КПП, ОГРН, address, one line.
	Requisites string
	// Bank: р/с … в …, БИК …, к/с … (the seller's).
	Bank string
	// InPerson: «в лице генерального директора Иванова Ивана Ивановича,
	// действующего на основании Устава» — empty for a person, an
	// entrepreneur, or when no signatory is known.
	InPerson string
	// Named: «именуемое», «именуемый» or «именуемая» as the party's
	// gender asks.
	Named string
	Post  string // Генеральный директор (for the signature line)
	Sign  string // Иванов И. И. (under the signature line)
	// Entrepreneur: an individual entrepreneur (a 12-digit INN), who
	// signs for themself, without an accountant.
	Entrepreneur bool
}

// DataLine is a line as printed: N from 1; Sum what the line adds to
// Итого (with VAT when included, without when VAT is on top); Discount
// the money taken off by its discount, so that Quantity × Price −
// Discount = Sum; VATRate «22%», «0%» or «Без НДС».
type DataLine struct {
	N int
	crm.Line
	Sum      string
	Discount string
	VATRate  string
}

// Totals sum the lines, exactly.
type Totals struct {
	Count    int    // Всего наименований
	Subtotal string // Итого: the sum of the printed sums
	VAT      string // the VAT of all lines
	// VATLabel is the VAT as one phrase: «В том числе НДС 22%», «НДС
	// 22%», «НДС 0%», «Без НДС»; with several rates, «В том числе НДС».
	VATLabel string
	// Rates are the VAT lines of the totals, one per rate, the highest
	// first; «Без НДС» last when some lines have none.
	Rates    []RateTotal
	Discount string // the discounts of all lines
	Total    string // Всего к оплате
	Words    string // Total in words
}

// RateTotal is a VAT line of the totals: «В том числе НДС 22%» and its
// amount; Amount is "" for «Без НДС».
type RateTotal struct {
	Label  string
	Amount string
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
	title := crm.FileTitles[d.Type] + " № " + data.Number
	p := page{title: title, qr: data.QR, images: images, bank: r.cfg.Seller}
	switch {
	case data.Draft:
		p.watermark, p.banner = "ЧЕРНОВИК", "Черновик: номер не присвоен, к оплате и подписи не предназначен"
	case data.Superseded != nil:
		p.watermark = "ЗАМЕНЁН"
		p.banner = fmt.Sprintf("Заменён версией %d от %s: действует новая версия, по этой не оплачивайте",
			data.Superseded.Version, data.Superseded.Date.In(r.loc).Format("02.01.2006"))
	}
	return drawPDF(text.String(), p)
}

func (r *Renderer) data(d crm.DocumentDraft) (Data, error) {
	data := Data{Type: d.Type, Number: d.Number, Version: d.Version, Date: d.Date.In(r.loc), Deal: d.Deal,
		Contact: d.Contact, Company: d.Company, Buyer: buyer(d), Seller: r.cfg.Seller, Basis: d.Basis,
		Subject: Subject(d.Lines), Draft: d.Draft, Superseded: d.Superseded, Place: place(r.cfg.Seller.Address)}
	if data.Draft {
		data.Number = "черновик"
	}
	data.SellerParty = r.sellerParty()
	data.BuyerParty = buyerParty(d)
	fs := &crm.FieldSet{}
	if r.Fields != nil {
		fs = r.Fields()
	}
	data.Fields.Deal = fs.DisplayMap(crm.FieldsDeal, d.Deal.Fields)
	var contact, company crm.Fields
	if d.Contact != nil {
		contact = d.Contact.Fields
	}
	if d.Company != nil {
		company = d.Company.Fields
	}
	data.Fields.Contact = fs.DisplayMap(crm.FieldsContact, contact)
	data.Fields.Company = fs.DisplayMap(crm.FieldsCompany, company)
	t, lines, err := r.totals(d.Lines)
	if err != nil {
		return data, err
	}
	data.Lines, data.Totals = lines, t
	data.Discount = t.Discount != "0.00"
	if d.Type == crm.DocInvoice && !data.Draft && data.Superseded == nil {
		if data.QR, err = r.paymentQR(data); err != nil {
			return data, err
		}
	}
	return data, nil
}

// vatRate is a line's rate as printed: «22%», «0%» or «Без НДС».
func (r *Renderer) vatRate(l crm.Line) (percent string, none bool) {
	p, ok := r.rates.Percent(l.VAT)
	if !ok { // a rate taken out of the configuration since: read the key
		if n := strings.TrimPrefix(l.VAT, "vat"); n != l.VAT && n != "" && allDigits(n) {
			p, ok = n, true
		}
	}
	if !ok || p == "" {
		return "", true
	}
	if strings.Contains(p, ".") {
		p = strings.TrimRight(strings.TrimRight(p, "0"), ".")
	}
	return strings.ReplaceAll(p, ".", ","), false
}

// totals sums the lines exactly, per VAT rate.
func (r *Renderer) totals(lines []crm.Line) (Totals, []DataLine, error) {
	sub, vat, total, disc := new(big.Rat), new(big.Rat), new(big.Rat), new(big.Rat)
	type rateSum struct {
		percent  *big.Rat
		text     string
		amount   *big.Rat
		included bool
		onTop    bool
	}
	rates := map[string]*rateSum{}
	none := false
	out := make([]DataLine, 0, len(lines))
	for i, l := range lines {
		sum := l.Total
		if l.VATAmount != "0.00" && !l.VATIncluded {
			sum = l.Net
		}
		pct, isNone := r.vatRate(l)
		dl := DataLine{N: i + 1, Line: l, Sum: sum, VATRate: "Без" + nbsp + "НДС"}
		if !isNone {
			dl.VATRate = pct + "%"
			rs := rates[pct]
			if rs == nil {
				p, _ := new(big.Rat).SetString(strings.ReplaceAll(pct, ",", "."))
				rs = &rateSum{percent: p, text: pct, amount: new(big.Rat)}
				rates[pct] = rs
			}
			add(rs.amount, l.VATAmount)
			if l.VATIncluded {
				rs.included = true
			} else {
				rs.onTop = true
			}
		} else {
			none = true
		}
		// The discount is what the list price loses: quantity × price,
		// rounded as the line is, less the line's sum before VAT on top.
		gross := roundKopecks(mul(l.Quantity, l.Price))
		d := new(big.Rat).Sub(gross, rat(l.Net))
		if l.VATIncluded || l.VATAmount == "0.00" {
			d = new(big.Rat).Sub(gross, rat(l.Total))
		}
		if d.Sign() < 0 || l.Discount == "0" || l.Discount == "" {
			d = new(big.Rat)
		}
		dl.Discount = d.FloatString(2)
		disc.Add(disc, d)
		add(sub, sum)
		add(vat, l.VATAmount)
		add(total, l.Total)
		out = append(out, dl)
	}
	if r.cfg.Seller.VATMode == "none" && vat.Sign() != 0 {
		return Totals{}, nil, crm.Invalid("lines", "the seller works without VAT (documents.seller.vat_mode: none): put vat \"none\" on the deal's lines")
	}
	t := Totals{Count: len(lines), Subtotal: sub.FloatString(2), VAT: vat.FloatString(2), Total: total.FloatString(2),
		Discount: disc.FloatString(2)}
	t.Words = RublesInWords(t.Total)
	order := make([]*rateSum, 0, len(rates))
	for _, rs := range rates {
		order = append(order, rs)
	}
	// The highest rate first.
	for i := 1; i < len(order); i++ {
		for j := i; j > 0 && order[j].percent.Cmp(order[j-1].percent) > 0; j-- {
			order[j], order[j-1] = order[j-1], order[j]
		}
	}
	for _, rs := range order {
		label := "НДС " + rs.text + "%"
		if rs.included && !rs.onTop && rs.percent.Sign() != 0 {
			label = "В том числе " + label
		}
		t.Rates = append(t.Rates, RateTotal{Label: label, Amount: rs.amount.FloatString(2)})
	}
	if none {
		label := "Без НДС"
		if r.cfg.Seller.VATNote != "" && len(order) == 0 {
			label += " (" + r.cfg.Seller.VATNote + ")"
		}
		t.Rates = append(t.Rates, RateTotal{Label: label})
	}
	switch {
	case len(t.Rates) == 1:
		t.VATLabel = t.Rates[0].Label
	case len(order) > 0 && vat.Sign() != 0:
		t.VATLabel = "В том числе НДС"
		for _, rs := range order {
			if rs.onTop {
				t.VATLabel = "НДС"
			}
		}
	default:
		t.VATLabel = "НДС 0%"
	}
	return t, out, nil
}

// paymentQR is the GOST R 56042 payload of an invoice. Its purpose names
// the VAT as the totals do: each rate with its amount, «НДС 0%» and
// «без НДС» apart.
func (r *Renderer) paymentQR(d Data) (string, error) {
	s := r.cfg.Seller
	qr, err := PaymentQR(QRPayment{Name: s.Name, PersonalAcc: s.Account, BankName: s.Bank, BIC: s.BIK, CorrespAcc: s.CorrAccount,
		PayeeINN: s.INN, KPP: s.KPP, Sum: d.Totals.Total, Purpose: Purpose(d.Number, d.Date, d.Totals)})
	if err != nil {
		return "", fmt.Errorf("invoice %s: payment QR: %w", d.Number, err)
	}
	return qr, nil
}

// Purpose is the payment's purpose for an invoice: «Оплата по счёту №
// СЧ-2026-00001 от 06.12.2026, в т.ч. НДС 22% 1 234,56» — every rate
// with its VAT, «НДС 0%», «без НДС».
func Purpose(number string, date time.Time, t Totals) string {
	parts := make([]string, 0, len(t.Rates))
	for _, rt := range t.Rates {
		switch {
		case rt.Amount == "":
			parts = append(parts, "без НДС")
		case strings.HasPrefix(rt.Label, "В том числе "):
			parts = append(parts, "в т.ч. "+strings.TrimPrefix(rt.Label, "В том числе ")+" "+plainMoney(rt.Amount))
		case rt.Amount == "0.00":
			parts = append(parts, rt.Label)
		default:
			parts = append(parts, rt.Label+" "+plainMoney(rt.Amount))
		}
	}
	return "Оплата по счёту № " + number + " от " + date.Format("02.01.2006") + ", " + strings.Join(parts, ", ")
}

// Subject is what lines sell in a few words (crm.LinesSubject).
func Subject(lines []crm.Line) string { return crm.LinesSubject(lines) }

func (r *Renderer) sellerParty() Party {
	s := r.cfg.Seller
	p := Party{Name: s.Name, Named: "именуемое", Sign: s.Director}
	req := []string{"ИНН " + s.INN}
	if s.KPP != "" {
		req = append(req, "КПП "+s.KPP)
	}
	if s.OGRN != "" {
		req = append(req, ogrnLabel(s.INN)+" "+s.OGRN)
	}
	if s.Address != "" {
		req = append(req, s.Address)
	}
	if s.Phone != "" {
		req = append(req, "тел. "+s.Phone)
	}
	p.Requisites = strings.Join(req, ", ")
	p.Bank = "р/с " + s.Account + " в " + s.Bank + ", БИК " + s.BIK + ", к/с " + s.CorrAccount
	name := s.Signatory
	if name == "" {
		name = s.Director
	}
	p.Post = s.SignatoryPost
	if p.Sign == "" {
		p.Sign = Initials(name)
	}
	if len(s.INN) == 12 { // an entrepreneur signs for themself
		p.Named, p.Entrepreneur = namedAs(name), true
		if p.Post == "" {
			p.Post = "Индивидуальный предприниматель"
		}
		return p
	}
	p.InPerson = inPerson(s.SignatoryPost, s.SignatoryPostGenitive, name, s.SignatoryGenitive, s.SignatoryBasis)
	return p
}

func buyerParty(d crm.DocumentDraft) Party {
	if c := d.Company; c != nil {
		p := Party{Name: c.Name, Named: "именуемое", Post: sentenceCase(c.DirectorPost), Sign: Initials(c.Director)}
		var req []string
		if c.INN != nil && *c.INN != "" {
			req = append(req, "ИНН "+*c.INN)
		}
		if c.KPP != nil && *c.KPP != "" {
			req = append(req, "КПП "+*c.KPP)
		}
		if c.OGRN != nil && *c.OGRN != "" {
			req = append(req, ogrnLabel(deref(c.INN))+" "+*c.OGRN)
		}
		if c.Address != "" {
			req = append(req, c.Address)
		}
		p.Requisites = strings.Join(req, ", ")
		if c.INN != nil && len(*c.INN) == 12 {
			p.Named, p.Entrepreneur = namedAs(c.Director), true
			return p
		}
		p.InPerson = inPerson(c.DirectorPost, "", c.Director, "", c.SignatoryBasis)
		return p
	}
	if c := d.Contact; c != nil {
		return Party{Name: c.Name, Named: namedAs(c.Name), Sign: Initials(c.Name)}
	}
	return Party{Name: d.Deal.Title, Named: "именуемый"}
}

// inPerson is «в лице генерального директора Иванова Ивана Ивановича,
// действующего на основании Устава»; "" without a name.
func inPerson(post, postGen, name, nameGen, basis string) string {
	if strings.TrimSpace(name) == "" {
		return ""
	}
	if postGen == "" {
		postGen = GenitivePost(post)
	}
	if nameGen == "" {
		nameGen = GenitiveName(name)
	}
	if basis == "" {
		basis = "Устава"
	}
	acting := "действующего"
	if Female(name) {
		acting = "действующей"
	}
	s := "в лице "
	if postGen != "" {
		s += postGen + " "
	}
	return s + nameGen + ", " + acting + " на основании " + basis
}

var townRe = regexp.MustCompile(`(?:^|,\s*)((?:г\.|город|пос\.|с\.|пгт)\s*[^,]+)`)

// place is the town of an address: «101000, г. Москва, ул. Мясницкая» →
// «г. Москва».
func place(address string) string {
	if m := townRe.FindStringSubmatch(address); m != nil {
		return strings.TrimSpace(m[1])
	}
	return address
}

// sentenceCase writes a post a registry gives in capitals as a sentence:
// «ГЕНЕРАЛЬНЫЙ ДИРЕКТОР» → «Генеральный директор».
func sentenceCase(s string) string {
	if s == "" || s != strings.ToUpper(s) {
		return s
	}
	r := []rune(strings.ToLower(s))
	r[0] = []rune(strings.ToUpper(string(r[0])))[0]
	return string(r)
}

func namedAs(name string) string {
	if Female(name) {
		return "именуемая"
	}
	return "именуемый"
}

func ogrnLabel(inn string) string {
	if len(inn) == 12 {
		return "ОГРНИП"
	}
	return "ОГРН"
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func rat(s string) *big.Rat {
	v, ok := new(big.Rat).SetString(s)
	if !ok {
		return new(big.Rat)
	}
	return v
}

func mul(a, b string) *big.Rat { return new(big.Rat).Mul(rat(a), rat(b)) }

// roundKopecks rounds half away from zero to 0.01, as the lines were.
func roundKopecks(r *big.Rat) *big.Rat {
	x := new(big.Rat).Mul(r, big.NewRat(100, 1))
	q, m := new(big.Int).QuoRem(x.Num(), x.Denom(), new(big.Int))
	if new(big.Int).Mul(new(big.Int).Abs(m), big.NewInt(2)).Cmp(x.Denom()) >= 0 {
		if x.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	return new(big.Rat).SetFrac(q, big.NewInt(100))
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
	"money":    Money,
	"words":    RublesInWords,
	"date":     func(t time.Time) string { return t.Format("02.01.2006") },
	"dateText": DateText,
	"qty":      Quantity,
	"cell":     Cell,
	"nonzero":  func(amount string) bool { return rat(amount).Sign() != 0 },
}

var monthsGenitive = [...]string{"января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа",
	"сентября", "октября", "ноября", "декабря"}

// DateText writes a date as a text says it: «6 декабря 2026 г.».
func DateText(t time.Time) string {
	return strconv.Itoa(t.Day()) + " " + monthsGenitive[t.Month()-1] + " " + strconv.Itoa(t.Year()) + " г."
}

// nbsp groups thousands in documents: a number never breaks across lines.
const nbsp = "\u00a0"

// Money writes an amount as Russian documents do: "1 234,50", the groups
// joined by no-break spaces.
func Money(amount string) string { return group(amount, nbsp, ",") }

// plainMoney is Money with plain spaces, for text read by machines (the
// QR's purpose).
func plainMoney(amount string) string { return group(amount, " ", ",") }

// Quantity writes a quantity with its thousands grouped: "1 500", "2,5".
func Quantity(q string) string { return group(q, nbsp, ",") }

func group(amount, sep, point string) string {
	whole, frac, _ := strings.Cut(amount, ".")
	neg := strings.HasPrefix(whole, "-")
	whole = strings.TrimPrefix(whole, "-")
	var b strings.Builder
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteRune(c)
	}
	out := b.String()
	if frac != "" {
		out += point + frac
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

// vatSince is when the general rate became 22% (Federal Law of 28.11.2025
// No. 425-FZ); 20% was the general rate before it.
var vatSince = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// Warnings name each line whose VAT rate was not the general rate on the
// document's date: 20% on a document of 2026 or later, 22% before 2026.
// The document is still made (a correction of an old document needs the
// old rate), but the person making it is told.
func (r *Renderer) Warnings(d crm.DocumentDraft) []string {
	date := time.Date(d.Date.Year(), d.Date.Month(), d.Date.Day(), 0, 0, 0, 0, time.UTC)
	var out []string
	for _, l := range d.Lines {
		p, none := r.vatRate(l)
		switch {
		case none:
		case p == "20" && !date.Before(vatSince):
			out = append(out, fmt.Sprintf("Строка «%s»: НДС 20%% — ставка до 1 января 2026 года; документ от %s, общая ставка с 2026 года — 22%%. Если это не исправление старого документа, поменяйте ставку строки.",
				l.Name, d.Date.In(r.loc).Format("02.01.2006")))
		case p == "22" && date.Before(vatSince):
			out = append(out, fmt.Sprintf("Строка «%s»: НДС 22%% действует с 1 января 2026 года, а документ от %s.",
				l.Name, d.Date.In(r.loc).Format("02.01.2006")))
		}
	}
	return out
}
