package main

import (
	"fmt"
	"net/url"
	"testing"

	"github.com/leadd/leadd/configs"
	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/crm/crmtest"
	"github.com/leadd/leadd/web/api"
)

func (ta *testApp) convert(leadID int64, body map[string]any) crm.Converted {
	ta.t.Helper()
	var c crm.Converted
	if s := ta.api("POST", fmt.Sprint("/api/v1/leads/", leadID, "/convert"), body, &c); s != 200 {
		ta.t.Fatalf("convert lead %d: %d", leadID, s)
	}
	return c
}

func (ta *testApp) deal(id int64) crm.Deal {
	ta.t.Helper()
	var d crm.Deal
	if s := ta.api("GET", fmt.Sprint("/api/v1/deals/", id), nil, &d); s != 200 {
		ta.t.Fatalf("get deal %d: %d", id, s)
	}
	return d
}

func TestALeadConvertsForAPersonAndForACompany(t *testing.T) {
	t.Parallel()
	ta := startApp(t, nil)
	person := ta.newLead("+7 917 100 00 01")
	c := ta.convert(person.ID, map[string]any{"pipeline": "sales"})
	d := ta.deal(c.DealID)
	if d.ContactID == nil || *d.ContactID != c.ContactID || c.CompanyID != nil || d.Pipeline != "sales" || d.Stage != "new" ||
		d.Status != "open" || *d.ManagerID != *person.ManagerID || *d.LeadID != person.ID {
		t.Errorf("person's deal %+v from %+v", d, c)
	}
	l := ta.lead(person.ID)
	if l.Status != "converted" || *l.ContactID != c.ContactID {
		t.Errorf("lead after conversion: %s, contact %v", l.Status, l.ContactID)
	}
	var contact crm.Contact
	ta.api("GET", fmt.Sprint("/api/v1/contacts/", c.ContactID), nil, &contact)
	if fmt.Sprint(contact.Phones) != "[+79171000001]" || *contact.ManagerID != *person.ManagerID {
		t.Errorf("contact %+v", contact)
	}
	// The lead's touches moved with it to the deal; its call-back, whose
	// work qualifying the lead has done, is closed there, not left to
	// show as overdue.
	if n := ta.db.Count(t, `SELECT count(*) FROM touches WHERE deal_id = $1`, c.DealID); n != 1 {
		t.Errorf("%d touches on the deal", n)
	}
	if n := ta.db.Count(t, `SELECT count(*) FROM activities WHERE deal_id = $1 AND done_at IS NULL`, c.DealID); n != 0 {
		t.Errorf("%d open activities on the deal, want the call-back closed", n)
	}
	if n := ta.db.Count(t, `SELECT count(*) FROM activities WHERE deal_id = $1 AND outcome = 'done: lead converted'`, c.DealID); n != 1 {
		t.Errorf("%d call-backs closed by the conversion, want 1", n)
	}

	company := map[string]any{"pipeline": "sales", "company": map[string]any{"name": "ООО Станкосервис", "inn": "7707083893"}}
	first := ta.convert(ta.newLead("+7 917 100 00 02").ID, company)
	again := ta.convert(ta.newLead("+7 917 100 00 03").ID, map[string]any{"company": map[string]any{"name": "Станкосервис", "inn": "7707083893"}})
	if first.CompanyID == nil || again.CompanyID == nil || *first.CompanyID != *again.CompanyID {
		t.Errorf("the same INN made two companies: %v and %v", first.CompanyID, again.CompanyID)
	}
	if first.ContactID == again.ContactID {
		t.Errorf("two people share one contact")
	}
	byName := ta.convert(ta.newLead("+7 917 100 00 04").ID, map[string]any{"company": map[string]any{"name": "ооо станкосервис"}})
	if *byName.CompanyID != *first.CompanyID {
		t.Errorf("the same name without an INN made another company")
	}
	if d := ta.deal(again.DealID); d.Title != "Станкосервис" || *d.CompanyID != *first.CompanyID {
		t.Errorf("company deal %+v", d)
	}

	var e struct{ Error struct{ Code, Field string } }
	if s := ta.api("POST", fmt.Sprint("/api/v1/leads/", person.ID, "/convert"), map[string]any{}, &e); s != 409 {
		t.Errorf("converting twice: %d", s)
	}
	other := ta.newLead("+7 917 100 00 05")
	if s := ta.api("POST", fmt.Sprint("/api/v1/leads/", other.ID, "/convert"), map[string]any{"company": map[string]any{"name": "X", "inn": "12"}}, &e); s != 422 || e.Error.Field != "company.inn" {
		t.Errorf("a bad INN: %d %+v", s, e)
	}
	if s := ta.api("POST", fmt.Sprint("/api/v1/leads/", other.ID, "/convert"), map[string]any{"pipeline": "nope"}, &e); s != 422 || e.Error.Field != "pipeline" {
		t.Errorf("an unknown pipeline: %d %+v", s, e)
	}
	if got := ta.lead(other.ID); got.Status != "new" {
		t.Errorf("a refused conversion changed the lead: %s", got.Status)
	}
}

