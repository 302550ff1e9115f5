package crm

import (
	"context"
	"math"
	"math/big"
	"strings"
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
	out, err := s.SetPlans(ctx, []Plan{p})
	if err != nil {
		return Plan{}, err
	}
	return out[0], nil
}

// SetPlans sets several targets at once (the console's form of a month):
// all of them, or — when any is invalid — none. Errors: EINVALID naming
// the field (the month, the amounts, an unknown manager).
func (s *Store) SetPlans(ctx context.Context, ps []Plan) ([]Plan, error) {
	months := make([]string, len(ps))
	for i := range ps {
		p := &ps[i]
		m, err := parseMonth(p.Month)
		if err != nil {
			return nil, err
		}
		months[i] = m
		if p.Revenue == "" {
			p.Revenue = "0"
		}
		if err := amountInput(p.Revenue, "revenue"); err != nil {
			return nil, err
		}
		if p.Won < 0 {
			return nil, Invalid("won", "must not be negative")
		}
		if _, err := s.Manager(ctx, p.ManagerID); err != nil {
			return nil, Invalid("manager_id", "no manager %d", p.ManagerID)
		}
	}
	now := s.now()
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		for i := range ps {
			p := &ps[i]
			if err := tx.QueryRow(ctx, `INSERT INTO plans (manager_id, month, revenue, won, updated_at, updated_by)
				VALUES ($1, $2, $3::numeric, $4, $5, $6)
				ON CONFLICT (manager_id, month) DO UPDATE SET revenue = $3::numeric, won = $4, updated_at = $5, updated_by = $6
				RETURNING revenue::text, updated_at`, p.ManagerID, months[i], p.Revenue, p.Won, now, p.UpdatedBy).Scan(&p.Revenue, &p.UpdatedAt); err != nil {
				return translate(err, "plan")
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return ps, nil
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
	// Targets and revenue are in Currency; won deals in other currencies
	// count toward the won target but are summed apart.
	Currency        string          `json:"currency"`
	OtherCurrencies []OtherCurrency `json:"other_currencies"`
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
	cur := rq.currency()
	out := PlanReport{From: f.From, To: f.To, TimeZone: loc.String(), Months: []string{}, Managers: []PlanRow{}, Total: []PlanRow{},
		Currency: cur, OtherCurrencies: []OtherCurrency{}}
	other := otherCurrencies{}
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
			q := newListQuery("s.semantic = 'won' AND " + originalDeal) // as closed_won lists them
			mf.dealCond(q)
			if mf.Pipeline != "" {
				q.add("p.key = ?", mf.Pipeline)
			}
			q.add("d.closed_at >= ?", m)
			q.add("d.closed_at < ?", end)
			rows, err := tx.Query(ctx, `SELECT d.manager_id, d.currency, count(*), sum(d.amount)::text
				FROM deals d JOIN pipelines p ON p.id = d.pipeline_id JOIN stages s ON s.id = d.stage_id
				WHERE `+q.where+` GROUP BY 1, 2`, q.args...)
			if err != nil {
				return translate(err, "plan")
			}
			rowsBy := map[int64]*PlanRow{}
			for rows.Next() {
				var mid *int64
				var currency, sum string
				var n int
				if err := rows.Scan(&mid, &currency, &n, &sum); err != nil {
					rows.Close()
					return err
				}
				ref := managerRef(names, mid)
				r := rowsBy[ref.ID] // 0: nobody's
				if r == nil {
					r = &PlanRow{ManagerRef: ref, Month: key, Revenue: "0.00"}
					rowsBy[ref.ID] = r
				}
				r.Won += n
				if currency != cur {
					other.add(currency, n, sum)
					continue
				}
				r.Revenue = sumDecimal(r.Revenue, sum)
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
				r.TargetWon = &won
				if cur == BaseCurrency { // targets are set in roubles
					r.TargetRevenue = &rev
				}
			}
			if err := prow.Err(); err != nil {
				return translate(err, "plan")
			}
			total := PlanRow{ManagerRef: ManagerRef{Name: "Итого"}, Month: key, Revenue: "0.00"}
			var month []PlanRow
			for id, r := range rowsBy {
				var mid *int64
				if id != 0 {
					mid = idPtr(id)
				}
				rf := mf.of(mid)
				r.Links = map[string]string{"won": Drill{Figure: "closed_won", Filter: rf}.URL(),
					"revenue": Drill{Figure: "closed_won", Filter: rf.money(cur)}.URL()}
				r.finish()
				total.Won, total.Revenue = total.Won+r.Won, sumDecimal(total.Revenue, r.Revenue)
				if r.TargetRevenue != nil {
					tr := sumDecimal(deref(total.TargetRevenue), *r.TargetRevenue)
					total.TargetRevenue = &tr
				}
				if r.TargetWon != nil {
					tw := *r.TargetWon
					if total.TargetWon != nil {
						tw += *total.TargetWon
					}
					total.TargetWon = &tw
				}
				month = append(month, *r)
			}
			sortRefs(month, func(r PlanRow) ManagerRef { return r.ManagerRef })
			out.Managers = append(out.Managers, month...)
			total.Links = map[string]string{"won": Drill{Figure: "closed_won", Filter: mf}.URL(),
				"revenue": Drill{Figure: "closed_won", Filter: mf.money(cur)}.URL()}
			total.finish()
			out.Total = append(out.Total, total)
		}
		f := f // the whole months the report covers
		f.From, f.To = start, start.AddDate(0, len(out.Months), 0)
		out.OtherCurrencies = other.list(func(c string) string { return Drill{Figure: "closed_won", Filter: f.money(c)}.URL() })
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
	t := newTable(lbl("rep.t.plan", "План и факт"), lbl("rep.c.month", "Месяц"), lbl("rep.c.manager", "Менеджер"),
		moneyHead("rep.c.target_in", "План", r.Currency), moneyHead("rep.c.fact_in", "Факт", r.Currency),
		lbl("rep.c.revenue_pct", "Выполнение по выручке, %"), lbl("rep.c.target_won", "План, сделок"), lbl("rep.c.fact_won", "Факт, сделок"),
		lbl("rep.c.won_pct_plan", "Выполнение по сделкам, %"))
	add := func(name any, x PlanRow) {
		var tw any
		if x.TargetWon != nil {
			tw = *x.TargetWon
		}
		t.row(x.Month, name, dec(x.TargetRevenue), link(Decimal(x.Revenue), x.Links["revenue"]), pct(x.RevenuePct), tw,
			link(x.Won, x.Links["won"]), pct(x.WonPct))
	}
	for _, m := range r.Months {
		for _, x := range r.Managers {
			if x.Month == m {
				add(managerCell(x.ManagerRef), x)
			}
		}
		for _, x := range r.Total {
			if x.Month == m {
				add(totalLabel, x)
			}
		}
	}
	return append([]Table{t}, otherCurrenciesTable(r.OtherCurrencies)...)
}

// amountInput checks an amount a supervisor enters (a target, a spend):
// a decimal with kopecks at most, not negative, and one numeric(18, 2)
// holds. Errors: EINVALID naming field.
func amountInput(v, field string) error {
	r, err := parseDecimal(v, field, 2)
	if err != nil {
		return err
	}
	if r.Sign() < 0 {
		return Invalid(field, "must not be negative")
	}
	if whole, _, _ := strings.Cut(strings.TrimLeft(strings.TrimSpace(v), "+0"), "."); len(whole) > 16 {
		return Invalid(field, "is too large: at most 16 digits before the point")
	}
	return nil
}
