package webhook_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/sync/errgroup"

	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/crm/crmtest"
	"github.com/leadd/leadd/notify/webhook"
)

// timedStore counts the webhooks consumer's two claims and the time they
// take, as the service calls them.
type timedStore struct {
	webhook.Store
	outbox, messages       atomic.Int64 // calls
	outboxNs, messagesNs   atomic.Int64
	outboxRows, messageRow atomic.Int64
}

func (s *timedStore) ClaimOutbox(ctx context.Context, consumer string, limit int, lease time.Duration) ([]crm.OutboxMessage, error) {
	start := time.Now()
	out, err := s.Store.ClaimOutbox(ctx, consumer, limit, lease)
	s.outboxNs.Add(int64(time.Since(start)))
	s.outbox.Add(1)
	s.outboxRows.Add(int64(len(out)))
	return out, err
}

func (s *timedStore) ClaimWebhookMessages(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]crm.WebhookMessage, error) {
	start := time.Now()
	out, err := s.Store.ClaimWebhookMessages(ctx, now, limit, lease)
	s.messagesNs.Add(int64(time.Since(start)))
	s.messages.Add(1)
	s.messageRow.Add(int64(len(out)))
	return out, err
}

// BenchmarkFanOutBurst is the webhooks consumer in a burst like the
// bench's: producers write LEADD_WEBHOOK_BURST outbox rows (36,000:
// 18,000 leads, lead.created and lead.assigned each) as fast as they can
// while one replica fans them out to three endpoints at a local receiver
// answering 204 and sends; autovacuum is left as configured. It reports
// the mean time of each claim (ms/claim for the outbox rows, ms/msgclaim
// for the messages' retries), and the buffers of one outbox claim in the
// middle of the burst (EXPLAIN ANALYZE, BUFFERS, rolled back) in the log.
// Every event reaches every endpoint exactly once.
//
//	go test ./notify/webhook -run xxx -bench FanOutBurst -benchtime 1x -v
func BenchmarkFanOutBurst(b *testing.B) {
	rows := 36000
	if v, err := strconv.Atoi(os.Getenv("LEADD_WEBHOOK_BURST")); err == nil && v > 0 {
		rows = v
	}
	for b.Loop() {
		burst(b, rows)
	}
}

func burst(b *testing.B, rows int) {
	db := crmtest.MustOpenDB(b)
	ctx := context.Background()
	var received atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		received.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	for i := range 3 {
		u, events := fmt.Sprintf("%s/hook/%d", srv.URL, i), []string{crm.EventLeadCreated, crm.EventLeadAssigned}
		if _, err := db.Store.CreateWebhook(ctx, crm.WebhookInput{URL: &u, Events: &events}); err != nil {
			b.Fatal(err)
		}
	}
	store := &timedStore{Store: db.Store}
	svc := &webhook.Service{Store: store, AllowPrivate: true, Log: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))}
	runCtx, stop := context.WithCancel(ctx)
	var run errgroup.Group
	run.Go(func() error { return svc.Run(runCtx) })

	start := time.Now()
	const perTx, writers = 100, 2
	var produce errgroup.Group
	for w := range writers {
		produce.Go(func() error {
			for i := w * perTx; i < rows; i += writers * perTx {
				err := pgx.BeginFunc(ctx, db.Pool, func(tx pgx.Tx) error {
					for j := i; j < i+perTx && j < rows; j += 2 {
						lead := int64(1 + j/2)
						if err := crm.Enqueue(ctx, tx, fmt.Sprint("c:", lead), crm.LeadCreated{LeadID: lead, Status: crm.StatusNew}); err != nil {
							return err
						}
						if err := crm.Enqueue(ctx, tx, fmt.Sprint("a:", lead), crm.LeadAssigned{LeadID: lead, ManagerID: 1}); err != nil {
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
	if err := produce.Wait(); err != nil {
		b.Fatal(err)
	}
	produced := time.Since(start)
	want := int64(3 * rows)
	for deadline := time.Now().Add(10 * time.Minute); received.Load() < want; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d deliveries after ten minutes", received.Load(), want)
		}
	}
	drained := time.Since(start)
	// The last batch's attempts are recorded after it is sent.
	for deadline := time.Now().Add(time.Minute); db.Count(b, `SELECT count(*) FROM webhook_messages WHERE status = 'pending'`) > 0; {
		if time.Now().After(deadline) {
			b.Fatal("messages still pending a minute after the last delivery")
		}
		time.Sleep(20 * time.Millisecond)
	}
	stop()
	if err := run.Wait(); err != nil {
		b.Fatal(err)
	}
	if n := db.Count(b, `SELECT count(*) FROM webhook_messages WHERE status = 'delivered'`); int64(n) != want || received.Load() != want {
		b.Errorf("%d messages delivered, the receiver got %d; want %d each", n, received.Load(), want)
	}
	b.Log("index scans of the burst:\n" + indexReads(b, db))
	ms := func(ns, calls int64) float64 { return float64(ns) / 1e6 / float64(max(calls, 1)) }
	b.ReportMetric(ms(store.outboxNs.Load(), store.outbox.Load()), "ms/claim")
	b.ReportMetric(ms(store.messagesNs.Load(), store.messages.Load()), "ms/msgclaim")
	b.ReportMetric(float64(rows)/drained.Seconds(), "rows/s")
	b.Logf("%d rows written in %.1fs, all %d deliveries made %.1fs after the start; outbox claims %d (%d rows), %.2f ms each; message claims %d (%d messages), %.2f ms each",
		rows, produced.Seconds(), want, drained.Seconds(), store.outbox.Load(), store.outboxRows.Load(),
		ms(store.outboxNs.Load(), store.outbox.Load()), store.messages.Load(), store.messageRow.Load(),
		ms(store.messagesNs.Load(), store.messages.Load()))
}

// indexReads lists, for each index of the consumer's two tables that was
// scanned, its scans and the entries they read (dead ones included) per
// scan. Postgres publishes a backend's counts within a second or two of
// it going idle: the pool is closed first, which publishes them at once.
func indexReads(b *testing.B, db *crmtest.DB) string {
	ctx := context.Background()
	db.Pool.Reset()
	time.Sleep(2 * time.Second)
	rows, err := db.Pool.Query(ctx, `SELECT format('%s: %s scans, %s entries read a scan, %s blocks a scan', a.indexrelname,
			a.idx_scan, round(a.idx_tup_read::numeric / a.idx_scan, 1), round((b.idx_blks_hit + b.idx_blks_read)::numeric / a.idx_scan, 1))
		FROM pg_stat_user_indexes a JOIN pg_statio_user_indexes b USING (indexrelid)
		WHERE a.relname IN ('outbox_deliveries', 'webhook_messages') AND a.idx_scan > 0 ORDER BY a.indexrelname`)
	if err != nil {
		b.Fatal(err)
	}
	lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		b.Fatal(err)
	}
	return strings.Join(lines, "\n")
}
