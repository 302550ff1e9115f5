package crm

import (
	"context"
	"time"
)

// MailboxState is where reading a mailbox stands, kept so that a restart
// or a dropped connection resumes exactly. UIDValidity 0 means the
// mailbox was never read through.
type MailboxState struct {
	UIDValidity uint32
	LastUID     uint32
	LastSync    time.Time // zero: never read through
}

// MailboxState returns where reading mailbox stands, creating its row the
// first time.
func (s *Store) MailboxState(ctx context.Context, mailbox string) (MailboxState, error) {
	if _, err := s.pool.Exec(ctx, `INSERT INTO mailbox_state (mailbox) VALUES ($1) ON CONFLICT DO NOTHING`, mailbox); err != nil {
		return MailboxState{}, translate(err, "mailbox state")
	}
	var validity, last int64
	var lastSync *time.Time
	err := s.pool.QueryRow(ctx, `SELECT uid_validity, last_uid, last_sync FROM mailbox_state WHERE mailbox = $1`, mailbox).
		Scan(&validity, &last, &lastSync)
	if err != nil {
		return MailboxState{}, translate(err, "mailbox state")
	}
	st := MailboxState{UIDValidity: uint32(validity), LastUID: uint32(last)}
	if lastSync != nil {
		st.LastSync = *lastSync
	}
	return st, nil
}

// ResetMailbox starts reading mailbox under a new UIDVALIDITY from lastUID.
func (s *Store) ResetMailbox(ctx context.Context, mailbox string, validity, lastUID uint32) error {
	_, err := s.pool.Exec(ctx, `UPDATE mailbox_state SET uid_validity = $2, last_uid = $3, updated_at = now() WHERE mailbox = $1`,
		mailbox, int64(validity), int64(lastUID))
	return translate(err, "mailbox state")
}

// AdvanceMailbox records that every letter of mailbox up to uid is in
// the inbox. It never goes back (another replica may be ahead). Errors:
// ECONFLICT when the mailbox's UIDVALIDITY is no longer validity.
func (s *Store) AdvanceMailbox(ctx context.Context, mailbox string, validity, uid uint32) error {
	tag, err := s.pool.Exec(ctx, `UPDATE mailbox_state SET last_uid = GREATEST(last_uid, $3), updated_at = now()
		WHERE mailbox = $1 AND uid_validity = $2`, mailbox, int64(validity), int64(uid))
	if err != nil {
		return translate(err, "mailbox state")
	}
	if tag.RowsAffected() == 0 {
		return Errorf(ECONFLICT, "mailbox state: UIDVALIDITY is no longer %d", validity)
	}
	return nil
}

// RecordMailboxStatus records how a mailbox is doing, for other replicas
// and operators; a zero lastSync keeps the one recorded.
func (s *Store) RecordMailboxStatus(ctx context.Context, mailbox string, connected bool, lastSync time.Time, lastError string) error {
	var sync *time.Time
	if !lastSync.IsZero() {
		sync = &lastSync
	}
	// A mailbox that never logged in has no row yet.
	_, err := s.pool.Exec(ctx, `INSERT INTO mailbox_state (mailbox, connected, last_sync, last_error) VALUES ($1, $2, $3, $4)
		ON CONFLICT (mailbox) DO UPDATE SET connected = $2, last_sync = COALESCE($3, mailbox_state.last_sync),
		last_error = $4, updated_at = now()`, mailbox, connected, sync, lastError)
	return translate(err, "mailbox state")
}

// ManagerEmails returns the managers' own addresses, inactive managers'
// too (a colleague who left still writes from the company's address).
func (s *Store) ManagerEmails(ctx context.Context) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT email FROM managers WHERE email <> '' ORDER BY id`)
	if err != nil {
		return nil, translate(err, "manager emails")
	}
	var out []string
	for rows.Next() {
		var e string
		if err := rows.Scan(&e); err != nil {
			rows.Close()
			return nil, translate(err, "manager emails")
		}
		out = append(out, e)
	}
	return out, translate(rows.Err(), "manager emails")
}
