package crm

import (
	"context"
	"sort"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
)

// FunnelReport is the funnel of one pipeline for the deals that entered it
// in the period (a cohort: every figure is about the same deals), and the
// lead funnel of the leads that arrived in it.
type FunnelReport struct {
	Pipeline     string          `json:"pipeline"`
	PipelineName string          `json:"pipeline_name"`
	From         time.Time       `json:"from"`
	To           time.Time       `json:"to"`
	TimeZone     string          `json:"time_zone"`
	Deals        int             `json:"deals"`
	Stages       []FunnelStage   `json:"stages"`
	Leads        LeadFunnel      `json:"leads"`
	Managers     []FunnelManager `json:"managers"`
	filter       ReportFilter
}

// FunnelStage is one stage of the funnel, in the pipeline's order.
// Entered counts the deals that reached the stage or a later one (a
// skipped stage counts as passed; a won deal passed every stage), moved
// on those that went further, lost those lost while in it. Times are of
// completed stays in the stage, in seconds.
type FunnelStage struct {
	Key            string            `json:"key"`
	Name           string            `json:"name"`
	Semantic       string            `json:"semantic"`
	Entered        int               `json:"entered"`
	MovedOn        int               `json:"moved_on"`
	Lost           int               `json:"lost"`
	InStage        int               `json:"in_stage"`
	LostByReason   []ReasonCount     `json:"lost_by_reason"`
	ConversionNext *float64          `json:"conversion_next"` // percent entering the next stage; null at won and lost
	ConversionWon  *float64          `json:"conversion_won"`  // percent won; null at won and lost
	MedianSeconds  *int64            `json:"median_seconds"`
	P90Seconds     *int64            `json:"p90_seconds"`
	Stays          int               `json:"stays"` // deals whose time in the stage is counted
	Links          map[string]string `json:"links"`
}

// ReasonCount is a count by a reason (loss or junk), with its list.
type ReasonCount struct {
	Reason string `json:"reason"`
	Count  int    `json:"count"`
	Link   string `json:"link"`
}

// LeadFunnel is what became of the leads that arrived in the period.
type LeadFunnel struct {
	Leads        int               `json:"leads"`
	Taken        int               `json:"taken"`
	Converted    int               `json:"converted"`
	Junk         int               `json:"junk"`
	InWork       int               `json:"in_work"`
	TakenPct     *float64          `json:"taken_pct"`
	ConvertedPct *float64          `json:"converted_pct"`
	JunkPct      *float64          `json:"junk_pct"`
	JunkByReason []ReasonCount     `json:"junk_by_reason"`
	Links        map[string]string `json:"links"`
}

// FunnelManager is one manager's share of the funnel.
type FunnelManager struct {
	ManagerRef
	Leads     int               `json:"leads"`
	Converted int               `json:"converted"`
	Deals     int               `json:"deals"`
	Won       int               `json:"won"`
	Lost      int               `json:"lost"`
	Open      int               `json:"open"`
	WonPct    *float64          `json:"won_pct"`
	Links     map[string]string `json:"links"`
}

type funnelGroup struct {
	stageID  int64
	semantic string
	reached  int
	lostPos  *int
	reason   string
	manager  *int64
	n        int
}

// Funnel computes the funnel report. Errors: EINVALID (an unknown
// pipeline).
func (s *Store) Funnel(ctx context.Context, rq ReportQuery) (FunnelReport, error) {
	f := rq.Filter
	var out FunnelReport
	err := s.readTx(ctx, func(tx pgx.Tx) error {
		p, err := pipelineByKey(ctx, tx, f.Pipeline, "pipeline")
		if err != nil {
			return err
		}
		f.Pipeline = p.Key
		out = FunnelReport{Pipeline: p.Key, PipelineName: p.Name, From: f.From, To: f.To, TimeZone: rq.Loc.String(),
			Stages: []FunnelStage{}, Managers: []FunnelManager{}}
		names, err := managerNames(ctx, tx)
		if err != nil {
			return err
		}
		groups, err := funnelGroups(ctx, tx, f)
		if err != nil {
			return err
		}
		times, err := stageTimes(ctx, tx, f)
		if err != nil {
			return err
		}
		out.Stages = foldFunnel(p, f, groups, times)
		out.filter = f
		for _, g := range groups {
			out.Deals += g.n
		}
		leads, err := leadGroups(ctx, tx, f)
		if err != nil {
			return err
		}
		out.Leads = foldLeads(f, leads)
		out.Managers = funnelManagers(f, groups, leads, names)
		return nil
	})
	return out, err
}

// dealCohort is the WHERE of the deals that entered pipeline f.Pipeline in
// the period, as the drill-downs have it.
func dealCohort(f ReportFilter) *listQuery {
	q := newListQuery("TRUE")
	f.dealCond(q)
	q.add("p.key = ?", f.Pipeline)
	if !f.From.IsZero() {
		q.add("d.created_at >= ?", f.From)
		q.add("d.created_at < ?", f.To)
	}
	return q
}

