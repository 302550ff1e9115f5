package crm

import (
	"context"
	"math/big"
	"time"

	"github.com/jackc/pgx/v5"
)

// PipelineReport is a pipeline now: open deals per stage with their sum,
// weighted by the stage's probability where the configuration gives one,
// and the deals stuck with no activity for StuckDays.
type PipelineReport struct {
	Pipeline     string          `json:"pipeline"`
	PipelineName string          `json:"pipeline_name"`
	At           time.Time       `json:"at"`
	StuckDays    int             `json:"stuck_days"`
	Stages       []PipelineStage `json:"stages"`
	Total        PipelineStage   `json:"total"`
	Managers     []PipelineRow   `json:"managers"`
	// Sums are in Currency; open deals in other currencies are counted in
	// Open but summed apart, in OtherCurrencies.
	Currency        string          `json:"currency"`
	OtherCurrencies []OtherCurrency `json:"other_currencies"`
}

// PipelineStage is the open deals in one stage (or in all, for the total).
type PipelineStage struct {
	Key         string            `json:"key"`
	Name        string            `json:"name"`
	Probability *int              `json:"probability"`
	Open        int               `json:"open"`
	Sum         string            `json:"sum"`
	Weighted    *string           `json:"weighted"` // sum × probability; the total sums the stages that have one
	Stuck       int               `json:"stuck"`
	Links       map[string]string `json:"links"`
}

// PipelineRow is one manager's open deals in the pipeline.
type PipelineRow struct {
	ManagerRef
	Open  int               `json:"open"`
	Sum   string            `json:"sum"`
	Stuck int               `json:"stuck"`
	Links map[string]string `json:"links"`
}

// PipelineNow computes the pipeline report. Errors: EINVALID (an unknown
// pipeline).
func (s *Store) PipelineNow(ctx context.Context, rq ReportQuery) (PipelineReport, error) {
	f := rq.Filter
	f.From, f.To = time.Time{}, time.Time{} // a picture of now
	at := s.now()
	cur := rq.currency()
	stuck := rq.StuckDays
	if stuck <= 0 {
		stuck = 14
	}
	var out PipelineReport
	err := s.readTx(ctx, func(tx pgx.Tx) error {
		p, err := pipelineByKey(ctx, tx, f.Pipeline, "pipeline")
		if err != nil {
			return err
		}
		f.Pipeline = p.Key
		out = PipelineReport{Pipeline: p.Key, PipelineName: p.Name, At: at, StuckDays: stuck, Stages: []PipelineStage{}, Managers: []PipelineRow{},
			Currency: cur}
		names, err := managerNames(ctx, tx)
		if err != nil {
			return err
		}
		probs, err := stageProbabilities(ctx, tx, p.ID)
		if err != nil {
			return err
		}
		q := newListQuery("d.closed_at IS NULL")
		f.dealCond(q)
		q.add("p.key = ?", p.Key)
		cut := len(q.args) + 1
		rows, err := tx.Query(ctx, `SELECT d.stage_id, d.manager_id, d.currency, count(*), coalesce(sum(d.amount), 0)::text,
				count(*) FILTER (WHERE coalesce(d.last_activity_at, d.created_at) < $`+itoa(cut)+`)
			FROM deals d JOIN pipelines p ON p.id = d.pipeline_id
			WHERE `+q.where+` GROUP BY 1, 2, 3`, append(q.args, at.AddDate(0, 0, -stuck))...)
		if err != nil {
			return translate(err, "pipeline")
		}
		type cell struct {
			n, stuck int
			sum      string
		}
		byStage, byManager := map[int64]*cell{}, map[int64]*PipelineRow{}
		other := otherCurrencies{}
		for rows.Next() {
			var stage int64
			var manager *int64
			var currency string
			var c cell
			if err := rows.Scan(&stage, &manager, &currency, &c.n, &c.sum, &c.stuck); err != nil {
				rows.Close()
				return err
			}
			if currency != cur {
				other.add(currency, c.n, c.sum)
				c.sum = "0"
			}
			x := byStage[stage]
			if x == nil {
				x = &cell{sum: "0"}
				byStage[stage] = x
			}
			x.n, x.stuck, x.sum = x.n+c.n, x.stuck+c.stuck, sumDecimal(x.sum, c.sum)
			k := int64(0)
			if manager != nil {
				k = *manager
			}
			m := byManager[k]
			if m == nil {
				m = &PipelineRow{ManagerRef: managerRef(names, manager), Sum: "0.00"}
				byManager[k] = m
			}
			m.Open, m.Stuck, m.Sum = m.Open+c.n, m.Stuck+c.stuck, sumDecimal(m.Sum, c.sum)
		}
		if err := rows.Err(); err != nil {
			return translate(err, "pipeline")
		}
		link := func(fig, key string, f ReportFilter) string {
			return Drill{Figure: fig, Key: key, Filter: f, Stuck: stuck, At: at}.URL()
		}
		total := PipelineStage{Key: "", Name: "Итого", Sum: "0.00", Links: map[string]string{"open": link("open", "", f), "stuck": link("stuck", "", f)}}
		var weighted *big.Rat
		for _, st := range p.Stages {
			if st.Closed() {
				continue
			}
			ps := PipelineStage{Key: st.Key, Name: st.Name, Probability: probs[st.ID], Sum: "0.00",
				Links: map[string]string{"open": link("open", st.Key, f), "stuck": link("stuck", st.Key, f)}}
			ps.Links["sum"] = link("open", st.Key, f.money(cur))
			if c := byStage[st.ID]; c != nil {
				ps.Open, ps.Stuck, ps.Sum = c.n, c.stuck, sumDecimal(c.sum)
			}
			if ps.Probability != nil {
				r, _ := new(big.Rat).SetString(ps.Sum)
				r.Mul(r, big.NewRat(int64(*ps.Probability), 100))
				w := formatKopecks(r)
				ps.Weighted = &w
				if weighted == nil {
					weighted = new(big.Rat)
				}
				wr, _ := new(big.Rat).SetString(w)
				weighted.Add(weighted, wr)
			}
			total.Open, total.Stuck, total.Sum = total.Open+ps.Open, total.Stuck+ps.Stuck, sumDecimal(total.Sum, ps.Sum)
			out.Stages = append(out.Stages, ps)
		}
		if weighted != nil {
			w := formatKopecks(weighted)
			total.Weighted = &w
		}
		total.Links["sum"] = link("open", "", f.money(cur))
		out.OtherCurrencies = other.list(func(c string) string { return link("open", "", f.money(c)) })
		out.Total = total
		for _, m := range byManager {
			var id *int64
			if m.ID != 0 {
				id = idPtr(m.ID)
			}
			mf := f.of(id)
			m.Links = map[string]string{"open": link("open", "", mf), "sum": link("open", "", mf.money(cur)), "stuck": link("stuck", "", mf)}
			out.Managers = append(out.Managers, *m)
		}
		sortRefs(out.Managers, func(m PipelineRow) ManagerRef { return m.ManagerRef })
		return nil
	})
	return out, err
}

