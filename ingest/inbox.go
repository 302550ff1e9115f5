package ingest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/leadd/leadd/crm"
)

// Inbox keeps raw inbound events in Postgres, keyed by (source, external
// id). It is the only place an adapter writes.
//
// Accepts are group-committed: a few writers each take every request
// waiting at that moment and insert them in one statement and one commit.
// Idle, a request goes alone and at once; busy, one WAL flush serves many
// requests, which is what lets intake outrun one-insert-per-request.
type Inbox struct {
	pool *pgxpool.Pool
	wake func()

	mu     sync.RWMutex // held for reading while sending; Close takes it to close reqs
	closed bool
	reqs   chan *acceptReq
	wg     sync.WaitGroup

	// Busy's record of crowded commits (busyGroup requests or more, all
	// queued behind the commit before): when the current streak of them
	// began and when the last one was, in Unix nanoseconds.
	crowdSince, crowdLast atomic.Int64
}

type acceptReq struct {
	ev   *Event
	body []byte
	hash []byte
	res  chan acceptRes
}

type acceptRes struct {
	id  string
	dup bool
	err error
}

// maxGroup is the most requests one commit carries.
const maxGroup = 256

// NewInbox returns an inbox on pool with writers group-committing writers
// (at least 1); wake, if not nil, is called after newly accepted events so
// a local processor picks them up at once. Close stops it.
func NewInbox(pool *pgxpool.Pool, wake func(), writers int) *Inbox {
	b := &Inbox{pool: pool, wake: wake, reqs: make(chan *acceptReq, maxGroup)}
	for range max(writers, 1) {
		b.wg.Add(1)
		go b.writer()
	}
	return b
}

// Close waits for the accepts in flight and stops the writers; an Accept
// after Close fails.
func (b *Inbox) Close() {
	b.mu.Lock()
	if !b.closed {
		b.closed = true
		close(b.reqs)
	}
	b.mu.Unlock()
	b.wg.Wait()
}

// Accept stores the event durably and returns its id. A delivery seen
// before (same source and external id) returns the first one's id and
// duplicate = true, and stores nothing. hash identifies the request body:
// the same key with another body is refused. Errors: EINVALID or
// ETOOLARGE for an event that fails Event.Check, ECONFLICT for a key
// reused with another body, EUNAVAILABLE after Close or while Postgres
// cannot be reached.
func (b *Inbox) Accept(ctx context.Context, ev *Event, hash []byte) (id string, duplicate bool, err error) {
	// Accepted means processable: what the processor would choke on is
	// refused here, before it can share a commit with anyone.
	if err := ev.Check(); err != nil {
		return "", false, err
	}
	body, err := json.Marshal(ev)
	if err != nil {
		return "", false, fmt.Errorf("accept event: %w", err)
	}
	req := &acceptReq{ev: ev, body: body, hash: hash, res: make(chan acceptRes, 1)}
	queued := time.Now()
	b.mu.RLock()
	if b.closed {
		b.mu.RUnlock()
		return "", false, crm.Errorf(crm.EUNAVAILABLE, "shutting down; try again")
	}
	select {
	case b.reqs <- req:
		b.mu.RUnlock()
	case <-ctx.Done():
		b.mu.RUnlock()
		return "", false, ctx.Err()
	}
	select {
	case r := <-req.res:
		inboxSeconds.Observe(time.Since(queued).Seconds())
		return r.id, r.dup, r.err
	case <-ctx.Done():
		// It may yet commit: a retry with the same key finds it.
		return "", false, ctx.Err()
	}
}

func (b *Inbox) writer() {
	defer b.wg.Done()
	for req := range b.reqs {
		group := []*acceptReq{req}
	more:
		for len(group) < maxGroup {
			select {
			case r, ok := <-b.reqs:
				if !ok {
					break more
				}
				group = append(group, r)
			default:
				break more
			}
		}
		if len(group) >= busyGroup {
			b.crowded(time.Now())
		}
		b.write(group)
	}
}