func funnelGroups(ctx context.Context, tx pgx.Tx, f ReportFilter) ([]funnelGroup, error) {
	q := dealCohort(f)
	rows, err := tx.Query(ctx, `SELECT d.stage_id, s.semantic, d.reached_position,
			CASE WHEN s.semantic = 'lost' THEN `+lostPosition+` END, coalesce(d.loss_reason, ''), d.manager_id, count(*)
		FROM deals d JOIN pipelines p ON p.id = d.pipeline_id JOIN stages s ON s.id = d.stage_id
		WHERE `+q.where+` GROUP BY 1, 2, 3, 4, 5, 6`, q.args...)
	if err != nil {
		return nil, translate(err, "funnel")
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (funnelGroup, error) {
		var g funnelGroup
		err := r.Scan(&g.stageID, &g.semantic, &g.reached, &g.lostPos, &g.reason, &g.manager, &g.n)
		return g, err
	})
}

type stageTime struct {
	stays       int
	median, p90 int64
}

func stageTimes(ctx context.Context, tx pgx.Tx, f ReportFilter) (map[int64]stageTime, error) {
	q := dealCohort(f)
	rows, err := tx.Query(ctx, `SELECT t.stage_id, count(*),
			percentile_disc(0.5) WITHIN GROUP (ORDER BY t.seconds), percentile_disc(0.9) WITHIN GROUP (ORDER BY t.seconds)
		FROM deal_stage_time t JOIN deals d ON d.id = t.deal_id JOIN pipelines p ON p.id = d.pipeline_id
		WHERE t.exits > 0 AND `+q.where+` GROUP BY 1`, q.args...)
	if err != nil {
		return nil, translate(err, "stage times")
	}
	defer rows.Close()
	out := map[int64]stageTime{}
	for rows.Next() {
		var id int64
		var t stageTime
		if err := rows.Scan(&id, &t.stays, &t.median, &t.p90); err != nil {
			return nil, err
		}
		out[id] = t
	}
	return out, translate(rows.Err(), "stage times")
}

// foldFunnel counts each stage's figures from the grouped deals, by the
// same rules as funnelCond.
func foldFunnel(p Pipeline, f ReportFilter, groups []funnelGroup, times map[int64]stageTime) []FunnelStage {
	link := func(fig string, st Stage, reason string) string {
		return Drill{Figure: fig, Key: st.Key, Reason: reason, Filter: f}.URL()
	}
	won := 0
	for _, g := range groups {
		if g.semantic == StageWon {
			won += g.n
		}
	}
	out := make([]FunnelStage, 0, len(p.Stages))
	for _, st := range p.Stages {
		fs := FunnelStage{Key: st.Key, Name: st.Name, Semantic: st.Semantic, LostByReason: []ReasonCount{},
			Links: map[string]string{"entered": link("entered", st, ""), "in_stage": link("in_stage", st, "")}}
		reasons := map[string]int{}
		for _, g := range groups {
			if g.stageID == st.ID {
				fs.InStage += g.n
			}
			switch st.Semantic {
			case StageWon:
				if g.semantic == StageWon {
					fs.Entered += g.n
				}
			case StageLost:
				if g.stageID == st.ID {
					fs.Entered += g.n
					fs.Lost += g.n
					reasons[g.reason] += g.n
				}
			default:
				if g.semantic == StageWon || g.reached >= st.Position {
					fs.Entered += g.n
				}
				if g.semantic == StageWon || g.reached > st.Position {
					fs.MovedOn += g.n
				}
				if g.semantic == StageLost && g.lostPos != nil && *g.lostPos == st.Position {
					fs.Lost += g.n
					reasons[g.reason] += g.n
				}
			}
		}
		if st.Semantic == StageProgress {
			fs.Links["moved_on"] = link("moved_on", st, "")
		}
		if st.Semantic != StageWon {
			fs.Links["lost"] = link("lost", st, "")
		}
		for r, n := range reasons {
			fs.LostByReason = append(fs.LostByReason, ReasonCount{Reason: r, Count: n, Link: link("lost", st, r)})
		}
		sort.Slice(fs.LostByReason, func(i, j int) bool {
			a, b := fs.LostByReason[i], fs.LostByReason[j]
			return a.Count > b.Count || a.Count == b.Count && a.Reason < b.Reason
		})
		// Conversion is of the deals that entered a stage still open: a won
		// or lost stage is where a deal ends, so it has none (null, «—»).
		if st.Semantic == StageProgress {
			fs.ConversionWon = Percent(won, fs.Entered)
		}
		if t, ok := times[st.ID]; ok {
			fs.Stays, fs.MedianSeconds, fs.P90Seconds = t.stays, &t.median, &t.p90
		}
		out = append(out, fs)
	}
	// Conversion to the next stage: the next stage in progress, or won
	// after the last one.
	for i := range out {
		if out[i].Semantic != StageProgress {
			continue
		}
		next := won
		for j := i + 1; j < len(out); j++ {
			if out[j].Semantic == StageProgress {
				next = out[j].Entered
				break
			}
		}
		out[i].ConversionNext = Percent(next, out[i].Entered)
	}
	return out
}

