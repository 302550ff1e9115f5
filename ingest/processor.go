package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/leadd/leadd/crm"
)

// Processor claims inbox events and lands them in the core. Claiming,
// landing and marking done happen in one transaction per batch (each event
// in its own savepoint), so a crash anywhere retries the batch and never
// yields a second lead or a lost one.
type Processor struct {
	Pool   *pgxpool.Pool
	Lander *crm.Lander
	Locks  *IdentityLocks // optional
	Log    *slog.Logger
	Owner  string        // this instance's name in identity locks
	Batch  int           // events per transaction
	Poll   time.Duration // how often to look when not woken
	// MaxAttempts before an event is given up as failed (kept, with its
	// error, for a person to look at).
	MaxAttempts int
	// Wake, when not nil, delivers nudges from a local intake.
	Wake <-chan struct{}
	// Linger is how long to wait after a nudge for more events to arrive,
	// so that a busy intake makes full batches rather than many tiny ones.
	Linger time.Duration
	// Yield, when not nil and true, makes this processor wait before its
	// next batch: intake is at its limit and has the machine first. Give
	// it to all processors of a process but one (cmd/leadd does), so that
	// processing never stops.
	Yield func() bool
	// Slow, when not nil and true, makes this processor — the one
	// without Yield — pause SlowPause before each batch: intake is at its
	// limit. Processing goes on through the burst, a batch per pause,
	// and leaves the rest of the machine to intake; a processor landing
	// batch after batch took a sixth of what the accept path had
	// (docs/benchmarks.md).
	Slow      func() bool
	SlowPause time.Duration
	// Pace, when not nil, learns from every claim whether processing is
	// behind; give the processors of a process the same one.
	Pace *Pace

	// paused is a test hook: it runs after each pause Slow asked for.
	paused func()
	// beforeCommit is a test hook: it runs after landing and before the
	// commit; an error aborts the batch as a crash would.
	beforeCommit func() error
	// steppedBack counts events put back because their person was busy.
	steppedBack atomic.Int64
}

// Run processes events until ctx ends; a batch in flight is finished
// first. It returns nil on a clean stop.
func (p *Processor) Run(ctx context.Context) error {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-timer.C:
		case <-p.Wake:
			if p.Linger > 0 {
				select {
				case <-ctx.Done():
				case <-time.After(p.Linger):
				}
			}
		}
		for ctx.Err() == nil {
			if p.yield(ctx); ctx.Err() != nil {
				break
			}
			// A batch in flight finishes even when the stop comes.
			bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			n, err := p.Tick(bctx)
			cancel()
			if err != nil {
				p.Log.Error("process inbox", "err", err)
				break
			}
			if n < p.batch() {
				break
			}
		}
		timer.Reset(p.Poll)
	}
}

