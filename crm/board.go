package crm

import (
	"context"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
)

// BoardFilter selects the deals of a Kanban board.
type BoardFilter struct {
	Pipeline  string // key; "" for the default pipeline
	ManagerID *int64
	Channel   string    // the channel of the lead the deal came from
	From, To  time.Time // created within (zero: open-ended)
}

// BoardColumn is a stage of the board: how many deals it holds, their sum
// (in the deals' currencies added as numbers) and the first cards.
type BoardColumn struct {
	Stage Stage
	Count int
	Sum   string
	Cards []BoardCard
	More  bool // more cards than shown
}

// BoardCard is a deal as a board's card shows it.
type BoardCard struct {
	ID          int64
	Title       string
	Stage       string
	Amount      string
	Currency    string
	ManagerID   *int64
	Client      string // the company's name, else the contact's
	NextAt      *time.Time
	NextSubject *string
}

// BoardCardsShown is how many cards a column shows at first and per "more".
const BoardCardsShown = 50

// boardPipeline returns the filtered pipeline. Errors: ENOTFOUND.
func (s *Store) boardPipeline(ctx context.Context, key string) (Pipeline, error) {
	ps, err := s.Pipelines(ctx)
	if err != nil {
		return Pipeline{}, err
	}
	for _, p := range ps {
		if (key == "" && p.Default) || p.Key == key {
			return p, nil
		}
	}
	if key == "" && len(ps) > 0 {
		return ps[0], nil
	}
	return Pipeline{}, Errorf(ENOTFOUND, "pipeline %q not found", key)
}

func (f BoardFilter) where(pipelineID int64) *listQuery {
	q := newListQuery("TRUE")
	q.add("d.pipeline_id = ?", pipelineID)
	dealScope(q, f.ManagerID, f.Channel, f.From, f.To)
	return q
}

const boardCardColumns = `d.id, d.title, s.key, d.amount::text, d.currency, d.manager_id,
	coalesce(co.name, c.name, ''), na.due_at, na.subject`

const boardCardFrom = ` FROM deals d JOIN stages s ON s.id = d.stage_id
	LEFT JOIN contacts c ON c.id = d.contact_id LEFT JOIN companies co ON co.id = d.company_id
	LEFT JOIN LATERAL (SELECT a.due_at, a.subject FROM activities a WHERE a.deal_id = d.id AND a.done_at IS NULL
		ORDER BY a.due_at LIMIT 1) na ON TRUE`

func scanBoardCard(r pgx.CollectableRow) (BoardCard, error) {
	var c BoardCard
	err := r.Scan(&c.ID, &c.Title, &c.Stage, &c.Amount, &c.Currency, &c.ManagerID, &c.Client, &c.NextAt, &c.NextSubject)
	return c, err
}

// Board returns a pipeline's columns: every stage with its count, sum and
// first BoardCardsShown cards, newest first. Errors: ENOTFOUND.
func (s *Store) Board(ctx context.Context, f BoardFilter) ([]BoardColumn, error) {
	p, err := s.boardPipeline(ctx, f.Pipeline)
	if err != nil {
		return nil, err
	}
	cols := make([]BoardColumn, len(p.Stages))
	byID := map[int64]int{}
	for i, st := range p.Stages {
		cols[i] = BoardColumn{Stage: st, Sum: "0"}
		byID[st.ID] = i
	}
	q := f.where(p.ID)
	var rows pgx.Rows
	if f.Channel == "" && f.From.IsZero() && f.To.IsZero() {
		// The whole department's or a manager's board: summed from
		// deal_counts (153), not counted deal by deal.
		rows, err = s.pool.Query(ctx, `SELECT stage_id, sum(n)::bigint, sum(amount)::text FROM deal_counts
			WHERE pipeline_id = $1 AND ($2::bigint IS NULL OR manager_id = $2) GROUP BY stage_id HAVING sum(n) <> 0`, p.ID, f.ManagerID)
	} else {
		rows, err = s.pool.Query(ctx, `SELECT d.stage_id, count(*), sum(d.amount)::text FROM deals d WHERE `+q.where+` GROUP BY d.stage_id`, q.args...)
	}
	if err != nil {
		return nil, translate(err, "board")
	}
	var stageID int64
	var n int
	var sum string
	if _, err := pgx.ForEachRow(rows, []any{&stageID, &n, &sum}, func() error {
		if i, ok := byID[stageID]; ok {
			cols[i].Count, cols[i].Sum = n, sum
		}
		return nil
	}); err != nil {
		return nil, translate(err, "board")
	}
	q = f.where(p.ID)
	q.raw("d.stage_id = st.id")
	args := append(q.args, p.ID, BoardCardsShown+1)
	// A column's cards are found by the board index alone (153), then
	// read: ordering the deals themselves by id let the planner walk the
	// whole table backwards for a column with none.
	rows, err = s.pool.Query(ctx, `SELECT st.id, x.* FROM stages st CROSS JOIN LATERAL (
			SELECT `+boardCardColumns+boardCardFrom+` WHERE d.id IN (
				SELECT d.id FROM deals d WHERE `+q.where+` ORDER BY d.id DESC LIMIT $`+itoa(len(args))+`)
			ORDER BY d.id DESC) x
		WHERE st.pipeline_id = $`+itoa(len(args)-1), args...)
	if err != nil {
		return nil, translate(err, "board")
	}
	cards, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (struct {
		stage int64
		card  BoardCard
	}, error) {
		var x struct {
			stage int64
			card  BoardCard
		}
		c := &x.card
		err := r.Scan(&x.stage, &c.ID, &c.Title, &c.Stage, &c.Amount, &c.Currency, &c.ManagerID, &c.Client, &c.NextAt, &c.NextSubject)
		return x, err
	})
	if err != nil {
		return nil, translate(err, "board")
	}
	for _, x := range cards {
		i := byID[x.stage]
		if len(cols[i].Cards) == BoardCardsShown {
			cols[i].More = true
			continue
		}
		cols[i].Cards = append(cols[i].Cards, x.card)
	}
	return cols, nil
}

