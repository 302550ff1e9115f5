package main

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/leadd/leadd/configs"
	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/ingest/forms"
)

type leadList struct {
	Items      []crm.Lead `json:"items"`
	NextCursor *string    `json:"next_cursor"`
}

// leadsByPhone lists leads through the API by a phone in any format.
func (ta *testApp) leadsByPhone(phone string) []crm.Lead {
	ta.t.Helper()
	var list leadList
	if s := ta.api("GET", "/api/v1/leads?phone="+url.QueryEscape(phone), nil, &list); s != 200 {
		ta.t.Fatalf("list leads: %d", s)
	}
	return list.Items
}

func (ta *testApp) lead(id int64) crm.Lead {
	ta.t.Helper()
	var l crm.Lead
	if s := ta.api("GET", fmt.Sprint("/api/v1/leads/", id), nil, &l); s != 200 {
		ta.t.Fatalf("get lead %d: %d", id, s)
	}
	return l
}

func TestFormPostBecomesAnAssignedLeadWithACallDueWithinTheSLA(t *testing.T) {
	t.Parallel()
	ta := startApp(t, nil)
	before := time.Now()
	res := ta.postForm("contact", url.Values{
		"name": {"  Иван   Петров "}, "phone": {"8 (912) 345-67-89"}, "email": {"Ivan@Example.RU"},
		"comment": {"Нужен станок ЧПУ"}, "utm_source": {"yandex"}, "utm_campaign": {"cnc"},
		"page_url": {"https://example.ru/cnc?utm_medium=cpc"}, "referrer": {"https://ya.ru/"}, "city": {"Пермь"},
	})
	if res.Status != 202 || res.JSON(t)["event_id"] == "" {
		t.Fatalf("post answered %d %s, want 202 with an event_id", res.Status, res.Body)
	}
	ta.waitProcessed()

	leads := ta.leadsByPhone("+7 912 345 67 89")
	if len(leads) != 1 {
		t.Fatalf("%d leads, want 1", len(leads))
	}
	l := ta.lead(leads[0].ID)
	if l.Status != "new" || l.Channel != "form" || l.Source != "contact" || l.Name != "Иван Петров" {
		t.Errorf("lead is %s/%s/%s named %q", l.Status, l.Channel, l.Source, l.Name)
	}
	if fmt.Sprint(l.Phones) != "[+79123456789]" || fmt.Sprint(l.Emails) != "[ivan@example.ru]" {
		t.Errorf("phones %v, emails %v", l.Phones, l.Emails)
	}
	if l.Comment != "Нужен станок ЧПУ" || l.Fields["city"] != "Пермь" {
		t.Errorf("comment %q, custom fields %v", l.Comment, l.Fields)
	}
	wantUTM := map[string]string{"utm_source": "yandex", "utm_campaign": "cnc", "utm_medium": "cpc"}
	if fmt.Sprint(l.UTM) != fmt.Sprint(wantUTM) || l.PageURL != "https://example.ru/cnc?utm_medium=cpc" || l.Referrer != "https://ya.ru/" {
		t.Errorf("utm %v, page %q, referrer %q", l.UTM, l.PageURL, l.Referrer)
	}
	if l.ManagerID == nil || l.Assignment == nil || l.Assignment.Rule == "" || l.Assignment.Strategy != "round_robin" ||
		len(l.Assignment.Candidates) != 2 {
		t.Fatalf("assignment: manager %v, %+v", l.ManagerID, l.Assignment)
	}
	if len(l.Touches) != 1 || l.Touches[0].Channel != "form" || l.Touches[0].Text != "Нужен станок ЧПУ" {
		t.Errorf("touches: %+v", l.Touches)
	}
	if len(l.Activities) != 1 {
		t.Fatalf("activities: %+v", l.Activities)
	}
	call := l.Activities[0]
	due := call.DueAt.Sub(before)
	if call.Type != "call" || call.DoneAt != nil || call.ManagerID != *l.ManagerID || due < 5*time.Minute || due > 6*time.Minute {
		t.Errorf("call activity %+v: due %v after the post, want about 5m", call, due)
	}

	var c crm.Counters
	ta.api("GET", fmt.Sprint("/api/v1/counters?manager_id=", *l.ManagerID), nil, &c)
	if c.Today+c.Overdue != 1 {
		t.Errorf("counters %+v, want the call counted", c)
	}
	if n := ta.db.Count(t, `SELECT count(*) FROM outbox WHERE kind = 'lead.assigned'`); n != 1 {
		t.Errorf("%d assignment notices in the outbox, want 1", n)
	}
}

