package crm

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/leadd/leadd/dedupe"
)

// LeadFilter selects leads for a list, newest first.
type LeadFilter struct {
	Status    string
	ManagerID *int64
	Phone     string // E.164
	Email     string // normalized
	Queue     bool   // open leads nobody is assigned to
	Fields    []FieldCond
	Oldest    bool // oldest first instead of newest
	Limit     int
	Cursor    string // the next_cursor of the previous page
	// Drill, when set, narrows the list to the leads behind a report's figure.
	Drill *Drill
}

// MaxPage is the most items one list page returns.
const MaxPage = 500

const leadColumns = `id, status, junk_reason, channel, source, name, phones, raw_phones, emails, comment,
	utm, page_url, referrer, fields, consent, manager_id, contact_id, created_at, updated_at`

func scanLead(row pgx.Row) (Lead, error) {
	var l Lead
	err := row.Scan(&l.ID, &l.Status, &l.JunkReason, &l.Channel, &l.Source, &l.Name, &l.Phones, &l.RawPhones, &l.Emails,
		&l.Comment, &l.UTM, &l.PageURL, &l.Referrer, &l.Fields, &l.Consent, &l.ManagerID, &l.ContactID, &l.CreatedAt, &l.UpdatedAt)
	return l, err
}

// Leads lists leads matching f, newest first, and the cursor of the next
// page ("" on the last). Errors: EINVALID for a bad cursor or status.
func (s *Store) Leads(ctx context.Context, f LeadFilter) ([]Lead, string, error) {
	f.Limit = pageSize(f.Limit)
	q := newListQuery("TRUE")
	if f.Status != "" {
		if !validStatus(f.Status) {
			return nil, "", Invalid("status", "unknown status %q", f.Status)
		}
		q.add("status = ?", f.Status)
	}
	if f.ManagerID != nil {
		q.add("manager_id = ?", *f.ManagerID)
	}
	if f.Phone != "" {
		// Matched by the number whatever extension is stored with it
		// (080_phone_keys.sql indexes the numbers without extensions).
		q.add("phone_keys(phones) @> ?", []string{dedupe.PhoneKey(f.Phone)})
	}
	if f.Email != "" {
		q.add("emails @> ?", []string{f.Email})
	}
	if f.Queue {
		q.raw("manager_id IS NULL AND status IN ('new', 'in_progress')")
	}
	if err := s.FieldSet().filter(q, FieldsLead, "l.fields", f.Fields); err != nil {
		return nil, "", err
	}
	if f.Drill != nil {
		if err := f.Drill.apply(ctx, q, s.pool, "leads"); err != nil {
			return nil, "", err
		}
	}
	// A phone or an e-mail names a few leads: found through their GIN
	// index, then sorted. Ordered by the bare id, the planner would walk
	// the primary key backwards hoping to meet them soon, and for a number
	// no lead has, read every lead (2.5 s at a million: the contact card).
	order := "id"
	if f.Phone != "" || f.Email != "" {
		order = "(id + 0)"
	}
	tail, args, err := q.page(order, f.Cursor, f.Oldest, f.Limit)
	if err != nil {
		return nil, "", err
	}
	rows, err := s.pool.Query(ctx, `SELECT `+leadColumns+` FROM leads l`+tail, args...)
	if err != nil {
		return nil, "", translate(err, "leads")
	}
	leads, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Lead, error) { return scanLead(r) })
	if err != nil {
		return nil, "", translate(err, "leads")
	}
	return page(leads, f.Limit, func(l Lead) int64 { return l.ID })
}

// LeadSummary returns a lead as the lead list shows it: without its
// touches, activities and assignment (one query). Errors: ENOTFOUND.
func (s *Store) LeadSummary(ctx context.Context, id int64) (Lead, error) {
	l, err := scanLead(s.pool.QueryRow(ctx, `SELECT `+leadColumns+` FROM leads WHERE id = $1`, id))
	return l, translate(err, "lead")
}

