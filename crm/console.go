package crm

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// The console's read models: what its pages show, read in one or two
// indexed statements each, so a page stays fast on a large database.

// QueueLead is a new lead as the incoming queue shows it.
type QueueLead struct {
	ID        int64      `json:"id"`
	Name      string     `json:"name"`
	Channel   string     `json:"channel"`
	Source    string     `json:"source"`
	Phones    []string   `json:"phones"`
	Emails    []string   `json:"emails"`
	ManagerID *int64     `json:"manager_id"`
	CreatedAt time.Time  `json:"created_at"`
	SLADueAt  *time.Time `json:"sla_due_at"`
}

const queueColumns = `id, name, channel, source, phones, emails, manager_id, created_at, sla_due_at`

func scanQueueLead(r pgx.CollectableRow) (QueueLead, error) {
	var q QueueLead
	err := r.Scan(&q.ID, &q.Name, &q.Channel, &q.Source, &q.Phones, &q.Emails, &q.ManagerID, &q.CreatedAt, &q.SLADueAt)
	return q, err
}

// NewLeads lists leads still new — a manager's (managerID set) or the
// whole department's — oldest first (the longest waiting on top), at most
// limit, and those with an id above after only when after > 0.
func (s *Store) NewLeads(ctx context.Context, managerID *int64, after int64, limit int) ([]QueueLead, error) {
	limit = pageSize(limit)
	var rows pgx.Rows
	var err error
	if managerID != nil {
		rows, err = s.pool.Query(ctx, `SELECT `+queueColumns+` FROM leads
			WHERE manager_id = $1 AND status = 'new' AND id > $2 ORDER BY id LIMIT $3`, *managerID, after, limit)
	} else {
		rows, err = s.pool.Query(ctx, `SELECT `+queueColumns+` FROM leads
			WHERE status = 'new' AND id > $1 ORDER BY id LIMIT $2`, after, limit)
	}
	if err != nil {
		return nil, translate(err, "leads")
	}
	out, err := pgx.CollectRows(rows, scanQueueLead)
	return out, translate(err, "leads")
}

// QueuedLeads lists open leads nobody is assigned to, oldest first.
func (s *Store) QueuedLeads(ctx context.Context, limit int) ([]QueueLead, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+queueColumns+` FROM leads
		WHERE manager_id IS NULL AND status IN ('new', 'in_progress') ORDER BY id DESC LIMIT $1`, pageSize(limit))
	if err != nil {
		return nil, translate(err, "leads")
	}
	out, err := pgx.CollectRows(rows, scanQueueLead)
	return out, translate(err, "leads")
}

// LastLeadID is the newest lead's id (0 with none): live updates start
// after it.
func (s *Store) LastLeadID(ctx context.Context) (int64, error) {
	var id int64
	err := s.pool.QueryRow(ctx, `SELECT coalesce(max(id), 0) FROM leads`).Scan(&id)
	return id, translate(err, "leads")
}

// DepartmentCounters are the counters of the whole department: open
// activities due later today and overdue (today in loc), new leads, and
// what waits unanswered. The activities are counted from indexes alone,
// the new leads summed from lead_counts.
func (s *Store) DepartmentCounters(ctx context.Context, loc *time.Location) (Counters, error) {
	now := s.now()
	var c Counters
	err := s.pool.QueryRow(ctx, `SELECT
			(SELECT count(*) FROM activities WHERE `+dueTodayCond("$1", "$2")+`),
			(SELECT count(*) FROM activities WHERE `+overdueCond("$1")+`),
			(SELECT coalesce(sum(n), 0) FROM lead_counts WHERE status = 'new'),
			(SELECT count(*) FROM activities WHERE done_at IS NULL AND (type = 'email' OR subject = 'Missed call: call back'))`,
		now, endOfDay(now, loc)).Scan(&c.Today, &c.Overdue, &c.NewLeads, &c.Unanswered)
	c.Incoming = c.NewLeads + c.Unanswered
	return c, translate(err, "counters")
}