func TestRetriedPostWithTheSameIdempotencyKeyIsOneEvent(t *testing.T) {
	t.Parallel()
	ta := startApp(t, nil)
	post := func(phone string) response {
		return ta.postForm("contact", url.Values{"phone": {phone}}, "Idempotency-Key: tilda-42")
	}
	first, again := post("+7 916 123 45 67"), post("+7 916 123 45 67")
	if first.Status != 202 || again.Status != 202 || first.JSON(t)["event_id"] != again.JSON(t)["event_id"] {
		t.Fatalf("first %d %s, retry %d %s: want the same 202 and event_id", first.Status, first.Body, again.Status, again.Body)
	}
	if other := post("+7 916 000 00 00"); other.Status != 409 || other.JSON(t)["error"].(map[string]any)["code"] != "conflict" {
		t.Errorf("the key reused for another post answered %d %s, want 409 conflict", other.Status, other.Body)
	}
	ta.waitProcessed()
	if n := ta.db.Count(t, `SELECT count(*) FROM inbox`); n != 1 {
		t.Errorf("%d events, want 1", n)
	}
	if n := ta.db.Count(t, `SELECT count(*) FROM touches`); n != 1 {
		t.Errorf("%d touches, want 1", n)
	}
}

func TestTheSamePersonWrittenAnotherWayAttachesToTheOpenLead(t *testing.T) {
	t.Parallel()
	ta := startApp(t, nil)
	ta.postForm("contact", url.Values{"name": {"Иван"}, "phone": {"8 (912) 345-67-89"}})
	ta.waitProcessed()
	ta.postForm("contact", url.Values{"phone": {"+7 912 345 67 89"}, "email": {"ivan@example.ru"}, "comment": {"second"}})
	ta.waitProcessed()
	ta.postForm("contact", url.Values{"email": {"IVAN@example.ru"}, "comment": {"third, by e-mail only"}})
	ta.waitProcessed()

	leads := ta.leadsByPhone("89123456789")
	if len(leads) != 1 {
		t.Fatalf("%d leads for one person, want 1", len(leads))
	}
	l := ta.lead(leads[0].ID)
	if len(l.Touches) != 3 || len(l.Activities) != 1 {
		t.Errorf("%d touches and %d activities, want 3 and 1", len(l.Touches), len(l.Activities))
	}
	if fmt.Sprint(l.Emails) != "[ivan@example.ru]" {
		t.Errorf("the lead did not learn the e-mail: %v", l.Emails)
	}
}

func TestAPersonWhoseLeadIsClosedGetsANewOne(t *testing.T) {
	t.Parallel()
	ta := startApp(t, nil)
	ta.postForm("contact", url.Values{"phone": {"+7 916 555 44 33"}})
	ta.waitProcessed()
	first := ta.leadsByPhone("+79165554433")[0]
	var junked crm.Lead
	if s := ta.api("POST", fmt.Sprint("/api/v1/leads/", first.ID, "/status"), map[string]string{"status": "junk", "junk_reason": "test"}, &junked); s != 200 {
		t.Fatalf("junk: %d", s)
	}
	if junked.Status != "junk" || *junked.JunkReason != "test" || junked.Activities[0].DoneAt == nil {
		t.Errorf("junked lead: %s %v, its call open: %v", junked.Status, junked.JunkReason, junked.Activities[0].DoneAt == nil)
	}
	ta.postForm("contact", url.Values{"phone": {"+7 916 555 44 33"}})
	ta.waitProcessed()
	if n := len(ta.leadsByPhone("+79165554433")); n != 2 {
		t.Errorf("%d leads, want the junk one and a new one", n)
	}
}

