package crm

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// MergeUndoWindow is how long a merge can be undone.
const MergeUndoWindow = 30 * 24 * time.Hour

// Merge is a recorded merge of two contacts or two companies.
type Merge struct {
	ID       int64      `json:"id"`
	Kind     string     `json:"kind"` // contact, company
	KeptID   int64      `json:"kept_id"`
	MergedID int64      `json:"merged_id"`
	At       time.Time  `json:"at"`
	UndoneAt *time.Time `json:"undone_at"`
}

// moved is what a merge moved, so that undoing it moves exactly that back.
type moved struct {
	Rows        map[string][]int64 `json:"rows"` // table → ids whose reference moved
	Identities  []string           `json:"identities,omitempty"`
	PhonesAdded []string           `json:"phones_added,omitempty"`
	EmailsAdded []string           `json:"emails_added,omitempty"`
	INN         *string            `json:"inn,omitempty"` // a company's INN that moved to the kept one
	CompanySet  bool               `json:"company_set,omitempty"`
	// A lead's: its contact given to the kept lead, and its status and
	// SLA clock before it was closed as a duplicate.
	ContactSet bool       `json:"contact_set,omitempty"`
	Status     string     `json:"status,omitempty"`
	SLADueAt   *time.Time `json:"sla_due_at,omitempty"`
}

// mergeRefs are the tables that point at a contact or a company.
var mergeRefs = map[string][]string{
	"contact": {"touches", "leads", "deals", "activities"},
	"company": {"contacts", "deals"},
	"lead":    {"touches", "activities", "notes"},
}

// MergeLeads merges other into keep, two open leads of one person: the
// other's touches, activities, notes, phones, e-mails and identities move
// over (so every touch of the person finds the kept lead), and the other
// is closed as junk "duplicate". It is recorded and can be undone for 30
// days. Errors: ENOTFOUND, EINVALID (a lead with itself), ECONFLICT (a
// lead that is not open).
func (s *Store) MergeLeads(ctx context.Context, keep, other int64, by *int64) (Merge, error) {
	return s.merge(ctx, "lead", keep, other, by)
}

// MergeContacts merges other into keep: phones, e-mails, touches, leads,
// deals and activities move over; other disappears from lists; the merge
// is recorded and can be undone for 30 days. Errors: ENOTFOUND, EINVALID
// (merging a contact with itself).
func (s *Store) MergeContacts(ctx context.Context, keep, other int64, by *int64) (Merge, error) {
	return s.merge(ctx, "contact", keep, other, by)
}

// MergeCompanies merges other into keep: contacts and deals move over.
// Errors: as MergeContacts.
func (s *Store) MergeCompanies(ctx context.Context, keep, other int64, by *int64) (Merge, error) {
	return s.merge(ctx, "company", keep, other, by)
}

