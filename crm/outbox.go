package crm

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// The outbox holds every side effect, written in the transaction that
// decided it. Each consumer (Telegram, webhooks, mail) registers the kinds
// it reads; a trigger gives every new row one delivery per consumer that
// reads its kind, and each consumer claims, retries and dead-letters only
// its own deliveries. One consumer failing, or not running at all, never
// hides a row from another.

// The consumers of the outbox.
const (
	ConsumerTelegram = "telegram"
	ConsumerWebhooks = "webhooks"
	ConsumerMail     = "mail"
)

// OutboxMessage is one outbox row as a consumer claimed it.
type OutboxMessage struct {
	ID        int64
	Kind      string
	Key       string
	Payload   json.RawMessage
	Attempts  int // the consumer's, including this one
	CreatedAt time.Time
	// LeaseUntil is when the claim runs out (ExtendOutbox moves it on).
	LeaseUntil time.Time
}

// Enqueue writes a side effect to the outbox in the caller's transaction.
// The key makes a repeated decision one message, not two.
func Enqueue(ctx context.Context, tx pgx.Tx, key string, payload OutboxKind) error {
	kind := mustKind(payload)
	b, err := json.Marshal(payload)
	if err != nil {
		return fmt.Errorf("outbox %s: %w", kind, err)
	}
	_, err = tx.Exec(ctx, `INSERT INTO outbox (kind, idempotency_key, payload) VALUES ($1, $2, $3)
		ON CONFLICT (idempotency_key) DO NOTHING`, kind, key, b)
	return translate(err, "outbox message")
}

// RegisterConsumer makes consumer read the kinds from now on (replacing
// what it read before): every row of those kinds written after this gets
// a delivery of its own for it. Errors: EINVALID (an unknown kind).
func (s *Store) RegisterConsumer(ctx context.Context, consumer string, kinds []string) error {
	for _, k := range kinds {
		if _, ok := decoders[k]; !ok {
			return Errorf(EINVALID, "consumer %s: unknown outbox kind %q", consumer, k)
		}
	}
	return registerConsumer(ctx, s.pool, consumer, kinds, s.now())
}

func registerConsumer(ctx context.Context, q Querier, consumer string, kinds []string, now time.Time) error {
	if kinds == nil {
		kinds = []string{}
	}
	_, err := q.Exec(ctx, `INSERT INTO outbox_consumers (name, kinds, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (name) DO UPDATE SET kinds = $2, updated_at = $3 WHERE outbox_consumers.kinds <> $2`, consumer, kinds, now)
	return translate(err, "outbox consumer")
}

