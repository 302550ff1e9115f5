package webhook_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/sync/errgroup"

	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/crm/crmtest"
	"github.com/leadd/leadd/notify/webhook"
)

// deadlockTracer counts every statement Postgres failed with a deadlock
// (40P01), including those a store method ran again and so never
// reported: a deadlock broken and retried is still two transactions
// taking locks in crossing orders.
type deadlockTracer struct {
	mu    sync.Mutex
	seen  int
	first string
	kinds map[string]int // the statement that was broken, by its first line
}

type traceKey struct{}

func (d *deadlockTracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	return context.WithValue(ctx, traceKey{}, data.SQL)
}

func (d *deadlockTracer) TraceQueryEnd(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryEndData) {
	var pg *pgconn.PgError
	if errors.As(data.Err, &pg) && pg.Code == "40P01" {
		d.mu.Lock()
		defer d.mu.Unlock()
		d.seen++
		sql, _ := ctx.Value(traceKey{}).(string)
		if d.first == "" {
			d.first = fmt.Sprintf("%s\n%s\nin: %s", pg.Message, pg.Detail, sql)
		}
		if d.kinds == nil {
			d.kinds = map[string]int{}
		}
		d.kinds[strings.TrimSpace(strings.SplitN(sql, "\n", 2)[0])]++
	}
}

// hookLog is what one receiver path answered to each webhook-id.
type hookLog struct {
	mu     sync.Mutex
	answer map[string]func(tries int) int // by path
	got    map[string][]int               // path + " " + webhook-id → the statuses answered
}

func (h *hookLog) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id := r.Header.Get("webhook-id")
	h.mu.Lock()
	key := r.URL.Path + " " + id
	code := h.answer[r.URL.Path](len(h.got[key]) + 1)
	h.got[key] = append(h.got[key], code)
	h.mu.Unlock()
	w.WriteHeader(code)
}