func TestLeadStatusChanges(t *testing.T) {
	t.Parallel()
	ta := startApp(t, nil)
	ta.postForm("contact", url.Values{"phone": {"+7 916 222 33 44"}})
	ta.waitProcessed()
	id := ta.leadsByPhone("+79162223344")[0].ID
	path := fmt.Sprint("/api/v1/leads/", id, "/status")
	var out map[string]any
	for _, tc := range []struct {
		body   map[string]string
		status int
		code   string
	}{
		{map[string]string{"status": "in_progress"}, 200, ""},
		{map[string]string{"status": "in_progress"}, 200, ""}, // taking twice is harmless
		{map[string]string{"status": "junk"}, 422, "invalid"},
		{map[string]string{"status": "junk", "junk_reason": "bored"}, 422, "invalid"},
		{map[string]string{"status": "converted"}, 422, "invalid"},
		{map[string]string{"status": "new"}, 422, "invalid"},
		{map[string]string{"status": "junk", "junk_reason": "job_seeker"}, 200, ""},
		{map[string]string{"status": "in_progress"}, 409, "conflict"},
	} {
		out = nil
		s := ta.api("POST", path, tc.body, &out)
		code := ""
		if e, ok := out["error"].(map[string]any); ok {
			code = e["code"].(string)
		}
		if s != tc.status || code != tc.code {
			t.Errorf("%v: %d %q, want %d %q", tc.body, s, code, tc.status, tc.code)
		}
	}
	if s := ta.api("POST", "/api/v1/leads/999999/status", map[string]string{"status": "in_progress"}, nil); s != 404 {
		t.Errorf("unknown lead: %d, want 404", s)
	}
}

func TestBadInputGetsAClearErrorAndChangesNothing(t *testing.T) {
	t.Parallel()
	ta := startApp(t, func(c *configs.Config) {
		f := c.Forms.Forms["contact"]
		f.Consent = "agree"
		c.Forms.Forms["contact"] = f
	})
	big := strings.Repeat("x", 70_000)
	for _, tc := range []struct {
		name        string
		form        string
		contentType string
		body        string
		status      int
		code, field string
	}{
		{"unknown form", "no-such-form", "application/x-www-form-urlencoded", "phone=89123456789&agree=on", 404, "not_found", ""},
		{"no way to reach the person", "contact", "application/x-www-form-urlencoded", "name=Иван&agree=on", 422, "invalid", "phone"},
		{"a phone that is not a number", "contact", "application/x-www-form-urlencoded", "phone=12345&agree=on", 422, "invalid", "phone"},
		{"an e-mail that is not an address", "contact", "application/x-www-form-urlencoded", "email=ivan.example.ru&agree=on", 422, "invalid", "email"},
		{"no consent", "contact", "application/x-www-form-urlencoded", "phone=89123456789", 422, "invalid", "agree"},
		{"consent refused", "contact", "application/x-www-form-urlencoded", "phone=89123456789&agree=false", 422, "invalid", "agree"},
		{"a body over the limit", "contact", "application/x-www-form-urlencoded", "phone=89123456789&agree=on&comment=" + big, 413, "too_large", ""},
		{"broken JSON", "contact", "application/json", `{"phone": "89123456789"`, 400, "malformed", ""},
		{"not a form", "contact", "text/plain", "phone=89123456789", 415, "unsupported", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := ta.do("POST", "/hooks/forms/"+tc.form, tc.contentType, strings.NewReader(tc.body), "Accept: application/json")
			if res.Status != tc.status {
				t.Fatalf("answered %d %s, want %d", res.Status, res.Body, tc.status)
			}
			e, _ := res.JSON(t)["error"].(map[string]any)
			if e == nil || e["code"] != tc.code || (tc.field != "" && e["field"] != tc.field) || e["message"] == "" {
				t.Errorf("error body %s, want code %q field %q", res.Body, tc.code, tc.field)
			}
		})
	}
	if n := ta.db.Count(t, `SELECT count(*) FROM inbox`); n != 0 {
		t.Errorf("bad posts wrote %d events", n)
	}
	if res := ta.do("GET", "/api/v1/leads", "", nil); res.Status != 401 || res.JSON(t)["error"].(map[string]any)["code"] != "unauthorized" {
		t.Errorf("API without a token: %d %s", res.Status, res.Body)
	}
	if res := ta.do("GET", "/api/v1/leads", "", nil, "Authorization: Bearer wrong-token-123"); res.Status != 401 {
		t.Errorf("API with a wrong token: %d", res.Status)
	}
	if res := ta.do("GET", "/api/v1/leads?phone=12", "", nil, "Authorization: Bearer "+adminToken); res.Status != 422 {
		t.Errorf("a lead list by a non-number: %d", res.Status)
	}
}

