package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leadd/leadd/configs"
	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/crm/documents"
)

// Our company as the tests bill from: Sberbank's published requisites and
// an account whose control key matches its BIK.
const (
	ourName    = "ООО «Ромашка»"
	ourINN     = "7707083893"
	ourKPP     = "773601001"
	ourBank    = "ПАО Сбербанк"
	ourBIK     = "044525225"
	ourCorr    = "30101810400000000225"
	ourAccount = "40702810938000012345"
)

func withDocuments(c *configs.Config) {
	c.Documents.Templates = "../../configs/templates"
	c.Documents.Seller = documentsSeller()
}

func documentsSeller() documents.Seller {
	return documents.Seller{Name: ourName, INN: ourINN, KPP: ourKPP, Address: "г. Москва, ул. Вавилова, д. 19",
		Bank: ourBank, BIK: ourBIK, Account: ourAccount, CorrAccount: ourCorr, Director: "Иванов И. И.", Accountant: "Петрова А. С."}
}

// needTool skips a test when a command is missing on a developer's machine
// and fails it in CI, where scripts/services.sh --test installs it.
func needTool(t *testing.T, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is required in CI (apt-get install poppler-utils zbar-tools): %v", name, err)
		}
		t.Skipf("%s is not installed (poppler-utils, zbar-tools)", name)
	}
}

// documentPDF downloads a document, checking the answer is a PDF
// attachment.
func (ta *testApp) documentPDF(id int64) []byte {
	ta.t.Helper()
	res := ta.do("GET", fmt.Sprint("/api/v1/documents/", id, "/pdf"), "", nil, "Authorization: Bearer "+adminToken)
	if res.Status != 200 {
		ta.t.Fatalf("download document %d: %d %s", id, res.Status, excerpt(res.Body))
	}
	if ct := res.Header.Get("Content-Type"); ct != "application/pdf" {
		ta.t.Errorf("Content-Type %q", ct)
	}
	if cd := res.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment; filename=") {
		ta.t.Errorf("Content-Disposition %q", cd)
	}
	if !bytes.HasPrefix(res.Body, []byte("%PDF-")) {
		ta.t.Fatalf("not a PDF: %s", excerpt(res.Body))
	}
	return res.Body
}

// makeDocument asks for a document and expects it made.
func (ta *testApp) makeDocument(dealID int64, typ string) crm.Document {
	ta.t.Helper()
	var doc crm.Document
	if s := ta.api("POST", fmt.Sprint("/api/v1/deals/", dealID, "/documents"), map[string]any{"type": typ}, &doc); s != 201 {
		ta.t.Fatalf("make %s of deal %d: %d %+v", typ, dealID, s, doc)
	}
	return doc
}

// readPDF is the text pdftotext reads, its white space collapsed, and the
// QR codes zbarimg finds on the pages, as raw bytes. -layout keeps a
// table row on one line, in the order of its columns.
func readPDF(t *testing.T, pdf []byte) (text string, qrs []string) {
	t.Helper()
	needTool(t, "pdftotext")
	needTool(t, "pdftoppm")
	needTool(t, "zbarimg")
	dir := t.TempDir()
	name := filepath.Join(dir, "doc.pdf")
	if err := os.WriteFile(name, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-layout", "-enc", "UTF-8", name, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	text = strings.Join(strings.Fields(string(out)), " ")
	if out, err := exec.Command("pdftoppm", "-png", "-r", "150", name, filepath.Join(dir, "page")).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v: %s", err, out)
	}
	pages, _ := filepath.Glob(filepath.Join(dir, "page*.png"))
	for _, p := range pages {
		// -Sbinary: the payload's bytes as encoded, not re-guessed.
		out, err := exec.Command("zbarimg", "--raw", "-q", "-Sbinary", p).Output()
		if err != nil && len(out) == 0 {
			continue // exit 4: no code on this page
		}
		qrs = append(qrs, strings.TrimSuffix(string(out), "\n"))
	}
	return text, qrs
}

func assertReads(t *testing.T, what, text string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(text, w) {
			t.Errorf("%s does not read %q; pdftotext reads:\n%s", what, w, text)
		}
	}
}

func ruDate(iso string) string {
	d, _ := time.Parse(time.DateOnly, iso)
	return d.Format("02.01.2006")
}

