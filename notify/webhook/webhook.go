// Package webhook sends the outbox's events to the endpoints admins
// subscribed, to the Standard Webhooks specification: each event becomes
// one message per endpoint (a webhook-id of its own, the same on every
// attempt), posted as {"type", "timestamp", "data"} with webhook-id,
// webhook-timestamp and webhook-signature headers, until a 2xx answer or
// the retry schedule (about three days) is spent. An endpoint failing
// for DisableAfter is disabled and the admins are told.
package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/leadd/leadd/crm"
)

// Store is what the webhooks need of the CRM.
type Store interface {
	ClaimOutbox(ctx context.Context, consumer string, limit int, lease time.Duration) ([]crm.OutboxMessage, error)
	RetryOutbox(ctx context.Context, consumer string, id int64, at time.Time, lastErr string) error
	DeadOutbox(ctx context.Context, consumer string, id int64, lastErr string) error
	FanOutWebhooks(ctx context.Context, events []crm.WebhookEvent, done []int64, now time.Time, lease time.Duration) ([]crm.WebhookMessage, error)
	ClaimWebhookMessages(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]crm.WebhookMessage, error)
	RecordWebhookResults(ctx context.Context, rs []crm.WebhookResult, disableAfter time.Duration) error
	LeadSummary(ctx context.Context, id int64) (crm.Lead, error)
	Deal(ctx context.Context, id int64) (crm.Deal, error)
	Payment(ctx context.Context, invID int64) (crm.Payment, error)
	Activity(ctx context.Context, id int64) (crm.Activity, error)
	Document(ctx context.Context, id int64) (crm.Document, error)
}

var _ Store = (*crm.Store)(nil)

// Schedule is how long to wait after each failed attempt: the Standard
// Webhooks reference schedule, stretched to about three days (75 h).
var Schedule = []time.Duration{5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour,
	10 * time.Hour, 14 * time.Hour, 20 * time.Hour, 24 * time.Hour}

// Service turns outbox rows into messages and sends them.
type Service struct {
	Store Store
	Log   *slog.Logger
	Now   func() time.Time // the clock of schedules and signatures
	// AllowPrivate lets webhooks reach private and loopback addresses.
	AllowPrivate bool
	Timeout      time.Duration // a 2xx within this counts (15s)
	DisableAfter time.Duration // an endpoint failing this long is disabled (72h)
	Schedule     []time.Duration
	Batch        int           // rows or messages claimed at once (50)
	Workers      int           // messages posted at once (16)
	Poll         time.Duration // how often to look when idle (250ms)
	Lease        time.Duration // a claim is hidden this long (Timeout + 15s)
	Client       *http.Client  // built from the above when nil
}

func (s *Service) defaults() {
	if s.Log == nil {
		s.Log = slog.Default()
	}
	if s.Now == nil {
		s.Now = time.Now
	}
	if s.Timeout <= 0 {
		s.Timeout = 15 * time.Second
	}
	if s.DisableAfter <= 0 {
		s.DisableAfter = 72 * time.Hour
	}
	if s.Schedule == nil {
		s.Schedule = Schedule
	}
	if s.Batch <= 0 {
		s.Batch = 50
	}
	if s.Workers <= 0 {
		s.Workers = 16
	}
	if s.Poll <= 0 {
		s.Poll = 250 * time.Millisecond
	}
	if s.Lease <= 0 {
		s.Lease = s.Timeout + 15*time.Second
	}
	if s.Client == nil {
		s.Client = &http.Client{
			Timeout: s.Timeout,
			Transport: &http.Transport{DialContext: dialer(s.AllowPrivate).DialContext, MaxIdleConnsPerHost: s.Workers,
				IdleConnTimeout: 90 * time.Second, TLSHandshakeTimeout: 10 * time.Second},
			// A redirect is not a delivery: the receiver's URL is wrong.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
}

// Run fans out and sends until ctx ends; it returns nil then.
func (s *Service) Run(ctx context.Context) error {
	s.defaults()
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return s.loop(ctx, "webhook fan-out", s.FanOutDue) })
	g.Go(func() error { return s.loop(ctx, "webhook send", s.SendDue) })
	return g.Wait()
}