func TestFormsSpeakUrlencodedMultipartAndJSON(t *testing.T) {
	t.Parallel()
	ta := startApp(t, nil)
	var mp bytes.Buffer
	w := multipart.NewWriter(&mp)
	_ = w.WriteField("Name", "Ольга")
	_ = w.WriteField("Phone", "+7 903 111 22 01")
	_ = w.Close()
	for _, tc := range []struct{ name, contentType, body, phone string }{
		{"Tilda-style capitalised fields", "application/x-www-form-urlencoded", "Name=Ольга&Phone=%2B7+903+111+22+00", "+79031112200"},
		{"multipart", w.FormDataContentType(), mp.String(), "+79031112201"},
		{"JSON", "application/json", `{"name": "Ольга", "phone": "+7 903 111 22 02", "consent": true, "qty": 2}`, "+79031112202"},
	} {
		res := ta.do("POST", "/hooks/forms/contact", tc.contentType, strings.NewReader(tc.body), "Accept: application/json")
		if res.Status != 202 {
			t.Errorf("%s: %d %s", tc.name, res.Status, res.Body)
		}
		ta.waitProcessed()
		leads := ta.leadsByPhone(tc.phone)
		if len(leads) != 1 || leads[0].Name != "Ольга" {
			t.Errorf("%s: leads %+v", tc.name, leads)
		}
	}
}

func TestTildaProbeIsAnsweredAndCreatesNothing(t *testing.T) {
	t.Parallel()
	ta := startApp(t, nil)
	res := ta.do("POST", "/hooks/forms/contact", "application/x-www-form-urlencoded", strings.NewReader("test=test"))
	if res.Status != 200 {
		t.Errorf("probe answered %d", res.Status)
	}
	if n := ta.db.Count(t, `SELECT count(*) FROM inbox`); n != 0 {
		t.Errorf("the probe stored %d events", n)
	}
}

func TestBrowserPostIsRedirectedToTheThankYouPage(t *testing.T) {
	t.Parallel()
	ta := startApp(t, func(c *configs.Config) {
		f := c.Forms.Forms["contact"]
		f.ThankYouURL = "https://example.ru/thanks"
		c.Forms.Forms["contact"] = f
	})
	body := strings.NewReader(url.Values{"phone": {"+7 926 111 22 33"}}.Encode())
	res := ta.do("POST", "/hooks/forms/contact", "application/x-www-form-urlencoded", body,
		"Accept: text/html,application/xhtml+xml,*/*;q=0.8", "Referer: https://example.ru/contacts?utm_source=vk")
	if res.Status != 303 || res.Header.Get("Location") != "https://example.ru/thanks" {
		t.Fatalf("browser post: %d to %q", res.Status, res.Header.Get("Location"))
	}
	ta.waitProcessed()
	leads := ta.leadsByPhone("+79261112233")
	if len(leads) != 1 || leads[0].PageURL != "https://example.ru/contacts?utm_source=vk" || leads[0].UTM["utm_source"] != "vk" {
		t.Errorf("lead %+v: want the page and its UTM from the Referer", leads)
	}
}

func TestHoneypotLooksLikeSuccessAndIsFiledAsSpam(t *testing.T) {
	t.Parallel()
	ta := startApp(t, nil)
	res := ta.postForm("contact", url.Values{"phone": {"+7 926 999 88 77"}, "website": {"http://spam.example"}})
	if res.Status != 202 {
		t.Fatalf("a bot's post answered %d, want it to look accepted", res.Status)
	}
	ta.waitProcessed()
	leads := ta.leadsByPhone("+79269998877")
	if len(leads) != 1 || leads[0].Status != "junk" || *leads[0].JunkReason != "spam" || leads[0].ManagerID != nil {
		t.Fatalf("spam lead: %+v", leads)
	}
	if n := ta.db.Count(t, `SELECT count(*) FROM activities`); n != 0 {
		t.Errorf("spam got %d activities", n)
	}
	// The spam does not hold the number: the real person gets a real lead.
	ta.postForm("contact", url.Values{"phone": {"+7 926 999 88 77"}})
	ta.waitProcessed()
	if n := ta.db.Count(t, `SELECT count(*) FROM leads WHERE status = 'new'`); n != 1 {
		t.Errorf("%d new leads after a real post, want 1", n)
	}
}