func TestDocumentInvoiceForACompanyReadsBackWithItsQR(t *testing.T) {
	t.Parallel()
	ta := startApp(t, withDocuments)
	var company crm.Company
	if s := ta.api("POST", "/api/v1/companies", map[string]any{"name": "ООО «Станкострой»", "inn": "7736207543", "kpp": "773601001",
		"address": "г. Москва, ул. Льва Толстого, д. 16"}, &company); s != 201 {
		t.Fatalf("company: %d", s)
	}
	var deal crm.Deal
	if s := ta.api("POST", "/api/v1/deals", map[string]any{"title": "Поставка фрез", "company_id": company.ID}, &deal); s != 201 {
		t.Fatalf("deal: %d", s)
	}
	lines := fmt.Sprint("/api/v1/deals/", deal.ID, "/lines")
	for _, l := range []map[string]any{
		{"name": "Фреза концевая Ø12", "quantity": "3", "price": "33.33", "vat": "vat20", "vat_included": true},
		{"name": "Кабель ВВГ 3×2,5", "unit": "м", "quantity": "150", "price": "199.99", "vat": "vat20", "vat_included": true},
		{"name": "Станок фрезерный с ЧПУ", "quantity": "1", "price": "1250000.00", "vat": "vat20", "vat_included": true},
	} {
		if s := ta.api("POST", lines, l, nil); s != 201 {
			t.Fatalf("line %v: %d", l["name"], s)
		}
	}
	// 99.99 + 29998.50 + 1250000.00; VAT 16.67 + 4999.75 + 208333.33.
	doc := ta.makeDocument(deal.ID, "invoice")
	year := doc.Date[:4]
	if doc.Type != "invoice" || doc.Version != 1 || doc.Number != "СЧ-"+year+"-00001" || doc.Total != "1280098.49" || doc.DealID != deal.ID {
		t.Errorf("the invoice: %+v", doc)
	}
	text, qrs := readPDF(t, ta.documentPDF(doc.ID))
	date := ruDate(doc.Date)
	assertReads(t, "the invoice", text,
		ourBank, "БИК "+ourBIK, ourCorr, ourAccount, "ИНН "+ourINN, "КПП "+ourKPP, ourName, "Получатель",
		"Счёт на оплату № СЧ-"+year+"-00001 от "+date,
		"Поставщик (исполнитель): ООО «Ромашка», ИНН 7707083893, КПП 773601001",
		"Покупатель (заказчик): ООО «Станкострой», ИНН 7736207543, КПП 773601001, г. Москва, ул. Льва Толстого, д. 16",
		"№ Товары (работы, услуги) Кол-во Ед. Цена НДС Сумма",
		"1 Фреза концевая Ø12 3 шт 33,33 20% 99,99",
		"2 Кабель ВВГ 3×2,5 150 м 199,99 20% 29 998,50",
		"3 Станок фрезерный с ЧПУ 1 шт 1 250 000,00 20% 1 250 000,00",
		"Итого: 1 280 098,49",
		"В том числе НДС 20%: 213 349,75",
		"Всего к оплате: 1 280 098,49",
		"Всего наименований 3, на сумму 1 280 098,49 руб.",
		"Один миллион двести восемьдесят тысяч девяносто восемь рублей 49 копеек",
	)
	want := "ST00012|Name=ООО «Ромашка»|PersonalAcc=40702810938000012345|BankName=ПАО Сбербанк|BIC=044525225" +
		"|CorrespAcc=30101810400000000225|PayeeINN=7707083893|KPP=773601001|Sum=128009849" +
		"|Purpose=Оплата по счёту № СЧ-" + year + "-00001 от " + date + ", в т.ч. НДС 20% 213 349,75"
	if len(qrs) != 1 || qrs[0] != want {
		t.Errorf("the invoice's QR codes:\n got %q\nwant [%q]", qrs, want)
	}
}