// RetireConsumer stops consumer from getting new rows and dead-letters
// what it had pending (a consumer switched off in the configuration, such
// as Telegram without a token, would otherwise collect rows forever).
func (s *Store) RetireConsumer(ctx context.Context, consumer string) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM outbox_consumers WHERE name = $1`, consumer)
		if err != nil || tag.RowsAffected() == 0 {
			return translate(err, "outbox consumer")
		}
		_, err = tx.Exec(ctx, `UPDATE outbox_deliveries SET dead_at = $2, last_error = 'consumer retired'
			WHERE consumer = $1 AND delivered_at IS NULL AND dead_at IS NULL`, consumer, s.now())
		return translate(err, "outbox deliveries")
	})
}

// ClaimOutbox leases up to limit of consumer's due deliveries, new ones
// first, then retries by due time: each is hidden from the consumer's
// other claimers for lease and its attempt counted, so a crash before it
// is settled retries it once the lease runs out (at least once). Keep the
// lease short — seconds — so a dead replica's rows move on quickly.
func (s *Store) ClaimOutbox(ctx context.Context, consumer string, limit int, lease time.Duration) ([]OutboxMessage, error) {
	now := s.now()
	until := now.Add(lease).Truncate(time.Microsecond) // as Postgres keeps it: ExtendOutbox compares
	hint := s.fresh.get(consumer, now)
	// New rows (next_attempt_at -infinity) from the watermark in id order,
	// then, if the batch is not full, retries and run-out leases by due
	// time; the second scan does not run while new rows fill the batch.
	rows, err := s.pool.Query(ctx, `WITH snap AS (
			SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS xmin,
				pg_snapshot_xmax(pg_current_snapshot())::text::bigint AS xmax,
				(SELECT coalesce(max(id), 0) FROM outbox) AS top),
		fresh AS (
			SELECT outbox_id FROM outbox_deliveries
			WHERE consumer = $1 AND delivered_at IS NULL AND dead_at IS NULL AND next_attempt_at = '-infinity' AND outbox_id > $5
			ORDER BY outbox_id LIMIT $3 FOR UPDATE SKIP LOCKED),
		later AS (
			SELECT outbox_id FROM outbox_deliveries
			WHERE consumer = $1 AND delivered_at IS NULL AND dead_at IS NULL AND next_attempt_at > '-infinity' AND next_attempt_at <= $2
			ORDER BY next_attempt_at, outbox_id LIMIT $3 - (SELECT count(*) FROM fresh) FOR UPDATE SKIP LOCKED),
		u AS (UPDATE outbox_deliveries d SET attempts = d.attempts + 1, next_attempt_at = $4
			FROM (SELECT outbox_id FROM fresh UNION ALL SELECT outbox_id FROM later) due
			WHERE d.consumer = $1 AND d.outbox_id = due.outbox_id
			RETURNING d.outbox_id, d.attempts)
		SELECT snap.xmin, snap.xmax, snap.top, (SELECT count(*) FROM fresh), (SELECT max(outbox_id) FROM fresh),
			c.id, c.kind, c.idempotency_key, c.payload, c.attempts, c.created_at
		FROM snap LEFT JOIN (SELECT o.id, o.kind, o.idempotency_key, o.payload, u.attempts, o.created_at
			FROM u JOIN outbox o ON o.id = u.outbox_id) c ON true
		ORDER BY c.id`, consumer, now, limit, until, hint.from)
	if err != nil {
		return nil, translate(err, "outbox")
	}
	var xmin, xmax, top, fresh int64
	var last *int64
	var out []OutboxMessage
	for rows.Next() {
		var id *int64
		var m OutboxMessage
		var attempts *int
		var kind, key *string
		var createdAt *time.Time
		if err := rows.Scan(&xmin, &xmax, &top, &fresh, &last, &id, &kind, &key, &m.Payload, &attempts, &createdAt); err != nil {
			rows.Close()
			return nil, translate(err, "outbox")
		}
		if id == nil {
			continue // nothing claimed: the snapshot's row alone
		}
		m.ID, m.Kind, m.Key, m.Attempts, m.CreatedAt, m.LeaseUntil = *id, *kind, *key, *attempts, *createdAt, until
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, translate(err, "outbox")
	}
	// Every new row visible to this claim up to progress is claimed.
	progress := top
	if fresh >= int64(limit) && last != nil {
		progress = *last
	}
	s.fresh.advance(consumer, hint, uint64(xmin), uint64(xmax), progress)
	return out, nil
}

// ExtendOutbox moves the claim of consumer's rows ids on from from (the
// LeaseUntil they were claimed or last extended with) to to: a worker
// still busy with them keeps them. A row settled, retried or postponed
// meanwhile is left as it is. It returns how many it extended.
func (s *Store) ExtendOutbox(ctx context.Context, consumer string, ids []int64, from, to time.Time) (int, error) {
	tag, err := s.pool.Exec(ctx, `UPDATE outbox_deliveries SET next_attempt_at = $4
		WHERE consumer = $1 AND outbox_id = ANY($2) AND next_attempt_at = $3 AND delivered_at IS NULL AND dead_at IS NULL`,
		consumer, ids, from, to.Truncate(time.Microsecond))
	return int(tag.RowsAffected()), translate(err, "outbox deliveries")
}

// ReleaseOutbox gives consumer's claimed rows ids back at once, their
// claim not counted as an attempt: a process stopping releases what it
// will not finish, for the next one to send within seconds. until is the
// claim's LeaseUntil; a row settled, retried or postponed meanwhile is
// left as it is.
func (s *Store) ReleaseOutbox(ctx context.Context, consumer string, ids []int64, until time.Time) (int, error) {
	tag, err := s.pool.Exec(ctx, `UPDATE outbox_deliveries SET next_attempt_at = $4, attempts = greatest(attempts - 1, 0)
		WHERE consumer = $1 AND outbox_id = ANY($2) AND next_attempt_at = $3 AND delivered_at IS NULL AND dead_at IS NULL`,
		consumer, ids, until, s.now())
	return int(tag.RowsAffected()), translate(err, "outbox deliveries")
}

// SettleOutbox marks consumer's delivery of a row done. note, when not
// empty, says why nothing (or not everything) was sent, and is kept as
// its last_error.
func (s *Store) SettleOutbox(ctx context.Context, consumer string, id int64, note string) error {
	return settleOutbox(ctx, s.pool, consumer, id, note, s.now())
}

func settleOutbox(ctx context.Context, q Querier, consumer string, id int64, note string, now time.Time) error {
	_, err := q.Exec(ctx, `UPDATE outbox_deliveries SET delivered_at = $3, last_error = nullif($4, '')
		WHERE consumer = $1 AND outbox_id = $2`, consumer, id, now, note)
	return translate(err, "outbox delivery")
}

// RetryOutbox puts consumer's delivery of a row back for another attempt
// at at.
func (s *Store) RetryOutbox(ctx context.Context, consumer string, id int64, at time.Time, lastErr string) error {
	_, err := s.pool.Exec(ctx, `UPDATE outbox_deliveries SET next_attempt_at = $3, last_error = $4
		WHERE consumer = $1 AND outbox_id = $2 AND delivered_at IS NULL AND dead_at IS NULL`, consumer, id, at, lastErr)
	return translate(err, "outbox delivery")
}

// PostponeOutbox puts consumer's delivery of a row back until at without
// counting the claim as an attempt: nothing failed, the row only waits its
// turn (a chat that takes one message a second).
func (s *Store) PostponeOutbox(ctx context.Context, consumer string, id int64, at time.Time) error {
	_, err := s.pool.Exec(ctx, `UPDATE outbox_deliveries SET next_attempt_at = $3, attempts = greatest(attempts - 1, 0)
		WHERE consumer = $1 AND outbox_id = $2 AND delivered_at IS NULL AND dead_at IS NULL`, consumer, id, at)
	return translate(err, "outbox delivery")
}

// DeadOutbox gives up consumer's delivery of a row: it stays, with why,
// as a dead letter (OutboxDeadLetters) and is not tried again.
func (s *Store) DeadOutbox(ctx context.Context, consumer string, id int64, lastErr string) error {
	_, err := s.pool.Exec(ctx, `UPDATE outbox_deliveries SET dead_at = $3, last_error = $4
		WHERE consumer = $1 AND outbox_id = $2 AND delivered_at IS NULL`, consumer, id, s.now(), lastErr)
	return translate(err, "outbox delivery")
}

// OutboxDelivery is where one consumer stands with one outbox row.
type OutboxDelivery struct {
	Consumer    string     `json:"consumer"`
	OutboxID    int64      `json:"outbox_id"`
	Kind        string     `json:"kind"`
	Attempts    int        `json:"attempts"`
	DeliveredAt *time.Time `json:"delivered_at"`
	DeadAt      *time.Time `json:"dead_at"`
	LastError   *string    `json:"last_error"`
}

// OutboxDeadLetters lists consumer's dead letters, newest first, at most
// limit.
func (s *Store) OutboxDeadLetters(ctx context.Context, consumer string, limit int) ([]OutboxDelivery, error) {
	rows, err := s.pool.Query(ctx, `SELECT d.consumer, d.outbox_id, o.kind, d.attempts, d.delivered_at, d.dead_at, d.last_error
		FROM outbox_deliveries d JOIN outbox o ON o.id = d.outbox_id
		WHERE d.consumer = $1 AND d.dead_at IS NOT NULL ORDER BY d.dead_at DESC, d.outbox_id DESC LIMIT $2`, consumer, limit)
	if err != nil {
		return nil, translate(err, "outbox deliveries")
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (OutboxDelivery, error) {
		var d OutboxDelivery
		err := r.Scan(&d.Consumer, &d.OutboxID, &d.Kind, &d.Attempts, &d.DeliveredAt, &d.DeadAt, &d.LastError)
		return d, err
	})
	return out, translate(err, "outbox deliveries")
}

// PruneOutbox deletes rows older than before that no consumer still has
// pending (their deliveries go with them); it returns how many.
func PruneOutbox(ctx context.Context, tx pgx.Tx, before time.Time) (int, error) {
	tag, err := tx.Exec(ctx, `DELETE FROM outbox o WHERE o.created_at < $1 AND NOT EXISTS (
		SELECT 1 FROM outbox_deliveries d WHERE d.outbox_id = o.id AND d.delivered_at IS NULL AND d.dead_at IS NULL)`, before)
	return int(tag.RowsAffected()), translate(err, "outbox")
}
