package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/crm/crmtest"
	"github.com/leadd/leadd/dedupe"
	"github.com/leadd/leadd/routing"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

type fixture struct {
	db     *crmtest.DB
	rds    *crmtest.Redis
	inbox  *Inbox
	lander *crm.Lander
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	db := crmtest.MustOpenDB(t)
	rds := crmtest.MustRedis(t)
	if _, err := db.Store.SeedManagers(context.Background(), []crm.Manager{{Name: "Анна"}, {Name: "Борис"}}); err != nil {
		t.Fatal(err)
	}
	engine := routing.NewEngine(routing.Config{
		Pools:   map[string]routing.Pool{"sales": {Strategy: routing.RoundRobin}},
		Default: routing.Target{Pool: "sales"},
	}, 5*time.Minute)
	router := routing.NewRouter(engine, db.Store, routing.RedisCursors{Client: rds.Client, Prefix: rds.Prefix}, 0, quiet, nil)
	inbox := NewInbox(db.Pool, nil, 2)
	t.Cleanup(inbox.Close)
	return &fixture{db: db, rds: rds, inbox: inbox,
		lander: &crm.Lander{Assigner: router, SLA: 5 * time.Minute, Now: time.Now}}
}

func (f *fixture) processor(name string, withLocks bool) *Processor {
	p := &Processor{Pool: f.db.Pool, Lander: f.lander, Log: quiet, Owner: name, Batch: 10, Poll: 10 * time.Millisecond}
	if withLocks {
		p.Locks = &IdentityLocks{Client: f.rds.Client, Prefix: f.rds.Prefix, TTL: 10 * time.Second}
	}
	return p
}

// accept puts a form touch from phone into the inbox.
func (f *fixture) accept(t *testing.T, phone string) string {
	t.Helper()
	norm := dedupe.Normalizer{Region: "RU"}
	in := crm.Inbound{Channel: crm.ChannelForm, Source: "contact", At: time.Now(), Name: "Иван"}
	in.Phones, in.RawPhones = norm.Phones(phone)
	ev := &Event{ID: NewID(time.Now()), Source: "form:contact", Touch: in}
	ev.ExternalID = ev.ID
	id, _, err := f.inbox.Accept(context.Background(), ev, nil)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// drain runs processors until the inbox is empty.
func drain(t *testing.T, ps ...*Processor) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, p := range ps {
		wg.Add(1)
		go func() { defer wg.Done(); _ = p.Run(ctx) }()
	}
	db := ps[0].Pool
	deadline := time.Now().Add(20 * time.Second)
	for {
		var n int
		if err := db.QueryRow(ctx, `SELECT count(*) FROM inbox WHERE processed_at IS NULL`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d events still unprocessed", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	wg.Wait()
}

func TestSamePersonFromManySidesAtOnceGetsOneLead(t *testing.T) {
	t.Parallel()
	ways := []string{"8 (912) 345-67-89", "+7 912 345 67 89", "89123456789", "9123456789", "+7(912)345-67-89"}
	for _, tc := range []struct {
		name  string
		locks bool
	}{{"with Redis locks", true}, {"on the database constraint alone", false}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			var wg sync.WaitGroup
			for i := range 50 {
				wg.Add(1)
				go func() { defer wg.Done(); f.accept(t, ways[i%len(ways)]) }()
			}
			wg.Wait()
			a, b := f.processor("a", tc.locks), f.processor("b", tc.locks)
			a.Batch, b.Batch = 3, 3 // many small batches interleave the two
			drain(t, a, b)

			if n := f.db.Count(t, `SELECT count(*) FROM leads`); n != 1 {
				t.Fatalf("%d leads for one person, want 1", n)
			}
			if n := f.db.Count(t, `SELECT count(*) FROM touches`); n != 50 {
				t.Errorf("%d touches, want 50", n)
			}
			if n := f.db.Count(t, `SELECT count(*) FROM activities`); n != 1 {
				t.Errorf("%d call activities, want 1", n)
			}
			if n := f.db.Count(t, `SELECT count(*) FROM inbox WHERE outcome NOT IN ('lead_created', 'touch_attached')`); n != 0 {
				t.Errorf("%d events did not land", n)
			}
		})
	}
}

func TestCrashBetweenClaimAndCommitProcessesOnceOnRestart(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.accept(t, "+7 916 111 22 33")
	f.accept(t, "+7 916 444 55 66")

	crashing := f.processor("crashing", true)
	crashing.beforeCommit = func() error { return errors.New("killed") }
	if _, err := crashing.Tick(context.Background()); err == nil {
		t.Fatal("the crashing batch committed")
	}
	if n := f.db.Count(t, `SELECT count(*) FROM leads`); n != 0 {
		t.Fatalf("a crashed batch left %d leads", n)
	}

	drain(t, f.processor("restarted", true))
	if n := f.db.Count(t, `SELECT count(*) FROM leads`); n != 2 {
		t.Errorf("%d leads after restart, want 2", n)
	}
	if n := f.db.Count(t, `SELECT count(*) FROM activities`); n != 2 {
		t.Errorf("%d activities after restart, want 2", n)
	}
	if n := f.db.Count(t, `SELECT count(*) FROM outbox`); n != 4 {
		t.Errorf("%d outbox messages after restart, want 4 (each lead's lead.created and lead.assigned)", n)
	}
	// The identity locks the crashed batch held were released.
	if n := len(f.rds.Client.Keys(context.Background(), f.rds.Prefix+"lock:*").Val()); n != 0 {
		t.Errorf("%d identity locks left behind", n)
	}
}