func TestDocumentInvoiceForAPersonWithoutVAT(t *testing.T) {
	t.Parallel()
	ta := startApp(t, withDocuments)
	var contact crm.Contact
	if s := ta.api("POST", "/api/v1/contacts", map[string]any{"name": "Пётр Ильич Сидоров", "phones": []string{"+7 912 345 67 89"}}, &contact); s != 201 {
		t.Fatalf("contact: %d", s)
	}
	var deal crm.Deal
	if s := ta.api("POST", "/api/v1/deals", map[string]any{"title": "Консультация", "contact_id": contact.ID}, &deal); s != 201 {
		t.Fatalf("deal: %d", s)
	}
	if s := ta.api("POST", fmt.Sprint("/api/v1/deals/", deal.ID, "/lines"), map[string]any{"name": "Консультация инженера",
		"unit": "ч", "quantity": "2.5", "price": "1500.00", "vat": "none"}, nil); s != 201 {
		t.Fatalf("line: %d", s)
	}
	doc := ta.makeDocument(deal.ID, "invoice")
	if doc.Total != "3750.00" {
		t.Errorf("total %s", doc.Total)
	}
	text, qrs := readPDF(t, ta.documentPDF(doc.ID))
	assertReads(t, "a person's invoice", text,
		"Покупатель (заказчик): Пётр Ильич Сидоров",
		"1 Консультация инженера 2,5 ч 1 500,00 Без НДС 3 750,00",
		"Итого: 3 750,00", "Без НДС", "Всего к оплате: 3 750,00",
		"Всего наименований 1, на сумму 3 750,00 руб.",
		"Три тысячи семьсот пятьдесят рублей 00 копеек")
	if strings.Contains(text, "В том числе НДС") || strings.Contains(text, "НДС 0%") || strings.Contains(text, "Основание") {
		t.Errorf("an invoice without VAT names VAT, or a basis it has not: %s", text)
	}
	want := "ST00012|Name=ООО «Ромашка»|PersonalAcc=40702810938000012345|BankName=ПАО Сбербанк|BIC=044525225" +
		"|CorrespAcc=30101810400000000225|PayeeINN=7707083893|KPP=773601001|Sum=375000" +
		"|Purpose=Оплата по счёту № " + doc.Number + " от " + ruDate(doc.Date) + ", без НДС"
	if len(qrs) != 1 || qrs[0] != want {
		t.Errorf("the invoice's QR codes:\n got %q\nwant [%q]", qrs, want)
	}
}

// documentAs asks for a document with options and expects the status.
func (ta *testApp) documentAs(dealID int64, body map[string]any, want int) crm.Document {
	ta.t.Helper()
	var doc crm.Document
	if s := ta.api("POST", fmt.Sprint("/api/v1/deals/", dealID, "/documents"), body, &doc); s != want {
		ta.t.Fatalf("document %v of deal %d: %d %+v, want %d", body, dealID, s, doc, want)
	}
	return doc
}