func (s *Store) merge(ctx context.Context, kind string, keep, other int64, by *int64) (Merge, error) {
	if keep == other {
		return Merge{}, Invalid("other_id", "a %s cannot be merged with itself", kind)
	}
	table := kind + "s"
	if kind == "company" {
		table = "companies"
	}
	var m Merge
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		n := 0
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM `+table+` WHERE id IN ($1, $2) AND merged_into IS NULL`, keep, other).Scan(&n); err != nil {
			return err
		}
		if n != 2 {
			return Errorf(ENOTFOUND, "both %ss must exist and not be merged already", kind)
		}
		if _, err := tx.Exec(ctx, `SELECT 1 FROM `+table+` WHERE id IN ($1, $2) ORDER BY id FOR UPDATE`, keep, other); err != nil {
			return err
		}
		if kind == "lead" {
			var open int
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM leads WHERE id IN ($1, $2) AND status IN ('new', 'in_progress')`, keep, other).Scan(&open); err != nil {
				return err
			}
			if open != 2 {
				return Errorf(ECONFLICT, "only two open leads are merged")
			}
		}
		mv := moved{Rows: map[string][]int64{}}
		col := kind + "_id"
		for _, ref := range mergeRefs[kind] {
			rows, err := tx.Query(ctx, `UPDATE `+ref+` SET `+col+` = $1 WHERE `+col+` = $2 RETURNING id`, keep, other)
			if err != nil {
				return translate(err, ref)
			}
			ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
			if err != nil {
				return translate(err, ref)
			}
			mv.Rows[ref] = ids
		}
		if err := tx.QueryRow(ctx, `SELECT ARRAY(SELECT x FROM unnest(o.phones) x WHERE x <> ALL(k.phones)),
				ARRAY(SELECT x FROM unnest(o.emails) x WHERE x <> ALL(k.emails))
			FROM `+table+` k, `+table+` o WHERE k.id = $1 AND o.id = $2`, keep, other).
			Scan(&mv.PhonesAdded, &mv.EmailsAdded); err != nil {
			return translate(err, kind)
		}
		if _, err := tx.Exec(ctx, `UPDATE `+table+` SET phones = phones || $2, emails = emails || $3, updated_at = $4 WHERE id = $1`,
			keep, mv.PhonesAdded, mv.EmailsAdded, s.now()); err != nil {
			return translate(err, kind)
		}
		switch kind {
		case "contact":
			rows, err := tx.Query(ctx, `UPDATE contact_identities SET contact_id = $1 WHERE contact_id = $2 RETURNING identity`, keep, other)
			if err != nil {
				return translate(err, "identities")
			}
			if mv.Identities, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
				return translate(err, "identities")
			}
			tag, err := tx.Exec(ctx, `UPDATE contacts SET company_id = (SELECT company_id FROM contacts WHERE id = $2)
				WHERE id = $1 AND company_id IS NULL AND (SELECT company_id FROM contacts WHERE id = $2) IS NOT NULL`, keep, other)
			if err != nil {
				return translate(err, "contact")
			}
			mv.CompanySet = tag.RowsAffected() > 0
		case "lead":
			// The other's identities become the kept lead's, so that the
			// person's next touch finds it.
			rows, err := tx.Query(ctx, `UPDATE lead_identities SET lead_id = $1 WHERE lead_id = $2 RETURNING identity`, keep, other)
			if err != nil {
				return translate(err, "identities")
			}
			if mv.Identities, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
				return translate(err, "identities")
			}
			tag, err := tx.Exec(ctx, `UPDATE leads SET contact_id = (SELECT contact_id FROM leads WHERE id = $2)
				WHERE id = $1 AND contact_id IS NULL AND (SELECT contact_id FROM leads WHERE id = $2) IS NOT NULL`, keep, other)
			if err != nil {
				return translate(err, "lead")
			}
			mv.ContactSet = tag.RowsAffected() > 0
			if err := tx.QueryRow(ctx, `UPDATE leads n SET status = 'junk', junk_reason = 'duplicate', sla_due_at = NULL,
					status_changed_at = $2 FROM leads o WHERE n.id = $1 AND o.id = n.id RETURNING o.status, o.sla_due_at`,
				other, s.now()).Scan(&mv.Status, &mv.SLADueAt); err != nil {
				return translate(err, "lead")
			}
		case "company":
			// The INN is unique: it moves only when the kept one has none.
			if err := tx.QueryRow(ctx, `SELECT inn FROM companies WHERE id = $2 AND inn IS NOT NULL
				AND (SELECT inn FROM companies WHERE id = $1) IS NULL`, keep, other).Scan(&mv.INN); err != nil && err != pgx.ErrNoRows {
				return translate(err, "company")
			}
			if mv.INN != nil {
				if _, err := tx.Exec(ctx, `UPDATE companies SET inn = NULL WHERE id = $1`, other); err != nil {
					return translate(err, "company")
				}
				if _, err := tx.Exec(ctx, `UPDATE companies SET inn = $2 WHERE id = $1`, keep, *mv.INN); err != nil {
					return translate(err, "company")
				}
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE `+table+` SET merged_into = $1, updated_at = $3 WHERE id = $2`, keep, other, s.now()); err != nil {
			return translate(err, kind)
		}
		m = Merge{Kind: kind, KeptID: keep, MergedID: other, At: s.now()}
		return tx.QueryRow(ctx, `INSERT INTO merges (kind, kept_id, merged_id, moved, at, by_manager_id) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
			kind, keep, other, mv, m.At, by).Scan(&m.ID)
	})
	return m, err
}

