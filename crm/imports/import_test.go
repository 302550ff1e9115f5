package imports_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"

	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/crm/crmtest"
	"github.com/leadd/leadd/crm/imports"
	"github.com/leadd/leadd/dedupe"
)

var update = flag.Bool("update", false, "rewrite the files in testdata/")

// base is a CRM with a manager, a known customer and the default pipeline.
type base struct {
	t    *testing.T
	db   *crmtest.DB
	im   *imports.Importer
	anna int64
	petr crm.Contact // +7 916 123-45-67, petr@example.ru
}

func newBase(t *testing.T) *base {
	t.Helper()
	ctx := context.Background()
	db := crmtest.MustOpenDB(t)
	anna, err := db.Store.CreateManager(ctx, crm.Manager{Name: "Анна Смирнова", Active: true})
	if err != nil {
		t.Fatal(err)
	}
	ps := []crm.Pipeline{{Key: "sales", Name: "Продажи", Default: true, Stages: []crm.Stage{
		{Key: "new", Name: "Новая"}, {Key: "negotiation", Name: "Переговоры"},
		{Key: "won", Name: "Успешно", Semantic: crm.StageWon}, {Key: "lost", Name: "Проиграна", Semantic: crm.StageLost},
	}}}
	if errs := crm.ValidatePipelines("pipelines", ps); len(errs) > 0 {
		t.Fatal(errs)
	}
	if err := db.Store.ReconcilePipelines(ctx, ps); err != nil {
		t.Fatal(err)
	}
	name, phones, emails := "Пётр Сидоров", []string{"+79161234567"}, []string{"petr@example.ru"}
	petr, err := db.Store.CreateContact(ctx, crm.ContactInput{Name: &name, Phones: &phones, Emails: &emails})
	if err != nil {
		t.Fatal(err)
	}
	return &base{t: t, db: db, im: &imports.Importer{Store: db.Store, Phones: dedupe.Normalizer{Region: "RU"}}, anna: anna.ID, petr: petr}
}

func (b *base) plan(tab *imports.Table, o imports.Options) imports.Report {
	b.t.Helper()
	rep, err := b.im.Plan(context.Background(), tab, o)
	if err != nil {
		b.t.Fatalf("plan: %v", err)
	}
	return rep
}

func (b *base) apply(tab *imports.Table, o imports.Options) imports.Report {
	b.t.Helper()
	rep, err := b.im.Apply(context.Background(), tab, o)
	if err != nil {
		b.t.Fatalf("apply: %v", err)
	}
	return rep
}

// lines is a report as a person reads it, one line a row, ids of records
// created by the import left out (they differ run to run).
func lines(rep imports.Report, known map[int64]string) []string {
	var out []string
	for _, r := range rep.Results {
		s := fmt.Sprintf("%d %s", r.Row, r.Status)
		switch {
		case r.MatchedRow != 0:
			s += fmt.Sprintf(" row %d", r.MatchedRow)
		case r.Status == imports.StatusMatched && r.ID != nil && known[*r.ID] != "":
			s += " " + known[*r.ID]
		}
		if r.By != "" {
			s += " by " + r.By
		}
		if r.Reason != "" {
			s += ": " + r.Reason
		}
		out = append(out, s)
	}
	return out
}

func sameLines(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s:\n%s\nwant:\n%s", what, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func counts(rep imports.Report) string {
	return fmt.Sprintf("%d rows: %d new, %d matched, %d conflicting, %d rejected", rep.Rows, rep.New, rep.Matched, rep.Conflicting, rep.Rejected)
}

// notes are a row's warnings, then its notes.
func notes(rep imports.Report, row int) string {
	for _, r := range rep.Results {
		if r.Row == row {
			return strings.Join(append(r.Warnings, r.Notes...), "; ")
		}
	}
	return ""
}

