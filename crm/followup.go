package crm

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// AssignLead hands an open lead to a manager by a person's decision: a
// supervisor re-assigns, or a manager takes a queued lead. The SLA clock
// stops (a person chose); the open call moves to the new manager, due
// within sla. by is who decided (nil for an admin token). Errors:
// ENOTFOUND, EINVALID (inactive manager), ECONFLICT (the lead is closed).
func (s *Store) AssignLead(ctx context.Context, leadID, managerID int64, by *int64, sla time.Duration) (Lead, error) {
	m, err := s.Manager(ctx, managerID)
	if err != nil {
		return Lead{}, Invalid("manager_id", "no manager %d", managerID)
	}
	if !m.Active {
		return Lead{}, Invalid("manager_id", "manager %d is not active", managerID)
	}
	now := s.now()
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var status string
		var contactID *int64
		if err := tx.QueryRow(ctx, `SELECT status, contact_id FROM leads WHERE id = $1 FOR UPDATE`, leadID).Scan(&status, &contactID); err != nil {
			return translate(err, "lead")
		}
		if status != StatusNew && status != StatusInProgress {
			return Errorf(ECONFLICT, "lead %d is %s", leadID, status)
		}
		id := managerID
		a := Assignment{ManagerID: &id, Rule: "manual", Strategy: "manual", Reason: "assigned by an administrator", ByManagerID: by,
			Candidates: []Candidate{{ManagerID: managerID}}, DueAt: now.Add(sla)}
		switch {
		case by != nil && *by == managerID:
			a.Reason = "taken by the manager"
		case by != nil:
			a.Reason = fmt.Sprintf("assigned by manager %d", *by)
		}
		return recordAssignmentManual(ctx, tx, leadID, contactID, a, now)
	})
	if err != nil {
		return Lead{}, err
	}
	return s.Lead(ctx, leadID)
}

// recordAssignmentManual records a person's assignment: no SLA clock.
func recordAssignmentManual(ctx context.Context, tx pgx.Tx, leadID int64, contactID *int64, a Assignment, now time.Time) error {
	if err := recordAssignment(ctx, tx, leadID, contactID, a, now); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `UPDATE leads SET sla_due_at = NULL WHERE id = $1`, leadID)
	return translate(err, "lead")
}

// Activity outcomes a manager records.
const (
	OutcomeDone        = "done"
	OutcomeNoAnswer    = "no_answer"
	OutcomeRescheduled = "rescheduled"
)

// Completion is what a manager records on an activity.
type Completion struct {
	Outcome string     `json:"outcome"`
	At      *time.Time `json:"at"` // the new time, for rescheduled
	Note    string     `json:"note"`
}

// CompleteResult is what completing an activity led to.
type CompleteResult struct {
	Activity Activity  `json:"activity"`
	Next     *Activity `json:"next"`      // the next call of the cadence
	LeadJunk bool      `json:"lead_junk"` // the cadence ran out: junk "unreachable"
}

