package main

import (
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/leadd/leadd/configs"
)

// What a person types in the phone field, as people type it: the number
// is found in the text, an extension is kept with it, two numbers are
// both kept, and the words around them stay visible as typed.
func TestFormPhoneTypedAsPeopleTypeIt(t *testing.T) {
	t.Parallel()
	ta := startApp(t, nil)
	for _, tc := range []struct {
		typed        string
		phones, rawt []string
	}{
		{"8 912 345 67 89 Сергей", []string{"+79123456781"}, []string{"8 912 345 67 89 Сергей"}},
		{"звоните 8-912-345-67-82 после 18", []string{"+79123456782"}, []string{"звоните 8-912-345-67-82 после 18"}},
		{"+7 495 123-45-67 доб. 123", []string{"+74951234567;ext=123"}, nil},
		{"8 912 345 67 84 8 495 123 45 68", []string{"+79123456784", "+74951234568"}, nil},
	} {
		typed := tc.typed
		if strings.HasPrefix(typed, "8 912 345 67 89") {
			typed = strings.Replace(typed, "89 Сергей", "81 Сергей", 1) // one lead per case
			tc.rawt = []string{typed}
		}
		if res := ta.postForm("contact", url.Values{"name": {"Сергей"}, "phone": {typed}}); res.Status != 202 {
			t.Fatalf("%q answered %d %s", typed, res.Status, res.Body)
		}
		ta.waitProcessed()
		leads := ta.leadsByPhone(tc.phones[0])
		if len(leads) != 1 {
			t.Fatalf("%q: %d leads by %s", typed, len(leads), tc.phones[0])
		}
		if !slices.Equal(leads[0].Phones, tc.phones) || !slices.Equal(leads[0].RawPhones, tc.rawt) && !(len(tc.rawt) == 0 && len(leads[0].RawPhones) == 0) {
			t.Errorf("%q: phones %q, raw_phones %q; want %q, %q", typed, leads[0].Phones, leads[0].RawPhones, tc.phones, tc.rawt)
		}
	}
	// The extension does not stop the person being found by the number.
	if leads := ta.leadsByPhone("+7 495 123-45-67"); len(leads) != 1 {
		t.Errorf("by the number without its extension: %d leads", len(leads))
	}
}

// The honeypot and the consent checkbox say something about the post,
// not about the person: neither becomes one of the lead's fields, empty
// or filled.
func TestHoneypotAndConsentAreNotKeptAsFields(t *testing.T) {
	t.Parallel()
	ta := startApp(t, func(c *configs.Config) {
		f := c.Forms.Forms["contact"]
		f.Consent = "agree"
		c.Forms.Forms["contact"] = f
	})
	res := ta.postForm("contact", url.Values{"name": {"Ольга"}, "phone": {"+7 926 100 20 30"}, "website": {""}, "Agree": {"on"}, "city": {"Пермь"}})
	if res.Status != 202 {
		t.Fatalf("answered %d %s", res.Status, res.Body)
	}
	ta.waitProcessed()
	leads := ta.leadsByPhone("+79261002030")
	if len(leads) != 1 {
		t.Fatalf("%d leads", len(leads))
	}
	l := ta.lead(leads[0].ID)
	for _, k := range []string{"website", "Agree", "agree"} {
		if _, ok := l.Fields[k]; ok {
			t.Errorf("the lead keeps %q among its fields: %v", k, l.Fields)
		}
	}
	if l.Fields["city"] != "Пермь" {
		t.Errorf("fields = %v, want city kept", l.Fields)
	}
	if l.Consent == nil || l.Consent.Value != "on" {
		t.Errorf("consent = %+v, want it recorded as consent", l.Consent)
	}
}

// Tilda resends a submission with the same tranid: one event, one lead.
func TestTildaTranidMakesAResubmissionOneEvent(t *testing.T) {
	t.Parallel()
	ta := startApp(t, nil)
	post := url.Values{"Name": {"Ольга"}, "Phone": {"+7 (926) 100-20-31"}, "tranid": {"3456789:1234567890"}, "formid": {"form123456"}}
	first := ta.postForm("contact", post)
	again := ta.postForm("contact", post)
	if first.Status != 202 || again.Status != 202 {
		t.Fatalf("answered %d and %d", first.Status, again.Status)
	}
	if a, b := first.JSON(t)["event_id"], again.JSON(t)["event_id"]; a != b {
		t.Errorf("the resubmission is event %v, the first %v: want the same", b, a)
	}
	ta.waitProcessed()
	if n := ta.db.Count(t, `SELECT count(*) FROM inbox`); n != 1 {
		t.Errorf("%d events stored, want 1", n)
	}
}

