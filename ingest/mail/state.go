package mail

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// state is where reading a mailbox stands, kept in mailbox_state so a
// restart or a dropped connection resumes exactly. uidValidity 0 means
// the mailbox was never read through.
type state struct {
	uidValidity uint32
	lastUID     uint32
	lastSync    time.Time
}

type stateStore struct {
	pool    *pgxpool.Pool
	mailbox string
}

func (s stateStore) load(ctx context.Context) (state, error) {
	if _, err := s.pool.Exec(ctx, `INSERT INTO mailbox_state (mailbox) VALUES ($1) ON CONFLICT DO NOTHING`, s.mailbox); err != nil {
		return state{}, fmt.Errorf("mailbox state: %w", err)
	}
	var st state
	var validity, last int64
	var lastSync *time.Time
	err := s.pool.QueryRow(ctx, `SELECT uid_validity, last_uid, last_sync FROM mailbox_state WHERE mailbox = $1`, s.mailbox).
		Scan(&validity, &last, &lastSync)
	if err != nil {
		return state{}, fmt.Errorf("mailbox state: %w", err)
	}
	st.uidValidity, st.lastUID = uint32(validity), uint32(last)
	if lastSync != nil {
		st.lastSync = *lastSync
	}
	return st, nil
}

// reset starts reading under a new UIDVALIDITY from lastUID.
func (s stateStore) reset(ctx context.Context, validity, lastUID uint32) error {
	_, err := s.pool.Exec(ctx, `UPDATE mailbox_state SET uid_validity = $2, last_uid = $3, updated_at = now() WHERE mailbox = $1`,
		s.mailbox, int64(validity), int64(lastUID))
	if err != nil {
		return fmt.Errorf("mailbox state: %w", err)
	}
	return nil
}

// advance records that every letter up to uid is in the inbox. It never
// goes back (another replica may be ahead), and it fails when the
// mailbox's UIDVALIDITY has changed under it.
func (s stateStore) advance(ctx context.Context, validity, uid uint32) error {
	tag, err := s.pool.Exec(ctx, `UPDATE mailbox_state SET last_uid = GREATEST(last_uid, $3), updated_at = now()
		WHERE mailbox = $1 AND uid_validity = $2`, s.mailbox, int64(validity), int64(uid))
	if err != nil {
		return fmt.Errorf("mailbox state: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("mailbox state: UIDVALIDITY is no longer %d", validity)
	}
	return nil
}

// status records what Status reports, for other replicas and operators.
func (s stateStore) status(ctx context.Context, st Status) error {
	var lastSync *time.Time
	if !st.LastSync.IsZero() {
		lastSync = &st.LastSync
	}
	// A mailbox that never logged in has no row yet.
	_, err := s.pool.Exec(ctx, `INSERT INTO mailbox_state (mailbox, connected, last_sync, last_error) VALUES ($1, $2, $3, $4)
		ON CONFLICT (mailbox) DO UPDATE SET connected = $2, last_sync = COALESCE($3, mailbox_state.last_sync),
		last_error = $4, updated_at = now()`, s.mailbox, st.Connected, lastSync, st.LastError)
	if err != nil {
		return fmt.Errorf("mailbox state: %w", err)
	}
	return nil
}
