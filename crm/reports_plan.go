package crm

import (
	"context"
	"math"
	"math/big"
	"time"

	"github.com/jackc/pgx/v5"
)

// Plan is a manager's monthly target: revenue (a decimal string) and won
// deals.
type Plan struct {
	ManagerID int64     `json:"manager_id"`
	Month     string    `json:"month"` // 2026-12
	Revenue   string    `json:"revenue"`
	Won       int       `json:"won"`
	UpdatedAt time.Time `json:"updated_at"`
	UpdatedBy string    `json:"updated_by"`
}

// SetPlan sets a manager's target for a month. Errors: EINVALID (the
// month, the amounts, an unknown manager).
func (s *Store) SetPlan(ctx context.Context, p Plan) (Plan, error) {
	m, err := parseMonth(p.Month)
	if err != nil {
		return Plan{}, err
	}
	if p.Revenue == "" {
		p.Revenue = "0"
	}
	if _, err := parseDecimal(p.Revenue, "revenue", 2); err != nil {
		return Plan{}, err
	}
	if p.Won < 0 {
		return Plan{}, Invalid("won", "must not be negative")
	}
	if _, err := s.Manager(ctx, p.ManagerID); err != nil {
		return Plan{}, Invalid("manager_id", "no manager %d", p.ManagerID)
	}
	err = s.pool.QueryRow(ctx, `INSERT INTO plans (manager_id, month, revenue, won, updated_at, updated_by)
		VALUES ($1, $2, $3::numeric, $4, $5, $6)
		ON CONFLICT (manager_id, month) DO UPDATE SET revenue = $3::numeric, won = $4, updated_at = $5, updated_by = $6
		RETURNING revenue::text, updated_at`, p.ManagerID, m, p.Revenue, p.Won, s.now(), p.UpdatedBy).Scan(&p.Revenue, &p.UpdatedAt)
	return p, translate(err, "plan")
}

// Plans lists the targets of a month ("2026-12"; "" for all), by manager.
// Errors: EINVALID (the month).
func (s *Store) Plans(ctx context.Context, month string) ([]Plan, error) {
	var m *string
	if month != "" {
		v, err := parseMonth(month)
		if err != nil {
			return nil, err
		}
		m = &v
	}
	rows, err := s.pool.Query(ctx, `SELECT manager_id, to_char(month, 'YYYY-MM'), revenue::text, won, updated_at, updated_by
		FROM plans WHERE $1::date IS NULL OR month = $1::date ORDER BY month DESC, manager_id`, m)
	if err != nil {
		return nil, translate(err, "plans")
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Plan, error) {
		var p Plan
		return p, r.Scan(&p.ManagerID, &p.Month, &p.Revenue, &p.Won, &p.UpdatedAt, &p.UpdatedBy)
	})
	if out == nil {
		out = []Plan{}
	}
	return out, translate(err, "plans")
}

// PlanReport is each manager's targets against the fact — deals won
// (closed in the month, in the viewer's time zone) and their sum — for
// each month the period touches.
type PlanReport struct {
	From     time.Time `json:"from"`
	To       time.Time `json:"to"`
	TimeZone string    `json:"time_zone"`
	Months   []string  `json:"months"`
	Managers []PlanRow `json:"managers"`
	Total    []PlanRow `json:"total"` // one per month
}

// PlanRow is one manager's month (or the department's, in Total).
type PlanRow struct {
	ManagerRef
	Month         string            `json:"month"`
	TargetRevenue *string           `json:"target_revenue"`
	TargetWon     *int              `json:"target_won"`
	Revenue       string            `json:"revenue"`
	Won           int               `json:"won"`
	RevenuePct    *float64          `json:"revenue_pct"`
	WonPct        *float64          `json:"won_pct"`
	Links         map[string]string `json:"links"`
}