func stageProbabilities(ctx context.Context, q Querier, pipelineID int64) (map[int64]*int, error) {
	rows, err := q.Query(ctx, `SELECT id, probability FROM stages WHERE pipeline_id = $1`, pipelineID)
	if err != nil {
		return nil, translate(err, "stages")
	}
	defer rows.Close()
	out := map[int64]*int{}
	for rows.Next() {
		var id int64
		var p *int
		if err := rows.Scan(&id, &p); err != nil {
			return nil, err
		}
		out[id] = p
	}
	return out, translate(rows.Err(), "stages")
}

// Tables are the open stages with the total, and the managers.
func (r PipelineReport) Tables() []Table {
	t := newTable(Label{Key: "rep.t.pipeline", Arg: r.PipelineName, Text: "Воронка «" + r.PipelineName + "» сейчас"},
		lbl("rep.c.stage", "Стадия"), lbl("rep.c.probability", "Вероятность, %"), lbl("rep.c.open", "Открыто"),
		moneyHead("rep.c.sum_in", "Сумма", r.Currency), moneyHead("rep.c.weighted_in", "Взвешенная сумма", r.Currency), lbl("rep.c.stuck", "Зависли"))
	for i, s := range append(append([]PipelineStage{}, r.Stages...), r.Total) {
		var p any
		if s.Probability != nil {
			p = *s.Probability
		}
		var name any = s.Name
		if i == len(r.Stages) {
			name = totalLabel
		}
		t.row(name, p, link(s.Open, s.Links["open"]), link(Decimal(s.Sum), s.Links["sum"]), dec(s.Weighted), link(s.Stuck, s.Links["stuck"]))
	}
	m := newTable(lbl("rep.t.managers", "Менеджеры"), lbl("rep.c.manager", "Менеджер"), lbl("rep.c.open", "Открыто"),
		moneyHead("rep.c.sum_in", "Сумма", r.Currency), lbl("rep.c.stuck", "Зависли"))
	for _, x := range r.Managers {
		m.row(managerCell(x.ManagerRef), link(x.Open, x.Links["open"]), link(Decimal(x.Sum), x.Links["sum"]), link(x.Stuck, x.Links["stuck"]))
	}
	m.row(totalLabel, link(r.Total.Open, r.Total.Links["open"]), link(Decimal(r.Total.Sum), r.Total.Links["sum"]), link(r.Total.Stuck, r.Total.Links["stuck"]))
	return append([]Table{t, m}, otherCurrenciesTable(r.OtherCurrencies)...)
}