// A program gets the code and the field it can act on; a person reading
// the message in Russian gets it in Russian.
func TestFormErrorsInRussianForWhoeverAsks(t *testing.T) {
	t.Parallel()
	ta := startApp(t, func(c *configs.Config) {
		f := c.Forms.Forms["contact"]
		f.Consent = "agree"
		c.Forms.Forms["contact"] = f
	})
	for _, tc := range []struct {
		name   string
		values url.Values
		field  string
		ru     string
	}{
		{"a bad phone", url.Values{"phone": {"12345"}, "agree": {"1"}}, "phone", "номер телефона"},
		{"a bad e-mail", url.Values{"email": {"ivan@"}, "agree": {"1"}}, "email", "адрес электронной почты"},
		{"nothing to reach them by", url.Values{"name": {"Иван"}, "agree": {"1"}}, "phone", "Укажите телефон"},
		{"no consent", url.Values{"phone": {"+7 926 100 20 32"}}, "agree", "согласие"},
	} {
		en := ta.postForm("contact", tc.values)
		ru := ta.postForm("contact", tc.values, "Accept-Language: ru-RU,ru;q=0.9,en;q=0.8")
		for _, res := range []response{en, ru} {
			if res.Status != 422 {
				t.Fatalf("%s: answered %d %s", tc.name, res.Status, res.Body)
			}
		}
		var e, r struct {
			Error struct{ Code, Field, Message string }
		}
		jsonInto(t, en.Body, &e)
		jsonInto(t, ru.Body, &r)
		if e.Error.Code != "invalid" || r.Error.Code != "invalid" || e.Error.Field != tc.field || r.Error.Field != tc.field {
			t.Errorf("%s: code/field %s/%s and %s/%s, want invalid/%s both", tc.name, e.Error.Code, e.Error.Field, r.Error.Code, r.Error.Field, tc.field)
		}
		if !strings.Contains(r.Error.Message, tc.ru) {
			t.Errorf("%s: the Russian message is %q, want it to mention %q", tc.name, r.Error.Message, tc.ru)
		}
		if strings.ContainsAny(e.Error.Message, "абвгдежзийклмнопрстуфхцчшщыэюя") && !strings.Contains(e.Error.Message, "\"") {
			t.Errorf("%s: the default message is %q, want English for programs", tc.name, e.Error.Message)
		}
		// A browser gets a page saying the same.
		page := ta.do("POST", "/hooks/forms/contact", "application/x-www-form-urlencoded", strings.NewReader(tc.values.Encode()),
			"Accept: text/html,application/xhtml+xml", "Referer: https://example.ru/kontakty")
		if page.Status != 422 || !strings.HasPrefix(page.Header.Get("Content-Type"), "text/html") {
			t.Fatalf("%s: the browser got %d %s", tc.name, page.Status, page.Header.Get("Content-Type"))
		}
		if !strings.Contains(string(page.Body), tc.ru) || !strings.Contains(string(page.Body), `href="https://example.ru/kontakty"`) {
			t.Errorf("%s: the page does not say %q with a link back: %s", tc.name, tc.ru, page.Body)
		}
	}
}

// A form may send refused visitors to its own page, which gets what went
// wrong and the way back in its query.
func TestFormErrorURLGetsTheReasonAndTheWayBack(t *testing.T) {
	t.Parallel()
	ta := startApp(t, func(c *configs.Config) {
		f := c.Forms.Forms["contact"]
		f.ErrorURL = "https://example.ru/oshibka"
		c.Forms.Forms["contact"] = f
	})
	res := ta.do("POST", "/hooks/forms/contact", "application/x-www-form-urlencoded", strings.NewReader("phone=12345"),
		"Accept: text/html", "Referer: https://example.ru/kontakty")
	if res.Status != 303 {
		t.Fatalf("answered %d, want 303 to the form's error page", res.Status)
	}
	u, err := url.Parse(res.Header.Get("Location"))
	if err != nil || u.Host != "example.ru" || u.Path != "/oshibka" {
		t.Fatalf("Location = %q", res.Header.Get("Location"))
	}
	q := u.Query()
	if q.Get("error") != "invalid" || q.Get("field") != "phone" || q.Get("back") != "https://example.ru/kontakty" || !strings.Contains(q.Get("message"), "номер телефона") {
		t.Errorf("the error page is told %v", q)
	}
}

// The embed script is small, cacheable and carries what it promises.
func TestEmbedScriptIsSmallAndCacheable(t *testing.T) {
	t.Parallel()
	ta := startApp(t, nil)
	res := ta.do("GET", "/hooks/forms/contact/embed.js", "", nil)
	if res.Status != 200 || !strings.Contains(res.Header.Get("Content-Type"), "javascript") {
		t.Fatalf("answered %d %s", res.Status, res.Header.Get("Content-Type"))
	}
	if len(res.Body) > 3072 {
		t.Errorf("the script is %d bytes, want at most 3 KB", len(res.Body))
	}
	if !strings.Contains(res.Header.Get("Cache-Control"), "max-age=") {
		t.Errorf("Cache-Control = %q, want it cacheable", res.Header.Get("Cache-Control"))
	}
	for _, want := range []string{"page_url", "referrer", "utm_", "sessionStorage"} {
		if !strings.Contains(string(res.Body), want) {
			t.Errorf("the script does not mention %s", want)
		}
	}
}