func (s *Service) loop(ctx context.Context, what string, step func(context.Context) (int, error)) error {
	for {
		n, err := step(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			s.Log.Error(what, "err", err)
		}
		if n < s.Batch || err != nil {
			t := time.NewTimer(s.Poll)
			select {
			case <-ctx.Done():
				t.Stop()
				return nil
			case <-t.C:
			}
		}
	}
}

// envelope is a message's body.
type envelope struct {
	Type      string    `json:"type"`
	Timestamp time.Time `json:"timestamp"`
	Data      any       `json:"data"`
}

// FanOutDue claims a batch of the webhooks consumer's outbox rows and
// files their events as messages to the subscribed endpoints; it returns
// how many rows it claimed.
func (s *Service) FanOutDue(ctx context.Context) (int, error) {
	s.defaults()
	rows, err := s.Store.ClaimOutbox(ctx, crm.ConsumerWebhooks, s.Batch, s.Lease)
	if err != nil || len(rows) == 0 {
		return 0, err
	}
	var events []crm.WebhookEvent
	done := make([]int64, 0, len(rows))
	seen := map[string]any{}
	for _, m := range rows {
		v, err := m.Decode()
		if err != nil {
			s.Log.Error("webhook: unreadable outbox row, a dead letter", "outbox_id", m.ID, "kind", m.Kind, "err", err)
			if err := s.Store.DeadOutbox(ctx, crm.ConsumerWebhooks, m.ID, err.Error()); err != nil {
				return len(rows), err
			}
			continue
		}
		types := crm.WebhookEventsOf(v)
		if len(types) > 0 {
			data, err := s.data(ctx, v, seen)
			if err != nil {
				s.Log.Warn("webhook: record not read, will retry", "outbox_id", m.ID, "kind", m.Kind, "err", err)
				if err := s.Store.RetryOutbox(ctx, crm.ConsumerWebhooks, m.ID, s.Now().Add(5*time.Second), err.Error()); err != nil {
					return len(rows), err
				}
				continue
			}
			for _, t := range types {
				body, err := json.Marshal(envelope{Type: t, Timestamp: m.CreatedAt.UTC(), Data: data})
				if err != nil {
					return len(rows), err
				}
				events = append(events, crm.WebhookEvent{OutboxID: m.ID, Type: t, Body: string(body), CreatedAt: m.CreatedAt})
			}
		}
		done = append(done, m.ID)
	}
	msgs, err := s.Store.FanOutWebhooks(ctx, events, done, s.Now(), s.Lease)
	if err != nil {
		return len(rows), err
	}
	// The new messages come claimed: their first attempt goes now.
	return len(rows), s.sendAll(ctx, msgs)
}

// data is the record an event is about, as the API lists it (a lead
// without its touches: the lead list's shape); when the record is gone
// (merged, deleted), the event's own payload. seen keeps what this batch
// already read: a new lead is lead.created and lead.assigned at once.
func (s *Service) data(ctx context.Context, v crm.OutboxKind, seen map[string]any) (any, error) {
	key := ""
	switch p := v.(type) {
	case crm.LeadCreated:
		key = fmt.Sprint("lead:", p.LeadID)
	case crm.LeadAssigned:
		key = fmt.Sprint("lead:", p.LeadID)
	case crm.DealCreated:
		key = fmt.Sprint("deal:", p.DealID)
	}
	if rec, ok := seen[key]; ok && key != "" {
		return rec, nil
	}
	rec, err := s.record(ctx, v)
	if err == nil && key != "" {
		seen[key] = rec
	}
	return rec, err
}

