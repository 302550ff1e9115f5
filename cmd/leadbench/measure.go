package main

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// waitProcessed waits until the inbox has nothing pending, or until
// timeout. It counts pending rows through the inbox's partial index, so
// polling costs the database almost nothing while it is under load. It
// reports false when the time ran out.
func waitProcessed(ctx context.Context, pool *pgxpool.Pool, ids []string, timeout time.Duration,
	progress func(string, ...any)) (bool, error) {
	if len(ids) == 0 {
		return true, nil
	}
	deadline := time.Now().Add(timeout)
	lastSaid := time.Now()
	tick := time.NewTimer(0)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case <-tick.C:
		}
		var pending int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM inbox WHERE processed_at IS NULL`).Scan(&pending); err != nil {
			return false, fmt.Errorf("pending events: %w", err)
		}
		if pending == 0 {
			return true, nil
		}
		if time.Now().After(deadline) {
			progress("gave up waiting: %d events still pending after %s", pending, timeout)
			return false, nil
		}
		if time.Since(lastSaid) >= 2*time.Second {
			progress("%d events pending", pending)
			lastSaid = time.Now()
		}
		tick.Reset(100 * time.Millisecond)
	}
}

// processedResult is what the database says became of the run's events.
type processedResult struct {
	total     int
	processed int
	created   int // a new lead
	attached  int // a touch on an open lead
	other     int // junk, failed, ...
	// complete: processed onto a lead with a manager and a call activity.
	complete int
	// returning callers whose lead is their contact's, with their manager.
	returning, recognised int
	// new callers linked to some contact: should be none.
	misLinked int

	firstReceived, lastReceived, lastProcessed time.Time
	// drained: events processed after the last post was answered, and
	// when the first of them was; their rate is processing on its own.
	drained            int
	postEnd            time.Time
	p50, p90, p99, max time.Duration
}

// throughput is events per second from the first accepted post to the
// last processed event.
func (r processedResult) throughput() float64 {
	span := r.lastProcessed.Sub(r.firstReceived).Seconds()
	if span <= 0 {
		return 0
	}
	return float64(r.processed) / span
}

func (r processedResult) span() time.Duration { return r.lastProcessed.Sub(r.firstReceived) }

// drainRate is events per second after the posting ended: the backlog
// processed with nothing else asking for the machine, as the naive
// transaction is measured. 0 when too little was left to tell.
func (r processedResult) drainRate() float64 {
	span := r.lastProcessed.Sub(r.postEnd).Seconds()
	if r.drained < 500 || span <= 0 {
		return 0
	}
	return float64(r.drained) / span
}

func measure(ctx context.Context, pool *pgxpool.Pool, p *plan, got posted, postEnd time.Time) (processedResult, error) {
	r := processedResult{postEnd: postEnd}
	if len(got.ids) == 0 {
		return r, nil
	}
	var p50, p90, p99, mx *float64
	var first, lastRecv, lastProc *time.Time
	err := pool.QueryRow(ctx, `WITH e AS (
			SELECT u.ret, i.received_at, i.processed_at, i.outcome, l.manager_id, l.contact_id,
				c.manager_id AS owner_id,
				EXISTS (SELECT 1 FROM activities a WHERE a.lead_id = l.id AND a.type = 'call') AS has_call,
				extract(epoch FROM i.processed_at - i.received_at) * 1000 AS ms
			FROM unnest($1::uuid[], $2::bool[]) AS u(id, ret)
			JOIN inbox i ON i.id = u.id
			LEFT JOIN leads l ON l.id = i.lead_id
			LEFT JOIN contacts c ON c.id = l.contact_id)
		SELECT count(*),
			count(*) FILTER (WHERE processed_at IS NOT NULL),
			count(*) FILTER (WHERE outcome = 'lead_created'),
			count(*) FILTER (WHERE outcome = 'touch_attached'),
			count(*) FILTER (WHERE processed_at IS NOT NULL AND outcome NOT IN ('lead_created', 'touch_attached')),
			count(*) FILTER (WHERE processed_at IS NOT NULL AND outcome IN ('lead_created', 'touch_attached')
				AND manager_id IS NOT NULL AND has_call),
			count(*) FILTER (WHERE ret),
			count(*) FILTER (WHERE ret AND contact_id IS NOT NULL AND manager_id = owner_id),
			count(*) FILTER (WHERE NOT ret AND contact_id IS NOT NULL),
			min(received_at), max(received_at), max(processed_at),
			percentile_cont(0.5) WITHIN GROUP (ORDER BY ms),
			percentile_cont(0.9) WITHIN GROUP (ORDER BY ms),
			percentile_cont(0.99) WITHIN GROUP (ORDER BY ms),
			max(ms),
			count(*) FILTER (WHERE processed_at > $3)
		FROM e`, got.ids, got.returning, postEnd).Scan(&r.total, &r.processed, &r.created, &r.attached, &r.other, &r.complete,
		&r.returning, &r.recognised, &r.misLinked, &first, &lastRecv, &lastProc, &p50, &p90, &p99, &mx, &r.drained)
	if err != nil {
		return r, fmt.Errorf("measure: %w", err)
	}
	ms := func(f *float64) time.Duration {
		if f == nil {
			return 0
		}
		return time.Duration(*f * float64(time.Millisecond))
	}
	r.p50, r.p90, r.p99, r.max = ms(p50), ms(p90), ms(p99), ms(mx)
	if first != nil {
		r.firstReceived = *first
	}
	if lastRecv != nil {
		r.lastReceived = *lastRecv
	}
	if lastProc != nil {
		r.lastProcessed = *lastProc
	}
	return r, nil
}