// DealActivities lists a deal's activities, open first by due time.
func (s *Store) DealActivities(ctx context.Context, dealID int64) ([]Activity, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+activityColumns+`
		FROM activities WHERE deal_id = $1 ORDER BY done_at IS NOT NULL, due_at DESC, id LIMIT 200`, dealID)
	if err != nil {
		return nil, translate(err, "activities")
	}
	out, err := pgx.CollectRows(rows, scanActivity)
	return out, translate(err, "activities")
}

// DealTouches lists what came in on a deal, newest first.
func (s *Store) DealTouches(ctx context.Context, dealID int64) ([]Touch, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, channel, kind, source, at, text, data, event_id::text
		FROM touches WHERE deal_id = $1 ORDER BY at DESC, id DESC LIMIT 200`, dealID)
	if err != nil {
		return nil, translate(err, "touches")
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Touch, error) {
		var t Touch
		err := r.Scan(&t.ID, &t.Channel, &t.Kind, &t.Source, &t.At, &t.Text, &t.Data, &t.EventID)
		return t, err
	})
	return out, translate(err, "touches")
}

// DealPayments lists a deal's payments, newest first.
func (s *Store) DealPayments(ctx context.Context, dealID int64) ([]Payment, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, deal_id, provider, inv_id, amount::text, currency, status, created_at, paid_at
		FROM payments WHERE deal_id = $1 ORDER BY id DESC`, dealID)
	if err != nil {
		return nil, translate(err, "payments")
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Payment, error) {
		var p Payment
		err := r.Scan(&p.ID, &p.DealID, &p.Provider, &p.InvID, &p.Amount, &p.Currency, &p.Status, &p.CreatedAt, &p.PaidAt)
		return p, err
	})
	return out, translate(err, "payments")
}

// SLAMisses lists new leads whose first call is past its SLA, the longest
// late first.
func (s *Store) SLAMisses(ctx context.Context, limit int) ([]QueueLead, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+queueColumns+` FROM leads
		WHERE status = 'new' AND sla_due_at IS NOT NULL AND sla_due_at < $1 ORDER BY sla_due_at LIMIT $2`, s.now(), pageSize(limit))
	if err != nil {
		return nil, translate(err, "leads")
	}
	out, err := pgx.CollectRows(rows, scanQueueLead)
	return out, translate(err, "leads")
}

// FoldCounts folds the changes the triggers wrote to lead_counts and
// deal_counts into one row per key, so that reading a count stays a sum of
// a few rows. It returns how many rows it folded away.
func FoldCounts(ctx context.Context, tx pgx.Tx) (int, error) {
	var leads, deals int
	err := tx.QueryRow(ctx, `WITH gone AS (DELETE FROM lead_counts RETURNING manager_id, status, n),
		folded AS (INSERT INTO lead_counts (manager_id, status, n)
			SELECT manager_id, status, sum(n) FROM gone GROUP BY 1, 2 HAVING sum(n) <> 0 RETURNING 1)
		SELECT (SELECT count(*) FROM gone) - (SELECT count(*) FROM folded)`).Scan(&leads)
	if err != nil {
		return 0, translate(err, "lead counts")
	}
	err = tx.QueryRow(ctx, `WITH gone AS (DELETE FROM deal_counts RETURNING pipeline_id, stage_id, manager_id, n, amount),
		folded AS (INSERT INTO deal_counts (pipeline_id, stage_id, manager_id, n, amount)
			SELECT pipeline_id, stage_id, manager_id, sum(n), sum(amount) FROM gone GROUP BY 1, 2, 3
			HAVING sum(n) <> 0 OR sum(amount) <> 0 RETURNING 1)
		SELECT (SELECT count(*) FROM gone) - (SELECT count(*) FROM folded)`).Scan(&deals)
	return leads + deals, translate(err, "deal counts")
}