func TestATouchFromAPersonWithAnOpenDealJoinsTheDealAndAfterItIsWonANewLeadOpens(t *testing.T) {
	t.Parallel()
	ta := startApp(t, nil)
	l := ta.newLead("+7 917 200 00 01")
	c := ta.convert(l.ID, map[string]any{})
	ta.postForm("contact", url.Values{"phone": {"8 917 200-00-01"}, "comment": {"когда счёт?"}})
	ta.waitProcessed()
	open := 0
	for _, x := range ta.leadsByPhone("+79172000001") {
		if x.Open() {
			open++
		}
	}
	if open != 0 {
		t.Fatalf("a touch from a person with an open deal opened a lead")
	}
	if n := ta.db.Count(t, `SELECT count(*) FROM touches WHERE deal_id = $1 AND text = 'когда счёт?'`, c.DealID); n != 1 {
		t.Errorf("the touch is not on the deal")
	}
	if n := ta.db.Count(t, `SELECT count(*) FROM activities WHERE deal_id = $1 AND manager_id = $2 AND done_at IS NULL AND type = 'call'`,
		c.DealID, *l.ManagerID); n != 1 {
		t.Errorf("the deal's manager has %d calls to make, want the one (a request on a deal with a call planned adds none)", n)
	}
	// A missed call on the open deal: a call-back on the deal.
	ta.call(map[string]any{"call_id": "d1", "direction": "in", "from": "+79172000001", "to": "+74951000000", "state": "ended", "disposition": "busy"})
	ta.waitProcessed()
	if n := ta.db.Count(t, `SELECT count(*) FROM activities WHERE deal_id = $1 AND done_at IS NULL AND due_at <= now()`, c.DealID); n != 1 {
		t.Errorf("a missed call on a deal: %d call-backs due now", n)
	}

	var d crm.Deal
	if s := ta.api("POST", fmt.Sprint("/api/v1/deals/", c.DealID, "/stage"), map[string]string{"stage": "won"}, &d); s != 200 || d.Status != "won" || d.ClosedAt == nil {
		t.Fatalf("win: %d %+v", s, d)
	}
	ta.postForm("contact", url.Values{"phone": {"+7 917 200 00 01"}, "comment": {"хотим ещё один станок"}})
	ta.waitProcessed()
	var fresh *crm.Lead
	for _, x := range ta.leadsByPhone("+79172000001") {
		if x.Open() {
			fresh = &x
		}
	}
	if fresh == nil || fresh.ContactID == nil || *fresh.ContactID != c.ContactID || *fresh.ManagerID != *l.ManagerID {
		t.Fatalf("after the win: %+v; want a new lead of the contact with the same manager", fresh)
	}
	if a := ta.lead(fresh.ID).Assignment; a.Strategy != "owner_first" {
		t.Errorf("the returning customer was routed by %s", a.Strategy)
	}
}

func TestADealKeepsItsStageHistory(t *testing.T) {
	t.Parallel()
	ta := startApp(t, nil)
	var d crm.Deal
	if s := ta.api("POST", "/api/v1/deals", map[string]any{"title": "Токарный станок", "amount": "1250000.50", "currency": "RUB",
		"expected_close": "2027-03-01"}, &d); s != 201 {
		t.Fatalf("create: %d", s)
	}
	if d.Amount != "1250000.50" || d.Stage != "new" || *d.ExpectedClose != "2027-03-01" {
		t.Errorf("created %+v", d)
	}
	move := func(stage, reason string) int {
		return ta.api("POST", fmt.Sprint("/api/v1/deals/", d.ID, "/stage"), map[string]string{"stage": stage, "loss_reason": reason}, &d)
	}
	for _, st := range []string{"needs", "proposal", "invoice", "proposal", "invoice", "payment"} {
		if s := move(st, ""); s != 200 {
			t.Fatalf("move to %s: %d", st, s)
		}
	}
	if s := move("lost", ""); s != 422 {
		t.Errorf("lost without a reason: %d", s)
	}
	if s := move("lost", "because"); s != 422 {
		t.Errorf("lost with an unknown reason: %d", s)
	}
	if s := move("lost", "price"); s != 200 || d.Status != "lost" || *d.LossReason != "price" {
		t.Errorf("lost: %+v", d)
	}
	if s := move("payment", ""); s != 200 || d.Status != "open" || d.ClosedAt != nil {
		t.Errorf("reopened: %+v", d)
	}
	if s := move("shipping", ""); s != 422 {
		t.Errorf("a stage of another pipeline: %d", s)
	}
	var h struct{ Items []crm.StageMove }
	ta.api("GET", fmt.Sprint("/api/v1/deals/", d.ID, "/history"), nil, &h)
	var path []string
	for _, m := range h.Items {
		path = append(path, m.To)
		if m.At.IsZero() {
			t.Errorf("a move without a time")
		}
	}
	if fmt.Sprint(path) != "[new needs proposal invoice proposal invoice payment lost payment]" {
		t.Errorf("history %v", path)
	}
	if h.Items[1].From == nil || *h.Items[1].From != "new" || h.Items[0].From != nil {
		t.Errorf("history from: %+v", h.Items[:2])
	}
	if s := ta.api("PATCH", fmt.Sprint("/api/v1/deals/", d.ID), map[string]any{"amount": "12.345"}, nil); s != 422 {
		t.Errorf("an amount with three decimals: %d", s)
	}
	var pipes struct{ Items []crm.Pipeline }
	ta.api("GET", "/api/v1/pipelines", nil, &pipes)
	if len(pipes.Items) != 2 || pipes.Items[0].Key != "sales" || !pipes.Items[0].Default || len(pipes.Items[0].Stages) != 7 {
		t.Errorf("pipelines %+v", pipes.Items)
	}
}