// Lead returns a lead with its touches, activities and latest assignment.
// Errors: ENOTFOUND.
func (s *Store) Lead(ctx context.Context, id int64) (Lead, error) {
	l, err := scanLead(s.pool.QueryRow(ctx, `SELECT `+leadColumns+` FROM leads WHERE id = $1`, id))
	if err != nil {
		return Lead{}, translate(err, "lead")
	}
	rows, err := s.pool.Query(ctx, `SELECT id, channel, kind, source, at, text, data, event_id::text
		FROM touches WHERE lead_id = $1 ORDER BY at, id`, id)
	if err != nil {
		return Lead{}, translate(err, "touches")
	}
	l.Touches, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Touch, error) {
		var t Touch
		err := r.Scan(&t.ID, &t.Channel, &t.Kind, &t.Source, &t.At, &t.Text, &t.Data, &t.EventID)
		return t, err
	})
	if err != nil {
		return Lead{}, translate(err, "touches")
	}
	rows, err = s.pool.Query(ctx, `SELECT `+activityColumns+`
		FROM activities WHERE lead_id = $1 ORDER BY due_at, id`, id)
	if err != nil {
		return Lead{}, translate(err, "activities")
	}
	l.Activities, err = pgx.CollectRows(rows, scanActivity)
	if err != nil {
		return Lead{}, translate(err, "activities")
	}
	hops, err := s.Assignments(ctx, id)
	if err != nil {
		return Lead{}, err
	}
	if len(hops) > 0 {
		l.Assignment = &hops[len(hops)-1]
	}
	return l, nil
}

// activityColumns are an activity's, its call's particulars read from the
// data the PBX events left (empty ones as null).
const activityColumns = `id, type, subject, lead_id, deal_id, contact_id, manager_id, due_at, due_at + grace, done_at, outcome,
	(data->>'duration')::int, nullif(data->>'direction', ''), nullif(data->>'recording_url', ''), nullif(data->>'extension', '')`

func scanActivity(r pgx.CollectableRow) (Activity, error) {
	var a Activity
	err := r.Scan(&a.ID, &a.Type, &a.Subject, &a.LeadID, &a.DealID, &a.ContactID, &a.ManagerID, &a.DueAt, &a.OverdueAt, &a.DoneAt, &a.Outcome,
		&a.Duration, &a.Direction, &a.RecordingURL, &a.Extension)
	return a, err
}

// Assignments returns a lead's assignment history, oldest first.
func (s *Store) Assignments(ctx context.Context, leadID int64) ([]Assignment, error) {
	rows, err := s.pool.Query(ctx, `SELECT manager_id, rule, strategy, candidates, reason, at, by_manager_id
		FROM assignments WHERE lead_id = $1 ORDER BY id`, leadID)
	if err != nil {
		return nil, translate(err, "assignments")
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Assignment, error) {
		var a Assignment
		err := r.Scan(&a.ManagerID, &a.Rule, &a.Strategy, &a.Candidates, &a.Reason, &a.At, &a.ByManagerID)
		return a, err
	})
	return out, translate(err, "assignments")
}

func validStatus(s string) bool {
	return s == StatusNew || s == StatusInProgress || s == StatusConverted || s == StatusJunk
}

// SetLeadStatus moves an open lead to in_progress (from new) or closes it
// as junk with a reason. Closing frees the person's identities for a new
// lead and cancels the lead's open activities. Errors: EINVALID for an
// unknown status or reason, ENOTFOUND, ECONFLICT when the lead's status
// does not allow the move.
func (s *Store) SetLeadStatus(ctx context.Context, id int64, status, junkReason string) (Lead, error) {
	switch status {
	case StatusInProgress:
		if junkReason != "" {
			return Lead{}, Invalid("junk_reason", "only a junk lead has a junk reason")
		}
	case StatusJunk:
		if keys := reasonKeys(s.JunkReasons()); !slices.Contains(keys, junkReason) {
			return Lead{}, Invalid("junk_reason", "must be one of %v", keys)
		}
	case StatusConverted:
		return Lead{}, Invalid("status", "a lead is converted by conversion, not by setting its status")
	default:
		return Lead{}, Invalid("status", "must be in_progress or junk, not %q", status)
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var cur string
		var manager *int64
		if err := tx.QueryRow(ctx, `SELECT status, manager_id FROM leads WHERE id = $1 FOR UPDATE`, id).Scan(&cur, &manager); err != nil {
			return translate(err, "lead")
		}
		switch {
		case cur == status && status == StatusInProgress:
			return nil // taking a lead twice is no error
		case cur != StatusNew && cur != StatusInProgress:
			return Errorf(ECONFLICT, "lead %d is %s and can no longer change status", id, cur)
		}
		now := s.now()
		var reason *string
		if status == StatusJunk {
			reason = &junkReason
		}
		// Taking a lead or closing it stops the SLA clock.
		if _, err := tx.Exec(ctx, `UPDATE leads SET status = $2, junk_reason = $3, updated_at = $4, status_changed_at = $4,
			sla_due_at = NULL WHERE id = $1`, id, status, reason, now); err != nil {
			return translate(err, "lead")
		}
		if err := enqueueStatus(ctx, tx, id, cur, status, manager, now); err != nil {
			return err
		}
		if status == StatusJunk {
			return closeLead(ctx, tx, id, now, "cancelled: lead closed as junk")
		}
		return nil
	})
	if err != nil {
		return Lead{}, err
	}
	return s.Lead(ctx, id)
}