// PlanFact computes the plan report.
func (s *Store) PlanFact(ctx context.Context, rq ReportQuery) (PlanReport, error) {
	f := rq.Filter
	loc := rq.Loc
	out := PlanReport{From: f.From, To: f.To, TimeZone: loc.String(), Months: []string{}, Managers: []PlanRow{}, Total: []PlanRow{}}
	start := f.From.In(loc)
	start = time.Date(start.Year(), start.Month(), 1, 0, 0, 0, 0, loc)
	err := s.readTx(ctx, func(tx pgx.Tx) error {
		names, err := managerNames(ctx, tx)
		if err != nil {
			return err
		}
		for m := start; m.Before(f.To) && len(out.Months) < 36; m = m.AddDate(0, 1, 0) {
			end := m.AddDate(0, 1, 0)
			key := m.Format("2006-01")
			out.Months = append(out.Months, key)
			mf := f
			mf.From, mf.To = m, end
			q := newListQuery("s.semantic = 'won'")
			mf.dealCond(q)
			if mf.Pipeline != "" {
				q.add("p.key = ?", mf.Pipeline)
			}
			q.add("d.closed_at >= ?", m)
			q.add("d.closed_at < ?", end)
			rows, err := tx.Query(ctx, `SELECT d.manager_id, count(*), sum(d.amount)::text
				FROM deals d JOIN pipelines p ON p.id = d.pipeline_id JOIN stages s ON s.id = d.stage_id
				WHERE `+q.where+` GROUP BY 1`, q.args...)
			if err != nil {
				return translate(err, "plan")
			}
			rowsBy := map[int64]*PlanRow{}
			for rows.Next() {
				var mid *int64
				r := PlanRow{Month: key}
				if err := rows.Scan(&mid, &r.Won, &r.Revenue); err != nil {
					rows.Close()
					return err
				}
				r.ManagerRef = managerRef(names, mid)
				id := r.ID // 0: nobody's
				r.Revenue = sumDecimal(r.Revenue)
				rowsBy[id] = &r
			}
			if err := rows.Err(); err != nil {
				return translate(err, "plan")
			}
			prow, err := tx.Query(ctx, `SELECT manager_id, revenue::text, won FROM plans
				WHERE month = $1::date AND ($2::bigint IS NULL OR manager_id = $2)`, m.Format(time.DateOnly), f.ManagerID)
			if err != nil {
				return translate(err, "plan")
			}
			for prow.Next() {
				var id int64
				var rev string
				var won int
				if err := prow.Scan(&id, &rev, &won); err != nil {
					prow.Close()
					return err
				}
				r := rowsBy[id]
				if r == nil {
					r = &PlanRow{ManagerRef: managerRef(names, &id), Month: key, Revenue: "0.00"}
					rowsBy[id] = r
				}
				r.TargetRevenue, r.TargetWon = &rev, &won
			}
			if err := prow.Err(); err != nil {
				return translate(err, "plan")
			}
			total := PlanRow{ManagerRef: ManagerRef{Name: "Итого"}, Month: key, Revenue: "0.00"}
			var month []PlanRow
			for id, r := range rowsBy {
				if id != 0 {
					rf := mf
					rf.ManagerID = idPtr(id)
					r.Links = map[string]string{"won": Drill{Figure: "closed_won", Filter: rf}.URL()}
					r.Links["revenue"] = r.Links["won"]
				}
				r.finish()
				total.Won, total.Revenue = total.Won+r.Won, sumDecimal(total.Revenue, r.Revenue)
				if r.TargetRevenue != nil {
					tr := sumDecimal(deref(total.TargetRevenue), *r.TargetRevenue)
					tw := *r.TargetWon
					if total.TargetWon != nil {
						tw += *total.TargetWon
					}
					total.TargetRevenue, total.TargetWon = &tr, &tw
				}
				month = append(month, *r)
			}
			sortRefs(month, func(r PlanRow) ManagerRef { return r.ManagerRef })
			out.Managers = append(out.Managers, month...)
			total.Links = map[string]string{"won": Drill{Figure: "closed_won", Filter: mf}.URL()}
			total.Links["revenue"] = total.Links["won"]
			total.finish()
			out.Total = append(out.Total, total)
		}
		return nil
	})
	return out, err
}

func (r *PlanRow) finish() {
	if r.TargetWon != nil {
		r.WonPct = Percent(r.Won, *r.TargetWon)
	}
	if r.TargetRevenue != nil {
		r.RevenuePct = ratioPct(r.Revenue, *r.TargetRevenue)
	}
}

// ratioPct is a/b as a percent with one decimal, nil when b is zero.
func ratioPct(a, b string) *float64 {
	x, ok1 := parseRat(a)
	y, ok2 := parseRat(b)
	if !ok1 || !ok2 || y.Sign() == 0 {
		return nil
	}
	v, _ := x.Mul(x, hundred).Quo(x, y).Float64()
	v = math.Round(v*10) / 10
	return &v
}

func parseRat(s string) (*big.Rat, bool) { return new(big.Rat).SetString(s) }

// Tables are the managers' months with a total per month.
func (r PlanReport) Tables() []Table {
	t := Table{Title: "План и факт", Columns: []string{"Месяц", "Менеджер", "План, ₽", "Факт, ₽", "Выполнение по выручке, %",
		"План, сделок", "Факт, сделок", "Выполнение по сделкам, %"}}
	add := func(x PlanRow) {
		var tw any
		if x.TargetWon != nil {
			tw = *x.TargetWon
		}
		t.Rows = append(t.Rows, []any{x.Month, x.Name, dec(x.TargetRevenue), Decimal(x.Revenue), pct(x.RevenuePct), tw, x.Won, pct(x.WonPct)})
	}
	for _, m := range r.Months {
		for _, x := range r.Managers {
			if x.Month == m {
				add(x)
			}
		}
		for _, x := range r.Total {
			if x.Month == m {
				add(x)
			}
		}
	}
	return []Table{t}
}
