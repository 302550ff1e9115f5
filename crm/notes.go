package crm

import (
	"context"

	"github.com/jackc/pgx/v5"
	"strings"
	"time"
)

// Kinds of record that take notes and have a timeline.
const (
	RecordLead    = "lead"
	RecordDeal    = "deal"
	RecordContact = "contact"
	RecordCompany = "company"
)

// Note is a manager's note on a record.
type Note struct {
	ID        int64     `json:"id"`
	Kind      string    `json:"kind"` // always "note": a note reads like a touch of kind note
	Text      string    `json:"text"`
	At        time.Time `json:"at"`
	By        *Actor    `json:"by"`
	LeadID    *int64    `json:"lead_id"`
	DealID    *int64    `json:"deal_id"`
	ContactID *int64    `json:"contact_id"`
	CompanyID *int64    `json:"company_id"`
}

// MaxNote is the longest note, in bytes.
const MaxNote = 64 << 10

// recordColumn is the notes (and touches, activities) column of a record kind.
func recordColumn(kind string) (string, bool) {
	switch kind {
	case RecordLead, RecordDeal, RecordContact, RecordCompany:
		return kind + "_id", true
	}
	return "", false
}

// AddNote writes a note on a record (lead, deal, contact or company). A
// note on a lead or a deal names its contact too, so the person's card
// shows it. Errors: EINVALID (no text, too long, an unknown kind),
// ENOTFOUND (no such record).
func (s *Store) AddNote(ctx context.Context, kind string, id int64, text string, by Actor) (Note, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return Note{}, Invalid("text", "a note needs text")
	}
	if len(text) > MaxNote {
		return Note{}, Invalid("text", "a note is at most %d bytes", MaxNote)
	}
	if _, ok := recordColumn(kind); !ok {
		return Note{}, Invalid("kind", "notes are on leads, deals, contacts and companies, not %q", kind)
	}
	var from string
	switch kind {
	case RecordLead:
		from = `SELECT id, (SELECT id FROM deals WHERE lead_id = leads.id LIMIT 1), contact_id, NULL::bigint FROM leads WHERE id = $1`
	case RecordDeal:
		from = `SELECT lead_id, id, contact_id, NULL::bigint FROM deals WHERE id = $1`
	case RecordContact:
		from = `SELECT NULL::bigint, NULL::bigint, id, NULL::bigint FROM contacts WHERE id = $1 AND merged_into IS NULL`
	case RecordCompany:
		from = `SELECT NULL::bigint, NULL::bigint, NULL::bigint, id FROM companies WHERE id = $1 AND merged_into IS NULL`
	}
	rows, err := s.pool.Query(ctx, `WITH n AS (INSERT INTO notes (lead_id, deal_id, contact_id, company_id, text, at, by_manager_id, by_kind, by_name)
			SELECT r.*, $2, $3, $4, $5, $6 FROM (`+from+`) r RETURNING *)
		SELECT `+noteColumns+` FROM n LEFT JOIN managers m ON m.id = n.by_manager_id`,
		id, text, s.now(), by.ManagerID, by.kindPtr(), by.Name)
	if err != nil {
		return Note{}, translate(err, kind)
	}
	n, err := pgx.CollectExactlyOneRow(rows, scanNote)
	return n, translate(err, kind)
}

const noteColumns = `n.id, n.text, n.at, n.lead_id, n.deal_id, n.contact_id, n.company_id, n.by_kind, n.by_name, n.by_manager_id, m.name`

const noteFrom = ` FROM notes n LEFT JOIN managers m ON m.id = n.by_manager_id`

func scanNote(r pgx.CollectableRow) (Note, error) {
	n := Note{Kind: "note"}
	var kind, managerName *string
	var name string
	var by *int64
	err := r.Scan(&n.ID, &n.Text, &n.At, &n.LeadID, &n.DealID, &n.ContactID, &n.CompanyID, &kind, &name, &by, &managerName)
	n.By = stageMoveBy(kind, by, name, managerName)
	return n, err
}