// workbook writes an .xlsx as a spreadsheet program does: the first sheet
// holds the table, another one something else.
func workbook(t *testing.T, rows [][]any) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", "Клиенты"); err != nil {
		t.Fatal(err)
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Клиенты", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.NewSheet("Справочник"); err != nil {
		t.Fatal(err)
	}
	f.SetSheetRow("Справочник", "A1", &[]any{"ФИО", "Телефон"})
	f.SetSheetRow("Справочник", "A2", &[]any{"Не тот лист", "+7 999 000-00-00"})
	buf, err := f.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func read(t *testing.T, name string, b []byte) *imports.Table {
	t.Helper()
	tab, err := imports.Read(name, bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

func TestAWorkbookOfContactsImportsOnceAndThenOnlyMatches(t *testing.T) {
	t.Parallel()
	b := newBase(t)
	file := workbook(t, [][]any{
		{"ФИО", "Телефон", "E-mail", "Компания", "ИНН", "Должность", "Ответственный", "Примечание"},
		{"Иван Петров", "8 (912) 345-67-89", "Ivan@Example.ru", "ООО «Ромашка»", 7707083893, "директор", "Анна Смирнова", "VIP"},
		{"Мария Иванова", "+7 903 111-22-33, 8-495-123-45-67", nil, nil, nil, nil, "смирнова анна"},
		{"иван петров", 79123456789},                                   // row 2 again, the phone typed as a number
		{"Пётр Сидоров", nil, "PETR@EXAMPLE.RU", nil, nil, "закупщик"}, // the CRM knows him
		{nil, "12345", "not-an-email"},
		{"Ольга", nil, nil, "ооо «ромашка»", nil, nil, "Борис"},
	})
	tab := read(t, "clients.xlsx", file)
	if tab.Format != "xlsx" || tab.Sheet != "Клиенты" {
		t.Errorf("read as %s, sheet %q", tab.Format, tab.Sheet)
	}
	o := imports.Options{Kind: imports.Contacts}
	known := map[int64]string{b.petr.ID: "Пётр"}
	want := []string{
		"2 new",
		"3 new",
		"4 matched row 2 by phone +79123456789",
		"5 matched Пётр by e-mail petr@example.ru",
		"6 rejected: no name, phone or e-mail",
		"7 new",
	}

	plan := b.plan(tab, o)
	sameLines(t, "the dry run", lines(plan, known), want)
	if c := counts(plan); c != "6 rows: 3 new, 2 matched, 0 conflicting, 1 rejected" {
		t.Errorf("dry run: %s", c)
	}
	if n := b.db.Count(t, `SELECT count(*) FROM contacts`); n != 1 {
		t.Fatalf("the dry run wrote: %d contacts", n)
	}
	var ignored []string
	for _, c := range plan.Columns {
		if c.Field == "" {
			ignored = append(ignored, c.Header)
		}
	}
	if len(ignored) != 0 {
		t.Errorf("ignored columns %q (Примечание is a note)", ignored)
	}
	for row, want := range map[int]string{
		2: `new company "ООО «Ромашка»"; a note "VIP"`,
		5: "gains position",
		6: `"12345" is not a phone number, not saved as one; "not-an-email" is not an e-mail address, not saved`,
		7: `no manager named "Борис", left without one`,
	} {
		if got := notes(plan, row); got != want {
			t.Errorf("row %d notes %q, want %q", row, got, want)
		}
	}

	if r := plan.Results[4]; len(r.Warnings) != 2 || len(r.Notes) != 0 || len(plan.Results[3].Warnings) != 0 {
		t.Errorf("what is not taken is a warning, what a match gains a note: %+v %+v", r, plan.Results[3])
	}

	applied := b.apply(tab, o)
	sameLines(t, "the import", lines(applied, known), want)
	for _, r := range applied.Results {
		if (r.Status == imports.StatusNew || r.Status == imports.StatusMatched) && r.ID == nil {
			t.Errorf("row %d %s has no id", r.Row, r.Status)
		}
	}
	ctx := context.Background()
	ivan, err := b.db.Store.Contact(ctx, *applied.Results[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if ivan.Name != "Иван Петров" || ivan.Position != "директор" || strings.Join(ivan.Phones, " ") != "+79123456789" ||
		strings.Join(ivan.Emails, " ") != "ivan@example.ru" || ivan.ManagerID == nil || *ivan.ManagerID != b.anna || ivan.CompanyID == nil {
		t.Errorf("Иван is %+v", ivan)
	}
	company, err := b.db.Store.Company(ctx, *ivan.CompanyID)
	if err != nil || company.Name != "ООО «Ромашка»" || company.INN == nil || *company.INN != "7707083893" {
		t.Errorf("his company is %+v %v", company, err)
	}
	maria, _ := b.db.Store.Contact(ctx, *applied.Results[1].ID)
	if strings.Join(maria.Phones, " ") != "+79031112233 +74951234567" || maria.ManagerID == nil || *maria.ManagerID != b.anna {
		t.Errorf("Мария is %+v; her manager is Анна, named surname first", maria)
	}
	petr, _ := b.db.Store.Contact(ctx, b.petr.ID)
	if petr.Name != "Пётр Сидоров" || petr.Position != "закупщик" {
		t.Errorf("Пётр is %+v", petr)
	}
	olga, _ := b.db.Store.Contact(ctx, *applied.Results[5].ID)
	if olga.CompanyID == nil || *olga.CompanyID != company.ID || olga.ManagerID != nil {
		t.Errorf("Ольга is %+v", olga)
	}
	if n := b.db.Count(t, `SELECT count(*) FROM contact_identities`); n != 2+2+2 {
		t.Errorf("%d identities, want Пётр's 2, Иван's 2, Мария's 2", n)
	}
	if n := b.db.Count(t, `SELECT count(*) FROM companies`); n != 1 {
		t.Errorf("%d companies", n)
	}

	again := b.apply(tab, o)
	sameLines(t, "the second import", lines(again, known), []string{
		"2 matched by phone +79123456789",
		"3 matched by phone +79031112233",
		"4 matched row 2 by phone +79123456789",
		"5 matched Пётр by e-mail petr@example.ru",
		"6 rejected: no name, phone or e-mail",
		"7 matched by name",
	})
	if again.New != 0 || b.db.Count(t, `SELECT count(*) FROM contacts`) != 4 {
		t.Errorf("the second import: %s", counts(again))
	}
	for _, r := range again.Results {
		if strings.Contains(strings.Join(r.Notes, ";"), "gains") {
			t.Errorf("row %d gains something the second time: %q", r.Row, r.Notes)
		}
	}
}

// The CSV Russian Excel saves: Windows-1251, ";" between cells, a title
// line above the table.
const russianCSV = "Выгрузка клиентов на 01.03.2025;;;;\r\n" +
	"Фамилия;Имя;Тел.;Эл. почта;Организация\r\n" +
	"Кузнецова;Анна;\"+7 903 111-22-33; 8 (495) 123-45-67\";;ИП Кузнецова\r\n" +
	"Сидоров;Пётр;8 916 123 45 67;;\r\n" +
	"Кузнецова;Анна;8 903 111 22 33;anna@example.ru;ИП Кузнецова\r\n" +
	";;;;ООО Без людей\r\n"

func TestARussianExcelCSVImportsOnceAndThenOnlyMatches(t *testing.T) {
	t.Parallel()
	b := newBase(t)
	want, err := charmap.Windows1251.NewEncoder().String(russianCSV)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "contacts-1251.csv")
	if *update {
		os.WriteFile(path, []byte(want), 0o644)
	}
	file, err := os.ReadFile(path)
	if err != nil || string(file) != want {
		t.Fatalf("%s is not the Windows-1251 of the table (go test -update rewrites it): %v", path, err)
	}
	tab := read(t, "clients.csv", file)
	if tab.Encoding != "windows-1251" || tab.Separator != ";" {
		t.Errorf("read as %s with %q", tab.Encoding, tab.Separator)
	}
	o := imports.Options{Kind: imports.Contacts}
	known := map[int64]string{b.petr.ID: "Пётр"}
	plan := b.plan(tab, o)
	if plan.HeaderRow != 2 {
		t.Errorf("the header is row %d, want 2 under the title", plan.HeaderRow)
	}
	sameLines(t, "the dry run", lines(plan, known), []string{
		"3 new",
		"4 matched Пётр by phone +79161234567",
		"5 matched row 3 by phone +79031112233",
		"6 rejected: no name, phone or e-mail",
	})
	if got := notes(plan, 5); got != "gains e-mail anna@example.ru" {
		t.Errorf("row 5 notes %q", got)
	}
	applied := b.apply(tab, o)
	if c := counts(applied); c != "4 rows: 1 new, 2 matched, 0 conflicting, 1 rejected" {
		t.Errorf("the import: %s", c)
	}
	anna, _ := b.db.Store.Contact(context.Background(), *applied.Results[0].ID)
	if anna.Name != "Кузнецова Анна" || len(anna.Phones) != 2 || strings.Join(anna.Emails, "") != "anna@example.ru" {
		t.Errorf("Анна is %+v", anna)
	}
	again := b.apply(tab, o)
	if c := counts(again); c != "4 rows: 0 new, 3 matched, 0 conflicting, 1 rejected" {
		t.Errorf("the second import: %s", c)
	}
	if n := b.db.Count(t, `SELECT count(*) FROM contacts`); n != 2 {
		t.Errorf("%d contacts, want Пётр and Анна", n)
	}
}

func TestARowNamingTwoPeopleConflictsAndChangesNobody(t *testing.T) {
	t.Parallel()
	b := newBase(t)
	ctx := context.Background()
	name, emails := "Ирина", []string{"irina@example.ru"}
	irina, err := b.db.Store.CreateContact(ctx, crm.ContactInput{Name: &name, Emails: &emails})
	if err != nil {
		t.Fatal(err)
	}
	tab := read(t, "c.csv", []byte("Name,Phone,Email\n"+
		"Пётр или Ирина,+7 916 123-45-67,irina@example.ru\n"+
		"Новый,+7 900 000-00-01,\n"+
		"Новая,,new@example.ru\n"+
		"Кто-то из них,+7 900 000-00-01,new@example.ru\n"))
	o := imports.Options{Kind: imports.Contacts}
	want := []string{
		fmt.Sprintf("2 conflicting: phone +79161234567 belongs to contact %d, e-mail irina@example.ru belongs to contact %d", b.petr.ID, irina.ID),
		"3 new",
		"4 new",
		"5 conflicting: phone +79000000001 belongs to the contact of row 3, e-mail new@example.ru belongs to the contact of row 4",
	}
	sameLines(t, "the dry run", lines(b.plan(tab, o), nil), want)
	sameLines(t, "the import", lines(b.apply(tab, o), nil), want)
	petr, _ := b.db.Store.Contact(ctx, b.petr.ID)
	if strings.Join(petr.Emails, ",") != "petr@example.ru" || petr.Name != "Пётр Сидоров" {
		t.Errorf("a conflicting row changed Пётр: %+v", petr)
	}
}

func TestCompaniesAreFoundByINNThenByName(t *testing.T) {
	t.Parallel()
	b := newBase(t)
	ctx := context.Background()
	name, inn := "ПАО Сбербанк", "7707083893"
	sber, err := b.db.Store.CreateCompany(ctx, crm.CompanyInput{Name: &name, INN: &inn})
	if err != nil {
		t.Fatal(err)
	}
	name2 := "Ромашка"
	romashka, err := b.db.Store.CreateCompany(ctx, crm.CompanyInput{Name: &name2})
	if err != nil {
		t.Fatal(err)
	}
	tab := read(t, "companies.csv", []byte("Наименование;ИНН;КПП;ОГРН;Юридический адрес;Телефон\n"+
		"Сбер;7707083893;773601001;1027700132195;Москва, ул. Вавилова, 19;+7 495 500-55-50\n"+
		"РОМАШКА;0274062111;;;;\n"+
		"Космос;274062111;;;;\n"+
		"Лютик;12345;;;;\n"+
		";5003123458;;;;\n"+
		"Василёк;;123;;;\n"))
	o := imports.Options{Kind: imports.Companies}
	known := map[int64]string{sber.ID: "Сбер", romashka.ID: "Ромашка"}
	want := []string{
		"2 matched Сбер by INN 7707083893",
		"3 matched Ромашка by name",
		"4 matched row 3 by INN 0274062111",
		`5 rejected: bad INN "12345": an INN is 10 digits (organisation) or 12 (entrepreneur), not 5`,
		"6 rejected: no company has INN 5003123458, and a new one needs a name",
		"7 new",
	}
	plan := b.plan(tab, o)
	sameLines(t, "the dry run", lines(plan, known), want)
	if got := notes(plan, 2); got != "gains KPP, OGRN, address, phone +74955005550" {
		t.Errorf("row 2 notes %q", got)
	}
	if got := notes(plan, 7); got != `"123" is not a KPP, not saved` {
		t.Errorf("row 7 notes %q", got)
	}
	b.apply(tab, o)
	got, _ := b.db.Store.Company(ctx, sber.ID)
	if got.Name != "ПАО Сбербанк" || *got.KPP != "773601001" || *got.OGRN != "1027700132195" || got.Address != "Москва, ул. Вавилова, 19" {
		t.Errorf("Сбер is %+v", got)
	}
	got, _ = b.db.Store.Company(ctx, romashka.ID)
	if got.INN == nil || *got.INN != "0274062111" || got.Name != "Ромашка" {
		t.Errorf("Ромашка is %+v", got)
	}
	again := b.apply(tab, o)
	if c := counts(again); c != "6 rows: 0 new, 4 matched, 0 conflicting, 2 rejected" {
		t.Errorf("the second import: %s", c)
	}
}

func TestDealsImportWithRussianSumsTheirPeopleAndCompanies(t *testing.T) {
	t.Parallel()
	b := newBase(t)
	tab := read(t, "deals.csv", []byte("\ufeffНазвание сделки;Сумма;Валюта;Воронка;Стадия;Контакт;Телефон;Компания;ИНН;Ответственный\r\n"+
		"Поставка станков;1 250 000,50;руб.;;Переговоры;Иван Петров;+7 912 345-67-89;ООО Ромашка;7707083893;Анна Смирнова\r\n"+
		"Сервис;15000;;Продажи;;;;ООО Ромашка;;\r\n"+
		"Поставка станков;1 250 000,50;;;;Иван Петров;89123456789;ООО Ромашка;7707083893;\r\n"+
		"Аренда;сто тысяч;;;;Пётр Сидоров;;;;\r\n"+
		"Ремонт;100;;Продажи;Космос;;;;;\r\n"+
		"Монтаж;1,5;USD;Опт;;;;;;\r\n"+
		"Запчасти;$2,000.00;;;won;;+7 916 123-45-67;;;\r\n"))
	o := imports.Options{Kind: imports.Deals, By: &b.anna}
	want := []string{
		"2 new",
		"3 new",
		"4 matched row 2 by title",
		`5 rejected: bad amount "сто тысяч": a sum like 1 250 000,50 with at most two decimals`,
		`6 rejected: pipeline "Продажи" has no stage "Космос"; its stages are Новая, Переговоры, Успешно, Проиграна`,
		`7 rejected: unknown pipeline "Опт"; the pipelines are Продажи`,
		"8 new",
	}
	plan := b.plan(tab, o)
	sameLines(t, "the dry run", lines(plan, nil), want)
	if got := notes(plan, 2); got != `new company "ООО Ромашка"; new contact "Иван Петров"` {
		t.Errorf("row 2 notes %q", got)
	}
	applied := b.apply(tab, o)
	sameLines(t, "the import", lines(applied, nil), want)
	ctx := context.Background()
	d, err := b.db.Store.Deal(ctx, *applied.Results[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if d.Title != "Поставка станков" || d.Amount != "1250000.50" || d.Currency != "RUB" || d.Stage != "negotiation" ||
		d.ContactID == nil || d.CompanyID == nil || d.ManagerID == nil || *d.ManagerID != b.anna || d.ClosedAt != nil {
		t.Errorf("the deal is %+v", d)
	}
	service, _ := b.db.Store.Deal(ctx, *applied.Results[1].ID)
	if service.CompanyID == nil || *service.CompanyID != *d.CompanyID || service.ContactID != nil || service.Stage != "new" {
		t.Errorf("the service deal is %+v", service)
	}
	parts, _ := b.db.Store.Deal(ctx, *applied.Results[6].ID)
	if parts.Amount != "2000.00" || parts.Currency != "USD" || parts.Status != crm.DealWon || parts.ClosedAt == nil ||
		parts.ContactID == nil || *parts.ContactID != b.petr.ID {
		t.Errorf("the won deal is %+v", parts)
	}
	h, err := b.db.Store.DealHistory(ctx, d.ID)
	if err != nil || len(h) != 1 || h[0].To != "negotiation" || h[0].ByManagerID == nil || *h[0].ByManagerID != b.anna {
		t.Errorf("the history %+v %v", h, err)
	}
	again := b.apply(tab, o)
	if c := counts(again); c != "7 rows: 0 new, 4 matched, 0 conflicting, 3 rejected" {
		t.Errorf("the second import: %s", c)
	}
	if n := b.db.Count(t, `SELECT count(*) FROM deals`); n != 3 {
		t.Errorf("%d deals", n)
	}
}

func TestTheCallerMapsWhatTheHeadersDoNotSay(t *testing.T) {
	t.Parallel()
	b := newBase(t)
	tab := read(t, "c.csv", []byte("Кто;Сотовый номер;Заметка\nЛюдмила;+7 900 123-45-67;звонить после 18\n"))
	if _, err := b.im.Plan(context.Background(), tab, imports.Options{Kind: imports.Contacts}); crm.ErrorCode(err) != crm.EINVALID {
		t.Errorf("no column known: %v", err)
	}
	rep := b.apply(tab, imports.Options{Kind: imports.Contacts, Mapping: imports.Mapping{"Кто": "name", "сотовый номер": "Телефон"}})
	if c := counts(rep); c != "1 rows: 1 new, 0 matched, 0 conflicting, 0 rejected" {
		t.Errorf("%s", c)
	}
	if rep.Columns[1].Field != "phone" || rep.Columns[1].Guess || rep.Columns[2].Field != "comment" {
		t.Errorf("columns %+v", rep.Columns)
	}
	for _, m := range []imports.Mapping{{"Кто": "имя_фамилия_и_прочее"}, {"Нет такой": "name"}} {
		_, err := b.im.Plan(context.Background(), tab, imports.Options{Kind: imports.Contacts, Mapping: m})
		if e, ok := err.(*crm.Error); !ok || e.Code != crm.EINVALID || e.Field != "mapping" {
			t.Errorf("mapping %v: %v", m, err)
		}
	}
}

func TestBatchesSeeWhatEarlierBatchesMade(t *testing.T) {
	t.Parallel()
	b := newBase(t)
	b.im.BatchSize = 2
	tab := read(t, "c.csv", []byte("ФИО;Телефон;Компания;ИНН\n"+
		"Иван;+7 912 345-67-89;Ромашка;\n"+
		"Олег;+7 912 000-00-01;;\n"+
		"Иван Петров;+7 912 345-67-89;Ромашка;7707083893\n"+
		"Пётр;+7 912 000-00-02;РОМАШКА;\n"+
		"Олег;+7 912 000-00-01;;\n"))
	o := imports.Options{Kind: imports.Contacts}
	want := []string{"2 new", "3 new", "4 matched row 2 by phone +79123456789", "5 new", "6 matched row 3 by phone +79120000001"}
	sameLines(t, "the dry run", lines(b.plan(tab, o), nil), want)
	sameLines(t, "the import", lines(b.apply(tab, o), nil), want)
	if n := b.db.Count(t, `SELECT count(*) FROM companies WHERE inn = '7707083893' AND name = 'Ромашка'`); n != 1 {
		t.Errorf("the company learnt its INN in the second batch: %d", n)
	}
	if n := b.db.Count(t, `SELECT count(DISTINCT company_id) FROM contacts WHERE company_id IS NOT NULL`); n != 1 {
		t.Errorf("Иван and Пётр work at %d companies", n)
	}
}

func TestTwoImportsOfOneFileAtOnceMakeEveryoneOnce(t *testing.T) {
	t.Parallel()
	b := newBase(t)
	b.im.BatchSize = 20
	tab := read(t, "base.csv", clientBase(600))
	errs := make(chan error, 2)
	for range 2 {
		go func() {
			_, err := b.im.Apply(context.Background(), tab, imports.Options{Kind: imports.Contacts})
			errs <- err
		}()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if n := b.db.Count(t, `SELECT count(*) FROM contacts`); n != 1+480 {
		t.Errorf("%d contacts, want Пётр and 480 people", n)
	}
	if n := b.db.Count(t, `SELECT count(*) FROM companies`); n != 160 {
		t.Errorf("%d companies, want 160", n)
	}
}