func (s *Service) record(ctx context.Context, v crm.OutboxKind) (any, error) {
	var rec any
	var err error
	switch p := v.(type) {
	case crm.LeadCreated:
		rec, err = s.Store.LeadSummary(ctx, p.LeadID)
	case crm.LeadAssigned:
		rec, err = s.Store.LeadSummary(ctx, p.LeadID)
	case crm.LeadStatusChanged:
		rec, err = s.Store.LeadSummary(ctx, p.LeadID)
	case crm.LeadConverted:
		rec, err = s.Store.LeadSummary(ctx, p.LeadID)
	case crm.DealCreated:
		rec, err = s.Store.Deal(ctx, p.DealID)
	case crm.DealStageChanged:
		rec, err = s.Store.Deal(ctx, p.DealID)
	case crm.PaymentReceived:
		rec, err = s.Store.Payment(ctx, p.InvID)
	case crm.ActivityOverdue:
		rec, err = s.Store.Activity(ctx, p.ActivityID)
	case crm.DocumentCreated:
		rec, err = s.Store.Document(ctx, p.DocumentID)
	default:
		return v, nil // a call has no record of its own: the event is the record
	}
	if crm.ErrorCode(err) == crm.ENOTFOUND {
		return v, nil
	}
	return rec, err
}

// SendDue claims a batch of due messages, posts them in parallel and
// records how each went; it returns how many it claimed.
func (s *Service) SendDue(ctx context.Context) (int, error) {
	s.defaults()
	msgs, err := s.Store.ClaimWebhookMessages(ctx, s.Now(), s.Batch, s.Lease)
	if err != nil || len(msgs) == 0 {
		return 0, err
	}
	return len(msgs), s.sendAll(ctx, msgs)
}

// sendAll posts claimed messages in parallel and records how each went.
func (s *Service) sendAll(ctx context.Context, msgs []crm.WebhookMessage) error {
	if len(msgs) == 0 {
		return nil
	}
	results := make([]crm.WebhookResult, len(msgs))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(s.Workers)
	for i, m := range msgs {
		g.Go(func() error {
			results[i] = s.send(gctx, m)
			return nil
		})
	}
	_ = g.Wait()
	if ctx.Err() != nil {
		return nil // the lease brings them back
	}
	return s.Store.RecordWebhookResults(ctx, results, s.DisableAfter)
}

// send posts one message once.
func (s *Service) send(ctx context.Context, m crm.WebhookMessage) crm.WebhookResult {
	r := crm.WebhookResult{MessageID: m.ID, EndpointID: m.EndpointID, Attempt: m.Attempts}
	log := s.Log.With("webhook_id", m.MsgID, "endpoint_id", m.EndpointID, "type", m.EventType, "attempt", m.Attempts)
	ts := s.Now()
	body := []byte(m.Body)
	start := time.Now()
	code, err := s.post(ctx, m, ts, body)
	r.Duration, r.At, r.Code = time.Since(start), s.Now(), code
	switch {
	case err != nil:
		r.Error = err.Error()
	case code < 200 || code > 299:
		r.Error = "answered " + http.StatusText(code)
		if r.Error == "answered " {
			r.Error = "answered an unknown status"
		}
	default:
		r.OK = true
		log.Info("webhook delivered", "status", code)
		return r
	}
	if m.Attempts <= len(s.Schedule) {
		wait := s.Schedule[m.Attempts-1]
		r.NextAt = r.At.Add(wait + rand.N(wait/10+1))
		log.Warn("webhook failed, will retry", "status", code, "err", r.Error, "next_at", r.NextAt)
	} else {
		log.Error("webhook failed, giving up", "status", code, "err", r.Error)
	}
	return r
}

func (s *Service) post(ctx context.Context, m crm.WebhookMessage, ts time.Time, body []byte) (int, error) {
	sig, err := Signatures(m.MsgID, ts, body, m.Secret, m.PreviousSecret)
	if err != nil {
		return 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.URL, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Leadd-Webhooks/1")
	req.Header.Set("webhook-id", m.MsgID)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(ts.Unix(), 10))
	req.Header.Set("webhook-signature", sig)
	res, err := s.Client.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	// Read a little of the answer so the connection is reused; a receiver
	// streaming forever costs nothing.
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	return res.StatusCode, nil
}
