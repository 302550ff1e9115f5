package crm

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// The workload's figures of activities and calls have lists behind them
// too: the activities due today, overdue and completed, and the calls made
// and missed. Each list takes the figure's drill-down and uses the
// condition the workload counts with, so the two cannot disagree.

// Figures of activities and of calls a drill-down can list.
var (
	ActivityFigures = []string{"due_today", "overdue", "completed"}
	CallFigures     = []string{"calls_made", "calls_missed"}
)

// completedCond is an activity completed in the period [$from, $to) —
// done, or a call with an outcome; not one cancelled or rescheduled.
func completedCond(from, to string) string {
	return "(done_at IS NOT NULL AND done_at >= " + from + " AND done_at < " + to + " AND outcome IN ('done', 'no_answer', 'answered'))"
}

// dayEnd is the end of the day of at in a manager's time zone: the border
// of their "due today" (an unknown zone is read as UTC).
func dayEnd(at time.Time, tz string) time.Time {
	loc, err := LoadLocation(tz)
	if err != nil {
		loc = time.UTC
	}
	return endOfDay(at, loc)
}

// ActivityFilter narrows the list behind a workload figure of activities.
type ActivityFilter struct {
	ManagerID *int64 // the viewer's scope: a manager sees their own
	Drill     *Drill
	Limit     int
	Cursor    string
}

// ActivityList lists the activities behind a workload figure: due today
// and overdue soonest first, completed the latest first. Errors: EINVALID.
func (s *Store) ActivityList(ctx context.Context, f ActivityFilter) ([]Activity, string, error) {
	d := f.Drill
	if d == nil || d.Entity() != "activities" {
		return nil, "", Invalid("drill", "name a figure of activities: due_today, overdue or completed")
	}
	f.Limit = pageSize(f.Limit)
	q := newListQuery("TRUE")
	if f.ManagerID != nil {
		q.add("manager_id = ?", *f.ManagerID)
	}
	if d.Filter.ManagerID != nil {
		q.add("manager_id = ?", *d.Filter.ManagerID)
	}
	if d.Filter.Unassigned { // every activity is a manager's
		q.raw("FALSE")
	}
	col, asc := "due_at", true
	switch d.Figure {
	case "overdue":
		q.args = append(q.args, d.At)
		q.raw(overdueCond("$" + itoa(len(q.args))))
	case "due_today":
		// Each manager's own day: the end of it by manager, and the
		// latest of them to bound the index range.
		ends, last, err := s.dayEnds(ctx, d.At, d.Filter.ManagerID)
		if err != nil {
			return nil, "", err
		}
		q.args = append(q.args, d.At, ends, last)
		n := len(q.args)
		q.raw(dueTodayCond("$"+itoa(n-2), fmt.Sprintf("($%d::jsonb ->> manager_id::text)::timestamptz", n-1)))
		q.raw("due_at < $" + itoa(n))
	case "completed":
		if d.Filter.From.IsZero() {
			return nil, "", Invalid("from", "completed activities are of a period")
		}
		q.args = append(q.args, d.Filter.From, d.Filter.To)
		n := len(q.args)
		q.raw(completedCond("$"+itoa(n-1), "$"+itoa(n)))
		col, asc = "done_at", false
	}
	tail, args, err := q.pageByTime(col, "id", f.Cursor, asc, f.Limit)
	if err != nil {
		return nil, "", err
	}
	rows, err := s.pool.Query(ctx, `SELECT `+activityColumns+` FROM activities`+tail, args...)
	if err != nil {
		return nil, "", translate(err, "activities")
	}
	list, err := pgx.CollectRows(rows, scanActivity)
	if err != nil {
		return nil, "", translate(err, "activities")
	}
	return pageBy(list, f.Limit, func(a Activity) string {
		t := a.DueAt
		if col == "done_at" && a.DoneAt != nil {
			t = *a.DoneAt
		}
		return timeCursor(t, a.ID)
	})
}