func TestStopFinishesTheBatchInFlight(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for i := range 5 {
		f.accept(t, fmt.Sprintf("+7 916 000 00 %02d", i+10))
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := f.processor("stopping", true)
	p.beforeCommit = func() error {
		cancel() // SIGTERM arrives mid-batch
		return nil
	}
	if err := p.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if n := f.db.Count(t, `SELECT count(*) FROM leads`); n != 5 {
		t.Errorf("%d leads after a stop mid-batch, want all 5", n)
	}
}

func TestFailingEventIsRetriedWithBackoffThenKept(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	id := f.accept(t, "+7 916 777 88 99")
	broken := f.processor("broken", false)
	broken.MaxAttempts = 2
	broken.Lander = &crm.Lander{Assigner: failingAssigner{}, SLA: time.Minute, Now: time.Now}

	if _, err := broken.Tick(context.Background()); err != nil {
		t.Fatal(err)
	}
	var attempts int
	var lastErr string
	var retryIn time.Duration
	err := f.db.Pool.QueryRow(context.Background(), `SELECT attempts, last_error, next_attempt_at - now()
		FROM inbox WHERE id = $1 AND processed_at IS NULL`, id).Scan(&attempts, &lastErr, &retryIn)
	if err != nil {
		t.Fatal(err)
	}
	if attempts != 1 || lastErr == "" || retryIn <= 0 {
		t.Errorf("after one failure: attempts %d, error %q, retry in %v", attempts, lastErr, retryIn)
	}
	if n := f.db.Count(t, `SELECT count(*) FROM leads`); n != 0 {
		t.Errorf("a failed event left %d leads half-written", n)
	}
	f.db.Exec(t, `UPDATE inbox SET next_attempt_at = now()`)
	if _, err := broken.Tick(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := f.db.Count(t, `SELECT count(*) FROM inbox WHERE outcome = 'failed' AND processed_at IS NOT NULL AND last_error <> ''`); n != 1 {
		t.Errorf("after the last attempt the event is not kept as failed with its error")
	}
}

type failingAssigner struct{}

func (failingAssigner) Assign(context.Context, crm.AssignRequest) (crm.Assignment, error) {
	return crm.Assignment{}, errors.New("routing is down")
}

func TestRetriedDeliveryIsTheSameEvent(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ev := &Event{ID: NewID(time.Now()), Source: "form:contact", ExternalID: "key-1",
		Touch: crm.Inbound{Channel: crm.ChannelForm, Phones: []string{"+79161234567"}, At: time.Now()}}
	first, dup, err := f.inbox.Accept(context.Background(), ev, []byte("body"))
	if err != nil || dup {
		t.Fatalf("first delivery: %v, duplicate %v", err, dup)
	}
	ev2 := *ev
	ev2.ID = NewID(time.Now())
	again, dup, err := f.inbox.Accept(context.Background(), &ev2, []byte("body"))
	if err != nil || !dup || again != first {
		t.Fatalf("retry: id %s (first %s), duplicate %v, err %v", again, first, dup, err)
	}
	_, _, err = f.inbox.Accept(context.Background(), &ev2, []byte("another body"))
	if crm.ErrorCode(err) != crm.ECONFLICT {
		t.Errorf("the key reused for another body: %v, want a conflict", err)
	}
	if n := f.db.Count(t, `SELECT count(*) FROM inbox`); n != 1 {
		t.Errorf("%d inbox rows, want 1", n)
	}
}

func TestNewIDIsATimeOrderedUUID(t *testing.T) {
	a := NewID(time.UnixMilli(1_700_000_000_000))
	b := NewID(time.UnixMilli(1_700_000_000_001))
	if len(a) != 36 || a[14] != '7' || a >= b {
		t.Errorf("ids %s, %s: want version-7 UUIDs in time order", a, b)
	}
}

// A processor told to yield takes nothing while intake is busy, and takes
// the backlog once it is not; one without Yield keeps processing.
func TestAYieldingProcessorWaitsForTheBurstToPass(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var busy atomic.Bool
	busy.Store(true)
	yielding := f.processor("yielding", true)
	yielding.Yield = busy.Load
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- yielding.Run(ctx) }()
	for i := range 5 {
		f.accept(t, fmt.Sprintf("+7916555000%d", i))
	}
	time.Sleep(300 * time.Millisecond) // thirty of its polls
	if n := f.db.Count(t, `SELECT count(*) FROM inbox WHERE processed_at IS NOT NULL`); n != 0 {
		t.Errorf("%d events processed while intake was busy", n)
	}
	busy.Store(false)
	deadline := time.Now().Add(20 * time.Second)
	for f.db.Count(t, `SELECT count(*) FROM inbox WHERE processed_at IS NULL`) > 0 {
		if time.Now().After(deadline) {
			t.Fatal("the backlog was not processed after the burst")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// One processor without Yield works through a burst.
	busy.Store(true)
	f.accept(t, "+79165550010")
	drain(t, f.processor("steady", true))
	if n := f.db.Count(t, `SELECT count(*) FROM leads`); n != 6 {
		t.Errorf("%d leads from six events", n)
	}
}

// The processor that keeps landing during a burst (no Yield) slows down
// rather than stops: while intake is busy it pauses before each batch,
// and every event is still processed.
func TestTheLastProcessorTricklesThroughABurst(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var busy atomic.Bool
	busy.Store(true)
	steady := f.processor("steady", true)
	steady.Batch = 2
	steady.Slow, steady.SlowPause = busy.Load, time.Millisecond
	var pauses atomic.Int64
	steady.paused = func() { pauses.Add(1) }
	for i := range 6 {
		f.accept(t, fmt.Sprintf("+7916555100%d", i))
	}
	drain(t, steady) // fails when processing stops while intake is busy
	// Three batches of two, each after a pause.
	if n := pauses.Load(); n < 3 {
		t.Errorf("%d pauses for three batches while intake was busy", n)
	}
	if n := f.db.Count(t, `SELECT count(*) FROM leads`); n != 6 {
		t.Errorf("%d leads from six events", n)
	}
	// Not busy: no pause at all.
	busy.Store(false)
	before := pauses.Load()
	f.accept(t, "+79165551010")
	drain(t, steady)
	if n := pauses.Load() - before; n != 0 {
		t.Errorf("%d pauses while intake was not busy", n)
	}
}

// Processing counts as behind while a claim finds a fresh event that
// waited longer than the pace's Lag, and for Hold after: the helpers of
// the one processor that keeps up join only then. A retry's wait is its
// back-off and does not count.
func TestAClaimOfEventsThatWaitedTellsThatProcessingIsBehind(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	pace := &Pace{Lag: 100 * time.Millisecond, Hold: 300 * time.Millisecond}
	p := f.processor("paced", true)
	p.Pace = pace
	f.accept(t, "+79165552001")
	tick := func() {
		t.Helper()
		if _, err := p.Tick(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	tick()
	if pace.Behind() {
		t.Error("behind after claiming an event that had just arrived")
	}
	f.accept(t, "+79165552002")
	time.Sleep(150 * time.Millisecond)
	tick()
	if !pace.Behind() {
		t.Error("not behind after claiming an event that waited 150 ms (lag 100 ms)")
	}
	time.Sleep(400 * time.Millisecond)
	if pace.Behind() {
		t.Error("still behind 400 ms after the last late claim (hold 300 ms)")
	}

	old := time.Now().Add(-time.Minute)
	pace.claimed([]claimed{{attempts: 2, receivedAt: old}}, time.Now())
	if pace.Behind() {
		t.Error("a retry's back-off counted as processing being behind")
	}
	pace.claimed([]claimed{{attempts: 2, receivedAt: old}, {receivedAt: old}}, time.Now())
	if !pace.Behind() {
		t.Error("a fresh event a minute old beside a retry did not count")
	}
	var none *Pace
	none.claimed([]claimed{{receivedAt: old}}, time.Now())
	if none.Behind() {
		t.Error("no pace is never behind")
	}
}

// The pace also looks at the inbox itself: when the processor that lands
// is stuck on its batch and claims nothing more, events due for longer
// than Lag still make processing count as behind, so the others join.
func TestEventsWaitingInTheInboxTellThatProcessingIsBehind(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	pace := &Pace{Lag: 100 * time.Millisecond, Hold: 200 * time.Millisecond}
	ctx, cancel := context.WithCancel(context.Background())
	watched := make(chan struct{})
	go func() { defer close(watched); pace.Watch(ctx, f.db.Pool, 20*time.Millisecond) }()
	defer func() { cancel(); <-watched }()

	time.Sleep(150 * time.Millisecond)
	if pace.Behind() {
		t.Error("behind with nothing in the inbox")
	}
	f.accept(t, "+79165553001")
	// A stuck processor: it claimed the event and does not commit.
	tx, err := f.db.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(context.Background())
	if _, err := tx.Exec(ctx, `SELECT id FROM inbox WHERE processed_at IS NULL FOR UPDATE`); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !pace.Behind() {
		if time.Now().After(deadline) {
			t.Fatal("an event claimed and stuck for seconds never counted as processing behind")
		}
		time.Sleep(10 * time.Millisecond)
	}
	tx.Rollback(context.Background())
	drain(t, f.processor("unstuck", true))
	time.Sleep(400 * time.Millisecond) // past the hold, with the inbox empty
	if pace.Behind() {
		t.Error("still behind with the inbox processed")
	}
}
