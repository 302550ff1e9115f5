package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/leadd/leadd/configs"
	"github.com/leadd/leadd/crm"
)

// errField is the field a JSON error names.
func errField(t *testing.T, b []byte) string {
	t.Helper()
	var e struct {
		Error struct {
			Field string `json:"field"`
		} `json:"error"`
	}
	_ = json.Unmarshal(b, &e)
	return e.Error.Field
}

// importFile posts a file to the import as the demo admin.
func (ta *testApp) importFile(kind, name string, content []byte, dryRun bool) map[string]any {
	ta.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", name)
	_, _ = fw.Write(content)
	_ = mw.Close()
	res := ta.do("POST", fmt.Sprintf("/api/v1/import?kind=%s&dry_run=%t", kind, dryRun), mw.FormDataContentType(), &body,
		"Authorization: Bearer "+adminToken)
	if res.Status != 200 {
		ta.t.Fatalf("import %s: %d %s", kind, res.Status, excerpt(res.Body))
	}
	return res.JSON(ta.t)
}

// readCSV reads an export: UTF-8 with a BOM, ";".
func readCSV(t *testing.T, b []byte) [][]string {
	t.Helper()
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\ufeff"))))
	r.Comma = ';'
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatalf("csv: %v\n%s", err, b)
	}
	return rows
}