type leadGroup struct {
	manager *int64
	status  string
	reason  string
	taken   bool
	n       int
}

func leadGroups(ctx context.Context, tx pgx.Tx, f ReportFilter) ([]leadGroup, error) {
	q := newListQuery("TRUE")
	f.leadCond(q, true)
	rows, err := tx.Query(ctx, `SELECT l.manager_id, l.status, coalesce(l.junk_reason, ''), l.taken_at IS NOT NULL, count(*)
		FROM leads l WHERE `+q.where+` GROUP BY 1, 2, 3, 4`, q.args...)
	if err != nil {
		return nil, translate(err, "lead funnel")
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (leadGroup, error) {
		var g leadGroup
		err := r.Scan(&g.manager, &g.status, &g.reason, &g.taken, &g.n)
		return g, err
	})
}

func foldLeads(f ReportFilter, groups []leadGroup) LeadFunnel {
	link := func(fig, key string) string { return Drill{Figure: fig, Key: key, Filter: f}.URL() }
	out := LeadFunnel{JunkByReason: []ReasonCount{}, Links: map[string]string{"leads": link("leads", ""), "taken": link("taken", ""),
		"converted": link("converted", ""), "junk": link("junk", ""), "in_work": link("in_work", "")}}
	reasons := map[string]int{}
	for _, g := range groups {
		out.Leads += g.n
		if g.taken {
			out.Taken += g.n
		}
		switch g.status {
		case StatusConverted:
			out.Converted += g.n
		case StatusJunk:
			out.Junk += g.n
			reasons[g.reason] += g.n
		default:
			out.InWork += g.n
		}
	}
	for r, n := range reasons {
		out.JunkByReason = append(out.JunkByReason, ReasonCount{Reason: r, Count: n, Link: link("junk", r)})
	}
	sort.Slice(out.JunkByReason, func(i, j int) bool {
		a, b := out.JunkByReason[i], out.JunkByReason[j]
		return a.Count > b.Count || a.Count == b.Count && a.Reason < b.Reason
	})
	out.TakenPct, out.ConvertedPct, out.JunkPct = Percent(out.Taken, out.Leads), Percent(out.Converted, out.Leads), Percent(out.Junk, out.Leads)
	return out
}

func funnelManagers(f ReportFilter, groups []funnelGroup, leads []leadGroup, names map[int64]string) []FunnelManager {
	byID := map[int64]*FunnelManager{}
	get := func(id *int64) *FunnelManager {
		k := int64(0)
		if id != nil {
			k = *id
		}
		if m, ok := byID[k]; ok {
			return m
		}
		m := &FunnelManager{ManagerRef: managerRef(names, id)}
		byID[k] = m
		return m
	}
	for _, g := range groups {
		m := get(g.manager)
		m.Deals += g.n
		switch g.semantic {
		case StageWon:
			m.Won += g.n
		case StageLost:
			m.Lost += g.n
		default:
			m.Open += g.n
		}
	}
	for _, g := range leads {
		m := get(g.manager)
		m.Leads += g.n
		if g.status == StatusConverted {
			m.Converted += g.n
		}
	}
	out := make([]FunnelManager, 0, len(byID))
	for _, m := range byID {
		m.WonPct = Percent(m.Won, m.Deals)
		var id *int64
		if m.ID != 0 {
			id = idPtr(m.ID)
		}
		m.Links = cohortLinks(f.of(id))
		out = append(out, *m)
	}
	sortRefs(out, func(m FunnelManager) ManagerRef { return m.ManagerRef })
	return out
}

// cohortLinks are the lists behind a row of the funnel's managers.
func cohortLinks(f ReportFilter) map[string]string {
	return map[string]string{"leads": Drill{Figure: "leads", Filter: f}.URL(),
		"converted": Drill{Figure: "converted", Filter: f}.URL(),
		"deals":     Drill{Figure: "cohort", Filter: f}.URL(),
		"won":       Drill{Figure: "cohort", Key: StageWon, Filter: f}.URL(),
		"lost":      Drill{Figure: "cohort", Key: StageLost, Filter: f}.URL(),
		"open":      Drill{Figure: "cohort", Key: "open", Filter: f}.URL()}
}