func TestConsentIsStoredWithItsTime(t *testing.T) {
	t.Parallel()
	ta := startApp(t, func(c *configs.Config) {
		f := c.Forms.Forms["contact"]
		f.Consent = "agree"
		c.Forms.Forms["contact"] = f
	})
	ta.postForm("contact", url.Values{"phone": {"+7 926 100 20 30"}, "AGREE": {"on"}})
	ta.waitProcessed()
	l := ta.leadsByPhone("+79261002030")[0]
	if l.Consent == nil || l.Consent.Value != "on" || l.Consent.At.IsZero() {
		t.Errorf("consent: %+v", l.Consent)
	}
}

func TestRateLimitPerAddressSparesTrustedNetworks(t *testing.T) {
	t.Parallel()
	limited := startApp(t, func(c *configs.Config) { c.Forms.Trusted = nil; c.Forms.RateLimit = 3 })
	statuses := []int{}
	for i := range 5 {
		statuses = append(statuses, limited.postForm("contact", url.Values{"phone": {fmt.Sprintf("+7 926 000 00 %02d", i+10)}}).Status)
	}
	if fmt.Sprint(statuses) != "[202 202 202 429 429]" {
		t.Errorf("statuses %v, want three accepted then 429", statuses)
	}
	limited.waitProcessed()
	if n := limited.db.Count(t, `SELECT count(*) FROM inbox`); n != 3 {
		t.Errorf("%d events stored, want 3", n)
	}

	trusted := startApp(t, func(c *configs.Config) { c.Forms.RateLimit = 3 })
	for i := range 5 {
		if s := trusted.postForm("contact", url.Values{"phone": {fmt.Sprintf("+7 926 000 01 %02d", i+10)}}).Status; s != 202 {
			t.Errorf("a trusted address was limited: %d", s)
		}
	}
}

func TestIntakeKeepsAcceptingWithoutRedis(t *testing.T) {
	t.Parallel()
	ta := startApp(t, func(c *configs.Config) {
		c.Redis.URL = "redis://127.0.0.1:1/0" // nothing listens there
		c.Forms.Trusted = nil
		c.Forms.RateLimit = 1
	})
	for i := range 3 {
		if res := ta.postForm("contact", url.Values{"phone": {fmt.Sprintf("+7 926 300 00 %02d", i+10)}}); res.Status != 202 {
			t.Fatalf("post %d without Redis: %d %s", i, res.Status, res.Body)
		}
	}
	ta.waitProcessed()
	if n := ta.db.Count(t, `SELECT count(*) FROM leads WHERE manager_id IS NOT NULL`); n != 3 {
		t.Errorf("%d assigned leads without Redis, want 3", n)
	}
	// This replica can accept: /readyz says 200, with Redis degraded, so a
	// load balancer does not drain every replica for it.
	var ready struct {
		Status string
		Checks map[string]string
	}
	if res := ta.do("GET", "/readyz", "", nil); res.Status != 200 {
		t.Errorf("readyz without Redis: %d %s", res.Status, res.Body)
	} else if jsonInto(t, res.Body, &ready); ready.Status != "Degraded" || ready.Checks["postgres"] != "ok" ||
		!strings.HasPrefix(ready.Checks["redis"], "degraded: ") {
		t.Errorf("readyz without Redis: %+v, want Degraded with postgres ok and redis degraded", ready)
	}
}

func TestRoundRobinSharesLeadsAndReturningCustomersGoToTheirManager(t *testing.T) {
	t.Parallel()
	ta := startApp(t, nil)
	for i := range 10 {
		ta.postForm("contact", url.Values{"phone": {fmt.Sprintf("+7 916 400 00 %02d", i+10)}})
	}
	ta.waitProcessed()
	per := map[int64]int{}
	var list leadList
	ta.api("GET", "/api/v1/leads?limit=100", nil, &list)
	for _, l := range list.Items {
		per[*l.ManagerID]++
	}
	if len(per) != 2 {
		t.Fatalf("leads per manager %v, want both managers", per)
	}
	for m, n := range per {
		if n != 5 {
			t.Errorf("manager %d got %d of 10", m, n)
		}
	}

	// A known customer of the second manager comes back.
	var managers struct{ Items []crm.Manager }
	ta.api("GET", "/api/v1/managers", nil, &managers)
	owner := managers.Items[1].ID
	ta.db.Exec(t, `WITH c AS (INSERT INTO contacts (name, manager_id, phones) VALUES ('Старый клиент', $1, '{+79165550000}') RETURNING id)
		INSERT INTO contact_identities SELECT 'tel:+79165550000', id FROM c`, owner)
	for range 3 {
		ta.postForm("contact", url.Values{"phone": {"8 916 555 00 00"}})
		ta.waitProcessed()
		l := ta.lead(ta.leadsByPhone("+79165550000")[0].ID)
		if *l.ManagerID != owner || l.ContactID == nil || l.Assignment.Strategy != "owner_first" {
			t.Fatalf("returning customer: manager %d (owner %d), contact %v, strategy %s", *l.ManagerID, owner, l.ContactID, l.Assignment.Strategy)
		}
		ta.api("POST", fmt.Sprint("/api/v1/leads/", l.ID, "/status"), map[string]string{"status": "junk", "junk_reason": "duplicate"}, nil)
	}
}

