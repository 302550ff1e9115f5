package crm

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnqueueInboxFailed tells the supervisors, in the caller's transaction,
// that an event failed for good (at failedAt).
func EnqueueInboxFailed(ctx context.Context, tx pgx.Tx, n InboxFailed, failedAt time.Time) error {
	return Enqueue(ctx, tx, fmt.Sprintf("inbox_failed:%s:%d", n.EventID, failedAt.UnixNano()), n)
}

// FailedEvent is an inbound event that still failed after its retries:
// kept, with its last error, for a person to look at and retry.
type FailedEvent struct {
	ID         string          `json:"id"`
	Source     string          `json:"source"`
	ExternalID string          `json:"external_id"`
	ReceivedAt time.Time       `json:"received_at"`
	FailedAt   time.Time       `json:"failed_at"`
	Attempts   int             `json:"attempts"`
	LastError  string          `json:"last_error"`
	Event      json.RawMessage `json:"event"`
}

var uuidRe = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// FailedEvents lists failed events newest first, limit a page, after the
// cursor a previous page returned. Errors: EINVALID for a bad cursor.
func (s *Store) FailedEvents(ctx context.Context, cursor string, limit int) ([]FailedEvent, string, error) {
	limit = pageSize(limit)
	if cursor != "" && !uuidRe.MatchString(cursor) {
		return nil, "", Invalid("cursor", "not a cursor this API returned")
	}
	rows, err := s.pool.Query(ctx, `SELECT id::text, source, external_id, received_at, processed_at, attempts,
			coalesce(last_error, ''), event FROM inbox
		WHERE outcome = 'failed' AND ($1 = '' OR id < $1::uuid) ORDER BY id DESC LIMIT $2`, cursor, limit+1)
	if err != nil {
		return nil, "", translate(err, "failed events")
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (FailedEvent, error) {
		var e FailedEvent
		err := r.Scan(&e.ID, &e.Source, &e.ExternalID, &e.ReceivedAt, &e.FailedAt, &e.Attempts, &e.LastError, &e.Event)
		return e, err
	})
	if err != nil {
		return nil, "", translate(err, "failed events")
	}
	if len(out) <= limit {
		return out, "", nil
	}
	out = out[:limit]
	return out, out[len(out)-1].ID, nil
}

// RetryEvent puts a failed event back to be processed at once, with its
// attempts counted afresh. Errors: ENOTFOUND for no such event, ECONFLICT
// for one that has not failed.
func (s *Store) RetryEvent(ctx context.Context, id string) (FailedEvent, error) {
	if !uuidRe.MatchString(id) {
		return FailedEvent{}, Errorf(ENOTFOUND, "no event %q", id)
	}
	var e FailedEvent
	var outcome *string
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `SELECT id::text, source, external_id, received_at, coalesce(processed_at, received_at), attempts,
				coalesce(last_error, ''), event, outcome FROM inbox WHERE id = $1::uuid FOR UPDATE`, id).
			Scan(&e.ID, &e.Source, &e.ExternalID, &e.ReceivedAt, &e.FailedAt, &e.Attempts, &e.LastError, &e.Event, &outcome)
		if err != nil {
			return translate(err, "event")
		}
		if outcome == nil || *outcome != "failed" {
			return Errorf(ECONFLICT, "event %s has not failed; nothing to retry", id)
		}
		_, err = tx.Exec(ctx, `UPDATE inbox SET processed_at = NULL, outcome = NULL, attempts = 0, next_attempt_at = now()
			WHERE id = $1::uuid`, id)
		return translate(err, "event")
	})
	return e, err
}
