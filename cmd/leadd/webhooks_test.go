package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/leadd/leadd/configs"
	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/notify/webhook/webhooktest"
	"github.com/leadd/leadd/web/api"
)

// subscribe makes an endpoint at recv through the API and points the
// receiver at its secret.
func (ta *testApp) subscribe(recv *webhooktest.Receiver, events ...string) crm.WebhookEndpoint {
	ta.t.Helper()
	var w crm.WebhookEndpoint
	if s := ta.api("POST", "/api/v1/webhooks", map[string]any{"url": recv.URL + "/leadd", "events": events,
		"description": "учётная система"}, &w); s != 201 {
		ta.t.Fatalf("POST /api/v1/webhooks: %d", s)
	}
	if !strings.HasPrefix(w.Secret, "whsec_") || w.ID == 0 {
		ta.t.Fatalf("the new endpoint: %+v", w)
	}
	if err := recv.SetSecrets(w.Secret); err != nil {
		ta.t.Fatal(err)
	}
	return w
}

// waitTypes waits until recv has got a 2xx-answered delivery of each type.
func waitTypes(t *testing.T, recv *webhooktest.Receiver, types ...string) map[string]webhooktest.Delivery {
	t.Helper()
	got := map[string]webhooktest.Delivery{}
	waitFor(t, fmt.Sprint("deliveries of ", types), func() bool {
		for _, d := range recv.Deliveries() {
			if d.Answered/100 == 2 {
				got[d.Type] = d
			}
		}
		for _, ty := range types {
			if _, ok := got[ty]; !ok {
				return false
			}
		}
		return true
	})
	return got
}

func TestWebhooksDeliverTheSalesProcessVerifiedWithoutTelegram(t *testing.T) {
	t.Parallel()
	ta := startApp(t, nil) // the demo configuration: no Telegram token
	recv := webhooktest.NewReceiver()
	defer recv.Close()
	w := ta.subscribe(recv, crm.WebhookEventTypes()...)

	lead := ta.newLead("+7 917 300 00 01")
	if s := ta.api("POST", fmt.Sprint("/api/v1/leads/", lead.ID, "/status"), map[string]string{"status": "in_progress"}, nil); s != 200 {
		t.Fatalf("take the lead: %d", s)
	}
	c := ta.convert(lead.ID, map[string]any{"pipeline": "sales"})
	if s := ta.api("POST", fmt.Sprint("/api/v1/deals/", c.DealID, "/stage"), map[string]string{"stage": "won"}, nil); s != 200 {
		t.Fatalf("win the deal: %d", s)
	}
	got := waitTypes(t, recv, crm.EventLeadCreated, crm.EventLeadAssigned, crm.EventLeadStatusChanged, crm.EventLeadConverted,
		crm.EventDealCreated, crm.EventDealStageChanged, crm.EventDealWon)
	if p := recv.Problems(); len(p) > 0 {
		t.Errorf("deliveries the Standard Webhooks library refused: %v", p)
	}
	created := got[crm.EventLeadCreated]
	if fmt.Sprint(created.Data["phones"]) != "[+79173000001]" || created.Data["id"] != float64(lead.ID) {
		t.Errorf("lead.created data is not the lead as the API shows it: %v", created.Data)
	}
	if d := got[crm.EventDealWon].Data; d["id"] != float64(c.DealID) || d["status"] != "won" {
		t.Errorf("deal.won data: %v", d)
	}
	// The deal won in sales tunnels a new deal into delivery: deal.created
	// for it too, and each message once.
	seen := map[string]int{}
	for _, d := range recv.Deliveries() {
		seen[d.ID]++
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("message %s came %d times from a receiver that always answered 204", id, n)
		}
	}
	// Every attempt is in the API.
	var page struct {
		Items []crm.WebhookAttempt `json:"items"`
	}
	// (the tunnel's deal.created may still be on its way: wait for quiet)
	waitFor(t, "the API to list every request the receiver got", func() bool {
		n := len(recv.Deliveries())
		if s := ta.api("GET", fmt.Sprint("/api/v1/webhooks/", w.ID, "/deliveries"), nil, &page); s != 200 {
			t.Fatalf("deliveries: %d", s)
		}
		return len(page.Items) == n && n == len(recv.Deliveries())
	})
	for _, a := range page.Items {
		if a.Status != "succeeded" || a.ResponseCode == nil || *a.ResponseCode != 204 || a.At.IsZero() {
			t.Errorf("attempt %+v", a)
		}
	}
	// The secret is shown once.
	res := ta.do("GET", fmt.Sprint("/api/v1/webhooks/", w.ID), "", nil, "Authorization: Bearer "+adminToken)
	if strings.Contains(string(res.Body), "whsec_") {
		t.Errorf("GET shows the secret: %s", res.Body)
	}
}

