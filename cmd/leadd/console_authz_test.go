package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/leadd/leadd/configs"
	"github.com/leadd/leadd/crm"
	outmail "github.com/leadd/leadd/notify/mail"
	"github.com/leadd/leadd/notify/mail/smtptest"
)

// consoleState is the victim's records as victimState sees them, with what
// only the console writes besides: notes, stage moves, merges, the
// manager's away switch and sessions.
func (ta *testApp) consoleState(v *fixtures) string {
	ta.t.Helper()
	var s string
	err := ta.db.Pool.QueryRow(context.Background(), `SELECT md5(concat_ws('|',
		(SELECT json_agg(n ORDER BY id)::text FROM notes n WHERE lead_id = $1 OR deal_id = $2 OR contact_id = $3 OR company_id = $4),
		(SELECT json_agg(h ORDER BY id)::text FROM deal_stage_history h WHERE deal_id = $2),
		(SELECT count(*) FROM merges),
		(SELECT away::text FROM managers WHERE id = $5),
		(SELECT count(*) FROM console_sessions WHERE manager_id = $5)))`,
		v.lead, v.deal, v.contact, v.company, v.manager).Scan(&s)
	if err != nil {
		ta.t.Fatalf("console state: %v", err)
	}
	return ta.victimState(v) + s
}

// Every console page and form that names a record in its address, tried by
// a signed-in manager on another manager's record: a page in Russian saying
// whose it is not, nothing of the client on it, and nothing changed. The
// routes come from the console itself, so a page or form added later is
// tried the day it appears; a route whose record the test cannot name
// fails it.
func TestAManagerOpensNoOtherManagersRecordInTheConsole(t *testing.T) {
	t.Parallel()
	ta := startApp(t, withDocuments)
	victim := ta.makeFixtures(victimID, "Жертва", true)
	own := ta.makeFixtures(attackerID, "Своя", false)

	b := ta.browserClient()
	if res, _ := b.get(ta.loginLink(attackerID)); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("the sign-in link answered %d", res.StatusCode)
	}
	csrf := b.csrf()
	// Every form field any console form reads, set so that only the
	// record in the address can be what refuses the request.
	form := url.Values{"csrf": {csrf}, "activity": {fmt.Sprint(victim.task)}, "at": {"2030-01-10T10:00"},
		"text": {"заметка"}, "note": {"заметка"}, "manager_id": {fmt.Sprint(attackerID)}, "stage": {"won"},
		"pipeline": {"sales"}, "for": {"person"}, "title": {"Сделка"}, "name": {"Станок"}, "quantity": {"1"},
		"price": {"10"}, "vat": {victim.vat}, "type": {"invoice"}, "away": {"1"}, "reason": {"spam"},
		"kind": {"contact"}, "keep": {fmt.Sprint(own.contact)}, "other": {fmt.Sprint(victim.contact)}, "back": {"/"}}
	records := map[string]int64{"leads": victim.lead, "deals": victim.deal, "contacts": victim.contact,
		"companies": victim.company, "activities": victim.task, "documents": victim.doc, "team": victim.manager,
		"merges": 1, "touches": victim.touch}

	before := ta.consoleState(victim)
	tried := 0
	for _, route := range ta.console.Routes() {
		method, path, _ := strings.Cut(route, " ")
		if !strings.Contains(path, "{id}") {
			continue
		}
		id, ok := records[strings.Split(path, "/")[1]]
		if !ok {
			t.Errorf("%s: the test does not know which record {id} names here; teach it", route)
			continue
		}
		p := strings.NewReplacer("{id}", fmt.Sprint(id), "{line}", fmt.Sprint(victim.line)).Replace(path)
		t.Run(route, func(t *testing.T) {
			var res *http.Response
			var body string
			if method == "GET" {
				res, body = b.get(p)
			} else {
				res, body = b.post(p, form)
			}
			tried++
			if res.StatusCode != http.StatusForbidden || !strings.Contains(body, "Нет доступа") {
				t.Errorf("%s %s answered %d, want 403 and the page «Нет доступа»:\n%s", method, p, res.StatusCode, excerpt([]byte(body)))
			}
			for _, m := range victim.markers() {
				if strings.Contains(body, m) {
					t.Errorf("%s %s shows the victim's %q", method, p, m)
				}
			}
		})
	}
	if tried < 15 {
		t.Errorf("only %d routes with a record in the address were tried", tried)
	}

	// Records named in a form's fields rather than its address.
	for _, tc := range []struct {
		name, path string
		form       url.Values
		status     int
		says       string
	}{
		{"a conversion for the victim's company by its INN", fmt.Sprint("/leads/", own.lead, "/convert"),
			url.Values{"csrf": {csrf}, "for": {"company"}, "company": {"ООО Проверка"}, "inn": {victim.companyINN}, "pipeline": {"sales"}},
			http.StatusConflict, "Этого клиента уже ведёт"},
		{"a merge of the victim's contact into one's own", "/clients/merge",
			url.Values{"csrf": {csrf}, "kind": {"contact"}, "keep": {fmt.Sprint(own.contact)}, "other": {fmt.Sprint(victim.contact)}},
			http.StatusForbidden, "Нет доступа"},
		{"handing one's own lead to the victim", fmt.Sprint("/leads/", own.lead, "/assign"),
			url.Values{"csrf": {csrf}, "manager_id": {fmt.Sprint(victimID)}},
			http.StatusForbidden, "Нет доступа"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, body := b.post(tc.path, tc.form)
			if res.StatusCode != tc.status || !strings.Contains(body, tc.says) {
				t.Errorf("answered %d, want %d saying %q:\n%s", res.StatusCode, tc.status, tc.says, excerpt([]byte(body)))
			}
			for _, m := range victim.markers() {
				if strings.Contains(body, m) {
					t.Errorf("the answer shows the victim's %q", m)
				}
			}
		})
	}

	if after := ta.consoleState(victim); after != before {
		t.Errorf("the victim's records changed")
	}
}