// TestCustomFieldsRoundTripThroughTheAPIImportExportAndADocument declares
// the demo's fields, writes them through the API as people type them,
// filters by them, exports them, imports the export back as a new deal
// with the same values, and prints them in a quote.
func TestCustomFieldsRoundTripThroughTheAPIImportExportAndADocument(t *testing.T) {
	t.Parallel()
	ta := startApp(t, withDocuments)
	var decls crm.FieldDecls
	if s := ta.api("GET", "/api/v1/fields", nil, &decls); s != 200 || len(decls.Deal) == 0 || len(decls.Company) == 0 {
		t.Fatalf("GET /api/v1/fields: %d %+v", s, decls)
	}

	// A company and a contact with theirs, as typed.
	var co crm.Company
	if s := ta.api("POST", "/api/v1/companies", map[string]any{"name": "ООО «Заводские поля»", "inn": "7736207543", "fields": map[string]any{
		"segment": "Опт", "employees": 1200, "site": "https://zavod.example", "accountant_email": "Buh@Zavod.Example",
		"accountant_phone": "8 495 123-45-67 доб. 205"}}, &co); s != 201 {
		t.Fatalf("company: %d", s)
	}
	wantCo := crm.Fields{"segment": "wholesale", "employees": "1200", "site": "https://zavod.example", "accountant_email": "buh@zavod.example",
		"accountant_phone": "+74951234567;ext=205"}
	if !equalFields(co.Fields, wantCo) {
		t.Fatalf("company fields %v, want %v", co.Fields, wantCo)
	}
	for _, bad := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"name": "ООО Один", "fields": map[string]any{"segment": "Оптом"}}, "fields.segment"},
		{map[string]any{"name": "ООО Два", "fields": map[string]any{"colour": "red"}}, "fields.colour"},
		{map[string]any{"name": "ООО Три", "fields": map[string]any{"employees": "много"}}, "fields.employees"},
		{map[string]any{"name": "ООО Четыре", "fields": map[string]any{"site": "javascript:alert(1)"}}, "fields.site"},
	} {
		res := ta.do("POST", "/api/v1/companies", "application/json", strings.NewReader(mustJSON(bad.body)), "Authorization: Bearer "+adminToken)
		if res.Status != 422 || errField(t, res.Body) != bad.field {
			t.Errorf("company %v: %d %s, want 422 naming %s", bad.body, res.Status, excerpt(res.Body), bad.field)
		}
	}
	if n := ta.db.Count(t, `SELECT count(*) FROM companies WHERE name IN ('ООО Один', 'ООО Два', 'ООО Три', 'ООО Четыре')`); n != 0 {
		t.Errorf("%d refused companies were written", n)
	}
	var ct crm.Contact
	if s := ta.api("POST", "/api/v1/contacts", map[string]any{"name": "Ольга Полевая", "phones": []string{"+7 916 500-00-01"},
		"company_id": co.ID, "fields": map[string]any{"birthday": "06.12.1980"}}, &ct); s != 201 || ct.Fields["birthday"] != "1980-12-06" {
		t.Fatalf("contact: %d %v", s, ct.Fields)
	}

	// A deal, its fields typed the Russian way.
	var deal crm.Deal
	if s := ta.api("POST", "/api/v1/deals", map[string]any{"title": "Поставка полей", "contact_id": ct.ID, "company_id": co.ID,
		"fields": map[string]any{"budget": "1 275 833,33 ₽", "delivery_date": "06.12.2026", "tender": true, "payment_terms": "Предоплата"}}, &deal); s != 201 {
		t.Fatalf("deal: %d", s)
	}
	want := crm.Fields{"budget": "1275833.33", "delivery_date": "2026-12-06", "tender": "true", "payment_terms": "prepay"}
	if !equalFields(deal.Fields, want) {
		t.Fatalf("deal fields %v, want %v", deal.Fields, want)
	}
	// PATCH merges, "" removes, a bad value changes nothing.
	if s := ta.api("PATCH", fmt.Sprint("/api/v1/deals/", deal.ID), map[string]any{"fields": map[string]any{"tender": "нет"}}, &deal); s != 200 ||
		deal.Fields["tender"] != "false" || deal.Fields["budget"] != "1275833.33" {
		t.Fatalf("patch: %d %v", s, deal.Fields)
	}
	res := ta.do("PATCH", fmt.Sprint("/api/v1/deals/", deal.ID), "application/json",
		strings.NewReader(`{"title": "Другое", "fields": {"delivery_date": "31.02.2026"}}`), "Authorization: Bearer "+adminToken)
	if res.Status != 422 || errField(t, res.Body) != "fields.delivery_date" || ta.deal(deal.ID).Title != "Поставка полей" {
		t.Fatalf("a bad date: %d %s", res.Status, excerpt(res.Body))
	}

	// Lists filter by them, typed.
	for _, tc := range []struct {
		query string
		found bool
	}{
		{"field.delivery_date=06.12.2026", true},
		{"field.delivery_date=2026-12-07", false},
		{"field.budget.from=1000000", true},
		{"field.budget.to=1000", false},
		{"field.delivery_date.from=01.12.2026&field.delivery_date.to=31.12.2026", true},
		{"field.payment_terms=Предоплата", true},
		{"field.tender=да", false},
	} {
		var page struct{ Items []crm.Deal }
		q, _ := url.ParseQuery(tc.query)
		if s := ta.api("GET", "/api/v1/deals?"+q.Encode(), nil, &page); s != 200 {
			t.Fatalf("%s: %d", tc.query, s)
		}
		found := slices.ContainsFunc(page.Items, func(d crm.Deal) bool { return d.ID == deal.ID })
		if found != tc.found {
			t.Errorf("?%s found the deal: %v, want %v", tc.query, found, tc.found)
		}
	}
	for _, q := range []string{"field.colour=red", "field.tender.from=1", "field.budget.from=много"} {
		res := ta.do("GET", "/api/v1/deals?"+q, "", nil, "Authorization: Bearer "+adminToken)
		if name, _, _ := strings.Cut(q, "="); res.Status != 422 || errField(t, res.Body) != name {
			t.Errorf("?%s: %d %s, want 422 naming %s", q, res.Status, excerpt(res.Body), name)
		}
	}

	// The export has a column per field, by label, as people read it.
	res = ta.do("GET", "/api/v1/export/deals", "", nil, "Authorization: Bearer "+adminToken)
	rows := readCSV(t, res.Body)
	if len(rows) != 2 {
		t.Fatalf("export: %d rows", len(rows))
	}
	col := map[string]string{}
	for i, h := range rows[0] {
		col[h] = rows[1][i]
	}
	for h, v := range map[string]string{"Бюджет": "1275833,33", "Дата поставки": "06.12.2026", "Тендер": "Нет", "Условия оплаты": "Предоплата"} {
		if col[h] != v {
			t.Errorf("export column %q: %q, want %q (header %q)", h, col[h], v, rows[0])
		}
	}
	// The same file, the deal renamed, imports back with the same fields.
	for i, h := range rows[0] {
		if h == "Название сделки" {
			rows[1][i] = "Поставка полей, копия"
		}
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Comma = ';'
	_ = w.WriteAll(rows)
	rep := ta.importFile("deals", "deals.csv", buf.Bytes(), false)
	if rep["new"] != float64(1) {
		t.Fatalf("import: %s", mustJSON(rep))
	}
	var page struct{ Items []crm.Deal }
	ta.api("GET", "/api/v1/deals?field.delivery_date=2026-12-06&limit=10", nil, &page)
	var copied *crm.Deal
	for i := range page.Items {
		if page.Items[i].Title == "Поставка полей, копия" {
			copied = &page.Items[i]
		}
	}
	if copied == nil || !equalFields(copied.Fields, ta.deal(deal.ID).Fields) {
		t.Fatalf("the imported copy: %+v, want the fields %v", copied, ta.deal(deal.ID).Fields)
	}
	// A file whose value a type refuses is rejected by row, naming it.
	bad := "Название сделки;Контакт;Дата поставки\nПлохая дата;Ольга Полевая;позавчера\n"
	rep = ta.importFile("deals", "bad.csv", []byte(bad), true)
	results, _ := rep["results"].([]any)
	if rep["rejected"] != float64(1) || len(results) != 1 || !strings.Contains(fmt.Sprint(results[0]), "fields.delivery_date") {
		t.Errorf("a bad date in a file: %s", mustJSON(rep))
	}

	// A quote prints them as people read them.
	if s := ta.api("POST", fmt.Sprint("/api/v1/deals/", deal.ID, "/lines"), map[string]any{"name": "Межа полевая",
		"unit": "шт", "quantity": "1", "price": "1500.00", "vat": "none"}, nil); s != 201 {
		t.Fatalf("line: %d", s)
	}
	doc := ta.makeDocument(deal.ID, "quote")
	text, _ := readPDF(t, ta.documentPDF(doc.ID))
	assertReads(t, "the quote", text, "Срок поставки: 06.12.2026", "Условия оплаты: Предоплата")
}