func TestAManagerSeesOnlyTheirOwnDealsAndASupervisorSeesAll(t *testing.T) {
	t.Parallel()
	anna, boris := int64(1), int64(2)
	ta := startApp(t, func(c *configs.Config) {
		c.API.Tokens = append(c.API.Tokens,
			api.Token{Name: "anna", Token: "anna-token-123", Role: api.RoleManager, ManagerID: &anna},
			api.Token{Name: "boss", Token: "boss-token-123", Role: api.RoleSupervisor},
			api.Token{Name: "site", Token: "site-token-123", Role: api.RoleIntegration})
	})
	var annas, boriss crm.Deal
	ta.api("POST", "/api/v1/deals", map[string]any{"title": "Анны", "manager_id": anna}, &annas)
	ta.api("POST", "/api/v1/deals", map[string]any{"title": "Бориса", "manager_id": boris}, &boriss)
	as := func(token, method, path string) int {
		return ta.do(method, path, "application/json", nil, "Authorization: Bearer "+token).Status
	}
	if s := as("anna-token-123", "GET", fmt.Sprint("/api/v1/deals/", annas.ID)); s != 200 {
		t.Errorf("a manager reading her deal: %d", s)
	}
	if s := as("anna-token-123", "GET", fmt.Sprint("/api/v1/deals/", boriss.ID)); s != 403 {
		t.Errorf("a manager reading another's deal: %d, want 403", s)
	}
	if s := as("boss-token-123", "GET", fmt.Sprint("/api/v1/deals/", boriss.ID)); s != 200 {
		t.Errorf("a supervisor reading any deal: %d", s)
	}
	if s := as("site-token-123", "GET", "/api/v1/deals"); s != 200 {
		t.Errorf("an integration reading: %d", s)
	}
	if s := ta.do("POST", "/api/v1/deals", "application/json", nil, "Authorization: Bearer site-token-123").Status; s != 403 {
		t.Errorf("an integration writing: %d", s)
	}
	res := ta.do("GET", "/api/v1/deals", "", nil, "Authorization: Bearer anna-token-123")
	var list struct{ Items []crm.Deal }
	jsonInto(t, res.Body, &list)
	if len(list.Items) != 1 || list.Items[0].ID != annas.ID {
		t.Errorf("a manager's deal list: %+v", list.Items)
	}
}

func TestLeadsAreWorkedByHand(t *testing.T) {
	t.Parallel()
	ta := startApp(t, nil)
	var l crm.Lead
	if s := ta.api("POST", "/api/v1/leads", map[string]any{"name": "Пётр", "phone": "8 (917) 300-00-01", "comment": "с выставки", "source": "expo"}, &l); s != 201 {
		t.Fatalf("create: %d", s)
	}
	if l.Channel != "manual" || l.Source != "expo" || l.ManagerID == nil || len(l.Activities) != 1 {
		t.Errorf("manual lead %+v", l)
	}
	if s := ta.api("POST", "/api/v1/leads", map[string]any{"phone": "+79173000001", "comment": "звонил снова"}, &l); s != 200 || len(l.Touches) != 2 {
		t.Errorf("the same person again: %d with %d touches; want their lead, 200", s, len(l.Touches))
	}
	if s := ta.api("PATCH", fmt.Sprint("/api/v1/leads/", l.ID), map[string]any{"name": "Пётр Иванович", "fields": map[string]string{"city": "Тула"}}, &l); s != 200 ||
		l.Name != "Пётр Иванович" || l.Fields["city"] != "Тула" {
		t.Errorf("edit: %d %+v", s, l)
	}
	var note crm.Touch
	if s := ta.api("POST", fmt.Sprint("/api/v1/leads/", l.ID, "/notes"), map[string]string{"text": "перезвонить после 15:00"}, &note); s != 201 || note.Kind != "note" {
		t.Errorf("note: %d %+v", s, note)
	}
	if s := ta.api("POST", fmt.Sprint("/api/v1/leads/", l.ID, "/notes"), map[string]string{"text": " "}, nil); s != 422 {
		t.Errorf("an empty note: %d", s)
	}
	if s := ta.api("POST", "/api/v1/leads", map[string]any{"name": "Без телефона"}, nil); s != 422 {
		t.Errorf("a lead nobody can reach: %d", s)
	}
}