func TestWebhookAPIIsForAdminsAndRefusesBadEndpoints(t *testing.T) {
	t.Parallel()
	ta := startApp(t, func(c *configs.Config) {
		c.Webhooks.AllowPrivate = false
		c.API.Tokens = append(c.API.Tokens, api.Token{Name: "boss", Token: "boss-token-123", Role: api.RoleSupervisor})
	})
	errField := func(r response) string {
		var e struct {
			Error struct{ Field string } `json:"error"`
		}
		_ = json.Unmarshal(r.Body, &e)
		return e.Error.Field
	}
	post := func(token string, body any) response {
		b, _ := json.Marshal(body)
		return ta.do("POST", "/api/v1/webhooks", "application/json", strings.NewReader(string(b)), "Authorization: Bearer "+token)
	}
	ok := map[string]any{"url": "https://93.184.216.34/hook", "events": []string{"lead.created"}}
	if r := post("boss-token-123", ok); r.Status != 403 {
		t.Errorf("a supervisor made a webhook: %d", r.Status)
	}
	if r := ta.do("GET", "/api/v1/webhooks", "", nil, "Authorization: Bearer boss-token-123"); r.Status != 403 {
		t.Errorf("a supervisor listed webhooks: %d", r.Status)
	}
	for _, c := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"url": "http://127.0.0.1:9/x", "events": []string{"lead.created"}}, "url"},
		{map[string]any{"url": "http://10.0.0.5/x", "events": []string{"lead.created"}}, "url"},
		{map[string]any{"url": "http://169.254.169.254/", "events": []string{"lead.created"}}, "url"},
		{map[string]any{"url": "ftp://93.184.216.34/", "events": []string{"lead.created"}}, "url"},
		{map[string]any{"url": "https://93.184.216.34/hook", "events": []string{"lead.exploded"}}, "events"},
		{map[string]any{"url": "https://93.184.216.34/hook", "events": []string{}}, "events"},
		{map[string]any{"url": "https://93.184.216.34/hook"}, "events"},
		{map[string]any{"events": []string{"lead.created"}}, "url"},
	} {
		r := post(adminToken, c.body)
		if r.Status != 422 || errField(r) != c.field {
			t.Errorf("POST %v: %d %s, want 422 naming %s", c.body, r.Status, r.Body, c.field)
		}
	}
	if n := ta.db.Count(t, `SELECT count(*) FROM webhook_endpoints`); n != 0 {
		t.Errorf("%d endpoints after refused requests", n)
	}
	var w crm.WebhookEndpoint
	if s := ta.api("POST", "/api/v1/webhooks", ok, &w); s != 201 {
		t.Fatalf("a public endpoint: %d", s)
	}
	var changed crm.WebhookEndpoint
	if s := ta.api("PATCH", fmt.Sprint("/api/v1/webhooks/", w.ID), map[string]any{"events": []string{"deal.won", "deal.lost"},
		"description": "бухгалтерия"}, &changed); s != 200 || len(changed.Events) != 2 || changed.Description != "бухгалтерия" ||
		changed.URL != w.URL || changed.Secret != "" {
		t.Errorf("PATCH: %d %+v", s, changed)
	}
	if s := ta.api("PATCH", fmt.Sprint("/api/v1/webhooks/", w.ID), map[string]any{"url": "http://192.168.1.1/"}, nil); s != 422 {
		t.Errorf("PATCH to a private URL: %d", s)
	}
	var rotated crm.WebhookEndpoint
	if s := ta.api("POST", fmt.Sprint("/api/v1/webhooks/", w.ID, "/rotate"), nil, &rotated); s != 200 ||
		!strings.HasPrefix(rotated.Secret, "whsec_") || rotated.Secret == w.Secret || rotated.PreviousSecretExpiresAt == nil {
		t.Errorf("rotate: %d %+v", s, rotated)
	}
	if s := ta.api("POST", fmt.Sprint("/api/v1/webhooks/", w.ID, "/replay"), map[string]any{"from": time.Now().Add(-time.Hour)}, nil); s != 202 {
		t.Errorf("replay: %d", s)
	}
	if s := ta.api("POST", fmt.Sprint("/api/v1/webhooks/", w.ID, "/replay"), map[string]any{"from": time.Now(), "to": time.Now().Add(-time.Hour)}, nil); s != 422 {
		t.Errorf("replay backwards: %d", s)
	}
	if s := ta.api("DELETE", fmt.Sprint("/api/v1/webhooks/", w.ID), nil, nil); s != 200 {
		t.Errorf("delete: %d", s)
	}
	if s := ta.api("GET", fmt.Sprint("/api/v1/webhooks/", w.ID), nil, nil); s != 404 {
		t.Errorf("get after delete: %d", s)
	}
}