// From the deal card a manager e-mails the deal's documents to the client
// in one letter and makes a payment link to copy, as the API would.
func TestConsoleDealCardSendsDocumentsAndMakesAPaymentLink(t *testing.T) {
	t.Parallel()
	sink := smtptest.New(t)
	ta := startApp(t, func(c *configs.Config) {
		withDocuments(c)
		c.SMTP = outmail.SMTPConfig{Host: sink.Host, Port: sink.Port, From: `"ООО «Ромашка»" <docs@romashka.test>`}
		c.Robokassa.MerchantLogin, c.Robokassa.Password1, c.Robokassa.Password2, c.Robokassa.Hash = "leadd-demo", "password-one-test", "password-two-test", "sha256"
	})
	d := ta.dealToSend("anna@example.ru")
	invoice, quote := ta.makeDocument(d.ID, "invoice"), ta.makeDocument(d.ID, "quote")

	b := ta.browserClient()
	b.get(ta.loginLink(1))
	csrf := b.csrf()
	if res, body := b.get(fmt.Sprint("/deals/", d.ID)); res.StatusCode != 200 || !strings.Contains(body, "Отправить клиенту по e-mail") || !strings.Contains(body, "Ссылка на оплату") {
		t.Fatalf("the deal card (%d) offers no sending or payment link", res.StatusCode)
	}
	res, _ := b.post(fmt.Sprint("/deals/", d.ID, "/send"), url.Values{"csrf": {csrf}, "document": {fmt.Sprint(invoice.ID), fmt.Sprint(quote.ID)}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("send answered %d", res.StatusCode)
	}
	if _, body := b.get(fmt.Sprint("/deals/", d.ID)); !strings.Contains(body, "Письмо поставлено в отправку на anna@example.ru") {
		t.Errorf("the card does not say the letter is queued:\n%s", excerpt([]byte(body)))
	}
	var send crm.DocumentSend
	if err := ta.db.Pool.QueryRow(t.Context(), `SELECT id FROM document_sends WHERE deal_id = $1`, d.ID).Scan(&send.ID); err != nil {
		t.Fatalf("no send queued: %v", err)
	}
	if s := ta.waitSent(send.ID); s.State != crm.SendSent || len(s.DocumentIDs) != 2 {
		t.Errorf("the send: %+v, want both documents in one sent letter", s)
	}

	res, _ = b.post(fmt.Sprint("/deals/", d.ID, "/payment-link"), url.Values{"csrf": {csrf}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("payment link answered %d", res.StatusCode)
	}
	if _, body := b.get(fmt.Sprint("/deals/", d.ID)); !strings.Contains(body, "https://auth.robokassa.ru/") {
		t.Errorf("the card shows no link to copy:\n%s", excerpt([]byte(body)))
	}
	if n := ta.db.Count(t, `SELECT count(*) FROM payments WHERE deal_id = $1 AND status = 'pending'`, d.ID); n != 1 {
		t.Errorf("%d pending payments, want the link's one", n)
	}

	// Another deal's document is not this deal's to send.
	other := ta.dealToSend("boris@example.ru")
	foreign := ta.makeDocument(other.ID, "invoice")
	if res, _ := b.post(fmt.Sprint("/deals/", d.ID, "/send"), url.Values{"csrf": {csrf}, "document": {fmt.Sprint(foreign.ID)}}); res.StatusCode != http.StatusSeeOther {
		t.Errorf("a foreign document answered %d", res.StatusCode)
	}
	if n := ta.db.Count(t, `SELECT count(*) FROM document_sends WHERE $1 = ANY(document_ids)`, foreign.ID); n != 0 {
		t.Errorf("another deal's document was sent")
	}
}
