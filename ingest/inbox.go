package ingest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/leadd/leadd/crm"
)

// Inbox keeps raw inbound events in Postgres, keyed by (source, external
// id). It is the only place an adapter writes.
type Inbox struct {
	pool *pgxpool.Pool
	wake func()
}

// NewInbox returns an inbox on pool; wake, if not nil, is called after each
// newly accepted event so a local processor picks it up at once.
func NewInbox(pool *pgxpool.Pool, wake func()) *Inbox {
	return &Inbox{pool: pool, wake: wake}
}

// Accept stores the event durably and returns its id. A delivery seen
// before (same source and external id) returns the first one's id and
// duplicate = true, and stores nothing. hash identifies the request body:
// the same key with another body is refused. Errors: ECONFLICT for a key
// reused with another body.
func (b *Inbox) Accept(ctx context.Context, ev *Event, hash []byte) (id string, duplicate bool, err error) {
	body, err := json.Marshal(ev)
	if err != nil {
		return "", false, fmt.Errorf("accept event: %w", err)
	}
	err = b.pool.QueryRow(ctx, `INSERT INTO inbox (id, source, external_id, body_hash, event) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (source, external_id) DO NOTHING RETURNING id::text`,
		ev.ID, ev.Source, ev.ExternalID, hash, body).Scan(&id)
	if err == nil {
		if b.wake != nil {
			b.wake()
		}
		return id, false, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return "", false, fmt.Errorf("accept event: %w", err)
	}
	var first []byte
	if err := b.pool.QueryRow(ctx, `SELECT id::text, body_hash FROM inbox WHERE source = $1 AND external_id = $2`,
		ev.Source, ev.ExternalID).Scan(&id, &first); err != nil {
		return "", false, fmt.Errorf("accept event: find the first delivery: %w", err)
	}
	if hash != nil && first != nil && !bytes.Equal(hash, first) {
		return "", false, &crm.Error{Code: crm.ECONFLICT, Field: "Idempotency-Key",
			Message: "this key was used for a different request"}
	}
	return id, true, nil
}
