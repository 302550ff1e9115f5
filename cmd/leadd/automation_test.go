package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/leadd/leadd/configs"
	"github.com/leadd/leadd/crm"
)

func TestStageRulesFireOncePerDealAndTunnelsCopyTheDeal(t *testing.T) {
	t.Parallel()
	ta := startApp(t, nil)
	c := ta.convert(ta.newLead("+7 918 400 00 01").ID, map[string]any{})
	ta.api("POST", fmt.Sprint("/api/v1/deals/", c.DealID, "/lines"), map[string]any{"name": "Станок", "quantity": "1", "price": "1000.00", "vat": "vat20"}, nil)
	move := func(stage string) {
		t.Helper()
		if s := ta.api("POST", fmt.Sprint("/api/v1/deals/", c.DealID, "/stage"), map[string]string{"stage": stage}, nil); s != 200 {
			t.Fatalf("move to %s: %d", stage, s)
		}
	}
	// Back and forth through "payment control": the rule's task appears once.
	for _, st := range []string{"payment", "invoice", "payment", "invoice", "payment"} {
		move(st)
		ta.runJob("automation", time.Now().Add(time.Second))
	}
	if n := ta.db.Count(t, `SELECT count(*) FROM activities WHERE deal_id = $1 AND subject = 'Проверить оплату'`, c.DealID); n != 1 {
		t.Errorf("%d payment checks, want 1", n)
	}
	var due time.Time
	ta.db.Pool.QueryRow(t.Context(), `SELECT due_at FROM activities WHERE deal_id = $1 AND subject = 'Проверить оплату'`, c.DealID).Scan(&due)
	if d := time.Until(due); d < 71*time.Hour || d > 73*time.Hour {
		t.Errorf("the payment check is due in %v, want 3 days", d)
	}

	// The dry run says what the deal's stage fires, and that it has.
	var out bytes.Buffer
	if err := automationDryRun(t.Context(), ta.cfg, c.DealID, &out); err != nil {
		t.Fatal(err)
	}
	var checks []crm.RuleCheck
	json.Unmarshal(out.Bytes(), &checks)
	if len(checks) != 1 || checks[0].Rule.Name != "check the payment" || !checks[0].Fires || !checks[0].Done {
		t.Errorf("dry run: %s", out.String())
	}

	// Won in sales: a copy in delivery with the same contact and lines; won
	// again after a reopening: still one copy.
	for _, st := range []string{"won", "payment", "won"} {
		move(st)
		ta.runJob("automation", time.Now().Add(time.Second))
	}
	var copies struct{ Items []crm.Deal }
	ta.api("GET", "/api/v1/deals?pipeline=delivery", nil, &copies)
	if len(copies.Items) != 1 {
		t.Fatalf("%d deals in delivery, want 1", len(copies.Items))
	}
	cp := copies.Items[0]
	if *cp.ContactID != c.ContactID || cp.Stage != "new" || cp.Amount != "1000.00" || cp.VATAmount != "166.67" {
		t.Errorf("the copy: %+v", cp)
	}
	if d := ta.deal(c.DealID); d.Status != "won" {
		t.Errorf("a copy tunnel changed the original: %+v", d)
	}
}

func TestADelayedTunnelSurvivesARestart(t *testing.T) {
	t.Parallel()
	delayed := func(c *configs.Config) {
		c.Automation = []crm.Rule{{Name: "later", Pipeline: "sales", OnEnter: "won", Delay: time.Hour,
			Tunnel: &crm.Tunnel{Pipeline: "delivery", Move: true}}}
	}
	first := startApp(t, delayed)
	var d crm.Deal
	first.api("POST", "/api/v1/deals", map[string]any{"title": "Фрезер"}, &d)
	first.api("POST", fmt.Sprint("/api/v1/deals/", d.ID, "/stage"), map[string]string{"stage": "won"}, nil)
	first.runJob("automation", time.Now().Add(time.Minute))
	if got := first.deal(d.ID); got.Pipeline != "sales" {
		t.Fatalf("moved before its delay: %+v", got)
	}
	restarted := startAppOn(t, first.db, first.rds, delayed)
	restarted.runJob("automation", time.Now().Add(2*time.Hour))
	if got := restarted.deal(d.ID); got.Pipeline != "delivery" || got.Stage != "new" || got.Status != "open" {
		t.Errorf("after the delay and a restart: %+v", got)
	}
	var h struct{ Items []crm.StageMove }
	restarted.api("GET", fmt.Sprint("/api/v1/deals/", d.ID, "/history"), nil, &h)
	if last := h.Items[len(h.Items)-1]; last.From == nil || *last.From != "won" || last.To != "new" {
		t.Errorf("the move is not in the history: %+v", h.Items)
	}
}

func TestABrokenRuleIsRefusedWithItsKey(t *testing.T) {
	t.Parallel()
	cfg, _ := configs.Load("../../configs/leadd.yaml")
	cfg.Automation = append(cfg.Automation, crm.Rule{Name: "bad", Pipeline: "sales", OnEnter: "nowhere",
		Tunnel: &crm.Tunnel{Pipeline: "sales"}})
	var msgs string
	for _, e := range cfg.Validate() {
		msgs += e.Error() + "\n"
	}
	for _, key := range []string{"automation[2].on_enter:", "automation[2].tunnel.pipeline:"} {
		if !bytes.Contains([]byte(msgs), []byte(key)) {
			t.Errorf("no %s in:\n%s", key, msgs)
		}
	}
}

func TestEnteringAStageCanMakeADocument(t *testing.T) {
	t.Parallel()
	ta := startApp(t, func(c *configs.Config) {
		withDocuments(c)
		c.Automation = append(c.Automation, crm.Rule{Name: "invoice on invoice", Pipeline: "sales", OnEnter: "invoice", Document: "invoice"})
	})
	c := ta.convert(ta.newLead("+7 918 600 00 01").ID, map[string]any{})
	ta.api("POST", fmt.Sprint("/api/v1/deals/", c.DealID, "/lines"), map[string]any{"name": "Станок", "quantity": "1", "price": "1200.50", "vat": "vat20"}, nil)
	for _, st := range []string{"invoice", "proposal", "invoice"} {
		ta.api("POST", fmt.Sprint("/api/v1/deals/", c.DealID, "/stage"), map[string]string{"stage": st}, nil)
		ta.runJob("automation", time.Now().Add(time.Second))
	}
	var docs struct {
		Items []struct {
			Type   string `json:"type"`
			Number string `json:"number"`
		} `json:"items"`
	}
	ta.api("GET", fmt.Sprint("/api/v1/deals/", c.DealID, "/documents"), nil, &docs)
	if len(docs.Items) != 1 || docs.Items[0].Type != "invoice" {
		t.Errorf("documents made on entering the stage: %+v, want one invoice", docs.Items)
	}
}