func TestListPagesNewestFirstWithACursor(t *testing.T) {
	t.Parallel()
	ta := startApp(t, nil)
	for i := range 5 {
		ta.postForm("contact", url.Values{"phone": {fmt.Sprintf("+7 916 500 00 %02d", i+10)}})
		ta.waitProcessed()
	}
	var p1, p2, p3 leadList
	ta.api("GET", "/api/v1/leads?limit=2", nil, &p1)
	ta.api("GET", "/api/v1/leads?limit=2&cursor="+*p1.NextCursor, nil, &p2)
	ta.api("GET", "/api/v1/leads?limit=2&cursor="+*p2.NextCursor, nil, &p3)
	ids := []int64{}
	for _, p := range []leadList{p1, p2, p3} {
		for _, l := range p.Items {
			ids = append(ids, l.ID)
		}
	}
	if fmt.Sprint(ids) != "[5 4 3 2 1]" || p3.NextCursor != nil {
		t.Errorf("pages gave %v, last cursor %v", ids, p3.NextCursor)
	}
	var byStatus leadList
	ta.api("GET", "/api/v1/leads?status=junk", nil, &byStatus)
	if len(byStatus.Items) != 0 {
		t.Errorf("status filter: %d junk leads", len(byStatus.Items))
	}
}

func TestManagersAreCreatedAndValidated(t *testing.T) {
	t.Parallel()
	ta := startApp(t, nil)
	var m crm.Manager
	if s := ta.api("POST", "/api/v1/managers", map[string]any{"name": "Вера", "time_zone": "Asia/Vladivostok"}, &m); s != 201 {
		t.Fatalf("create: %d", s)
	}
	if m.ID == 0 || m.Role != "manager" || !m.Active || m.TimeZone != "Asia/Vladivostok" {
		t.Errorf("created %+v", m)
	}
	var e struct{ Error struct{ Code, Field string } }
	if s := ta.api("POST", "/api/v1/managers", map[string]any{"name": "Икс", "time_zone": "Mars/Olympus"}, &e); s != 422 || e.Error.Field != "time_zone" {
		t.Errorf("a bad time zone: %d %+v", s, e)
	}
	if s := ta.api("POST", "/api/v1/managers", map[string]any{"nmae": "typo"}, &e); s != 400 {
		t.Errorf("an unknown field: %d", s)
	}
	var list struct{ Items []crm.Manager }
	ta.api("GET", "/api/v1/managers", nil, &list)
	if len(list.Items) != 3 {
		t.Errorf("%d managers, want the 2 demo ones and Вера", len(list.Items))
	}
}

func TestDemoConfigPassesCheckAndABrokenOneNamesTheKey(t *testing.T) {
	t.Parallel()
	cfg, err := configs.Load("../../configs/leadd.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if errs := cfg.Validate(); len(errs) > 0 {
		t.Fatalf("the demo config: %v", errs)
	}
	cfg.FollowUp.SLA = 0
	cfg.Forms.Forms["contact"] = forms.Form{ThankYouURL: "ftp://x", AllowedOrigins: []string{"example.ru"}}
	cfg.Seed.Managers = []crm.Manager{{Name: "X", TimeZone: "Nowhere/City"}}
	var msgs []string
	for _, e := range cfg.Validate() {
		msgs = append(msgs, e.Error())
	}
	got := strings.Join(msgs, "\n")
	for _, key := range []string{"followup.sla", "forms.forms.contact.thank_you_url", "forms.forms.contact.allowed_origins[0]", "seed.managers[0].time_zone"} {
		if !strings.Contains(got, key+":") {
			t.Errorf("no problem named %s in:\n%s", key, got)
		}
	}
}
