package documents

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/leadd/leadd/crm"
)

// needTool skips a test when a command is missing on a developer's machine
// and fails it in CI, where it must be installed.
func needTool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is required in CI (poppler-utils, zbar-tools): %v", name, err)
		}
		t.Skipf("%s is not installed", name)
	}
	return path
}

// pdfText is what pdftotext reads from a PDF, its white space collapsed.
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	needTool(t, "pdftotext")
	name := filepath.Join(t.TempDir(), "doc.pdf")
	if err := os.WriteFile(name, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-layout", "-enc", "UTF-8", name, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return strings.Join(strings.Fields(string(out)), " ")
}

func testSeller() Config {
	c := Config{Templates: "../../configs/templates", Seller: Seller{Name: "ООО «Ромашка»", INN: sberINN, KPP: sberKPP,
		Bank: "ПАО Сбербанк", BIK: sberBIK, Account: sberAccount, CorrAccount: sberCorr, Director: "Иванов И. И."}}
	c.Defaults()
	return c
}

func TestDocumentInvoiceRendersFromItsTemplate(t *testing.T) {
	cfg := testSeller()
	if errs := cfg.Validate("documents"); len(errs) > 0 {
		t.Fatal(errs)
	}
	r, err := NewRenderer(cfg, crm.DefaultVATRates)
	if err != nil {
		t.Fatal(err)
	}
	inn, kpp := "7736207543", "773601001"
	d := crm.DocumentDraft{Type: crm.DocInvoice, Number: r.Number(crm.DocInvoice, 2026, 7), Version: 1,
		Date: time.Date(2026, 3, 5, 10, 0, 0, 0, r.Location()), Deal: crm.Deal{Title: "Станок"},
		Company: &crm.Company{Name: "ООО «Покупатель»", INN: &inn, KPP: &kpp},
		Lines: []crm.Line{
			{Name: "Фреза концевая", Unit: "шт", Quantity: "3", Price: "33.33", VAT: "vat20", VATIncluded: true, Net: "83.32", VATAmount: "16.67", Total: "99.99"},
			{Name: "Станок | ЧПУ 1200", Unit: "шт", Quantity: "1", Price: "1200000.00", VAT: "vat20", VATIncluded: true, Net: "1000000.00", VATAmount: "200000.00", Total: "1200000.00"},
		}}
	pdf, err := r.Render(d)
	if err != nil {
		t.Fatal(err)
	}
	text := pdfText(t, pdf)
	for _, want := range []string{"Счёт на оплату № СЧ-2026-00007 от 05.03.2026", "ООО «Покупатель», ИНН 7736207543, КПП 773601001",
		"Фреза концевая", "Станок / ЧПУ 1200", "1 200 000,00", "Итого: 1 200 099,99", "В том числе НДС 20%: 200 016,67",
		"Всего к оплате: 1 200 099,99", "Всего наименований 2, на сумму 1 200 099,99 руб.",
		"Один миллион двести тысяч девяносто девять рублей 99 копеек", sberAccount, "ПАО Сбербанк"} {
		if !strings.Contains(text, want) {
			t.Errorf("the invoice does not read %q:\n%s", want, text)
		}
	}
	if m := regexp.MustCompile(`Сумма`).FindString(text); m == "" {
		t.Errorf("no table header: %s", text)
	}
}

// A rate that was not the general rate on the document's date is named,
// line by line; every other rate on every date is not.
func TestWarningsNameARateOutOfItsTime(t *testing.T) {
	r, err := NewRenderer(testSeller(), crm.DefaultVATRates)
	if err != nil {
		t.Fatal(err)
	}
	msk, _ := time.LoadLocation("Europe/Moscow")
	dates := map[string]time.Time{
		"2025": time.Date(2025, 12, 31, 23, 30, 0, 0, msk),
		"2026": time.Date(2026, 1, 1, 0, 30, 0, 0, msk),
		"late": time.Date(2026, 12, 6, 12, 0, 0, 0, msk),
	}
	for key := range crm.DefaultVATRates {
		for when, date := range dates {
			d := crm.DocumentDraft{Type: crm.DocInvoice, Date: date, Lines: []crm.Line{{Name: "Станок", VAT: key}, {Name: "Фреза", VAT: "none"}}}
			got := r.Warnings(d)
			want := (key == "vat20" && when != "2025") || (key == "vat22" && when == "2025")
			if want != (len(got) == 1) || len(got) > 1 {
				t.Errorf("%s on a document of %s: warnings %q", key, date.Format("02.01.2006"), got)
			}
			if len(got) == 1 && !strings.Contains(got[0], "«Станок»") {
				t.Errorf("the warning does not name the line: %q", got[0])
			}
		}
	}
}