// dayEnds is the end of each manager's day at at (one manager's, with id),
// as a JSON object by manager id, and the latest of them.
func (s *Store) dayEnds(ctx context.Context, at time.Time, id *int64) (map[string]time.Time, time.Time, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, time_zone FROM managers WHERE $1::bigint IS NULL OR id = $1`, id)
	if err != nil {
		return nil, time.Time{}, translate(err, "managers")
	}
	ends, last := map[string]time.Time{}, at
	for rows.Next() {
		var m int64
		var tz string
		if err := rows.Scan(&m, &tz); err != nil {
			rows.Close()
			return nil, time.Time{}, err
		}
		e := dayEnd(at, tz)
		ends[strconv.FormatInt(m, 10)] = e
		if e.After(last) {
			last = e
		}
	}
	rows.Close()
	return ends, last, translate(rows.Err(), "managers")
}

// Call is one call a workload figure counted: an outgoing call a manager
// made, or an incoming one that ended unanswered; what it was on and whose
// that is.
type Call struct {
	ID        int64     `json:"id"` // the call's touch
	At        time.Time `json:"at"`
	Direction string    `json:"direction"` // in or out
	Answered  bool      `json:"answered"`
	Duration  int       `json:"duration"` // seconds talked
	Phone     string    `json:"phone"`    // the client's, when the PBX named it
	Line      string    `json:"line"`
	LeadID    *int64    `json:"lead_id"`
	DealID    *int64    `json:"deal_id"`
	Title     string    `json:"title"` // the lead's name, or the deal's title when it is on a deal alone
	ManagerID *int64    `json:"manager_id"`
	Recording bool      `json:"recording"` // GET /api/v1/touches/{id}/recording plays it
}

// CallFilter narrows the list behind a workload figure of calls.
type CallFilter struct {
	ManagerID *int64 // the viewer's scope: a manager sees the calls on their own records
	Drill     *Drill
	Limit     int
	Cursor    string
}

// callManager is whose a call is: the responsible manager of its lead, else
// of its deal.
const callManager = "coalesce(l.manager_id, d.manager_id)"

// Calls lists the calls behind a workload figure, the latest first.
// Errors: EINVALID.
func (s *Store) Calls(ctx context.Context, f CallFilter) ([]Call, string, error) {
	d := f.Drill
	if d == nil || d.Entity() != "calls" {
		return nil, "", Invalid("drill", "name a figure of calls: calls_made or calls_missed")
	}
	if d.Filter.From.IsZero() {
		return nil, "", Invalid("from", "calls are of a period")
	}
	f.Limit = pageSize(f.Limit)
	q := newListQuery(callMadeCond)
	if d.Figure == "calls_missed" {
		q = newListQuery(callMissedCond)
	}
	q.add("t.at >= ?", d.Filter.From)
	q.add("t.at < ?", d.Filter.To)
	if f.ManagerID != nil {
		q.add(callManager+" = ?", *f.ManagerID)
	}
	if d.Filter.ManagerID != nil {
		q.add(callManager+" = ?", *d.Filter.ManagerID)
	}
	if d.Filter.Unassigned {
		q.raw(callManager + " IS NULL")
	}
	tail, args, err := q.pageByTime("t.at", "t.id", f.Cursor, false, f.Limit)
	if err != nil {
		return nil, "", err
	}
	rows, err := s.pool.Query(ctx, `SELECT t.id, t.at, t.data->'call'->>'direction', coalesce((t.data->'call'->>'answered')::boolean, false),
			coalesce((t.data->'call'->>'duration')::int, 0), coalesce(t.data->'call'->>'phone', ''), coalesce(t.data->'call'->>'line', ''),
			t.lead_id, t.deal_id, CASE WHEN t.lead_id IS NOT NULL THEN coalesce(l.name, '') ELSE coalesce(d.title, '') END, `+callManager+`,
			coalesce(t.data->'call'->>'recording_url', '') <> ''
		FROM touches t LEFT JOIN leads l ON l.id = t.lead_id LEFT JOIN deals d ON d.id = t.deal_id`+tail, args...)
	if err != nil {
		return nil, "", translate(err, "calls")
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Call, error) {
		var c Call
		err := r.Scan(&c.ID, &c.At, &c.Direction, &c.Answered, &c.Duration, &c.Phone, &c.Line, &c.LeadID, &c.DealID, &c.Title, &c.ManagerID, &c.Recording)
		return c, err
	})
	if err != nil {
		return nil, "", translate(err, "calls")
	}
	return pageBy(list, f.Limit, func(c Call) string { return timeCursor(c.At, c.ID) })
}

// pageByTime is page by a time column, ties by id: the cursor is "time,id"
// of the last row shown (timeCursor).
func (q *listQuery) pageByTime(col, idCol, cursor string, asc bool, limit int) (string, []any, error) {
	o := order(asc)
	if cursor != "" {
		at, id, ok := strings.Cut(cursor, ",")
		after, err := strconv.ParseInt(id, 10, 64)
		t, err2 := time.Parse(time.RFC3339Nano, at)
		if !ok || err != nil || err2 != nil || after <= 0 {
			return "", nil, Invalid("cursor", "not a cursor this API returned")
		}
		q.args = append(q.args, t, after)
		n := len(q.args)
		q.raw(fmt.Sprintf("(%s, %s) %s ($%d, $%d)", col, idCol, o.cmp, n-1, n))
	}
	args := append(q.args, limit+1)
	return " WHERE " + q.where + " ORDER BY " + col + " " + o.dir + ", " + idCol + " " + o.dir + " LIMIT $" + strconv.Itoa(len(args)), args, nil
}

func timeCursor(t time.Time, id int64) string {
	return t.UTC().Format(time.RFC3339Nano) + "," + strconv.FormatInt(id, 10)
}

// pageBy cuts a list fetched with one extra item into a page and the
// cursor of its last item.
func pageBy[T any](items []T, limit int, cursor func(T) string) ([]T, string, error) {
	if len(items) <= limit {
		return items, "", nil
	}
	items = items[:limit]
	return items, cursor(items[len(items)-1]), nil
}