// BoardCards returns the next cards of one column, older than before (all
// from the newest when 0), at most limit. Errors: ENOTFOUND.
func (s *Store) BoardCards(ctx context.Context, f BoardFilter, stage string, before int64, limit int) ([]BoardCard, error) {
	p, err := s.boardPipeline(ctx, f.Pipeline)
	if err != nil {
		return nil, err
	}
	q := f.where(p.ID)
	q.add("s.key = ?", stage)
	if before > 0 {
		q.add("d.id < ?", before)
	}
	args := append(q.args, pageSize(limit))
	rows, err := s.pool.Query(ctx, `SELECT `+boardCardColumns+boardCardFrom+` WHERE `+q.where+` ORDER BY d.id DESC LIMIT $`+itoa(len(args)), args...)
	if err != nil {
		return nil, translate(err, "board")
	}
	out, err := pgx.CollectRows(rows, scanBoardCard)
	return out, translate(err, "board")
}

// The work page's lists of open activities (OpenActivities).
const (
	ListOverdue = "overdue" // overdue at now (overdueCond)
	ListToday   = "today"   // due before the end of the day, not overdue (dueTodayCond)
	ListLater   = "later"   // due from the end of the day until a time
)

// OpenActivities lists one list of open activities — a manager's or
// everyone's — soonest first: overdue at now, due today (before end, those
// in their grace included), or due later (in [end, until)); those after
// the activity after (from the first when 0), at most limit. Errors:
// EINVALID for another list.
func (s *Store) OpenActivities(ctx context.Context, managerID *int64, list string, now, end, until time.Time, after int64, limit int) ([]Activity, error) {
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + itoa(len(args))
	}
	lim := arg(pageSize(limit))
	more := ``
	if managerID != nil {
		more += ` AND manager_id = ` + arg(*managerID)
	}
	if after > 0 {
		// The cursor's own row gives its place; one since deleted starts
		// the list over rather than ending it.
		more += ` AND (due_at, id) > coalesce((SELECT (c.due_at, c.id) FROM activities c WHERE c.id = ` + arg(after) +
			`), ('-infinity'::timestamptz, 0::bigint))`
	}
	branch := func(cond string) string {
		return `SELECT ` + activityColumns + ` FROM activities WHERE ` + cond + more + ` ORDER BY due_at, id LIMIT ` + lim
	}
	var q string
	switch list {
	case ListOverdue:
		q = branch(overdueCond(arg(now)))
	case ListToday:
		// The two halves of dueTodayCond, each read in order from its
		// index: still in their grace (due before now), then due later.
		n, e := arg(now), arg(end)
		q = `SELECT * FROM ((` + branch(`done_at IS NULL AND grace > '0' AND due_at < `+n+` AND due_at + grace >= `+n+` AND due_at < `+e) +
			`) UNION ALL (` + branch(`done_at IS NULL AND due_at >= `+n+` AND due_at < `+e) + `)) t ORDER BY t.due_at, t.id LIMIT ` + lim
	case ListLater:
		q = branch(`done_at IS NULL AND due_at >= ` + arg(end) + ` AND due_at < ` + arg(until))
	default:
		return nil, Invalid("list", "unknown list %q", list)
	}
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, translate(err, "activities")
	}
	out, err := pgx.CollectRows(rows, scanActivity)
	return out, translate(err, "activities")
}

// CalendarActivities lists the activities, open and done, due on each day
// [bounds[i], bounds[i+1]) — a manager's or everyone's — by due time, at
// most perDay a day: out[i] is day i's.
func (s *Store) CalendarActivities(ctx context.Context, managerID *int64, bounds []time.Time, perDay int) ([][]Activity, error) {
	if len(bounds) < 2 {
		return nil, nil
	}
	args := []any{bounds[:len(bounds)-1], bounds[1:], pageSize(perDay)}
	scope := ``
	if managerID != nil {
		args = append(args, *managerID)
		scope = ` AND a.manager_id = $4`
	}
	rows, err := s.pool.Query(ctx, `SELECT d.day_no, x.* FROM unnest($1::timestamptz[], $2::timestamptz[]) WITH ORDINALITY d(day_from, day_to, day_no)
		CROSS JOIN LATERAL (SELECT `+activityColumns+` FROM activities a WHERE a.due_at >= d.day_from AND a.due_at < d.day_to`+scope+`
			ORDER BY a.due_at, a.id LIMIT $3) x ORDER BY d.day_no, x.due_at, x.id`, args...)
	if err != nil {
		return nil, translate(err, "activities")
	}
	out := make([][]Activity, len(bounds)-1)
	_, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (struct{}, error) {
		var i int
		var a Activity
		err := r.Scan(&i, &a.ID, &a.Type, &a.Subject, &a.LeadID, &a.DealID, &a.ContactID, &a.ManagerID, &a.DueAt, &a.OverdueAt, &a.DoneAt, &a.Outcome,
			&a.Duration, &a.Direction, &a.RecordingURL, &a.Extension)
		if err == nil && i >= 1 && i <= len(out) {
			out[i-1] = append(out[i-1], a)
		}
		return struct{}{}, err
	})
	return out, translate(err, "activities")
}

func itoa(n int) string { return strconv.Itoa(n) }