func TestOneDocumentOneNumberVersionsAndDrafts(t *testing.T) {
	t.Parallel()
	ta := startApp(t, withDocuments)
	dealWithLine := func(title string) int64 {
		var d crm.Deal
		if s := ta.api("POST", "/api/v1/deals", map[string]any{"title": title}, &d); s != 201 {
			t.Fatalf("deal: %d", s)
		}
		if s := ta.api("POST", fmt.Sprint("/api/v1/deals/", d.ID, "/lines"), map[string]any{"name": "Фреза", "quantity": "1",
			"price": "100.00", "vat": "vat22"}, nil); s != 201 {
			t.Fatalf("line: %d", s)
		}
		return d.ID
	}
	a, b := dealWithLine("Первая сделка"), dealWithLine("Вторая сделка")

	var empty crm.Deal
	ta.api("POST", "/api/v1/deals", map[string]any{"title": "Пустая сделка"}, &empty)
	var e struct{ Error struct{ Code, Field string } }
	if s := ta.api("POST", fmt.Sprint("/api/v1/deals/", empty.ID, "/documents"), map[string]any{"type": "invoice"}, &e); s != 422 || e.Error.Field != "lines" {
		t.Errorf("a deal without lines: %d %+v, want 422 naming lines", s, e)
	}
	if s := ta.api("POST", fmt.Sprint("/api/v1/deals/", a, "/documents"), map[string]any{"type": "waybill"}, &e); s != 422 || e.Error.Field != "type" {
		t.Errorf("an unknown type: %d %+v, want 422 naming type", s, e)
	}
	if s := ta.api("POST", fmt.Sprint("/api/v1/deals/", a, "/documents"), map[string]any{"type": "invoice", "draft": true, "new": true}, &e); s != 422 {
		t.Errorf("a draft with a new number: %d %+v, want 422", s, e)
	}
	if s := ta.api("POST", "/api/v1/deals/999999/documents", map[string]any{"type": "invoice"}, nil); s != 404 {
		t.Errorf("no such deal: %d", s)
	}
	if n := ta.db.Count(t, `SELECT count(*) FROM documents`); n != 0 {
		t.Fatalf("refused requests left %d documents", n)
	}

	// A draft takes no number, offers no QR and never becomes current.
	preview := ta.documentAs(a, map[string]any{"type": "invoice", "draft": true}, 201)
	if preview.Number != "" || preview.Status != crm.DocumentIsDraft {
		t.Errorf("the draft: %+v", preview)
	}
	text, qrs := readPDF(t, ta.documentPDF(preview.ID))
	assertReads(t, "the draft", text, "Черновик: номер не присвоен", "Счёт на оплату № черновик")
	if len(qrs) != 0 {
		t.Errorf("a draft offers a QR: %q", qrs)
	}

	first := ta.makeDocument(a, "invoice")
	firstPDF := ta.documentPDF(first.ID)
	year := first.Date[:4]
	if first.Number != "СЧ-"+year+"-00001" || first.Version != 1 || first.Status != crm.DocumentCurrent {
		t.Errorf("the first invoice after a draft: %+v", first)
	}
	// The same deal unchanged: the same invoice, no second number.
	if again := ta.documentAs(a, map[string]any{"type": "invoice"}, 200); again.ID != first.ID {
		t.Errorf("an unchanged deal got another invoice: %+v", again)
	}
	// The deal changes: version 2 of the same number; the first is
	// superseded, marked so on its PDF, without its QR, and keeps its lines.
	if s := ta.api("POST", fmt.Sprint("/api/v1/deals/", a, "/lines"), map[string]any{"name": "Сверло", "quantity": "2",
		"price": "50.00", "vat": "vat22"}, nil); s != 201 {
		t.Fatalf("line: %d", s)
	}
	second := ta.makeDocument(a, "invoice")
	if second.Number != first.Number || second.Version != 2 || second.Total != "200.00" {
		t.Errorf("the changed deal's invoice: %+v, want %s version 2", second, first.Number)
	}
	old, _, err := ta.store.DocumentPDF(context.Background(), first.ID)
	if err != nil || old.Status != crm.DocumentSuperseded || old.SupersededBy == nil || *old.SupersededBy != second.ID {
		t.Errorf("the first version: %+v %v", old, err)
	}
	text, qrs = readPDF(t, ta.documentPDF(first.ID))
	assertReads(t, "the superseded invoice", text, "Заменён версией 2 от "+ruDate(second.Date), "Итого: 100,00")
	if len(qrs) != 0 || strings.Contains(text, "Сверло") {
		t.Errorf("the superseded invoice offers %d QR codes or shows a later line: %s", len(qrs), text)
	}
	if bytes.Equal(ta.documentPDF(first.ID), firstPDF) {
		t.Error("the superseded version's PDF is not marked")
	}
	_, qrs = readPDF(t, ta.documentPDF(second.ID))
	if len(qrs) != 1 || !strings.Contains(qrs[0], "Sum=20000") {
		t.Errorf("the current version's QR: %q", qrs)
	}
	// Another deal and a new invoice asked for: the next numbers.
	other := ta.makeDocument(b, "invoice")
	extra := ta.documentAs(a, map[string]any{"type": "invoice", "new": true}, 201)
	quote := ta.makeDocument(a, "quote")
	for _, c := range []struct {
		doc     crm.Document
		number  string
		version int
	}{
		{other, "СЧ-" + year + "-00002", 1},
		{extra, "СЧ-" + year + "-00003", 1},
		{quote, "КП-" + year + "-00001", 1},
	} {
		if c.doc.Number != c.number || c.doc.Version != c.version {
			t.Errorf("got %s v%d, want %s v%d", c.doc.Number, c.doc.Version, c.number, c.version)
		}
	}

	// A contract makes the basis of the invoice and the act.
	contract := ta.makeDocument(a, "contract")
	act := ta.makeDocument(a, "act")
	if contract.Number != "ДГ-"+year+"-00001" || act.Number != "АКТ-"+year+"-00001" {
		t.Errorf("contract %s, act %s", contract.Number, act.Number)
	}
	basis := "Основание: Договор № " + contract.Number + " от " + ruDate(contract.Date)
	text, _ = readPDF(t, ta.documentPDF(act.ID))
	assertReads(t, "the act", text, "Акт № АКТ-"+year+"-00001", basis, "Итого: 200,00", "Двести рублей 00 копеек")
	withBasis := ta.makeDocument(a, "invoice")
	if withBasis.Number != extra.Number || withBasis.Version != 2 {
		t.Errorf("the invoice once the contract exists: %+v, want %s version 2", withBasis, extra.Number)
	}
	text, _ = readPDF(t, ta.documentPDF(withBasis.ID))
	assertReads(t, "the invoice under the contract", text, basis)
	text, _ = readPDF(t, ta.documentPDF(contract.ID))
	assertReads(t, "the contract", text, "Договор поставки № ДГ-"+year+"-00001", "Двести рублей 00 копеек", "Фреза", "Сверло")
	if strings.Contains(text, "Основание") {
		t.Errorf("the contract names a basis: %s", text)
	}

	// A line at last year's general rate: the invoice is made, and whoever
	// made it is told (the answer's warnings); at 22% it is not.
	dated := dealWithLine("Сделка по старой ставке")
	if s := ta.api("POST", fmt.Sprint("/api/v1/deals/", dated, "/lines"), map[string]any{"name": "Станок", "quantity": "1",
		"price": "100.00", "vat": "vat20"}, nil); s != 201 {
		t.Fatalf("line: %d", s)
	}
	if w := ta.documentAs(dated, map[string]any{"type": "invoice"}, 201).Warnings; len(w) != 1 || !strings.Contains(w[0], "«Станок»") {
		t.Errorf("an invoice of 2026 with a 20%% line warns %q, want one warning naming the line", w)
	}
	if w := ta.documentAs(b, map[string]any{"type": "quote", "draft": true}, 201).Warnings; len(w) != 0 {
		t.Errorf("a 22%% line warns %q", w)
	}

	// A contract signed outside Leadd: its number and date become the basis
	// of the next invoice; it takes no number of Leadd's, two deals' may
	// share one, and it has no PDF here.
	paper := dealWithLine("Сделка по бумажному договору")
	signed := ta.documentAs(paper, map[string]any{"type": "contract", "external": map[string]any{"number": "17/2026", "date": "2026-11-20"}}, 201)
	if !signed.External || signed.Number != "17/2026" || signed.Date != "2026-11-20" || signed.Status != "current" {
		t.Errorf("the external contract: %+v", signed)
	}
	text, _ = readPDF(t, ta.documentPDF(ta.makeDocument(paper, "invoice").ID))
	assertReads(t, "the invoice under the paper contract", text, "Основание: Договор № 17/2026 от 20.11.2026")
	ta.documentAs(dealWithLine("Другая компания, тот же номер"), map[string]any{"type": "contract", "external": map[string]any{"number": "17/2026", "date": "2026-10-01"}}, 201)
	if s := ta.api("GET", fmt.Sprint("/api/v1/documents/", signed.ID, "/pdf"), nil, nil); s != 404 {
		t.Errorf("the PDF of a contract signed elsewhere: %d, want 404", s)
	}
	for _, bad := range []map[string]any{
		{"type": "invoice", "external": map[string]any{"number": "1", "date": "2026-11-20"}},
		{"type": "contract", "external": map[string]any{"number": " ", "date": "2026-11-20"}},
		{"type": "contract", "external": map[string]any{"number": "1", "date": "20.11.2026"}},
		{"type": "contract", "external": map[string]any{"number": "1\x00", "date": "2026-11-20"}},
		{"type": "contract", "draft": true, "external": map[string]any{"number": "1", "date": "2026-11-20"}},
	} {
		if s := ta.api("POST", fmt.Sprint("/api/v1/deals/", paper, "/documents"), bad, nil); s != 422 {
			t.Errorf("%v: %d, want 422", bad, s)
		}
	}
}