// closeLead frees a closed lead's identities and cancels its open work.
func closeLead(ctx context.Context, tx pgx.Tx, id int64, now time.Time, outcome string) error {
	if _, err := tx.Exec(ctx, `DELETE FROM lead_identities WHERE lead_id = $1`, id); err != nil {
		return translate(err, "lead identities")
	}
	_, err := tx.Exec(ctx, `UPDATE activities SET done_at = $2, outcome = $3 WHERE lead_id = $1 AND done_at IS NULL`,
		id, now, outcome)
	return translate(err, "activities")
}

// Counters counts a manager's open activities due later today and overdue,
// "today" being the calendar day in the manager's time zone. Errors:
// ENOTFOUND.
func (s *Store) Counters(ctx context.Context, managerID int64) (Counters, error) {
	m, err := s.Manager(ctx, managerID)
	if err != nil {
		return Counters{}, err
	}
	now := s.now()
	var c Counters
	// Each count reads an index, not the activities (152_counters.sql),
	// the new leads lead_counts.
	err = s.pool.QueryRow(ctx, `SELECT
			(SELECT count(*) FROM activities WHERE manager_id = $1 AND `+dueTodayCond("$2", "$3")+`),
			(SELECT count(*) FROM activities WHERE manager_id = $1 AND `+overdueCond("$2")+`),
			(SELECT coalesce(sum(n), 0) FROM lead_counts WHERE manager_id = $1 AND status = 'new'),
			(SELECT count(*) FROM activities WHERE manager_id = $1 AND done_at IS NULL
				AND (type = 'email' OR subject = 'Missed call: call back'))`,
		managerID, now, endOfDay(now, m.Schedule().Location())).Scan(&c.Today, &c.Overdue, &c.NewLeads, &c.Unanswered)
	c.Incoming = c.NewLeads + c.Unanswered
	return c, translate(err, "counters")
}

// LandNow files a touch made through the API (a lead entered by hand) at
// once, exactly as intake would: dedupe, routing, the call. Errors: those
// of Land.
func (s *Store) LandNow(ctx context.Context, l *Lander, in *Inbound) (Landing, error) {
	var out Landing
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		out, err = l.Land(ctx, tx, "", in)
		return err
	})
	return out, err
}

// LeadPatch changes what a manager may edit on a lead; nil fields stay.
type LeadPatch struct {
	Name    *string `json:"name"`
	Comment *string `json:"comment"`
	// Fields are merged into the lead's ("" removes a field); with
	// declarations (configs: fields.lead) only declared ones are taken.
	Fields Fields `json:"fields"`
	// Phones and Emails the lead learns (a manager's edit): added to the
	// lead's, and the person is matched by them from now on. Normalized
	// by the caller (dedupe).
	Phones []string `json:"phones"`
	Emails []string `json:"emails"`
}