// TestCustomFieldsOfALeadComeFromFormsAndCarryOverAtConversion: a form's
// field named as a declared one is checked and kept under its key, the
// rest stay free; conversion carries a field the deal also declares.
func TestCustomFieldsOfALeadComeFromFormsAndCarryOverAtConversion(t *testing.T) {
	t.Parallel()
	ta := startApp(t, nil)
	res := ta.postForm("contact", url.Values{"phone": {"+7 916 500-00-02"}, "name": {"Пётр"}, "Бюджет": {"много"}})
	if res.Status != 422 || errField(t, res.Body) != "fields.budget" {
		t.Fatalf("a bad budget: %d %s", res.Status, excerpt(res.Body))
	}
	res = ta.postForm("contact", url.Values{"phone": {"+7 916 500-00-02"}, "name": {"Пётр"}, "Бюджет": {"150 000"},
		"city": {" Тула "}, "colour": {"синий"}})
	if res.Status != 202 {
		t.Fatalf("post: %d %s", res.Status, excerpt(res.Body))
	}
	ta.waitProcessed()
	leads := ta.leadsByPhone("+79165000002")
	if len(leads) != 1 {
		t.Fatalf("%d leads", len(leads))
	}
	l := leads[0]
	if !equalFields(l.Fields, crm.Fields{"budget": "150000.00", "city": "Тула", "colour": "синий"}) {
		t.Fatalf("lead fields %v", l.Fields)
	}
	// The API refuses what the lead does not declare; the free field the
	// form left stays, and may be removed.
	res = ta.do("PATCH", fmt.Sprint("/api/v1/leads/", l.ID), "application/json", strings.NewReader(`{"fields": {"size": "XL"}}`),
		"Authorization: Bearer "+adminToken)
	if res.Status != 422 || errField(t, res.Body) != "fields.size" {
		t.Fatalf("an undeclared key: %d %s", res.Status, excerpt(res.Body))
	}
	if s := ta.api("PATCH", fmt.Sprint("/api/v1/leads/", l.ID), map[string]any{"fields": map[string]any{"colour": nil, "budget": "200 000"}}, &l); s != 200 ||
		!equalFields(l.Fields, crm.Fields{"budget": "200000.00", "city": "Тула"}) {
		t.Fatalf("patch: %d %v", s, l.Fields)
	}
	c := ta.convert(l.ID, map[string]any{"fields": map[string]any{"delivery_date": "01.02.2027"}})
	d := ta.deal(c.DealID)
	if !equalFields(d.Fields, crm.Fields{"budget": "200000.00", "delivery_date": "2027-02-01"}) {
		t.Fatalf("the deal's fields %v", d.Fields)
	}
}

