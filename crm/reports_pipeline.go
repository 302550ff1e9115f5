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
		out = PipelineReport{Pipeline: p.Key, PipelineName: p.Name, At: at, StuckDays: stuck, Stages: []PipelineStage{}, Managers: []PipelineRow{}}
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
		rows, err := tx.Query(ctx, `SELECT d.stage_id, d.manager_id, count(*), coalesce(sum(d.amount), 0)::text,
				count(*) FILTER (WHERE coalesce(d.last_activity_at, d.created_at) < $`+itoa(cut)+`)
			FROM deals d JOIN pipelines p ON p.id = d.pipeline_id
			WHERE `+q.where+` GROUP BY 1, 2`, append(q.args, at.AddDate(0, 0, -stuck))...)
		if err != nil {
			return translate(err, "pipeline")
		}
		type cell struct {
			n, stuck int
			sum      string
		}
		byStage, byManager := map[int64]*cell{}, map[int64]*PipelineRow{}
		for rows.Next() {
			var stage int64
			var manager *int64
			var c cell
			if err := rows.Scan(&stage, &manager, &c.n, &c.sum, &c.stuck); err != nil {
				rows.Close()
				return err
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
			ps.Links["sum"] = ps.Links["open"]
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
		total.Links["sum"] = total.Links["open"]
		out.Total = total
		for _, m := range byManager {
			if m.ID != 0 {
				mf := f
				mf.ManagerID = idPtr(m.ID)
				m.Links = map[string]string{"open": link("open", "", mf), "sum": link("open", "", mf), "stuck": link("stuck", "", mf)}
			}
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
	t := Table{Title: "Воронка «" + r.PipelineName + "» сейчас", Columns: []string{"Стадия", "Вероятность, %", "Открыто", "Сумма, ₽",
		"Взвешенная сумма, ₽", "Зависли"}}
	for _, s := range append(append([]PipelineStage{}, r.Stages...), r.Total) {
		var p any
		if s.Probability != nil {
			p = *s.Probability
		}
		t.Rows = append(t.Rows, []any{s.Name, p, s.Open, Decimal(s.Sum), dec(s.Weighted), s.Stuck})
	}
	m := Table{Title: "Менеджеры", Columns: []string{"Менеджер", "Открыто", "Сумма, ₽", "Зависли"}}
	for _, x := range r.Managers {
		m.Rows = append(m.Rows, []any{x.Name, x.Open, Decimal(x.Sum), x.Stuck})
	}
	m.Rows = append(m.Rows, []any{"Итого", r.Total.Open, Decimal(r.Total.Sum), r.Total.Stuck})
	return []Table{t, m}
}