// UpdateLead edits a lead. New phones and e-mails of an open lead become
// its identities, so the person's next call or letter lands on it.
// Errors: ENOTFOUND, EINVALID (fields.<key>), ECONFLICT (a phone or
// e-mail given is another open lead's).
func (s *Store) UpdateLead(ctx context.Context, id int64, p LeadPatch) (Lead, error) {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		l, err := scanLead(tx.QueryRow(ctx, `SELECT `+leadColumns+` FROM leads WHERE id = $1 FOR UPDATE`, id))
		if err != nil {
			return translate(err, "lead")
		}
		fields, err := s.FieldSet().Apply(FieldsLead, l.Fields, p.Fields, false)
		if err != nil {
			return err
		}
		phones, emails := l.Phones, l.Emails
		var learned []string
		for _, ph := range p.Phones {
			if !slices.ContainsFunc(phones, func(x string) bool { return dedupe.PhoneKey(x) == dedupe.PhoneKey(ph) }) {
				phones = append(phones, ph)
				learned = append(learned, ph)
			}
		}
		var learnedMail []string
		for _, e := range p.Emails {
			if !slices.Contains(emails, e) {
				emails = append(emails, e)
				learnedMail = append(learnedMail, e)
			}
		}
		if len(phones) > MaxListItems || len(emails) > MaxListItems {
			return FieldErrorf(ETOOLARGE, "phones", "a lead has at most %d phones and %d e-mails", MaxListItems, MaxListItems)
		}
		if _, err := tx.Exec(ctx, `UPDATE leads SET name = coalesce($2, name), comment = coalesce($3, comment), fields = $4,
				phones = $5, emails = $6, updated_at = $7
			WHERE id = $1`, id, p.Name, p.Comment, nonNilFields(fields), nonNil(phones), nonNil(emails), s.now()); err != nil {
			return translate(err, "lead")
		}
		if !l.Open() || len(learned)+len(learnedMail) == 0 {
			return nil
		}
		return s.learnIdentities(ctx, tx, l, learned, learnedMail)
	})
	if err != nil {
		return Lead{}, err
	}
	return s.Lead(ctx, id)
}

// enqueueStatus tells the outbox a lead went from one status to another.
func enqueueStatus(ctx context.Context, tx pgx.Tx, id int64, from, to string, manager *int64, now time.Time) error {
	return Enqueue(ctx, tx, fmt.Sprintf("lead.status:%d:%s:%d", id, to, now.UnixNano()),
		LeadStatusChanged{LeadID: id, From: from, To: to, ManagerID: manager})
}

// learnIdentities makes phones and e-mails a manager gave an open lead
// its identities (and its contact's, when the contact has none of them
// elsewhere), so the person's next touch lands on it. Errors: ECONFLICT
// naming the other open lead that has one (merge the two leads).
func (s *Store) learnIdentities(ctx context.Context, tx pgx.Tx, l Lead, phones, emails []string) error {
	ids := (&Inbound{Phones: phones, Emails: emails}).Identities()
	for _, ident := range ids {
		var owner int64
		err := tx.QueryRow(ctx, `INSERT INTO lead_identities (identity, lead_id) VALUES ($1, $2)
			ON CONFLICT (identity) DO UPDATE SET identity = EXCLUDED.identity RETURNING lead_id`, ident, l.ID).Scan(&owner)
		if err != nil {
			return translate(err, "lead identity")
		}
		if owner != l.ID {
			field := "phones"
			if strings.HasPrefix(ident, "email:") {
				field = "emails"
			}
			return FieldErrorf(ECONFLICT, field, "%s is open lead %d's; merge the two leads (POST /api/v1/leads/%d/merge)",
				strings.SplitN(ident, ":", 2)[1], owner, l.ID)
		}
	}
	if l.ContactID == nil {
		return nil
	}
	// The contact is the same person: it learns what nobody else has.
	rows, err := tx.Query(ctx, `INSERT INTO contact_identities (identity, contact_id) SELECT unnest($1::text[]), $2
		ON CONFLICT DO NOTHING RETURNING identity`, ids, *l.ContactID)
	if err != nil {
		return translate(err, "contact identities")
	}
	claimed, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return translate(err, "contact identities")
	}
	var cp, ce []string
	for _, p := range phones {
		if slices.Contains(claimed, "tel:"+dedupe.PhoneKey(p)) {
			cp = append(cp, p)
		}
	}
	for _, e := range emails {
		if slices.Contains(claimed, "email:"+e) {
			ce = append(ce, e)
		}
	}
	if len(cp)+len(ce) == 0 {
		return nil
	}
	_, err = tx.Exec(ctx, `UPDATE contacts SET
			phones = phones || ARRAY(SELECT x FROM unnest($2::text[]) x WHERE x <> ALL(contacts.phones)),
			emails = emails || ARRAY(SELECT x FROM unnest($3::text[]) x WHERE x <> ALL(contacts.emails)), updated_at = $4
		WHERE id = $1`, *l.ContactID, nonNil(cp), nonNil(ce), s.now())
	return translate(err, "contact")
}