func TestTelegramAndWebhooksEachKeepTheirOwnDeliveries(t *testing.T) {
	t.Parallel()
	ta := startTelegram(t)
	ta.linkAll()
	// Telegram alone first: webhooks off.
	lead, mgr := ta.postLead("+7 912 500-00-01")
	ta.waitMessage(chatOf(mgr), "Заявка №"+strconv.FormatInt(lead, 10))

	// A receiver that fails every time does not hold Telegram back.
	recv := webhooktest.NewReceiver()
	defer recv.Close()
	recv.Answer(func(int) int { return http.StatusInternalServerError })
	w := ta.subscribe(recv, crm.EventLeadCreated, crm.EventLeadAssigned)
	lead, mgr = ta.postLead("+7 912 500-00-02")
	ta.waitMessage(chatOf(mgr), "Заявка №"+strconv.FormatInt(lead, 10))
	waitFor(t, "the failing receiver to be tried", func() bool { return len(recv.Deliveries()) >= 2 })
	if n := ta.count(`SELECT count(*) FROM webhook_messages WHERE endpoint_id = $1 AND status = 'pending' AND attempts >= 1`, w.ID); n != 2 {
		t.Errorf("%d webhook messages waiting for a retry, want 2 (lead.created, lead.assigned)", n)
	}
	// The card is sent, then its delivery settled: wait for both.
	waitFor(t, "Telegram to settle both cards", func() bool {
		return ta.count(`SELECT count(*) FROM outbox_deliveries d JOIN outbox o ON o.id = d.outbox_id
			WHERE d.consumer = 'telegram' AND o.kind = 'lead.assigned' AND d.delivered_at IS NOT NULL`) == 2
	})

	// Both on and working: each gets its own.
	recv.Answer(func(int) int { return http.StatusOK })
	lead, mgr = ta.postLead("+7 912 500-00-03")
	ta.waitMessage(chatOf(mgr), "Заявка №"+strconv.FormatInt(lead, 10))
	waitFor(t, "the third lead's webhooks", func() bool {
		for _, d := range recv.Deliveries() {
			if d.Type == crm.EventLeadCreated && d.Data["id"] == float64(lead) && d.Answered == 200 {
				return true
			}
		}
		return false
	})
	if p := recv.Problems(); len(p) > 0 {
		t.Errorf("deliveries the Standard Webhooks library refused: %v", p)
	}
}