func TestContactsAndCompaniesAreKeptWithoutDuplicates(t *testing.T) {
	t.Parallel()
	ta := startApp(t, nil)
	var c crm.Contact
	if s := ta.api("POST", "/api/v1/contacts", map[string]any{"name": "Ольга", "phones": []string{"8 916 400-00-01"}, "emails": []string{"Olga@Example.ru"}}, &c); s != 201 ||
		fmt.Sprint(c.Phones) != "[+79164000001]" || fmt.Sprint(c.Emails) != "[olga@example.ru]" {
		t.Fatalf("create: %d %+v", s, c)
	}
	var e struct{ Error struct{ Code, Field string } }
	if s := ta.api("POST", "/api/v1/contacts", map[string]any{"name": "Тоже Ольга", "phones": []string{"+79164000001"}}, &e); s != 409 || e.Error.Field != "phones" {
		t.Errorf("a phone that is someone's already: %d %+v", s, e)
	}
	if s := ta.api("POST", "/api/v1/contacts", map[string]any{"name": "X", "phones": []string{"123"}}, &e); s != 422 {
		t.Errorf("a phone that is not one: %d", s)
	}
	var list struct{ Items []crm.Contact }
	ta.api("GET", "/api/v1/contacts?phone=89164000001", nil, &list)
	if len(list.Items) != 1 || list.Items[0].ID != c.ID {
		t.Errorf("find by phone: %+v", list.Items)
	}
	var co crm.Company
	if s := ta.api("POST", "/api/v1/companies", map[string]any{"name": "ООО Ромашка", "inn": "7707083893"}, &co); s != 201 {
		t.Fatalf("company: %d", s)
	}
	if s := ta.api("POST", "/api/v1/companies", map[string]any{"name": "Ромашка-2", "inn": "7707083893"}, nil); s != 409 {
		t.Errorf("the same INN twice: %d", s)
	}
	if s := ta.api("PATCH", fmt.Sprint("/api/v1/contacts/", c.ID), map[string]any{"company_id": co.ID, "position": "главный инженер"}, &c); s != 200 ||
		*c.CompanyID != co.ID || c.Position != "главный инженер" {
		t.Errorf("patch: %d %+v", s, c)
	}
	// A known contact's form post opens a lead linked to them.
	ta.postForm("contact", url.Values{"phone": {"+7 916 400 00 01"}})
	ta.waitProcessed()
	if l := ta.leadsByPhone("+79164000001"); len(l) != 1 || l[0].ContactID == nil || *l[0].ContactID != c.ID {
		t.Errorf("lead of a known contact: %+v", l)
	}
}

// The demo starts with a catalogue to try lines and invoices on: made
// with the demo's managers on a new database, once — a restart, or a
// catalogue emptied by hand, does not bring it back.
func TestTheDemoSeedsItsCatalogueOnceOnANewDatabase(t *testing.T) {
	t.Parallel()
	db, rds := crmtest.MustOpenDB(t), crmtest.MustRedis(t)
	demo, err := configs.Load("../../configs/leadd.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(demo.Seed.Products) == 0 {
		t.Fatal("the demo configuration seeds no catalogue")
	}
	withDemoCatalogue := func(c *configs.Config) { c.Seed.Products = demo.Seed.Products }
	ta := startAppOn(t, db, rds, withDemoCatalogue)
	if n := ta.db.Count(t, `SELECT count(*) FROM products WHERE active`); n != len(demo.Seed.Products) {
		t.Fatalf("%d products after the first start, want the demo's %d", n, len(demo.Seed.Products))
	}
	ta.db.Exec(t, `UPDATE products SET active = false`)
	ta.stop()
	startAppOn(t, db, rds, withDemoCatalogue)
	if n := ta.db.Count(t, `SELECT count(*) FROM products`); n != len(demo.Seed.Products) {
		t.Errorf("%d products after a restart, want the same %d", n, len(demo.Seed.Products))
	}
	if n := ta.db.Count(t, `SELECT count(*) FROM products WHERE active`); n != 0 {
		t.Errorf("a restart brought back %d products", n)
	}
}
