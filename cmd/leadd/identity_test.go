package main

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/leadd/leadd/crm"
)

// TestAPhoneAManagerGivesALeadMakesThatIdentityMatch: PATCH adds phones
// and e-mails to a lead, and the person's next call lands on it; one that
// is another open lead's is a 409 naming it.
func TestAPhoneAManagerGivesALeadMakesThatIdentityMatch(t *testing.T) {
	t.Parallel()
	ta := startApp(t, nil)
	if res := ta.postForm("contact", map[string][]string{"name": {"Олег"}, "email": {"oleg.patch@zavod.example"}}); res.Status != 202 {
		t.Fatalf("post: %d", res.Status)
	}
	ta.waitProcessed()
	var page struct{ Items []crm.Lead }
	ta.api("GET", "/api/v1/leads?email=oleg.patch@zavod.example", nil, &page)
	if len(page.Items) != 1 {
		t.Fatalf("%d leads", len(page.Items))
	}
	l := page.Items[0]
	if s := ta.api("PATCH", fmt.Sprint("/api/v1/leads/", l.ID), map[string]any{"phones": []string{"8 917 600-00-77 доб. 12"},
		"emails": []string{"Oleg.Home@Example.RU"}}, &l); s != 200 {
		t.Fatalf("patch: %d", s)
	}
	if strings.Join(l.Phones, " ") != "+79176000077;ext=12" || strings.Join(l.Emails, " ") != "oleg.patch@zavod.example oleg.home@example.ru" {
		t.Fatalf("the lead learned %v %v", l.Phones, l.Emails)
	}
	// The person calls from the number the manager typed (no extension).
	if res := ta.postForm("contact", map[string][]string{"name": {"Олег"}, "phone": {"+7 917 600-00-77"}}); res.Status != 202 {
		t.Fatalf("post: %d", res.Status)
	}
	if res := ta.postForm("contact", map[string][]string{"email": {"oleg.home@example.ru"}}); res.Status != 202 {
		t.Fatalf("post: %d", res.Status)
	}
	ta.waitProcessed()
	if n := ta.db.Count(t, `SELECT count(*) FROM leads`); n != 1 {
		t.Fatalf("%d leads: the learned phone and e-mail did not match", n)
	}
	if got := len(ta.lead(l.ID).Touches); got != 3 {
		t.Errorf("the lead has %d touches, want 3", got)
	}
	// Another person's open lead keeps its number.
	if res := ta.postForm("contact", map[string][]string{"name": {"Анна"}, "phone": {"+7 917 600-00-88"}}); res.Status != 202 {
		t.Fatalf("post: %d", res.Status)
	}
	ta.waitProcessed()
	res := ta.do("PATCH", fmt.Sprint("/api/v1/leads/", l.ID), "application/json", strings.NewReader(`{"phones": ["+79176000088"]}`),
		"Authorization: Bearer "+adminToken)
	if res.Status != 409 || errField(t, res.Body) != "phones" {
		t.Fatalf("another lead's phone: %d %s", res.Status, excerpt(res.Body))
	}
	if got := ta.lead(l.ID).Phones; slices.Contains(got, "+79176000088") {
		t.Errorf("a refused phone was kept: %v", got)
	}
	res = ta.do("PATCH", fmt.Sprint("/api/v1/leads/", l.ID), "application/json", strings.NewReader(`{"phones": ["позвонить"]}`),
		"Authorization: Bearer "+adminToken)
	if res.Status != 422 || errField(t, res.Body) != "phones" {
		t.Fatalf("a word for a phone: %d %s", res.Status, excerpt(res.Body))
	}
}

// TestACompanyIsCreatedOnceByINNAndByName: POST /companies answers 409
// naming the company that is, as a contact's taken phone does; a
// company file's spellings of one company make one.
func TestACompanyIsCreatedOnceByINNAndByName(t *testing.T) {
	t.Parallel()
	ta := startApp(t, nil)
	var co crm.Company
	if s := ta.api("POST", "/api/v1/companies", map[string]any{"name": `ООО "Ромашка"`}, &co); s != 201 {
		t.Fatalf("create: %d", s)
	}
	var e struct {
		Error struct {
			Field      string `json:"field"`
			ExistingID int64  `json:"existing_id"`
		} `json:"error"`
	}
	for _, name := range []string{"Ромашка ООО", "OOO Romashka", "ПАО «Ромашка»"} {
		if s := ta.api("POST", "/api/v1/companies", map[string]any{"name": name}, &e); s != 409 || e.Error.Field != "name" || e.Error.ExistingID != co.ID {
			t.Errorf("%q: %d %+v, want 409 naming company %d", name, s, e, co.ID)
		}
	}
	// With an INN the unnamed one gets it... by PATCH; a second company of
	// that name with another INN is another company.
	if s := ta.api("PATCH", fmt.Sprint("/api/v1/companies/", co.ID), map[string]any{"inn": "7707083893"}, &co); s != 200 {
		t.Fatalf("patch: %d", s)
	}
	if s := ta.api("POST", "/api/v1/companies", map[string]any{"name": "Ромашка (Казань)", "inn": "7707083893"}, &e); s != 409 || e.Error.Field != "inn" || e.Error.ExistingID != co.ID {
		t.Errorf("the same INN: %d %+v", s, e)
	}
	var other crm.Company
	if s := ta.api("POST", "/api/v1/companies", map[string]any{"name": "ООО Ромашка", "inn": "7736207543"}, &other); s != 201 {
		t.Errorf("the same name with another INN: %d", s)
	}
	// A contact's taken phone answers the same way.
	var c crm.Contact
	ta.api("POST", "/api/v1/contacts", map[string]any{"name": "Пётр", "phones": []string{"+7 916 700-00-01"}}, &c)
	if s := ta.api("POST", "/api/v1/contacts", map[string]any{"name": "Не Пётр", "phones": []string{"8 916 700 00 01"}}, &e); s != 409 || e.Error.ExistingID != c.ID {
		t.Errorf("a taken phone: %d %+v", s, e)
	}
	// Ten at once make one.
	var wg sync.WaitGroup
	codes := make([]int, 10)
	for i := range codes {
		wg.Go(func() {
			codes[i] = ta.api("POST", "/api/v1/companies", map[string]any{"name": "АО «Василёк»"}, nil)
		})
	}
	wg.Wait()
	created := 0
	for _, c := range codes {
		if c == 201 {
			created++
		} else if c != 409 {
			t.Errorf("a concurrent create answered %d", c)
		}
	}
	if created != 1 {
		t.Errorf("%d companies made of ten creates at once, want 1 (%v)", created, codes)
	}
}