// Tables are the funnel as rows: the stages, the lead funnel, the managers.
func (r FunnelReport) Tables() []Table {
	st := newTable(Label{Key: "rep.t.funnel", Arg: r.PipelineName, Text: "Воронка «" + r.PipelineName + "»"},
		lbl("rep.c.stage", "Стадия"), lbl("rep.c.entered", "Вошли"), lbl("rep.c.moved_on", "Перешли дальше"),
		lbl("rep.c.lost", "Проиграны"), lbl("rep.c.in_stage", "Сейчас на стадии"), lbl("rep.c.conv_next", "Конверсия в следующую, %"),
		lbl("rep.c.conv_won", "Конверсия в успех, %"), lbl("rep.c.median_h", "Медиана, ч"), lbl("rep.c.p90_h", "90-й перцентиль, ч"))
	// A stage a deal cannot move on from, or be lost at, shows a dash.
	figure := func(n int, url string) any {
		if url == "" {
			return nil
		}
		return link(n, url)
	}
	for _, s := range r.Stages {
		st.row(s.Name, link(s.Entered, s.Links["entered"]), figure(s.MovedOn, s.Links["moved_on"]), figure(s.Lost, s.Links["lost"]),
			link(s.InStage, s.Links["in_stage"]), pct(s.ConversionNext), pct(s.ConversionWon), hours(s.MedianSeconds), hours(s.P90Seconds))
	}
	lt := newTable(lbl("rep.t.leads", "Лиды"), lbl("rep.c.measure", "Показатель"), lbl("rep.c.count", "Количество"), lbl("rep.c.share", "Доля, %"))
	l := r.Leads
	lt.row(lbl("rep.leads.arrived", "Поступило"), link(l.Leads, l.Links["leads"]), pct(Percent(l.Leads, l.Leads)))
	lt.row(lbl("rep.leads.taken", "Взято в работу"), link(l.Taken, l.Links["taken"]), pct(l.TakenPct))
	lt.row(lbl("rep.leads.converted", "Квалифицировано (сделка)"), link(l.Converted, l.Links["converted"]), pct(l.ConvertedPct))
	lt.row(lbl("rep.leads.junk", "Некачественные"), link(l.Junk, l.Links["junk"]), pct(l.JunkPct))
	lt.row(lbl("rep.leads.in_work", "В работе"), link(l.InWork, l.Links["in_work"]), pct(Percent(l.InWork, l.Leads)))
	for _, j := range l.JunkByReason {
		lt.row(Label{Key: "rep.leads.junk_reason", Arg: "junk." + j.Reason, Text: "Некачественные: " + JunkReasonName(j.Reason)},
			link(j.Count, j.Link), pct(Percent(j.Count, l.Leads)))
	}
	mt := newTable(lbl("rep.t.managers", "Менеджеры"), lbl("rep.c.manager", "Менеджер"), lbl("rep.c.leads", "Лиды"),
		lbl("rep.c.lead_deals", "Сделки из лидов"), lbl("rep.c.deals", "Сделки"), lbl("rep.c.won", "Выиграно"),
		lbl("rep.c.lost_deals", "Проиграно"), lbl("rep.c.open_deals", "В работе"), lbl("rep.c.won_pct", "Выиграно, %"))
	total := FunnelManager{}
	row := func(name any, m FunnelManager) {
		mt.row(name, link(m.Leads, m.Links["leads"]), link(m.Converted, m.Links["converted"]), link(m.Deals, m.Links["deals"]),
			link(m.Won, m.Links["won"]), link(m.Lost, m.Links["lost"]), link(m.Open, m.Links["open"]), pct(m.WonPct))
	}
	for _, m := range r.Managers {
		row(managerCell(m.ManagerRef), m)
		total.Leads, total.Converted, total.Deals = total.Leads+m.Leads, total.Converted+m.Converted, total.Deals+m.Deals
		total.Won, total.Lost, total.Open = total.Won+m.Won, total.Lost+m.Lost, total.Open+m.Open
	}
	total.WonPct, total.Links = Percent(total.Won, total.Deals), cohortLinks(r.filter)
	row(totalLabel, total)
	return []Table{st, lt, mt}
}

// hours is seconds as hours with one decimal.
func hours(s *int64) any {
	if s == nil {
		return nil
	}
	return Decimal(formatTenths(*s * 10 / 3600))
}

func formatTenths(t int64) string {
	sign := ""
	if t < 0 {
		sign, t = "-", -t
	}
	return sign + strconv.FormatInt(t/10, 10) + "." + strconv.FormatInt(t%10, 10)
}

// JunkReasonName is a junk reason as a person reads it.
func JunkReasonName(r string) string {
	switch r {
	case "spam":
		return "спам"
	case "test":
		return "тест"
	case "job_seeker":
		return "соискатель"
	case "duplicate":
		return "дубль"
	case "unreachable":
		return "недозвон"
	case "other":
		return "другое"
	}
	return r
}
