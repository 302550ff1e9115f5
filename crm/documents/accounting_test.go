package documents

import (
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leadd/leadd/crm"
)

// line makes a deal line as crm computes it: quantity × price less the
// discount, rounded to kopecks, VAT taken out of it or put on top.
func line(name, qty, price, discount, vat string, included bool) crm.Line {
	q, p, d := rat(qty), rat(price), rat(discount)
	amount := roundKopecks(new(big.Rat).Mul(new(big.Rat).Mul(q, p), new(big.Rat).Sub(big.NewRat(1, 1), new(big.Rat).Quo(d, big.NewRat(100, 1)))))
	l := crm.Line{Name: name, Unit: "шт", Quantity: qty, Price: price, Discount: discount, VAT: vat, VATIncluded: included, Type: crm.TypeCommodity}
	pct, ok := crm.DefaultVATRates.Percent(vat)
	if !ok || pct == "" || pct == "0" {
		l.Net, l.VATAmount, l.Total = amount.FloatString(2), "0.00", amount.FloatString(2)
		return l
	}
	r := rat(pct)
	if included {
		v := roundKopecks(new(big.Rat).Quo(new(big.Rat).Mul(amount, r), new(big.Rat).Add(big.NewRat(100, 1), r)))
		l.Net, l.VATAmount, l.Total = new(big.Rat).Sub(amount, v).FloatString(2), v.FloatString(2), amount.FloatString(2)
		return l
	}
	v := roundKopecks(new(big.Rat).Quo(new(big.Rat).Mul(amount, r), big.NewRat(100, 1)))
	l.Net, l.VATAmount, l.Total = amount.FloatString(2), v.FloatString(2), new(big.Rat).Add(amount, v).FloatString(2)
	return l
}

// look renders a draft and returns what pdftotext reads; with
// LEADD_DOCS_OUT set it also leaves the PDF and its pages as PNG there,
// for a person to look at.
func look(t *testing.T, r *Renderer, name string, d crm.DocumentDraft) (text string, pages int) {
	t.Helper()
	pdf, err := r.Render(d)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	text = pdfText(t, pdf)
	dir := t.TempDir()
	if out := os.Getenv("LEADD_DOCS_OUT"); out != "" {
		dir = out
	}
	file := filepath.Join(dir, name+".pdf")
	if err := os.WriteFile(file, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := exec.LookPath("pdftoppm"); err == nil {
		if out, err := exec.Command("pdftoppm", "-r", "60", "-png", file, filepath.Join(dir, name)).CombinedOutput(); err != nil {
			t.Fatalf("pdftoppm: %v %s", err, out)
		}
	}
	out, _ := exec.Command("pdfinfo", file).Output()
	for _, l := range strings.Split(string(out), "\n") {
		if f := strings.Fields(l); len(f) == 2 && f[0] == "Pages:" {
			pages = int(rat(f[1]).Num().Int64())
		}
	}
	return text, pages
}

func accountingRenderer(t *testing.T, edit func(*Config)) *Renderer {
	t.Helper()
	cfg := testSeller()
	cfg.Seller.Address = "101000, г. Москва, ул. Мясницкая, д. 1, офис 1"
	cfg.Seller.Signatory, cfg.Seller.SignatoryPost, cfg.Seller.SignatoryBasis = "Иванов Иван Иванович", "Генеральный директор", "Устава"
	cfg.Seller.Accountant = "Петрова А. С."
	if edit != nil {
		edit(&cfg)
	}
	if errs := cfg.Validate("documents"); len(errs) > 0 {
		t.Fatal(errs)
	}
	r, err := NewRenderer(cfg, crm.DefaultVATRates)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

var docDate = time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)

// OGRNIP is an entrepreneur's registration number with its control digit.
const OGRNIP = "304500116000157"

func buyerCompany() *crm.Company {
	inn, kpp, ogrn := "7736207543", "773601001", "1027739850962"
	return &crm.Company{Name: "ООО «Станкострой»", INN: &inn, KPP: &kpp, OGRN: &ogrn, Address: "119021, г. Москва, ул. Льва Толстого, д. 16",
		Director: "Петрова Анна Сергеевна", DirectorPost: "ГЕНЕРАЛЬНЫЙ ДИРЕКТОР", SignatoryBasis: "Устава"}
}

func draft(typ, number string, lines ...crm.Line) crm.DocumentDraft {
	return crm.DocumentDraft{Type: typ, Number: number, Version: 1, Date: docDate, Lines: lines,
		Deal: crm.Deal{Title: "ООО «Станкострой»"}, Company: buyerCompany()}
}

func mustRead(t *testing.T, what, text string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(text, w) {
			t.Errorf("%s does not read %q:\n%s", what, w, text)
		}
	}
}