// TestConcurrentFanOutSendingAndFailuresNeitherDeadlockNorLoseAnything
// runs two replicas' webhook services at once over a stream of events
// while endpoints fail, get disabled, are enabled again, deleted and
// made anew — the mix in which the bench saw "deadlock detected": every
// transaction that locks endpoints, messages and deliveries takes them
// in one order, so Postgres never has a cycle to break. A healthy
// endpoint gets every event exactly once, one failing each first
// attempt gets each exactly twice, and nothing is left pending.
func TestConcurrentFanOutSendingAndFailuresNeitherDeadlockNorLoseAnything(t *testing.T) {
	t.Parallel()
	db := crmtest.MustOpenDB(t)
	ctx := context.Background()
	cfg, err := pgxpool.ParseConfig(db.URL)
	if err != nil {
		t.Fatal(err)
	}
	tracer := &deadlockTracer{}
	cfg.ConnConfig.Tracer = tracer
	cfg.MaxConns = 16
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	store := crm.NewStore(pool, nil)

	hooks := &hookLog{got: map[string][]int{}, answer: map[string]func(int) int{
		"/healthy": func(int) int { return http.StatusNoContent },
		// Each message's first attempt fails, its second succeeds.
		"/flaky": func(tries int) int {
			if tries == 1 {
				return http.StatusInternalServerError
			}
			return http.StatusOK
		},
		"/down":    func(int) int { return http.StatusServiceUnavailable },
		"/churned": func(int) int { return http.StatusNoContent },
	}}
	srv := httptest.NewServer(hooks)
	defer srv.Close()
	subscribe := func(path string) int64 {
		u, events := srv.URL+path, []string{crm.EventLeadCreated, crm.EventLeadAssigned}
		w, err := store.CreateWebhook(ctx, crm.WebhookInput{URL: &u, Events: &events})
		if err != nil {
			t.Fatal(err)
		}
		return w.ID
	}
	healthy, flaky, down := subscribe("/healthy"), subscribe("/flaky"), subscribe("/down")
	churned := subscribe("/churned")

	var logs safeBuffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelError}))
	// Two replicas, small batches and a quick schedule: fan-out, the
	// sender's retries and the recording of both overlap all the time.
	runCtx, stop := context.WithCancel(ctx)
	var replicas errgroup.Group
	for range 2 {
		svc := &webhook.Service{Store: store, Log: log, AllowPrivate: true, Timeout: 5 * time.Second,
			DisableAfter: time.Millisecond, Batch: 10, Workers: 4, Poll: 5 * time.Millisecond,
			Schedule: []time.Duration{10 * time.Millisecond, 10 * time.Millisecond, 10 * time.Millisecond}}
		replicas.Go(func() error { return svc.Run(runCtx) })
	}

	// Producers: 1,200 leads, each lead.created and lead.assigned, in
	// transactions of 20 from three writers. An admin meanwhile enables
	// the endpoint that is always down (it is disabled again at once) and
	// deletes and re-creates the churned one.
	const writers, txs, perTx = 3, 20, 20
	var produce errgroup.Group
	for w := range writers {
		produce.Go(func() error {
			for i := range txs {
				err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
					for j := range perTx {
						lead := int64(1 + (w*txs+i)*perTx + j)
						if err := crm.Enqueue(ctx, tx, fmt.Sprint("created:", lead), crm.LeadCreated{LeadID: lead, Status: crm.StatusNew}); err != nil {
							return err
						}
						if err := crm.Enqueue(ctx, tx, fmt.Sprint("assigned:", lead), crm.LeadAssigned{LeadID: lead, ManagerID: 1}); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					return err
				}
			}
			return nil
		})
	}
	var adminErrs []error
	adminDone := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(adminDone)
		on := true
		for {
			select {
			case <-done:
				return
			default:
			}
			for _, id := range []int64{down, flaky} {
				w, err := store.Webhook(ctx, id)
				if err == nil && !w.Enabled {
					_, err = store.UpdateWebhook(ctx, id, crm.WebhookInput{Enabled: &on})
				}
				if err != nil {
					adminErrs = append(adminErrs, fmt.Errorf("enable %d: %w", id, err))
				}
			}
			if err := store.DeleteWebhook(ctx, churned); err != nil {
				adminErrs = append(adminErrs, fmt.Errorf("delete: %w", err))
			} else {
				churned = subscribe("/churned")
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	if err := produce.Wait(); err != nil {
		t.Fatal(err)
	}
	close(done)
	<-adminDone
	for _, err := range adminErrs {
		t.Errorf("an admin's change of endpoints failed: %v", err)
	}

	// Wait (not a timing assertion: a bound on a hang) until the webhooks
	// consumer has settled every row and no message is pending.
	settled := func() bool {
		var rows, msgs int
		err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM outbox_deliveries WHERE consumer = 'webhooks'
				AND delivered_at IS NULL AND dead_at IS NULL),
			(SELECT count(*) FROM webhook_messages WHERE status = 'pending')`).Scan(&rows, &msgs)
		return err == nil && rows == 0 && msgs == 0
	}
	for deadline := time.Now().Add(2 * time.Minute); !settled(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the webhooks consumer did not settle everything within two minutes")
		}
	}
	stop()
	if err := replicas.Wait(); err != nil {
		t.Fatal(err)
	}

	if tracer.seen > 0 {
		t.Errorf("Postgres broke %d deadlocks (%v); the first:\n%s", tracer.seen, tracer.kinds, tracer.first)
	}
	// Giving up on the endpoint that is always down is the one error
	// expected.
	for _, l := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		if l != "" && !strings.Contains(l, `msg="webhook failed, giving up"`) {
			t.Errorf("the services logged an error: %s", l)
		}
	}
	const events = 2 * writers * txs * perTx
	type msg struct {
		ID, Status string
		Attempts   int
		LastError  string
	}
	messages := func(endpoint int64) []msg {
		rows, err := pool.Query(ctx, `SELECT msg_id, status, attempts, coalesce(last_error, '') FROM webhook_messages
			WHERE endpoint_id = $1 ORDER BY id`, endpoint)
		if err != nil {
			t.Fatal(err)
		}
		msgs, err := pgx.CollectRows(rows, pgx.RowToStructByPos[msg])
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) != events {
			t.Errorf("endpoint %d: %d messages, want one for each of the %d events", endpoint, len(msgs), events)
		}
		return msgs
	}
	hooks.mu.Lock()
	defer hooks.mu.Unlock()
	// The healthy endpoint: every event once, on the first attempt.
	for _, m := range messages(healthy) {
		if got := hooks.got["/healthy "+m.ID]; m.Status != "delivered" || m.Attempts != 1 || len(got) != 1 {
			t.Errorf("/healthy: message %s is %s after %d attempts, the receiver answered %v; want delivered once",
				m.ID, m.Status, m.Attempts, got)
			break
		}
	}
	// The flaky one (disabled, when two first attempts failed a
	// millisecond apart with no success between, and enabled again by the
	// admin): each message delivered on its second attempt, or failed
	// because the endpoint was disabled — every attempt the receiver saw
	// is recorded, and none succeeded twice.
	for _, m := range messages(flaky) {
		got := hooks.got["/flaky "+m.ID]
		ok := len(got) == m.Attempts && (m.Status == "delivered" && fmt.Sprint(got) == "[500 200]" ||
			m.Status == "failed" && m.LastError == "the endpoint was disabled" && slices.Index(got, http.StatusOK) < 0 ||
			m.Status == "skipped" && len(got) == 0)
		if !ok {
			t.Errorf("/flaky: message %s is %s (%q) after %d attempts, the receiver answered %v",
				m.ID, m.Status, m.LastError, m.Attempts, got)
			break
		}
	}
	if n := db.Count(t, `SELECT count(*) FROM webhook_messages WHERE endpoint_id = $1 AND status = 'delivered'`, down); n != 0 {
		t.Errorf("%d messages delivered to an endpoint that answers 503", n)
	}
	// The point of the mix: the endpoint that is down was disabled (its
	// pending messages failed) while the rest went on.
	if n := db.Count(t, `SELECT count(*) FROM outbox WHERE kind = $1`, crm.KindWebhookDisabled); n == 0 {
		t.Errorf("the endpoint that is always down was never disabled: the test did not exercise disabling")
	}
}

// safeBuffer is a log sink the services write to from many goroutines.
type safeBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *safeBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *safeBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