// TestCustomFieldsReloadOnSIGHUPAndABrokenDeclarationIsRefused reloads
// the file as SIGHUP does.
func TestCustomFieldsReloadOnSIGHUPAndABrokenDeclarationIsRefused(t *testing.T) {
	t.Parallel()
	ta := startApp(t, nil)
	demo, err := os.ReadFile("../../configs/leadd.yaml")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "leadd.yaml")
	write := func(extra string) {
		s := strings.Replace(string(demo), "  contact:\n    - {key: birthday", "  contact:\n"+extra+"    - {key: birthday", 1)
		s = demoTemplatesHere(s)
		if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("    - {key: vip, label: VIP, type: bool, required: true}\n")
	if err := ta.reload(path); err != nil {
		t.Fatalf("reload: %v", err)
	}
	res := ta.do("POST", "/api/v1/contacts", "application/json", strings.NewReader(`{"name": "Без VIP"}`), "Authorization: Bearer "+adminToken)
	if res.Status != 422 || errField(t, res.Body) != "fields.vip" {
		t.Fatalf("a required field after the reload: %d %s", res.Status, excerpt(res.Body))
	}
	write("    - {key: vip, label: VIP, type: colour}\n")
	if err := ta.reload(path); err == nil || !strings.Contains(err.Error(), "fields.contact[0].type") {
		t.Fatalf("a broken declaration was taken: %v", err)
	}
	var c crm.Contact
	if s := ta.api("POST", "/api/v1/contacts", map[string]any{"name": "С VIP", "fields": map[string]any{"vip": "да"}}, &c); s != 201 || c.Fields["vip"] != "true" {
		t.Fatalf("the running declarations changed: %d %v", s, c.Fields)
	}
}

func equalFields(a, b crm.Fields) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// A company a conversion creates is a new company: its required fields
// are asked for, naming company.fields.<key>, and nothing is written
// without them; a company the conversion finds keeps its own fields and
// is not asked again.
func TestAConversionThatCreatesACompanyAsksForItsRequiredFields(t *testing.T) {
	t.Parallel()
	ta := startApp(t, func(c *configs.Config) {
		c.Fields.Company = append(c.Fields.Company, crm.FieldDef{Key: "sector", Label: "Отрасль", Type: crm.FieldText, Required: true})
	})
	lead := ta.newLead("+7 916 500-00-09").ID
	before := ta.db.Count(t, `SELECT count(*) FROM companies`) + ta.db.Count(t, `SELECT count(*) FROM deals`)
	res := ta.do("POST", fmt.Sprint("/api/v1/leads/", lead, "/convert"), "application/json",
		strings.NewReader(`{"company": {"name": "ООО «Новая»", "inn": "7707083893"}}`), "Authorization: Bearer "+adminToken)
	if res.Status != 422 || errField(t, res.Body) != "company.fields.sector" {
		t.Fatalf("converting into a new company without its required field: %d %s", res.Status, excerpt(res.Body))
	}
	if after := ta.db.Count(t, `SELECT count(*) FROM companies`) + ta.db.Count(t, `SELECT count(*) FROM deals`); after != before {
		t.Errorf("the refused conversion wrote %d records", after-before)
	}
	if l := ta.lead(lead); l.Status == crm.StatusConverted {
		t.Error("the refused conversion closed the lead")
	}
	c := ta.convert(lead, map[string]any{"company": map[string]any{"name": "ООО «Новая»", "inn": "7707083893", "fields": map[string]any{"sector": "станкостроение"}}})
	if c.CompanyID == nil {
		t.Fatal("no company")
	}
	// The same company found again by its INN: nothing more is asked.
	other := ta.newLead("+7 916 500-00-10").ID
	if c2 := ta.convert(other, map[string]any{"company": map[string]any{"name": "Новая", "inn": "7707083893"}}); c2.CompanyID == nil || *c2.CompanyID != *c.CompanyID {
		t.Errorf("the second conversion's company is %v, want %d", c2.CompanyID, *c.CompanyID)
	}
}
