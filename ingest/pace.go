package ingest

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Pace tells a process's processors whether processing is behind. One
// processor keeps up with a steady intake on its own and makes the fuller
// batches; the others join only while events wait longer than Lag, so at a
// steady rate two processing transactions do not take both cores from the
// accepts (docs/benchmarks.md), and a backlog still gets every processor.
//
// Two things say it is behind: a claim that found a fresh event older
// than Lag (at once), and Watch, which looks at the inbox itself — so the
// others also join when the one that lands is stuck and claims nothing.
type Pace struct {
	// Lag is how long an event may wait, once due, before processing
	// counts as behind (250 ms when zero).
	Lag time.Duration
	// Hold is how long processing counts as behind after it last was
	// seen to be (a second when zero).
	Hold time.Duration

	until atomic.Int64 // behind until then, in Unix nanoseconds
}

func (p *Pace) lag() time.Duration {
	if p.Lag <= 0 {
		return 250 * time.Millisecond
	}
	return p.Lag
}

func (p *Pace) behindNow(now time.Time) {
	hold := p.Hold
	if hold <= 0 {
		hold = time.Second
	}
	p.until.Store(now.Add(hold).UnixNano())
}

// Behind reports whether processing was lately seen to be behind.
func (p *Pace) Behind() bool { return p != nil && time.Now().UnixNano() < p.until.Load() }

// claimed records a claim: whether a fresh event in it waited longer than
// Lag. Retries are not counted: their wait is their back-off.
func (p *Pace) claimed(batch []claimed, now time.Time) {
	if p == nil {
		return
	}
	for _, c := range batch {
		if c.attempts == 0 && now.Sub(c.receivedAt) > p.lag() {
			p.behindNow(now)
			return
		}
	}
}

// Watch looks every interval, until ctx ends, whether an event has been
// due for processing longer than Lag — claimed by a processor that has
// not committed, or not claimed at all — and if so counts processing as
// behind. One look is the first entry of the pending index.
func (p *Pace) Watch(ctx context.Context, pool *pgxpool.Pool, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		var waiting bool
		err := pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM inbox
			WHERE processed_at IS NULL AND next_attempt_at <= now() - $1::interval)`, p.lag()).Scan(&waiting)
		if err == nil && waiting {
			p.behindNow(time.Now())
		}
	}
}