// UndoMerge puts a merge back as it was: what moved moves back, what was
// added to the kept record is removed, and the merged one reappears.
// Errors: ENOTFOUND, ECONFLICT (undone already, or older than 30 days).
func (s *Store) UndoMerge(ctx context.Context, id int64) (Merge, error) {
	var m Merge
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var mv moved
		if err := tx.QueryRow(ctx, `SELECT id, kind, kept_id, merged_id, at, undone_at, moved FROM merges WHERE id = $1 FOR UPDATE`, id).
			Scan(&m.ID, &m.Kind, &m.KeptID, &m.MergedID, &m.At, &m.UndoneAt, &mv); err != nil {
			return translate(err, "merge")
		}
		now := s.now()
		switch {
		case m.UndoneAt != nil:
			return Errorf(ECONFLICT, "merge %d is undone already", id)
		case now.Sub(m.At) > MergeUndoWindow:
			return Errorf(ECONFLICT, "merge %d is older than 30 days and can no longer be undone", id)
		}
		table, col := m.Kind+"s", m.Kind+"_id"
		if m.Kind == "company" {
			table = "companies"
		}
		for ref, ids := range mv.Rows {
			if _, err := tx.Exec(ctx, `UPDATE `+ref+` SET `+col+` = $1 WHERE id = ANY($2) AND `+col+` = $3`, m.MergedID, ids, m.KeptID); err != nil {
				return translate(err, ref)
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE `+table+` SET
				phones = ARRAY(SELECT x FROM unnest(phones) x WHERE x <> ALL($2::text[])),
				emails = ARRAY(SELECT x FROM unnest(emails) x WHERE x <> ALL($3::text[])), updated_at = $4
			WHERE id = $1`, m.KeptID, nonNil(mv.PhonesAdded), nonNil(mv.EmailsAdded), now); err != nil {
			return translate(err, m.Kind)
		}
		if len(mv.Identities) > 0 {
			identities := "contact_identities SET contact_id = $1 WHERE identity = ANY($2) AND contact_id = $3"
			if m.Kind == "lead" {
				identities = "lead_identities SET lead_id = $1 WHERE identity = ANY($2) AND lead_id = $3"
			}
			if _, err := tx.Exec(ctx, `UPDATE `+identities, m.MergedID, mv.Identities, m.KeptID); err != nil {
				return translate(err, "identities")
			}
		}
		if m.Kind == "lead" {
			if mv.ContactSet {
				if _, err := tx.Exec(ctx, `UPDATE leads SET contact_id = NULL WHERE id = $1`, m.KeptID); err != nil {
					return translate(err, "lead")
				}
			}
			if _, err := tx.Exec(ctx, `UPDATE leads SET status = $2, junk_reason = NULL, sla_due_at = $3, status_changed_at = $4
				WHERE id = $1`, m.MergedID, mv.Status, mv.SLADueAt, now); err != nil {
				return translate(err, "lead")
			}
		}
		if mv.CompanySet {
			if _, err := tx.Exec(ctx, `UPDATE contacts SET company_id = NULL WHERE id = $1`, m.KeptID); err != nil {
				return translate(err, "contact")
			}
		}
		if mv.INN != nil {
			if _, err := tx.Exec(ctx, `UPDATE companies SET inn = NULL WHERE id = $1 AND inn = $2`, m.KeptID, *mv.INN); err != nil {
				return translate(err, "company")
			}
			if _, err := tx.Exec(ctx, `UPDATE companies SET inn = $2 WHERE id = $1`, m.MergedID, *mv.INN); err != nil {
				return translate(err, "company")
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE `+table+` SET merged_into = NULL, updated_at = $2 WHERE id = $1`, m.MergedID, now); err != nil {
			return translate(err, m.Kind)
		}
		m.UndoneAt = &now
		_, err := tx.Exec(ctx, `UPDATE merges SET undone_at = $2 WHERE id = $1`, id, now)
		return translate(err, "merge")
	})
	if err != nil {
		return Merge{}, fmt.Errorf("undo merge %d: %w", id, err)
	}
	return m, nil
}
