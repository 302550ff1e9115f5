package main

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/leadd/leadd/configs"
	"github.com/leadd/leadd/crm"
	outmail "github.com/leadd/leadd/notify/mail"
	"github.com/leadd/leadd/notify/mail/smtptest"
)

// Every kind of outbox row the daemon writes — from the one-statement hot
// path of intake as well as from Go — decodes, strictly (no field its type
// lacks), into its own type; and every kind there is, is written by
// something the test does.
func TestEveryOutboxKindProducedDecodesIntoItsType(t *testing.T) {
	t.Parallel()
	sink := smtptest.New(t)
	ta := startApp(t, func(c *configs.Config) {
		withDocuments(c)
		c.SMTP = outmail.SMTPConfig{Host: sink.Host, Port: sink.Port, From: "docs@romashka.test"}
		c.Processor.MaxAttempts = 1
	})
	ctx := context.Background()
	tx := func(f func(pgx.Tx) error) {
		t.Helper()
		if err := pgx.BeginFunc(ctx, ta.db.Pool, f); err != nil {
			t.Fatal(err)
		}
	}

	// A form lead (lead.created, lead.assigned), taken (lead.status_changed),
	// converted (lead.converted, deal.created), moved (deal.stage_changed).
	lead := ta.newLead("+7 917 400 00 01")
	ta.api("POST", fmt.Sprint("/api/v1/leads/", lead.ID, "/status"), map[string]string{"status": "in_progress"}, nil)
	c := ta.convert(lead.ID, map[string]any{"pipeline": "sales"})
	ta.api("POST", fmt.Sprint("/api/v1/deals/", c.DealID, "/stage"), map[string]string{"stage": "invoice"}, nil)
	// The same person writes again: a touch on their open deal (deal.touch).
	ta.newDealTouch("+7 917 400 00 01")
	// A call rings and is missed (call.incoming, call.missed).
	for _, e := range []map[string]any{event("k1", "ringing", "from", "+7 917 400 00 02"),
		event("k1", "ended", "from", "+7 917 400 00 02", "disposition", "no_answer")} {
		if res := ta.call(e); res.Status != 200 {
			t.Fatalf("call %s: %d %s", e["state"], res.Status, res.Body)
		}
	}
	ta.waitProcessed()
	// A client writes to the company's bot (messenger.message).
	lander := &crm.Lander{Assigner: ta.router, SLA: time.Minute, Now: time.Now}
	tx(func(tx pgx.Tx) error {
		_, err := lander.Land(ctx, tx, "", &crm.Inbound{Channel: crm.ChannelMessenger, Source: "telegram", At: time.Now(),
			Name: "Пётр", Text: "Здравствуйте", TelegramID: 777})
		return err
	})
	// Documents: made (document.created) and e-mailed (document.email).
	d := ta.dealToSend("buyer@example.ru")
	doc := ta.makeDocument(d.ID, "invoice")
	var send crm.DocumentSend
	if s := ta.api("POST", fmt.Sprint("/api/v1/documents/", doc.ID, "/send"), nil, &send); s != 202 {
		t.Fatalf("send: %d", s)
	}
	// Paid (payment.received).
	p, err := ta.store.CreatePayment(ctx, d.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := ta.store.MarkPaid(ctx, p.InvID, p.Amount, "payment", nil); err != nil {
		t.Fatal(err)
	}
	// The scheduler's jobs, a day ahead: overdue reminders, digests, and
	// a lead not taken in time (activity.overdue, manager.digest,
	// supervisor.sla_missed).
	ta.newLead("+7 917 400 00 03")
	later := time.Now().Add(25 * time.Hour)
	tx(func(tx pgx.Tx) error {
		if _, err := crm.ReassignOverdue(ctx, tx, later, ta.router, 3, 100); err != nil {
			return err
		}
		if _, err := crm.RemindOverdue(ctx, tx, later, 100); err != nil {
			return err
		}
		moscow, _ := time.LoadLocation("Europe/Moscow")
		_, err := crm.EnqueueDigests(ctx, tx, later, later.In(moscow).Hour())
		return err
	})
	// Monday 9:00 in a supervisor's zone: the weekly summary (report.weekly).
	ta.db.Exec(t, `INSERT INTO managers (name, role, time_zone, telegram_chat_id) VALUES ('Руководитель', 'supervisor', 'UTC', 990001)`)
	monday := time.Now().UTC().Truncate(24 * time.Hour)
	for monday.Weekday() != time.Monday {
		monday = monday.Add(24 * time.Hour)
	}
	tx(func(tx pgx.Tx) error {
		_, err := ta.store.EnqueueWeeklySummaries(ctx, tx, monday.Add(9*time.Hour), crm.WeeklyOptions{Hour: 9, SLA: 5 * time.Minute})
		return err
	})
	// Telegram refuses a manager (supervisor.manager_unreachable).
	var card crm.OutboxMessage
	if err := ta.db.Pool.QueryRow(ctx, `SELECT id, kind, idempotency_key, payload, created_at FROM outbox
		WHERE kind = 'lead.assigned' ORDER BY id LIMIT 1`).Scan(&card.ID, &card.Kind, &card.Key, &card.Payload, &card.CreatedAt); err != nil {
		t.Fatal(err)
	}
	if err := ta.store.MarkTelegramUnreachable(ctx, 1, &card, "blocked"); err != nil {
		t.Fatal(err)
	}
	// They write to the bot again (manager.back).
	if back, err := ta.store.MarkTelegramReachable(ctx, 1); err != nil || !back {
		t.Fatalf("back: %v %v", back, err)
	}
	// A webhook endpoint fails until it is disabled (admin.webhook_disabled).
	dead := "http://127.0.0.1:9/gone"
	events := []string{crm.EventLeadCreated}
	w, err := ta.store.CreateWebhook(ctx, crm.WebhookInput{URL: &dead, Events: &events})
	if err != nil {
		t.Fatal(err)
	}
	ta.newLead("+7 917 400 00 04")
	var msgID int64
	waitFor(t, "a webhook message", func() bool {
		return ta.db.Pool.QueryRow(ctx, `SELECT id FROM webhook_messages WHERE endpoint_id = $1 LIMIT 1`, w.ID).Scan(&msgID) == nil
	})
	if err := ta.store.RecordWebhookResults(ctx, []crm.WebhookResult{{MessageID: msgID, EndpointID: w.ID, Attempt: 9,
		At: time.Now(), Error: "connection refused"}}, time.Nanosecond); err != nil {
		t.Fatal(err)
	}

	// An event the processor cannot land fails for good at once here
	// (supervisor.inbox_failed).
	ta.failForGood()

	rows, err := ta.db.Pool.Query(ctx, `SELECT id, kind, payload FROM outbox ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		ID      int64
		Kind    string
		Payload []byte
	}
	all, err := pgx.CollectRows(rows, pgx.RowToStructByPos[row])
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, r := range all {
		v, err := crm.DecodeOutbox(r.Kind, r.Payload)
		if err != nil {
			t.Errorf("outbox row %d (%s) does not decode into its type: %v\n%s", r.ID, r.Kind, err, r.Payload)
			continue
		}
		if v.OutboxKind() != r.Kind {
			t.Errorf("outbox row %d (%s) decoded into %T, the type of %s", r.ID, r.Kind, v, v.OutboxKind())
		}
		seen[r.Kind] = true
	}
	for _, k := range crm.OutboxKinds() {
		if !seen[k] {
			t.Errorf("no %s row was written: the test does not cover it", k)
		}
	}
	var kinds []string
	for k := range seen {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	t.Logf("%d rows of %d kinds: %v", len(all), len(kinds), kinds)
}

// newDealTouch posts the form for a person whose lead became a deal.
func (ta *testApp) newDealTouch(phone string) {
	ta.t.Helper()
	if res := ta.postForm("contact", map[string][]string{"phone": {phone}, "comment": {"Когда отгрузка?"}}); res.Status != 202 {
		ta.t.Fatalf("post: %d %s", res.Status, res.Body)
	}
	ta.waitProcessed()
}
