package ingest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
)

// A crash costs seconds: processor A claims a batch, takes its people's
// identity locks and dies mid-transaction, as under SIGKILL (its Postgres
// sessions are terminated, its Redis connection is cut, nothing is
// released). Processor B takes every other event at once, steps back from
// A's people instead of spinning on them, and drains the whole backlog as
// soon as A's short locks lapse: one lead per person, none lost.
func TestAProcessorKilledMidBatchHoldsNobodyUpForLong(t *testing.T) {
	f := newFixture(t)
	const n = 300
	for i := range n {
		f.accept(t, fmt.Sprintf("+7 917 6%02d %02d %02d", i/10000, i/100%100, i%100))
	}

	cfg, err := pgxpool.ParseConfig(f.db.URL)
	if err != nil {
		t.Fatal(err)
	}
	app := "leadd-doomed-" + NewID(time.Now())[:8]
	cfg.ConnConfig.RuntimeParams["application_name"] = app
	poolA, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	rdbA := redis.NewClient(f.rds.Client.Options())
	const ttl = 3 * time.Second
	holding, forever := make(chan struct{}), make(chan struct{})
	a := &Processor{Pool: poolA, Lander: f.lander, Log: quiet, Owner: "a", Batch: 50, Poll: 10 * time.Millisecond,
		Locks: &IdentityLocks{Client: rdbA, Prefix: f.rds.Prefix, TTL: ttl}}
	a.beforeCommit = func() error {
		close(holding)
		<-forever // dead: it never commits nor lets go
		return fmt.Errorf("killed")
	}
	ctxA, stopA := context.WithCancel(context.Background())
	doneA := make(chan struct{})
	go func() { defer close(doneA); _ = a.Run(ctxA) }()
	<-holding

	// SIGKILL: the kernel closes its sockets. Postgres ends its sessions
	// (their row locks go), Redis no longer hears from it (no more
	// extending), and nothing is unlocked by hand.
	_ = rdbA.Close()
	f.db.Exec(t, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1`, app)
	held := lockedBy(t, f, "a")
	if held == 0 {
		t.Fatal("processor A holds no identity locks; the test kills nothing")
	}
	t.Cleanup(func() { close(forever); stopA(); <-doneA; poolA.Close() })

	b := f.processor("b", true)
	b.Locks.TTL = ttl
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = b.Run(ctx) }()

	// Everyone A was not holding is landed while A's locks still stand.
	waitFor(t, "B to land every event A did not hold", func() bool {
		return f.db.Count(t, `SELECT count(*) FROM inbox WHERE processed_at IS NOT NULL`) >= n-held
	})
	if still := lockedBy(t, f, "a"); still == 0 {
		t.Logf("A's locks lapsed before the rest was landed (a slow machine); the count below still holds")
	}
	// Then the backlog drains: A's locks lapse within their few seconds.
	waitFor(t, "the backlog to drain", func() bool {
		return f.db.Count(t, `SELECT count(*) FROM inbox WHERE processed_at IS NULL`) == 0
	})
	if got := f.db.Count(t, `SELECT count(*) FROM leads`); got != n {
		t.Errorf("%d leads from %d people", got, n)
	}
	// B stepped back from A's people a few times each, not in a loop.
	stepBack := b.stepBack()
	limit := int64(held) * int64(ttl/stepBack+4)
	if got := b.steppedBack.Load(); got > limit {
		t.Errorf("B put A's %d events back %d times; a claim loop that skips without spinning does it at most %d", held, got, limit)
	} else {
		t.Logf("A held %d people; B stepped back from them %d times (at most %d) and drained %d events", held, got, limit, n)
	}
}

// lockedBy counts the identity locks owner holds.
func lockedBy(t *testing.T, f *fixture, owner string) int {
	t.Helper()
	ctx := context.Background()
	n := 0
	iter := f.rds.Client.Scan(ctx, 0, f.rds.Prefix+"lock:*", 1000).Iterator()
	for iter.Next(ctx) {
		if v, _ := f.rds.Client.Get(ctx, iter.Val()).Result(); v == owner {
			n++
		}
	}
	if err := iter.Err(); err != nil {
		t.Fatal(err)
	}
	return n
}

// waitFor polls cond until it holds, failing the test after 20 seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