func mustNotRead(t *testing.T, what, text string, nots ...string) {
	t.Helper()
	for _, w := range nots {
		if strings.Contains(text, w) {
			t.Errorf("%s reads %q:\n%s", what, w, text)
		}
	}
}

func TestMixedRatesPrintEachRateAndTellZeroFromWithout(t *testing.T) {
	r := accountingRenderer(t, nil)
	d := draft(crm.DocInvoice, "СЧ-2026-00001",
		line("Станок фрезерный", "1", "122000.00", "0", "vat22", true),
		line("Книга «Фрезеровка»", "2", "1100.00", "0", "vat10", true),
		line("Экспортная поставка", "1", "5000.00", "0", "vat0", true),
		line("Обучение (освобождено)", "1", "3000.00", "0", "none", true))
	text, _ := look(t, r, "invoice-mixed-rates", d)
	mustRead(t, "the invoice", text,
		"1 Станок фрезерный 1 шт 122 000,00 22% 122 000,00",
		"2 Книга «Фрезеровка» 2 шт 1 100,00 10% 2 200,00",
		"3 Экспортная поставка 1 шт 5 000,00 0% 5 000,00",
		"4 Обучение (освобождено) 1 шт 3 000,00 Без НДС 3 000,00",
		"Итого: 132 200,00",
		"В том числе НДС 22%: 22 000,00",
		"В том числе НДС 10%: 200,00",
		"НДС 0%: 0,00",
		"Без НДС",
		"Всего к оплате: 132 200,00")
	data, err := r.data(d)
	if err != nil {
		t.Fatal(err)
	}
	want := "Оплата по счёту № СЧ-2026-00001 от 06.12.2026, в т.ч. НДС 22% 22 000,00, в т.ч. НДС 10% 200,00, НДС 0%, без НДС"
	if p := Purpose(data.Number, data.Date, data.Totals); p != want {
		t.Errorf("purpose\n got %q\nwant %q", p, want)
	}
}

func TestDiscountedLinesShowTheirDiscountSoEveryLineAddsUp(t *testing.T) {
	r := accountingRenderer(t, nil)
	lines := []crm.Line{
		line("Станок", "1", "1000.00", "10", "vat22", true),
		line("Фреза концевая", "3", "33.33", "5", "vat22", true),
		line("Кабель ВВГ 3×2,5", "1500", "199.99", "12.5", "vat22", false),
		line("Доставка", "1", "2500.00", "0", "vat22", true),
	}
	for _, typ := range []string{crm.DocInvoice, crm.DocQuote, crm.DocContract, crm.DocAct} {
		d := draft(typ, "X-2026-00001", lines...)
		text, _ := look(t, r, typ+"-discounts", d)
		mustRead(t, typ, text,
			"Скидка", "скидки",
			"1 Станок 1 шт 1 000,00 10% 100,00 22% 900,00",
			"2 Фреза концевая 3 шт 33,33 5% 5,00 22% 94,99",
			"3 Кабель ВВГ 3×2,5 1 500 шт 199,99 12,5% 37 498,12 22% 262 486,88",
			"4 Доставка 1 шт 2 500,00 22% 2 500,00")
		// Every line: quantity × price − discount = sum, to the kopeck.
		data, err := r.data(d)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range data.Lines {
			got := new(big.Rat).Sub(roundKopecks(mul(l.Quantity, l.Price)), rat(l.Discount))
			if got.Cmp(rat(l.Sum)) != 0 {
				t.Errorf("%s line %d: %s × %s − %s = %s, printed %s", typ, l.N, l.Quantity, l.Price, l.Discount, got.FloatString(2), l.Sum)
			}
		}
	}
}

func TestALongInvoiceContinuesWithItsHeaderAndNumberedPages(t *testing.T) {
	r := accountingRenderer(t, nil)
	var lines []crm.Line
	for i := 1; i <= 40; i++ {
		lines = append(lines, line("Пластина твердосплавная сменная для токарного резца, марка Т15К6, позиция "+strings.Repeat("I", i%4+1), "12", "1234.56", "0", "vat22", true))
	}
	text, pages := look(t, r, "invoice-40-lines", draft(crm.DocInvoice, "СЧ-2026-00040", lines...))
	if pages < 2 {
		t.Fatalf("40 lines on %d page", pages)
	}
	// Every page the table runs on starts with its header.
	tablePages := 0
	for _, p := range strings.Split(text, "Страница ") {
		if strings.Contains(p, "Пластина") {
			tablePages++
			if !strings.Contains(p, "№ Товары (работы, услуги) Кол-во Ед. Цена НДС Сумма") {
				t.Errorf("a page of the table without its header: %s", p)
			}
		}
	}
	if tablePages < 2 {
		t.Errorf("the table is on %d page", tablePages)
	}
	for p := 1; p <= pages; p++ {
		mustRead(t, "the long invoice", text, fmt.Sprintf("Страница %d из %d", p, pages))
	}
	mustRead(t, "the long invoice", text, "40 Пластина", "Всего наименований 40")
}