// CompleteActivity records an outcome. "no_answer" on a call of an open
// lead schedules the next call by the cadence, in the manager's working
// hours, or after the last step closes the lead as junk "unreachable".
// Errors: ENOTFOUND, EINVALID, ECONFLICT (already done).
func (s *Store) CompleteActivity(ctx context.Context, id int64, c Completion, cadence Cadence) (CompleteResult, error) {
	switch c.Outcome {
	case OutcomeDone, OutcomeNoAnswer:
	case OutcomeRescheduled:
		if c.At == nil {
			return CompleteResult{}, Invalid("at", "a rescheduled activity needs the new time")
		}
	default:
		return CompleteResult{}, Invalid("outcome", "must be done, no_answer or rescheduled, not %q", c.Outcome)
	}
	now := s.now()
	var res CompleteResult
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var a Activity
		var attempt int
		var tz string
		var leadStatus *string
		var contactID *int64
		err := tx.QueryRow(ctx, `SELECT a.id, a.type, a.subject, a.lead_id, a.manager_id, a.due_at, a.due_at + a.grace, a.done_at, a.outcome,
				a.attempt, a.contact_id, m.time_zone, l.status
			FROM activities a JOIN managers m ON m.id = a.manager_id LEFT JOIN leads l ON l.id = a.lead_id
			WHERE a.id = $1 FOR UPDATE OF a`, id).
			Scan(&a.ID, &a.Type, &a.Subject, &a.LeadID, &a.ManagerID, &a.DueAt, &a.OverdueAt, &a.DoneAt, &a.Outcome, &attempt, &contactID, &tz, &leadStatus)
		if err != nil {
			return translate(err, "activity")
		}
		if a.DoneAt != nil {
			return Errorf(ECONFLICT, "activity %d is already done (%s)", id, deref(a.Outcome))
		}
		if c.Outcome == OutcomeRescheduled {
			_, err := tx.Exec(ctx, `UPDATE activities SET due_at = $2, reminded_at = NULL WHERE id = $1`, id, c.At.UTC())
			a.DueAt = c.At.UTC()
			res.Activity = a
			return translate(err, "activity")
		}
		outcome := c.Outcome
		if _, err := tx.Exec(ctx, `UPDATE activities SET done_at = $2, outcome = $3 WHERE id = $1`, id, now, outcome); err != nil {
			return translate(err, "activity")
		}
		a.DoneAt, a.Outcome = &now, &outcome
		res.Activity = a
		openLead := a.LeadID != nil && leadStatus != nil && (*leadStatus == StatusNew || *leadStatus == StatusInProgress)
		if c.Outcome != OutcomeNoAnswer || a.Type != ActivityCall || !openLead {
			return nil
		}
		m, err := s.managerTx(ctx, tx, a.ManagerID)
		if err != nil {
			return err
		}
		next, ok := cadence.Next(attempt, m.Schedule(), now)
		if !ok {
			res.LeadJunk = true
			if _, err := tx.Exec(ctx, `UPDATE leads SET status = 'junk', junk_reason = 'unreachable', updated_at = $2,
				status_changed_at = $2, sla_due_at = NULL WHERE id = $1`, *a.LeadID, now); err != nil {
				return translate(err, "lead")
			}
			return closeLead(ctx, tx, *a.LeadID, now, "cancelled: unreachable")
		}
		n := Activity{Type: ActivityCall, Subject: fmt.Sprintf("Call again (attempt %d)", attempt+1), LeadID: a.LeadID,
			ManagerID: a.ManagerID, DueAt: next}
		if err := tx.QueryRow(ctx, `INSERT INTO activities (type, subject, lead_id, contact_id, manager_id, due_at, attempt, created_at)
			VALUES ('call', $1, $2, $3, $4, $5, $6, $7) RETURNING id`, n.Subject, a.LeadID, contactID, a.ManagerID, next, attempt+1, now).Scan(&n.ID); err != nil {
			return translate(err, "activity")
		}
		res.Next = &n
		return nil
	})
	return res, err
}

func (s *Store) managerTx(ctx context.Context, q Querier, id int64) (Manager, error) {
	m, err := scanManager(q.QueryRow(ctx, `SELECT `+managerColumns+managerFrom+` WHERE m.id = $1`, id))
	return m, translate(err, "manager")
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// Activities lists a manager's open activities due later today or overdue
// ("today" and "overdue" in the manager's time zone; "" lists every open
// one), soonest first, at most 500. Errors: ENOTFOUND, EINVALID.
func (s *Store) Activities(ctx context.Context, managerID int64, due string) ([]Activity, error) {
	m, err := s.Manager(ctx, managerID)
	if err != nil {
		return nil, err
	}
	now := s.now()
	cond, args := "done_at IS NULL", []any{managerID}
	switch due {
	case "today":
		cond, args = dueTodayCond("$2", "$3"), append(args, now, endOfDay(now, m.Schedule().Location()))
	case "overdue":
		cond, args = overdueCond("$2"), append(args, now)
	case "":
	default:
		return nil, Invalid("due", "must be today or overdue, not %q", due)
	}
	rows, err := s.pool.Query(ctx, `SELECT `+activityColumns+` FROM activities
		WHERE manager_id = $1 AND `+cond+` ORDER BY due_at, id LIMIT 500`, args...)
	if err != nil {
		return nil, translate(err, "activities")
	}
	out, err := pgx.CollectRows(rows, scanActivity)
	return out, translate(err, "activities")
}

func endOfDay(t time.Time, loc *time.Location) time.Time {
	l := t.In(loc)
	return time.Date(l.Year(), l.Month(), l.Day()+1, 0, 0, 0, 0, loc)
}

// Activity returns one activity. Errors: ENOTFOUND.
func (s *Store) Activity(ctx context.Context, id int64) (Activity, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+activityColumns+` FROM activities WHERE id = $1`, id)
	if err != nil {
		return Activity{}, translate(err, "activity")
	}
	a, err := pgx.CollectExactlyOneRow(rows, scanActivity)
	return a, translate(err, "activity")
}
