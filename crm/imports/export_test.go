package imports_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/crm/imports"
)

func TestExportedContactsReadBackAsTheSameRowsAndImportAsMatches(t *testing.T) {
	t.Parallel()
	b := newBase(t)
	ctx := context.Background()
	name, inn := "ООО «Ромашка»", "7707083893"
	romashka, err := b.db.Store.CreateCompany(ctx, crm.CompanyInput{Name: &name, INN: &inn})
	if err != nil {
		t.Fatal(err)
	}
	ivan, phones, emails, position := "Иван Петров", []string{"+79123456789", "+74951234567"}, []string{"ivan@example.ru"}, "директор"
	if _, err := b.db.Store.CreateContact(ctx, crm.ContactInput{Name: &ivan, Position: &position, CompanyID: &romashka.ID,
		ManagerID: &b.anna, Phones: &phones, Emails: &emails}); err != nil {
		t.Fatal(err)
	}
	formula, formulaPhones := "=HYPERLINK(\"http://evil\")", []string{"+79031112233"}
	if _, err := b.db.Store.CreateContact(ctx, crm.ContactInput{Name: &formula, Phones: &formulaPhones}); err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		imports.Headers[imports.Contacts],
		{"=HYPERLINK(\"http://evil\")", "+79031112233", "", "", "", "", ""},
		{"Иван Петров", "+79123456789, +74951234567", "ivan@example.ru", "директор", "ООО «Ромашка»", "7707083893", "Анна Смирнова"},
		{"Пётр Сидоров", "+79161234567", "petr@example.ru", "", "", "", ""},
	}
	for _, format := range []string{"xlsx", "csv"} {
		var buf bytes.Buffer
		if err := imports.Export(ctx, &buf, format, imports.Contacts, b.db.Store, imports.Filter{}); err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		if format == "csv" {
			if !bytes.HasPrefix(buf.Bytes(), []byte("\ufeffID;ФИО;")) || !strings.Contains(buf.String(), "'=HYPERLINK") {
				t.Errorf("the CSV is not as Russian Excel reads it, or a formula is live:\n%s", buf.String())
			}
		}
		tab, err := imports.Read("export."+format, &buf)
		if err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		if len(tab.Rows) != len(want) {
			t.Fatalf("%s: %d rows, want %d", format, len(tab.Rows), len(want))
		}
		if got := strings.Join(tab.Rows[0].Cells, "|"); got != strings.Join(want[0], "|") {
			t.Errorf("%s header %q", format, got)
		}
		for i, w := range want[1:] {
			got := tab.Rows[i+1].Cells[1:8] // without the id and the time
			if strings.Join(got, "|") != strings.Join(w, "|") {
				t.Errorf("%s row %d:\n%q\nwant\n%q", format, i+2, got, w)
			}
		}
		rep := b.plan(tab, imports.Options{Kind: imports.Contacts})
		if c := counts(rep); c != "3 rows: 0 new, 3 matched, 0 conflicting, 0 rejected" {
			t.Errorf("%s imported back: %s %+v", format, c, rep.Results)
		}
	}
}

func TestAManagersExportHoldsOnlyWhatTheFilterLets(t *testing.T) {
	t.Parallel()
	b := newBase(t)
	ctx := context.Background()
	name, phones := "Свой клиент", []string{"+79123456789"}
	if _, err := b.db.Store.CreateContact(ctx, crm.ContactInput{Name: &name, ManagerID: &b.anna, Phones: &phones}); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	err := imports.Export(ctx, &buf, "csv", imports.Contacts, b.db.Store, imports.Filter{Contacts: crm.ContactFilter{ManagerID: &b.anna}})
	if err != nil {
		t.Fatal(err)
	}
	tab, _ := imports.Read("x.csv", &buf)
	if len(tab.Rows) != 2 || tab.Rows[1].Cells[1] != "Свой клиент" {
		t.Errorf("exported %v", tab.Rows)
	}
	if err := imports.Export(ctx, &buf, "pdf", imports.Contacts, b.db.Store, imports.Filter{}); crm.ErrorCode(err) != crm.EINVALID {
		t.Errorf("a pdf: %v", err)
	}
}

func TestDealsExportWithSumsAsNumbers(t *testing.T) {
	t.Parallel()
	b := newBase(t)
	tab := read(t, "deals.csv", []byte("Сделка;Сумма;Контакт;Телефон;Компания;ИНН;Стадия\n"+
		"Поставка;1 250 000,50;Иван;+7 912 345-67-89;Ромашка;7707083893;Переговоры\n"))
	b.apply(tab, imports.Options{Kind: imports.Deals})
	for _, format := range []string{"xlsx", "csv"} {
		var buf bytes.Buffer
		if err := imports.Export(context.Background(), &buf, format, imports.Deals, b.db.Store, imports.Filter{}); err != nil {
			t.Fatal(err)
		}
		back, err := imports.Read("deals."+format, &buf)
		if err != nil {
			t.Fatal(err)
		}
		got := strings.Join(back.Rows[1].Cells[1:13], "|")
		sum := map[string]string{"xlsx": "1,250,000.50", "csv": "1250000,50"}[format]
		if want := "Поставка|" + sum + "|RUB|Продажи|Переговоры|в работе|Иван|+79123456789||Ромашка|7707083893|"; got != want {
			t.Errorf("%s:\n%s\nwant\n%s", format, got, want)
		}
		rep := b.plan(back, imports.Options{Kind: imports.Deals})
		if c := counts(rep); c != "1 rows: 0 new, 1 matched, 0 conflicting, 0 rejected" {
			t.Errorf("%s imported back: %s %+v", format, c, rep.Results)
		}
	}
}