func TestTwelveDigitAmountsFitTheirCellsAndAreGrouped(t *testing.T) {
	r := accountingRenderer(t, nil)
	d := draft(crm.DocInvoice, "СЧ-2026-00002",
		line("Обрабатывающий центр", "1", "1234567891.11", "0", "vat22", true),
		line("Крепёж", "12500", "0.01", "0", "vat22", true))
	d.Lines = d.Lines[:1]
	text, _ := look(t, r, "invoice-billion", d)
	mustRead(t, "the invoice", text,
		"1 Обрабатывающий центр 1 шт 1 234 567 891,11 22% 1 234 567 891,11",
		"Итого: 1 234 567 891,11", "В том числе НДС 22%: 222 626 996,76",
		"Один миллиард двести тридцать четыре миллиона пятьсот шестьдесят семь тысяч восемьсот девяносто один рубль 11 копеек")
	d2 := draft(crm.DocInvoice, "СЧ-2026-00003", line("Крепёж", "12500", "0.01", "0", "vat22", true))
	text, _ = look(t, r, "invoice-quantity", d2)
	mustRead(t, "the invoice", text, "1 Крепёж 12 500 шт 0,01 22% 125,00")
}

func TestAPersonAndASellerOutsideVAT(t *testing.T) {
	r := accountingRenderer(t, func(c *Config) {
		c.Seller.VATMode, c.Seller.VATNote = "none", "НДС не облагается, УСН"
		c.Seller.Name, c.Seller.INN, c.Seller.KPP = "ИП Смирнов Олег Петрович", "500100732259", ""
		c.Seller.Signatory, c.Seller.SignatoryPost = "Смирнов Олег Петрович", "Индивидуальный предприниматель"
		c.Seller.Director, c.Seller.Accountant, c.Seller.OGRN = "Смирнов О. П.", "", OGRNIP
	})
	d := crm.DocumentDraft{Type: crm.DocInvoice, Number: "СЧ-2026-00004", Version: 1, Date: docDate,
		Deal:    crm.Deal{Title: "Пётр Ильич Сидоров"},
		Contact: &crm.Contact{Name: "Сидоров Пётр Ильич", Phones: []string{"+79123456789"}},
		Lines:   []crm.Line{line("Консультация инженера", "2.5", "1500.00", "0", "none", true)}}
	text, _ := look(t, r, "invoice-person-usn", d)
	mustRead(t, "the invoice", text, "Покупатель (заказчик): Сидоров Пётр Ильич", "1 Консультация инженера 2,5 шт 1 500,00 Без НДС 3 750,00",
		"Без НДС (НДС не облагается, УСН)", "ИП Смирнов Олег Петрович")
	mustRead(t, "the invoice", text, "Поставщик (исполнитель): ИП Смирнов Олег Петрович, ИНН 500100732259, 101000")
	mustRead(t, "the invoice", text, "Индивидуальный предприниматель ____________________ Смирнов О. П.")
	mustNotRead(t, "the invoice", text, "Основание", "Иванов", "Бухгалтер", "Руководитель")
	d.Type = crm.DocContract
	text, _ = look(t, r, "contract-person-usn", d)
	mustRead(t, "the contract", text, "ИП Смирнов Олег Петрович, именуемый в дальнейшем «Поставщик», с одной стороны, и Сидоров Пётр Ильич, именуемый в дальнейшем «Покупатель», с другой стороны",
		"Без НДС (НДС не облагается, УСН)", "ОГРНИП")
}