// TestDocumentInvoiceDrawsTheSellerImages: a logo, stamp and signature
// given in the config are checked at startup and drawn on the invoice
// beside its QR; a file that is not an image is refused by its key.
func TestDocumentInvoiceDrawsTheSellerImages(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	img := image.NewRGBA(image.Rect(0, 0, 60, 30))
	for x := 0; x < 60; x++ {
		for y := 0; y < 30; y++ {
			img.Set(x, y, color.RGBA{R: uint8(x * 4), B: uint8(y * 8), A: 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	logo := filepath.Join(dir, "logo.png")
	notImage := filepath.Join(dir, "stamp.png")
	if err := os.WriteFile(logo, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(notImage, []byte("not a picture"), 0o600); err != nil {
		t.Fatal(err)
	}
	bad := documents.Config{Templates: "../../configs/templates", Seller: documentsSeller()}
	bad.Defaults()
	bad.Seller.Stamp, bad.Seller.Signature = notImage, filepath.Join(dir, "missing.png")
	errs := fmt.Sprint(bad.Validate("documents"))
	for _, key := range []string{"documents.seller.stamp:", "documents.seller.signature:"} {
		if !strings.Contains(errs, key) {
			t.Errorf("no %s error in %s", key, errs)
		}
	}
	if strings.Contains(errs, "documents.seller.logo") {
		t.Errorf("the logo is refused: %s", errs)
	}

	ta := startApp(t, func(c *configs.Config) {
		withDocuments(c)
		c.Documents.Seller.Logo, c.Documents.Seller.Stamp, c.Documents.Seller.Signature = logo, logo, logo
	})
	var deal crm.Deal
	if s := ta.api("POST", "/api/v1/deals", map[string]any{"title": "Поставка фрез"}, &deal); s != 201 {
		t.Fatalf("deal: %d", s)
	}
	if s := ta.api("POST", fmt.Sprint("/api/v1/deals/", deal.ID, "/lines"),
		map[string]any{"name": "Фреза", "quantity": "1", "price": "100.00", "vat": "vat20", "vat_included": true}, nil); s != 201 {
		t.Fatalf("line: %d", s)
	}
	pdf := ta.documentPDF(ta.makeDocument(deal.ID, "invoice").ID)
	text, qrs := readPDF(t, pdf)
	assertReads(t, "the invoice with images", text, "Счёт на оплату", "Руководитель", "Бухгалтер")
	if len(qrs) != 1 {
		t.Errorf("the invoice's QR codes: %q", qrs)
	}
	needTool(t, "pdfimages")
	name := filepath.Join(dir, "invoice.pdf")
	if err := os.WriteFile(name, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdfimages", "-list", name).Output()
	if err != nil {
		t.Fatalf("pdfimages: %v", err)
	}
	// The header's two lines, then one a drawing: the QR (512 px), the
	// logo, the stamp and the director's signature (60×30 px); the
	// accountant is another person, so the line is left to sign by hand.
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")[2:]
	small := 0
	for _, l := range lines {
		if f := strings.Fields(l); len(f) > 4 && f[3] == "60" && f[4] == "30" {
			small++
		}
	}
	if len(lines) != 4 || small != 3 {
		t.Errorf("pdfimages lists %d images, %d of them ours (want 4 and 3):\n%s", len(lines), small, out)
	}
}

func TestASellerWithoutVATRefusesLinesWithVATAndSaysWhy(t *testing.T) {
	t.Parallel()
	ta := startApp(t, func(c *configs.Config) {
		withDocuments(c)
		c.Documents.Seller.VATMode, c.Documents.Seller.VATNote = "none", "НДС не облагается, УСН"
	})
	var deal crm.Deal
	ta.api("POST", "/api/v1/deals", map[string]any{"title": "Станок"}, &deal)
	ta.api("POST", fmt.Sprint("/api/v1/deals/", deal.ID, "/lines"), map[string]any{"name": "Станок", "quantity": "1", "price": "100.00", "vat": "vat20"}, nil)
	var e struct{ Error struct{ Code, Field string } }
	if s := ta.api("POST", fmt.Sprint("/api/v1/deals/", deal.ID, "/documents"), map[string]string{"type": "invoice"}, &e); s != 422 || e.Error.Field != "lines" {
		t.Fatalf("a VAT line for a seller without VAT: %d %+v", s, e)
	}
	var lines struct{ Items []crm.Line }
	ta.api("GET", fmt.Sprint("/api/v1/deals/", deal.ID, "/lines"), nil, &lines)
	ta.api("PATCH", fmt.Sprint("/api/v1/deals/", deal.ID, "/lines/", lines.Items[0].ID), map[string]any{"vat": "none"}, nil)
	doc := ta.makeDocument(deal.ID, "invoice")
	if doc.Number == "" || !strings.HasSuffix(doc.Number, "00001") {
		t.Errorf("the refused attempt used a number: %s", doc.Number)
	}
	text, _ := readPDF(t, ta.documentPDF(doc.ID))
	assertReads(t, "an invoice of a seller without VAT", text, "Без НДС (НДС не облагается, УСН)")
}