// yield waits while Yield says intake is busy, looking again every few
// milliseconds, or until ctx ends; when Slow says so, it waits one
// SlowPause.
func (p *Processor) yield(ctx context.Context) {
	if p.Slow != nil && p.SlowPause > 0 && p.Slow() {
		select {
		case <-ctx.Done():
		case <-time.After(p.SlowPause):
		}
		if p.paused != nil {
			p.paused()
		}
	}
	if p.Yield == nil {
		return
	}
	for p.Yield() {
		select {
		case <-ctx.Done():
			return
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func (p *Processor) batch() int {
	if p.Batch <= 0 {
		return 20
	}
	return p.Batch
}

type claimed struct {
	id         string
	attempts   int
	receivedAt time.Time
	ev         Event
}

type result struct {
	id, outcome, lastErr string
	leadID               *int64
	retryIn              time.Duration
	done                 bool
}

// Tick processes one batch of due events and returns how many it claimed.
func (p *Processor) Tick(ctx context.Context) (int, error) {
	tx, err := p.Pool.Begin(ctx)
	if err != nil {
		return 0, fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))

	// The claim must walk the pending index in order and stop after a
	// batch. During a burst the statistics still say the inbox is nearly
	// empty, and the planner would rather fetch the whole backlog and sort
	// it (with its payloads, spilling to disk: 0.6 s a claim at 8,000
	// pending, see docs/benchmarks.md); a sort is never what this wants.
	// The setting is the claim's alone, and the three go in one round trip.
	b := &pgx.Batch{}
	b.Queue(`SET LOCAL enable_sort = off`)
	claim := b.Queue(`SELECT id::text, attempts, received_at, event FROM inbox
		WHERE processed_at IS NULL AND next_attempt_at <= now()
		ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED`, p.batch())
	b.Queue(`SET LOCAL enable_sort = on`)
	var batch []claimed
	claim.Query(func(rows pgx.Rows) error {
		var err error
		batch, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (claimed, error) {
			var c claimed
			var raw []byte
			if err := r.Scan(&c.id, &c.attempts, &c.receivedAt, &raw); err != nil {
				return c, err
			}
			if err := json.Unmarshal(raw, &c.ev); err != nil {
				return c, err
			}
			// The touch counts from when it reached the company, however
			// long it waited here (crm/arrival.go).
			c.ev.Touch.Arrived = crm.ArrivedAt(c.ev.Touch.At, c.receivedAt)
			return c, nil
		})
		return err
	})
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return 0, fmt.Errorf("claim: %w", err)
	}
	if len(batch) == 0 {
		return 0, nil
	}
	p.Pace.claimed(batch, time.Now())

	mine, held := p.lock(ctx, tx, batch)
	if len(held) > 0 {
		stop := p.Locks.Keep(ctx, p.Owner, held)
		defer func() {
			stop()
			if err := p.Locks.Unlock(context.WithoutCancel(ctx), p.Owner, held); err != nil {
				p.Log.Debug("release identity locks", "err", err)
			}
		}()
	}
	ready := make([]claimed, 0, len(batch))
	var later []string
	for _, c := range batch {
		if !all(c.ev.Touch.Identities(), mine) {
			// Another processor is on this person (or was, and died: its
			// locks end within their TTL). Theirs first; this one steps
			// back a moment so the next claim takes the rows behind it
			// instead of spinning on it.
			later = append(later, c.id)
			continue
		}
		ready = append(ready, c)
	}
	if len(later) > 0 {
		if _, err := tx.Exec(ctx, `UPDATE inbox SET next_attempt_at = now() + make_interval(secs => $2) WHERE id = ANY($1::uuid[])`,
			later, p.stepBack().Seconds()); err != nil {
			return 0, fmt.Errorf("step back: %w", err)
		}
		p.steppedBack.Add(int64(len(later)))
		steppedBack.Add(float64(len(later)))
	}
	results, err := p.landAll(ctx, tx, ready)
	if err != nil {
		return 0, err
	}
	if err := markResults(ctx, tx, results); err != nil {
		return 0, err
	}
	failed := 0
	for i, r := range results {
		if r.outcome != "failed" {
			continue
		}
		failed++
		c := ready[i]
		n := crm.InboxFailed{EventID: c.id, Source: c.ev.Source, Attempts: c.attempts + 1, Error: r.lastErr}
		if err := crm.EnqueueInboxFailed(ctx, tx, n, time.Now()); err != nil {
			return 0, err
		}
	}
	if p.beforeCommit != nil {
		if err := p.beforeCommit(); err != nil {
			return 0, err
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, fmt.Errorf("commit: %w", err)
	}
	batchSize.Observe(float64(len(results)))
	failedTotal.Add(float64(failed))
	now := time.Now()
	for i, r := range results {
		processed.WithLabelValues(r.outcome).Inc()
		if r.done {
			processSeconds.Observe(now.Sub(ready[i].receivedAt).Seconds())
		}
	}
	return len(batch), nil
}

// lock takes, in one round trip, the identity locks of every person in
// the batch that no other processor holds, and returns them as a set and
// as a list of Redis locks to release. Without Redis (none configured, or
// unreachable) it takes Postgres advisory locks of the transaction
// instead, without waiting: two processors never land the same person at
// once, so they never wait on each other's rows in opposite orders.
func (p *Processor) lock(ctx context.Context, tx pgx.Tx, batch []claimed) (map[string]bool, []string) {
	seen := map[string]bool{}
	var ids []string
	for _, c := range batch {
		for _, id := range c.ev.Touch.Identities() {
			if !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	if p.Locks != nil {
		got, err := p.Locks.Acquire(ctx, p.Owner, ids)
		if err == nil {
			return set(got), got
		}
		// The Redis client says so once per outage; not once per batch.
		p.Log.Debug("identity locks unavailable; taking them in Postgres", "err", err)
	}
	sort.Strings(ids)
	rows, err := tx.Query(ctx, `SELECT id FROM unnest($1::text[]) WITH ORDINALITY AS u(id, n)
		WHERE pg_try_advisory_xact_lock(hashtextextended(id, 7317)) ORDER BY n`, ids)
	if err != nil {
		p.Log.Warn("identity locks in Postgres unavailable; relying on the constraint", "err", err)
		return set(ids), nil
	}
	got, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		p.Log.Warn("identity locks in Postgres unavailable; relying on the constraint", "err", err)
		return set(ids), nil
	}
	return set(got), nil
}

func set(ids []string) map[string]bool {
	m := make(map[string]bool, len(ids))
	for _, id := range ids {
		m[id] = true
	}
	return m
}

// stepBack is how long an event whose person is busy waits before it is
// claimed again.
func (p *Processor) stepBack() time.Duration {
	if p.Locks != nil && p.Locks.TTL > 0 {
		return min(p.Locks.TTL/4, time.Second)
	}
	return 250 * time.Millisecond
}

func all(ids []string, set map[string]bool) bool {
	for _, id := range ids {
		if !set[id] {
			return false
		}
	}
	return true
}

// landAll lands the events in one savepoint, the fast way (the batch
// as a whole: crm.LandMany); if that fails, it undoes them all and lands
// each in a savepoint of its own, so one bad event neither blocks nor
// spoils the others.
func (p *Processor) landAll(ctx context.Context, tx pgx.Tx, events []claimed) ([]result, error) {
	if len(events) == 0 {
		return nil, nil
	}
	sp, err := tx.Begin(ctx)
	if err != nil {
		return nil, err
	}
	in := make([]crm.Incoming, len(events))
	for i := range events {
		in[i] = crm.Incoming{EventID: events[i].id, In: &events[i].ev.Touch}
	}
	landings, err := p.Lander.LandMany(ctx, sp, in)
	if err == nil {
		results := make([]result, len(events))
		for i, landing := range landings {
			id := landing.LeadID
			results[i] = result{id: events[i].id, outcome: landing.Outcome, leadID: &id, done: true}
		}
		return results, sp.Commit(ctx)
	}
	if err := sp.Rollback(ctx); err != nil {
		return nil, err
	}
	results := make([]result, 0, len(events))
	for _, c := range events {
		results = append(results, p.process(ctx, tx, c))
	}
	return results, nil
}

// process lands one event in a savepoint. A conflict (someone else opened
// the person's lead a moment ago) is retried at once: it then attaches.
func (p *Processor) process(ctx context.Context, tx pgx.Tx, c claimed) result {
	var err error
	for try := 0; try < 3; try++ {
		var landing crm.Landing
		landing, err = p.landOnce(ctx, tx, c)
		if err == nil {
			id := landing.LeadID
			p.Log.Debug("event processed", "event_id", c.id, "outcome", landing.Outcome, "lead_id", id)
			return result{id: c.id, outcome: landing.Outcome, leadID: &id, done: true}
		}
		if crm.ErrorCode(err) != crm.ECONFLICT {
			break
		}
	}
	attempts := c.attempts + 1
	if errors.Is(err, crm.ErrEarly) && attempts < p.maxAttempts() {
		// Providers deliver out of order: it lands when its first event has.
		p.Log.Debug("event early, retried", "event_id", c.id, "attempt", attempts, "err", err)
	} else {
		p.Log.Error("event failed", "event_id", c.id, "attempt", attempts, "err", err)
	}
	if attempts >= p.maxAttempts() {
		return result{id: c.id, outcome: "failed", lastErr: err.Error(), done: true}
	}
	return result{id: c.id, outcome: "retry", lastErr: err.Error(), retryIn: backoff(attempts)}
}

func (p *Processor) landOnce(ctx context.Context, tx pgx.Tx, c claimed) (crm.Landing, error) {
	sp, err := tx.Begin(ctx)
	if err != nil {
		return crm.Landing{}, err
	}
	landing, err := p.Lander.Land(ctx, sp, c.id, &c.ev.Touch)
	if err != nil {
		_ = sp.Rollback(ctx)
		return crm.Landing{}, err
	}
	return landing, sp.Commit(ctx)
}

func (p *Processor) maxAttempts() int {
	if p.MaxAttempts <= 0 {
		return 10
	}
	return p.MaxAttempts
}

// backoff is 1s, 2s, 4s ... up to 10 minutes.
func backoff(attempt int) time.Duration {
	d := time.Second << min(attempt-1, 10)
	return min(d, 10*time.Minute)
}

func markResults(ctx context.Context, tx pgx.Tx, results []result) error {
	if len(results) == 0 {
		return nil
	}
	ids := make([]string, len(results))
	outcomes := make([]string, len(results))
	leads := make([]*int64, len(results))
	errs := make([]*string, len(results))
	done := make([]bool, len(results))
	retry := make([]float64, len(results))
	for i, r := range results {
		ids[i], outcomes[i], leads[i], done[i], retry[i] = r.id, r.outcome, r.leadID, r.done, r.retryIn.Seconds()
		if r.lastErr != "" {
			e := r.lastErr
			errs[i] = &e
		}
	}
	_, err := tx.Exec(ctx, `UPDATE inbox i SET attempts = i.attempts + 1, outcome = u.outcome, lead_id = u.lead_id,
			last_error = u.err,
			processed_at = CASE WHEN u.done THEN clock_timestamp() END,
			next_attempt_at = CASE WHEN u.done THEN i.next_attempt_at ELSE now() + make_interval(secs => u.retry) END
		FROM unnest($1::uuid[], $2::text[], $3::bigint[], $4::text[], $5::bool[], $6::float8[])
			AS u(id, outcome, lead_id, err, done, retry)
		WHERE i.id = u.id`, ids, outcomes, leads, errs, done, retry)
	if err != nil {
		return fmt.Errorf("mark processed: %w", err)
	}
	return nil
}