func TestTheContractIsAContractAndTheActListsTheSameTotals(t *testing.T) {
	r := accountingRenderer(t, nil)
	lines := []crm.Line{line("Пусконаладочные работы", "1", "45000.00", "0", "vat22", true), line("Обучение операторов", "2", "7500.00", "0", "vat22", true)}
	d := draft(crm.DocContract, "ДГ-2026-00001", lines...)
	text, _ := look(t, r, "contract-company", d)
	mustRead(t, "the contract", text,
		"Договор поставки № ДГ-2026-00001", "6 декабря 2026 г.",
		"ООО «Ромашка», именуемое в дальнейшем «Поставщик», в лице генерального директора Иванова Ивана Ивановича, действующего на основании Устава, с одной стороны,",
		"ООО «Станкострой», именуемое в дальнейшем «Покупатель», в лице генерального директора Петровой Анны Сергеевны, действующей на основании Устава, с другой стороны",
		"1. Предмет договора", "2. Цена и порядок расчётов", "Цена Договора составляет 60 000,00 руб. (Шестьдесят тысяч рублей 00 копеек). В том числе НДС 22%: 10 819,67 руб. Цена Товара",
		"3. Поставка", "4. Приёмка", "5. Ответственность сторон", "6. Разрешение споров", "7. Срок действия договора",
		"8. Адреса, реквизиты и подписи сторон", "р/с "+sberAccount+" в ПАО Сбербанк, БИК "+sberBIK,
		"Генеральный директор", "Иванов И. И.", "Петрова А. С.")
	d.Type, d.Number, d.Basis = crm.DocAct, "АКТ-2026-00001", "Договор № ДГ-2026-00001 от 06.12.2026"
	text, _ = look(t, r, "act-company", d)
	mustRead(t, "the act", text, "Акт № АКТ-2026-00001 от 06.12.2026", "Основание: Договор № ДГ-2026-00001 от 06.12.2026",
		"1 Пусконаладочные работы 1 шт 45 000,00 22% 45 000,00", "Итого: 60 000,00", "В том числе НДС 22%: 10 819,67",
		"Всего оказано услуг 2, на сумму 60 000,00 руб. В том числе НДС 22%: 10 819,67 руб.", "Шестьдесят тысяч рублей 00 копеек", "Исполнитель Заказчик")
	d.Type, d.Number = crm.DocQuote, "КП-2026-00001"
	d.Contact = &crm.Contact{Name: "Анна Сергеевна"}
	text, _ = look(t, r, "quote-company", d)
	mustRead(t, "the quote", text, "Здравствуйте, Анна Сергеевна!", "Предлагаем вам на следующих условиях")
	mustNotRead(t, "the quote", text, "««", "»»")
}

func TestASupersededInvoiceIsMarkedAndOffersNoQR(t *testing.T) {
	r := accountingRenderer(t, nil)
	d := draft(crm.DocInvoice, "СЧ-2026-00005", line("Станок", "1", "1000.00", "0", "vat22", true))
	d.Superseded = &crm.Supersession{Version: 2, Date: docDate}
	text, _ := look(t, r, "invoice-superseded", d)
	mustRead(t, "the superseded invoice", text, "Заменён версией 2 от 06.12.2026", "Счёт на оплату № СЧ-2026-00005")
	mustNotRead(t, "the superseded invoice", text, "Отсканируйте")
	d.Superseded, d.Draft, d.Number = nil, true, ""
	text, _ = look(t, r, "invoice-draft", d)
	mustRead(t, "the draft", text, "Черновик: номер не присвоен", "Счёт на оплату № черновик")
	mustNotRead(t, "the draft", text, "Отсканируйте")
}

// TestSellerFieldsAreCheckedBeforeTheFirstInvoice: what the QR and the
// forms cannot carry is refused by its key at start, not at the first
// invoice.
func TestSellerFieldsAreCheckedBeforeTheFirstInvoice(t *testing.T) {
	cfg := testSeller()
	cfg.Seller.Name = "ООО «Ромашка | Лютик»"
	cfg.Seller.Bank = "Публичное акционерное общество «Сбербанк России», Московский банк"
	cfg.Seller.Address = strings.Repeat("д", 301)
	cfg.Seller.SignatoryBasis = "Устава\nи доверенности"
	cfg.Seller.Director = ""
	errs := fmt.Sprint(cfg.Validate("documents"))
	for _, want := range []string{
		`documents.seller.name: must not contain "|"`,
		"documents.seller.bank: is 65 characters; at most 45 fit the payment QR (ГОСТ Р 56042)",
		"documents.seller.address: is 301 characters",
		"documents.seller.signatory_basis: must be one line",
		"documents.seller.signatory: who signs the documents is required",
	} {
		if !strings.Contains(errs, want) {
			t.Errorf("no %q in\n%s", want, errs)
		}
	}
	good := testSeller()
	if errs := good.Validate("documents"); len(errs) != 0 {
		t.Errorf("a good seller: %v", errs)
	}
}