// Intake is busy when requests have queued behind every commit, a crowd
// of busyGroup or more each time, for busyAfter without a gap longer than
// busyGap: a sustained burst, not one slow commit.
const (
	busyGroup = 8
	busyGap   = 50 * time.Millisecond
	busyAfter = 300 * time.Millisecond
)

func (b *Inbox) crowded(now time.Time) {
	t := now.UnixNano()
	if last := b.crowdLast.Load(); last == 0 || t-last > int64(busyGap) {
		b.crowdSince.Store(t)
	}
	b.crowdLast.Store(t)
}

// Busy reports whether intake is at its limit: for a while now requests
// have been queueing behind every commit. Processing that can wait uses
// it to leave the machine to intake during a burst.
func (b *Inbox) Busy() bool { return b.busyAt(time.Now()) }

func (b *Inbox) busyAt(now time.Time) bool {
	last := b.crowdLast.Load()
	if last == 0 {
		return false
	}
	t := now.UnixNano()
	return t-last <= int64(busyGap) && last-b.crowdSince.Load() >= int64(busyAfter)
}

// write inserts a group in one statement; the ones already there are
// answered as duplicates.
func (b *Inbox) write(group []*acceptReq) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	n := len(group)
	ids, sources, exts, bodies := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	hashes := make([][]byte, n)
	for i, r := range group {
		ids[i], sources[i], exts[i], bodies[i], hashes[i] = r.ev.ID, r.ev.Source, r.ev.ExternalID, string(r.body), r.hash
	}
	rows, err := b.pool.Query(ctx, `INSERT INTO inbox (id, source, external_id, body_hash, event)
		SELECT u.id, u.source, u.ext, u.hash, u.body::jsonb
		FROM unnest($1::uuid[], $2::text[], $3::text[], $4::bytea[], $5::text[]) AS u(id, source, ext, hash, body)
		ON CONFLICT (source, external_id) DO NOTHING RETURNING id::text`, ids, sources, exts, hashes, bodies)
	var inserted []string
	if err == nil {
		inserted, err = pgx.CollectRows(rows, pgx.RowTo[string])
	}
	if err != nil {
		switch {
		case crm.ErrorCode(err) == crm.EUNAVAILABLE:
			for _, r := range group {
				r.res <- acceptRes{err: fmt.Errorf("accept event: %w: %w", crm.Unavailable(), err)}
			}
		case len(group) > 1:
			// One member spoiled the statement: each goes alone, so the
			// failure stays with the one that caused it.
			for _, r := range group {
				b.write([]*acceptReq{r})
			}
		default:
			for _, r := range group {
				r.res <- acceptRes{err: fmt.Errorf("accept event: %w", err)}
			}
		}
		return
	}
	if len(inserted) > 0 && b.wake != nil {
		b.wake()
	}
	fresh := make(map[string]bool, len(inserted))
	for _, id := range inserted {
		fresh[id] = true
	}
	for _, r := range group {
		if fresh[r.ev.ID] {
			r.res <- acceptRes{id: r.ev.ID}
			continue
		}
		id, err := b.first(ctx, r)
		r.res <- acceptRes{id: id, dup: err == nil, err: err}
	}
}

// first finds the first delivery of a repeated one.
func (b *Inbox) first(ctx context.Context, r *acceptReq) (string, error) {
	var id string
	var hash []byte
	err := b.pool.QueryRow(ctx, `SELECT id::text, body_hash FROM inbox WHERE source = $1 AND external_id = $2`,
		r.ev.Source, r.ev.ExternalID).Scan(&id, &hash)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", fmt.Errorf("accept event: neither stored nor found (%s %s)", r.ev.Source, r.ev.ExternalID)
	}
	if err != nil {
		return "", fmt.Errorf("accept event: find the first delivery: %w", err)
	}
	if r.hash != nil && hash != nil && !bytes.Equal(r.hash, hash) {
		return "", crm.FieldErrorf(crm.ECONFLICT, "Idempotency-Key", "this key was used for a different request")
	}
	return id, nil
}
