package scheduler_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/leadd/leadd/crm/crmtest"
	"github.com/leadd/leadd/crm/scheduler"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func TestEachTickRunsOnceAcrossReplicas(t *testing.T) {
	t.Parallel()
	db := crmtest.MustOpenDB(t)
	var runs atomic.Int64
	job := scheduler.Job{Name: "count", Spec: "* * * * * *", Tick: time.Second,
		Run: func(ctx context.Context, tx pgx.Tx, now time.Time) (string, error) {
			runs.Add(1)
			return "counted", nil
		}}
	a := scheduler.New(db.Pool, []scheduler.Job{job}, quiet, nil)
	b := scheduler.New(db.Pool, []scheduler.Job{job}, quiet, nil)

	tick := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	var ran atomic.Int64
	for _, s := range []*scheduler.Scheduler{a, b, a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := s.RunTick(context.Background(), job, tick)
			if err != nil {
				t.Error(err)
			}
			if ok {
				ran.Add(1)
			}
		}()
	}
	wg.Wait()
	if ran.Load() != 1 || runs.Load() != 1 {
		t.Fatalf("one tick fired four times ran %d times", runs.Load())
	}

	// Both crons running for real: every second fires on both replicas,
	// and each second's tick runs once.
	runs.Store(0)
	ctx, cancel := context.WithTimeout(context.Background(), 3500*time.Millisecond)
	defer cancel()
	var done sync.WaitGroup
	for _, s := range []*scheduler.Scheduler{a, b} {
		done.Add(1)
		go func() { defer done.Done(); _ = s.Run(ctx) }()
	}
	done.Wait()
	ticks := db.Count(t, `SELECT count(*) FROM scheduler_runs WHERE job = 'count' AND tick <> $1`, tick)
	if ticks < 2 || int64(ticks) != runs.Load() {
		t.Errorf("%d ticks ran the job %d times; want once each", ticks, runs.Load())
	}
}

func TestAFailedRunLeavesTheTickForAnotherTry(t *testing.T) {
	t.Parallel()
	db := crmtest.MustOpenDB(t)
	fail := true
	job := scheduler.Job{Name: "flaky", Spec: "@every 1h", Tick: time.Minute,
		Run: func(ctx context.Context, tx pgx.Tx, now time.Time) (string, error) {
			if _, err := tx.Exec(ctx, `INSERT INTO outbox (kind, idempotency_key, payload) VALUES ('x', 'flaky', '{}')`); err != nil {
				return "", err
			}
			if fail {
				return "", errors.New("boom")
			}
			return "ok", nil
		}}
	s := scheduler.New(db.Pool, nil, quiet, nil)
	tick := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	if ran, err := s.RunTick(context.Background(), job, tick); ran || err == nil {
		t.Fatalf("a failing run: ran %v, err %v", ran, err)
	}
	if n := db.Count(t, `SELECT count(*) FROM outbox`); n != 0 {
		t.Fatalf("a failed run left its work behind")
	}
	fail = false
	if ran, err := s.RunTick(context.Background(), job, tick); !ran || err != nil {
		t.Fatalf("the retry: ran %v, err %v", ran, err)
	}
}
