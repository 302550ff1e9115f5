package crm

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// WorkloadReport is each manager's load now — open leads and deals,
// activities due today (in the manager's own day) and overdue with the
// oldest — and their work in the period: activities completed, calls made
// and calls missed.
type WorkloadReport struct {
	From     time.Time     `json:"from"`
	To       time.Time     `json:"to"`
	TimeZone string        `json:"time_zone"`
	At       time.Time     `json:"at"`
	Managers []WorkloadRow `json:"managers"`
	Total    WorkloadRow   `json:"total"`
}

// WorkloadRow is one manager's load (or the department's, for the total).
type WorkloadRow struct {
	ManagerRef
	OpenLeads     int               `json:"open_leads"`
	OpenDeals     int               `json:"open_deals"`
	DueToday      int               `json:"due_today"`
	Overdue       int               `json:"overdue"`
	OldestOverdue *time.Time        `json:"oldest_overdue"`
	Completed     int               `json:"completed"`
	CallsMade     int               `json:"calls_made"`
	CallsMissed   int               `json:"calls_missed"`
	Links         map[string]string `json:"links"`
}

// Workload computes the workload report.
func (s *Store) Workload(ctx context.Context, rq ReportQuery) (WorkloadReport, error) {
	f := rq.Filter
	at := s.now()
	out := WorkloadReport{From: f.From, To: f.To, TimeZone: rq.Loc.String(), At: at, Managers: []WorkloadRow{}}
	err := s.readTx(ctx, func(tx pgx.Tx) error {
		calls, err := callCounts(ctx, tx, f)
		if err != nil {
			return err
		}
		completed, err := completedCounts(ctx, tx, f)
		if err != nil {
			return err
		}
		// Every manager a figure counts is a row: the active, and anyone
		// with open work, work done in the period or calls.
		counted := make([]int64, 0, len(calls)+len(completed))
		for id := range calls {
			counted = append(counted, id)
		}
		for id := range completed {
			counted = append(counted, id)
		}
		rows, err := tx.Query(ctx, `SELECT m.id, m.name, m.time_zone,
				(SELECT count(*) FROM leads l WHERE l.manager_id = m.id AND l.status IN ('new', 'in_progress')),
				(SELECT count(*) FROM deals d WHERE d.manager_id = m.id AND d.closed_at IS NULL),
				(SELECT count(*) FROM activities a WHERE a.manager_id = m.id AND `+overdueCond("$2")+`),
				(SELECT min(due_at) FROM activities a WHERE a.manager_id = m.id AND `+overdueCond("$2")+`)
			FROM managers m
			WHERE ($1::bigint IS NULL OR m.id = $1) AND (m.active OR m.id = ANY($3)
				OR EXISTS (SELECT 1 FROM activities a WHERE a.manager_id = m.id AND a.done_at IS NULL)
				OR EXISTS (SELECT 1 FROM leads l WHERE l.manager_id = m.id AND l.status IN ('new', 'in_progress'))
				OR EXISTS (SELECT 1 FROM deals d WHERE d.manager_id = m.id AND d.closed_at IS NULL))
			ORDER BY m.name, m.id`, f.ManagerID, at, counted)
		if err != nil {
			return translate(err, "workload")
		}
		type mgr struct {
			row WorkloadRow
			tz  string
		}
		ms, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (mgr, error) {
			var m mgr
			err := r.Scan(&m.row.ID, &m.row.Name, &m.tz, &m.row.OpenLeads, &m.row.OpenDeals, &m.row.Overdue, &m.row.OldestOverdue)
			return m, err
		})
		if err != nil {
			return translate(err, "workload")
		}
		total := WorkloadRow{ManagerRef: ManagerRef{Name: "Итого"}}
		for _, m := range ms {
			r := m.row
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM activities WHERE manager_id = $1 AND `+dueTodayCond("$2", "$3"), r.ID, at, dayEnd(at, m.tz)).Scan(&r.DueToday); err != nil {
				return translate(err, "workload")
			}
			c := calls[r.ID]
			r.CallsMade, r.CallsMissed, r.Completed = c[0], c[1], completed[r.ID]
			r.Links = workloadLinks(ReportFilter{From: f.From, To: f.To, ManagerID: idPtr(r.ID)}, at)
			total.add(r)
			out.Managers = append(out.Managers, r)
		}
		if f.ManagerID == nil { // what nobody is responsible for, so that the total is the department's
			u := WorkloadRow{ManagerRef: managerRef(nil, nil)}
			if err := tx.QueryRow(ctx, `SELECT (SELECT count(*) FROM leads WHERE manager_id IS NULL AND status IN ('new', 'in_progress')),
				(SELECT count(*) FROM deals WHERE manager_id IS NULL AND closed_at IS NULL)`).Scan(&u.OpenLeads, &u.OpenDeals); err != nil {
				return translate(err, "workload")
			}
			c := calls[0]
			u.CallsMade, u.CallsMissed = c[0], c[1]
			if u.OpenLeads+u.OpenDeals+u.CallsMade+u.CallsMissed > 0 {
				u.Links = workloadLinks(ReportFilter{From: f.From, To: f.To, Unassigned: true}, at)
				total.add(u)
				out.Managers = append(out.Managers, u)
			}
		}
		total.Links = workloadLinks(ReportFilter{From: f.From, To: f.To, ManagerID: f.ManagerID}, at)
		out.Total = total
		return nil
	})
	return out, err
}

// add adds a row's figures to the total's.
func (t *WorkloadRow) add(r WorkloadRow) {
	t.OpenLeads, t.OpenDeals, t.DueToday = t.OpenLeads+r.OpenLeads, t.OpenDeals+r.OpenDeals, t.DueToday+r.DueToday
	t.Overdue, t.Completed = t.Overdue+r.Overdue, t.Completed+r.Completed
	t.CallsMade, t.CallsMissed = t.CallsMade+r.CallsMade, t.CallsMissed+r.CallsMissed
	if r.OldestOverdue != nil && (t.OldestOverdue == nil || r.OldestOverdue.Before(*t.OldestOverdue)) {
		t.OldestOverdue = r.OldestOverdue
	}
}

// workloadLinks are the lists behind a workload row's figures: open leads
// and deals now; activities due today and overdue at at; activities
// completed and calls in the period. (The row of what nobody is
// responsible for lists no activities: each is a manager's.)
func workloadLinks(f ReportFilter, at time.Time) map[string]string {
	now := ReportFilter{ManagerID: f.ManagerID, Unassigned: f.Unassigned}
	out := map[string]string{}
	for _, fig := range []string{"open_leads", "open_deals"} {
		out[fig] = Drill{Figure: fig, Filter: now}.URL()
	}
	for _, fig := range CallFigures {
		out[fig] = Drill{Figure: fig, Filter: f}.URL()
	}
	out["completed"] = Drill{Figure: "completed", Filter: f}.URL()
	for _, fig := range []string{"due_today", "overdue"} {
		out[fig] = Drill{Figure: fig, Filter: now, At: at}.URL()
	}
	return out
}

// completedCounts are the activities each manager completed in the
// period: one range of activities_done_report, grouped.
func completedCounts(ctx context.Context, tx pgx.Tx, f ReportFilter) (map[int64]int, error) {
	out := map[int64]int{}
	if f.From.IsZero() {
		return out, nil
	}
	rows, err := tx.Query(ctx, `SELECT manager_id, count(*) FROM activities WHERE `+completedCond("$1", "$2")+` GROUP BY 1`, f.From, f.To)
	if err != nil {
		return nil, translate(err, "workload")
	}
	defer rows.Close()
	for rows.Next() {
		var m int64
		var n int
		if err := rows.Scan(&m, &n); err != nil {
			return nil, err
		}
		out[m] = n
	}
	return out, translate(rows.Err(), "workload")
}

// Calls made (outgoing) and missed (incoming, ended unanswered), each the
// predicate of its partial index (migration 161), so a period is a range
// of the index.
const (
	callMadeCond   = `t.channel = 'call' AND t.data->'call'->>'direction' = 'out'`
	callMissedCond = `t.channel = 'call' AND t.data->'call'->>'direction' = 'in' AND NOT coalesce((t.data->'call'->>'answered')::boolean, false)
		AND t.data->'call'->'states' ? 'ended'`
)

// callCounts are each manager's calls in the period: [made, missed] — an
// outgoing call, and an incoming one that ended unanswered, on their lead
// or deal (callManager); those on nobody's under 0.
func callCounts(ctx context.Context, tx pgx.Tx, f ReportFilter) (map[int64][2]int, error) {
	out := map[int64][2]int{}
	if f.From.IsZero() {
		return out, nil
	}
	for i, cond := range []string{callMadeCond, callMissedCond} {
		rows, err := tx.Query(ctx, `SELECT `+callManager+` AS m, count(*)
			FROM touches t LEFT JOIN leads l ON l.id = t.lead_id LEFT JOIN deals d ON d.id = t.deal_id
			WHERE `+cond+` AND t.at >= $1 AND t.at < $2 GROUP BY 1`, f.From, f.To)
		if err != nil {
			return nil, translate(err, "calls")
		}
		for rows.Next() {
			var m *int64
			var n int
			if err := rows.Scan(&m, &n); err != nil {
				rows.Close()
				return nil, err
			}
			var id int64 // 0: nobody's
			if m != nil {
				id = *m
			}
			c := out[id]
			c[i] = n
			out[id] = c
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, translate(err, "calls")
		}
	}
	return out, nil
}

// Tables are the managers with the total row.
func (r WorkloadReport) Tables() []Table {
	t := newTable(lbl("rep.t.workload", "Загрузка"), lbl("rep.c.manager", "Менеджер"), lbl("rep.c.open_leads", "Открытые лиды"),
		lbl("rep.c.open_deals_now", "Открытые сделки"), lbl("rep.c.due_today", "Дела на сегодня"), lbl("rep.c.overdue", "Просрочено"),
		lbl("rep.c.oldest_overdue", "Самое старое просроченное"), lbl("rep.c.completed", "Выполнено за период"),
		lbl("rep.c.calls_made", "Звонков сделано"), lbl("rep.c.calls_missed", "Звонков пропущено"))
	loc, _ := time.LoadLocation(r.TimeZone)
	if loc == nil {
		loc = time.UTC
	}
	for i, x := range append(append([]WorkloadRow{}, r.Managers...), r.Total) {
		var oldest any
		if x.OldestOverdue != nil {
			oldest = x.OldestOverdue.In(loc) // a date cell in XLSX, a date in CSV and the console
		}
		name := managerCell(x.ManagerRef)
		if i == len(r.Managers) {
			name = totalLabel
		}
		l := x.Links
		t.row(name, link(x.OpenLeads, l["open_leads"]), link(x.OpenDeals, l["open_deals"]), link(x.DueToday, l["due_today"]),
			link(x.Overdue, l["overdue"]), oldest, link(x.Completed, l["completed"]), link(x.CallsMade, l["calls_made"]),
			link(x.CallsMissed, l["calls_missed"]))
	}
	return []Table{t}
}
