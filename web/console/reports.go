package console

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/crm/imports"
	"github.com/leadd/leadd/web/chart"
)

// reportData is a report's page: the report's own tables (the same as its
// CSV and XLSX), a chart of its headline figures, and the filter.
type reportData struct {
	Name      string
	Names     []string
	Periods   []string
	Period    string
	From, To  string // as typed, when no preset
	Pipeline  string
	Manager   string
	Channel   string
	Origin    string
	UTMSource string
	UTMCamp   string
	Takes     map[string]bool // the filters this report honours (reportTakes)
	Kept      [][2]string     // the filters it does not, kept for the other tabs
	Pipelines []crm.Pipeline
	Managers  []crm.Manager
	Channels  []string
	Origins   []choice
	UTMSrcs   []string
	UTMCamps  []string
	Chart     template.HTML
	Empty     bool // the period has no leads and no deals: a sentence instead of zeros
	Tables    []viewTable
	Export    string     // the filter's query, for the export links
	Plan      *planForm  // supervisors: the targets' form (plan)
	Spend     *spendForm // supervisors: the ad spend's form (sources)
	Shown     string     // the period shown, in words
}

// choice is an option of a select: its value and what a person reads.
type choice struct{ Value, Text string }

// reportTakes is which filters each report honours — the form shows only
// these (a filter that changes nothing is not offered). "origin" is where
// the leads came from: channel, form/line/mailbox, utm_source and
// utm_campaign; "manager" is for those who see the department.
var reportTakes = map[string][]string{
	"funnel":   {"period", "pipeline", "manager", "origin"},
	"pipeline": {"pipeline", "manager", "origin"}, // a picture of now: no period
	"sources":  {"period", "pipeline", "manager", "origin"},
	"speed":    {"period", "manager", "origin"},
	"workload": {"period", "manager"}, // activities and calls: no pipeline, no source
	"plan":     {"period", "pipeline", "manager", "origin"},
}

// emptyMeansNothing are the reports whose all-zero tables say only that
// there is nothing in the period (or open now).
var emptyMeansNothing = map[string]bool{"funnel": true, "sources": true, "speed": true, "pipeline": true}

// reportTakesFilter reports whether the named report honours filter.
func reportTakesFilter(name, filter string) bool { return slices.Contains(reportTakes[name], filter) }

// honoured is f without the filters the named report does not take.
func honoured(name string, f crm.ReportFilter) crm.ReportFilter {
	if !reportTakesFilter(name, "pipeline") {
		f.Pipeline = ""
	}
	if !reportTakesFilter(name, "origin") {
		f.Channel, f.Origin, f.UTMSource, f.UTMCampaign, f.Source = "", "", "", "", ""
	}
	return f
}

// filterParams are the query parameters of each filter of reportTakes.
var filterParams = map[string][]string{
	"period":   {"period", "from", "to"},
	"pipeline": {"pipeline"},
	"manager":  {"manager_id"},
	"origin":   {"channel", "origin", "utm_source", "utm_campaign"},
}

func (s *Server) registerReports() {
	s.page("GET /reports/list", "drill", s.drillList)
	s.page("GET /reports", "report", s.reportPage)
	s.page("GET /reports/{name}", "report", s.reportPage)
	s.handle("GET /reports/{name}/export", s.sessionHandler(s.exportReport))
}

// reportParams are the console's report filter, in the order its links
// keep it: the period (a preset, or from/to), then what narrows the
// records.
var reportParams = []string{"period", "from", "to", "pipeline", "manager_id", "channel", "origin", "utm_source", "utm_campaign", "currency"}

// customPeriod is the period select's «Свои даты»: the dates typed in the
// form. Typed dates win over a preset too — the select keeps its last
// choice when a person types dates without touching it.
const customPeriod = "custom"

// reportQuery is the page's filter as the report's query: a preset or
// from/to, the pipeline, the manager (a manager's own figures whatever),
// where the leads came from; in the viewer's time zone. The first value
// is the console's query (for links and the form), the second the
// report's.
func (s *Server) reportQuery(r *http.Request, v *viewer) (url.Values, crm.ReportQuery, error) {
	in := r.URL.Query()
	q := url.Values{}
	for _, k := range reportParams {
		if val := strings.TrimSpace(in.Get(k)); val != "" {
			q.Set(k, val)
		}
	}
	if q.Get("from") != "" || q.Get("to") != "" {
		q.Set("period", customPeriod)
	}
	if q.Get("period") == "" {
		q.Set("period", "this_month")
	}
	api := url.Values{}
	for k, vs := range q {
		api[k] = vs
	}
	if api.Get("period") == customPeriod {
		api.Del("period")
		if api.Get("from") == "" {
			return q, crm.ReportQuery{}, crm.Invalid("from", "a period needs its start")
		}
	}
	api.Set("tz", v.Loc.String())
	rq, err := s.store.ReportRequest(r.Context(), api, v.P, s.opts.SLA, 0)
	return q, rq, err
}

func reportName(r *http.Request) (string, error) {
	name := r.PathValue("name")
	if name == "" {
		name = "funnel"
	}
	if !slices.Contains(crm.ReportNames, name) {
		return "", crm.Errorf(crm.ENOTFOUND, "no report %q", name)
	}
	return name, nil
}

func (s *Server) reportPage(r *http.Request, v *viewer) (any, error) {
	name, err := reportName(r)
	if err != nil {
		return nil, err
	}
	q, rq, qerr := s.reportQuery(r, v)
	d := reportData{Name: name, Names: crm.ReportNames, Periods: append(slices.Clone(crm.PeriodPresets), customPeriod), Period: q.Get("period"),
		From: q.Get("from"), To: q.Get("to"), Pipeline: q.Get("pipeline"), Manager: q.Get("manager_id"),
		Channel: q.Get("channel"), Origin: q.Get("origin"), UTMSource: q.Get("utm_source"), UTMCamp: q.Get("utm_campaign"),
		Channels: channels, Export: q.Encode(), Takes: map[string]bool{}}
	for _, f := range reportTakes[name] {
		d.Takes[f] = true
	}
	for _, f := range []string{"period", "pipeline", "manager", "origin"} {
		if d.Takes[f] {
			continue
		}
		for _, k := range filterParams[f] {
			if val := q.Get(k); val != "" && !(k == "period" && val == "this_month") {
				d.Kept = append(d.Kept, [2]string{k, val})
			}
		}
	}
	if qerr == nil && d.Takes["origin"] {
		if err := s.fillChoices(r, v, &d, rq); err != nil {
			return nil, err
		}
	} else if d.Takes["origin"] {
		// A refused period has no leads to offer: the chosen values stay.
		d.UTMSrcs, d.UTMCamps = keepChosen(nil, d.UTMSource), keepChosen(nil, d.UTMCamp)
		if d.Origin != "" {
			d.Origins = []choice{{Value: d.Origin, Text: d.Origin}}
		}
	}
	if d.Pipelines, err = s.store.Pipelines(r.Context()); err != nil {
		return nil, err
	}
	if v.SeesAll() {
		if d.Managers, err = s.store.Managers(r.Context()); err != nil {
			return nil, err
		}
	}
	if qerr != nil {
		// A refused filter comes back filled in, with what to fix.
		if crm.ErrorCode(qerr) == crm.EINVALID {
			return d, qerr
		}
		return nil, qerr
	}
	rep, err := s.store.Report(r.Context(), name, rq)
	if err != nil {
		return nil, err
	}
	back := "/reports/" + name + "?" + d.Export
	tables := reportTables(rep)
	// Zeros everywhere in what arrived (funnel, sources, speed) or is open
	// (pipeline) mean nothing to show; the plan's and the workload's
	// zeros are news (no sales against a target, nobody's work).
	d.Empty = emptyMeansNothing[name] && allZero(tables)
	if !d.Empty {
		d.Tables = viewTables(v, tables, back)
	}
	d.Shown = v.Period(rq.Filter.From, rq.Filter.To)
	d.Chart = reportChart(v, name, rep, back)
	if v.SeesAll() {
		month := formMonth(v, rq.Filter.From, rq.Filter.To)
		switch rep := rep.(type) {
		case crm.PlanReport:
			if d.Plan, err = s.planForm(r, v, month); err != nil {
				return nil, err
			}
		case crm.SourcesReport:
			if d.Spend, err = s.spendForm(r, month, rep); err != nil {
				return nil, err
			}
		}
	}
	return d, nil
}

// fillChoices fills the origin, utm_source and utm_campaign selects with
// what the period's leads came from (forms by their configured titles),
// and keeps a chosen value the period has not seen (a link's
// ?utm_source=yandex) so the form still shows it.
func (s *Server) fillChoices(r *http.Request, v *viewer, d *reportData, rq crm.ReportQuery) error {
	from, to := rq.Filter.From, rq.Filter.To
	if from.IsZero() { // a picture of now: what the last year brought
		to = v.Now
		from = to.AddDate(-1, 0, 0)
	}
	var mine *int64
	if !v.SeesAll() {
		mine = v.P.ManagerID
	}
	cs, err := s.store.ReportChoices(r.Context(), from, to, mine)
	if err != nil {
		return err
	}
	for _, o := range cs.Origins {
		text := o.Origin
		if t := s.opts.Forms[o.Origin]; o.Channel == crm.ChannelForm && t != "" {
			text = t
		}
		d.Origins = append(d.Origins, choice{Value: o.Origin, Text: v.Channel(o.Channel) + ": " + text})
	}
	if d.Origin != "" && !slices.ContainsFunc(d.Origins, func(c choice) bool { return c.Value == d.Origin }) {
		d.Origins = append(d.Origins, choice{Value: d.Origin, Text: d.Origin})
	}
	d.UTMSrcs, d.UTMCamps = keepChosen(cs.UTMSources, d.UTMSource), keepChosen(cs.UTMCampaigns, d.UTMCamp)
	return nil
}

func keepChosen(xs []string, chosen string) []string {
	if chosen != "" && !slices.Contains(xs, chosen) {
		xs = append(xs, chosen)
	}
	return xs
}

// reportChart draws a report's headline figures twice — for a wide
// screen and, label over bar, for a phone (CSS shows one) — each number
// saying what it counts.
func reportChart(v *viewer, name string, rep crm.Tabular, back string) template.HTML {
	var wide, narrow template.HTML
	switch c := chartOf(v, name, rep, back).(type) {
	case chart.Bars:
		wide = c.SVG()
		c.Narrow = true
		narrow = c.SVG()
	case chart.Funnel:
		wide = c.SVG()
		c.Narrow = true
		narrow = c.SVG()
	default:
		return ""
	}
	return `<div class="chart-wide">` + wide + `</div><div class="chart-narrow">` + narrow + `</div>`
}

// chartOf is a report's chart: a chart.Bars or a chart.Funnel.
func chartOf(v *viewer, name string, rep crm.Tabular, back string) any {
	title := v.T("report." + name)
	link := func(api, col string) string { return consoleLink(api, back, crm.Label{Key: col}, crm.Label{}) }
	n := func(key string, x int) string { return fmt.Sprintf(v.T(key), v.Count(x)) }
	switch r := rep.(type) {
	case crm.FunnelReport:
		c := chart.Funnel{Title: title, Desc: v.T("report.chart.funnel")}
		// A stage after a progress stage shows the conversion into it (the
		// won stage after the last one); a lost stage shows its count only.
		var prev *crm.FunnelStage
		for i, st := range r.Stages {
			display := n("chart.deals", st.Entered)
			if prev != nil && st.Semantic != crm.StageLost && prev.ConversionNext != nil {
				display += " · " + fmt.Sprintf(v.T("chart.conv_from_prev"), v.Pct(*prev.ConversionNext))
			}
			if st.Semantic == crm.StageProgress {
				prev = &r.Stages[i]
			}
			c.Stages = append(c.Stages, chart.Bar{Label: st.Name, Value: float64(st.Entered), Display: display, Link: link(st.Links["entered"], "rep.c.entered")})
		}
		return c
	case crm.PipelineReport:
		c := chart.Bars{Title: title, Desc: v.T("report.chart.pipeline"), Empty: v.T("report.chart_empty")}
		for _, st := range r.Stages {
			c.Bars = append(c.Bars, chart.Bar{Label: st.Name, Value: money(st.Sum), Display: v.Money(st.Sum, r.Currency) + " · " + n("chart.deals", st.Open), Link: link(st.Links["open"], "rep.c.open")})
		}
		return c
	case crm.SourcesReport:
		c := chart.Bars{Title: title, Desc: v.T("report.chart.sources"), Empty: v.T("report.chart_empty")}
		for _, it := range r.Items {
			c.Bars = append(c.Bars, chart.Bar{Label: it.Name, Value: float64(it.Leads),
				Display: n("chart.leads", it.Leads) + " · " + fmt.Sprintf(v.T("chart.revenue"), v.Money(it.Revenue, r.Currency)), Link: link(it.Links["leads"], "rep.c.leads")})
		}
		return c
	case crm.SpeedReport:
		c := chart.Bars{Title: title, Desc: v.T("report.chart.speed"), Color: "#1a7f5a", Empty: v.T("report.chart_empty")}
		for _, b := range r.Curve {
			display := n("chart.leads", b.Leads)
			if b.ConvertedPct != nil {
				display += " · " + fmt.Sprintf(v.T("chart.converted_pct"), v.Pct(*b.ConvertedPct))
			}
			c.Bars = append(c.Bars, chart.Bar{Label: v.label(crm.Label{Key: "bucket." + b.Key, Text: b.Name}), Value: float64(b.Leads), Display: display, Link: link(b.Links["leads"], "rep.c.leads")})
		}
		return c
	case crm.WorkloadReport:
		c := chart.Bars{Title: title, Desc: v.T("report.chart.workload"), Color: "#b8562b", Empty: v.T("report.chart_empty")}
		for _, m := range r.Managers {
			c.Bars = append(c.Bars, chart.Bar{Label: managerName(v, m.ManagerRef), Value: float64(m.OpenLeads),
				Display: n("chart.open_leads", m.OpenLeads) + " · " + n("chart.overdue", m.Overdue), Link: link(m.Links["open_leads"], "rep.c.open_leads")})
		}
		return c
	case crm.PlanReport:
		// Each bar is its manager's fact against their own target.
		c := chart.Bars{Title: title, Desc: v.T("report.chart.plan"), Empty: v.T("report.chart_empty")}
		for _, m := range r.Managers {
			label := managerName(v, m.ManagerRef)
			if len(r.Months) > 1 {
				label += " · " + v.Month(m.Month)
			}
			bar := chart.Bar{Label: label, Value: money(m.Revenue), Display: v.Money(m.Revenue, r.Currency), Link: consoleLink(m.Links["revenue"], back, crm.Label{Key: "rep.c.revenue_in", Arg: crm.CurrencySign(r.Currency)}, crm.Label{})}
			if m.TargetRevenue != nil && money(*m.TargetRevenue) > 0 {
				bar.Of = money(*m.TargetRevenue)
				bar.Display += " " + fmt.Sprintf(v.T("chart.of_target"), v.Money(*m.TargetRevenue, r.Currency))
				if m.RevenuePct != nil {
					bar.Display += " · " + v.Pct(*m.RevenuePct)
				}
			}
			c.Bars = append(c.Bars, bar)
		}
		return c
	}
	return nil
}

func managerName(v *viewer, m crm.ManagerRef) string {
	if m.ID == 0 {
		return v.T("rep.unassigned")
	}
	return m.Name
}

func money(s string) float64 {
	f, _ := strconv.ParseFloat(s, 64)
	return f
}

// exportReport sends the report's tables as CSV or XLSX, as the API does.
func (s *Server) exportReport(w http.ResponseWriter, r *http.Request, v *viewer) error {
	name, err := reportName(r)
	if err != nil {
		return err
	}
	format := r.URL.Query().Get("format")
	if format != "csv" && format != "xlsx" {
		return crm.Invalid("format", "csv or xlsx")
	}
	_, rq, err := s.reportQuery(r, v)
	if err != nil {
		return err
	}
	rep, err := s.store.Report(r.Context(), name, rq)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", imports.ContentType(format))
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="report-%s-%s.%s"`, name,
		rq.Filter.From.In(rq.Loc).Format("2006-01-02"), format))
	// The file says what it is, in Russian as its tables are.
	ru := *v
	ru.Lang = "ru"
	about := [][2]string{{ru.T("report.file_report"), ru.T("report." + name)}, {ru.T("report.period"), ru.Period(rq.Filter.From, rq.Filter.To)}}
	if !reportTakesFilter(name, "period") {
		about[1][1] = ru.T("report.now") + ", " + ru.Time(ru.Now)
	}
	for _, f := range s.filterWords(r, &ru, honoured(name, rq.Filter)) {
		k, val, _ := strings.Cut(f, ": ")
		about = append(about, [2]string{k, val})
	}
	return imports.WriteReport(w, format, about, reportTables(rep))
}

// reportCell is one cell of a report's table as the page shows it:
// numbers grouped as Russians write them, a decimal with a comma, nothing
// as a dash, words in the viewer's language; a figure links to the list
// behind it.
type reportCell struct {
	Text string
	Num  bool
	Link string
}

// viewTable is a report's table as the page shows it.
type viewTable struct {
	Title   string
	Columns []string
	Rows    [][]reportCell
}

func viewTables(v *viewer, ts []crm.Table, back string) []viewTable {
	out := make([]viewTable, 0, len(ts))
	for _, t := range ts {
		vt := viewTable{Title: v.label(t.Head), Columns: make([]string, len(t.Columns))}
		for i, c := range t.Columns {
			vt.Columns[i] = c
			if i < len(t.Heads) {
				vt.Columns[i] = v.label(t.Heads[i])
			}
		}
		for i, r := range t.Rows {
			row := make([]reportCell, len(r))
			for j, x := range r {
				if l, ok := x.(crm.Label); ok {
					row[j] = reportCell{Text: v.label(l)}
				} else if m, ok := x.(string); ok && j < len(t.Heads) && t.Heads[j].Key == "rep.c.month" {
					row[j] = reportCell{Text: v.Month(m)} // «ноябрь 2026», not 2026-11
				} else {
					row[j] = cellOf(v, x)
				}
				if i < len(t.Links) && j < len(t.Links[i]) && t.Links[i][j] != "" {
					col := crm.Label{Text: t.Columns[j]}
					if j < len(t.Heads) {
						col = t.Heads[j]
					}
					row[j].Link = consoleLink(t.Links[i][j], back, col, rowLabel(r))
				}
			}
			vt.Rows = append(vt.Rows, row)
		}
		out = append(out, vt)
	}
	return out
}

// rowLabel is what a table's row is about: its first cell.
func rowLabel(r []any) crm.Label {
	if len(r) == 0 {
		return crm.Label{}
	}
	if l, ok := r[0].(crm.Label); ok {
		return l
	}
	return crm.Label{Text: fmt.Sprint(r[0])}
}

func cellOf(v *viewer, x any) reportCell {
	switch c := x.(type) {
	case nil:
		return reportCell{Text: "—", Num: true}
	case int:
		return reportCell{Text: v.Count(c), Num: true}
	case int64:
		return reportCell{Text: v.Decimal(float64(c), 0), Num: true}
	case float64:
		return reportCell{Text: v.Decimal(c, 1), Num: true}
	case crm.Decimal:
		f, err := strconv.ParseFloat(string(c), 64)
		if err != nil {
			return reportCell{Text: string(c)}
		}
		places := 0
		if i := strings.IndexByte(string(c), '.'); i >= 0 {
			places = len(c) - i - 1
		}
		return reportCell{Text: v.Decimal(f, places), Num: true}
	case string:
		return reportCell{Text: c}
	case time.Time:
		return reportCell{Text: v.Time(c)}
	}
	return reportCell{Text: fmt.Sprint(x)}
}

// drillData is the list behind one figure of a report.
type drillData struct {
	Entity     string // leads, deals, activities or calls
	Figure     string
	Title      string   // the figure's name: its column and row in the report
	Back       string   // the report page it was opened from
	Shown      string   // the period, in words
	Filters    []string // the other filters, in words
	Count      int      // the records behind the figure
	More       bool     // more than Count (counting stopped)
	Junk       bool     // a list of junk leads: their reasons are a column
	Leads      []crm.Lead
	Deals      []crm.Deal
	Activities []crm.Activity
	Calls      []crm.Call
	Next       string
	Query      string // the drill's query without the cursor, for "more"
}

// drillCountMax is how many records a drill list counts before saying
// «more than».
const drillCountMax = 5000

// drillList is GET /reports/list?drill=…: the leads or deals behind a
// figure, as the report counted them; a manager's own only.
func (s *Server) drillList(r *http.Request, v *viewer) (any, error) {
	q := r.URL.Query()
	d, err := crm.ParseDrill(q, v.Loc, v.Now)
	if err != nil {
		return nil, err
	}
	if d == nil {
		return nil, crm.Invalid("drill", "no figure named")
	}
	if err := s.store.ReportScope(r.Context(), &d.Filter, v.P); err != nil {
		return nil, err
	}
	cursor := q.Get("cursor")
	q.Del("cursor")
	out := drillData{Entity: d.Entity(), Figure: d.Figure, Query: q.Encode(), Back: safeBack(q.Get("back")),
		Junk: d.Figure == "junk" || q.Get("row") == "rep.leads.junk_reason"}
	out.Title = drillTitle(v, d, q)
	if !d.Filter.From.IsZero() {
		out.Shown = v.Period(d.Filter.From, d.Filter.To)
	}
	out.Filters = s.filterWords(r, v, d.Filter)
	page := func(cursor string, limit int) (int, string, error) {
		var n int
		var next string
		var err error
		switch out.Entity {
		case "deals":
			var xs []crm.Deal
			xs, next, err = s.store.Deals(r.Context(), crm.DealFilter{ManagerID: s.scope(v), Drill: d, Limit: limit, Cursor: cursor})
			n = len(xs)
			if out.Deals == nil {
				out.Deals = xs
			}
		case "activities":
			var xs []crm.Activity
			xs, next, err = s.store.ActivityList(r.Context(), crm.ActivityFilter{ManagerID: s.scope(v), Drill: d, Limit: limit, Cursor: cursor})
			n = len(xs)
			if out.Activities == nil {
				out.Activities = xs
			}
		case "calls":
			var xs []crm.Call
			xs, next, err = s.store.Calls(r.Context(), crm.CallFilter{ManagerID: s.scope(v), Drill: d, Limit: limit, Cursor: cursor})
			n = len(xs)
			if out.Calls == nil {
				out.Calls = xs
			}
		default:
			var xs []crm.Lead
			xs, next, err = s.store.Leads(r.Context(), crm.LeadFilter{ManagerID: s.scope(v), Drill: d, Limit: limit, Cursor: cursor})
			n = len(xs)
			if out.Leads == nil {
				out.Leads = xs
			}
		}
		return n, next, err
	}
	n, next, err := page(cursor, 100)
	if err != nil {
		return nil, err
	}
	out.Next, out.Count = next, n
	// The count of the whole list, not of this page: the rest is walked
	// (a figure's list is short; a long one is counted up to a limit).
	if cursor == "" {
		for next != "" && out.Count < drillCountMax {
			if n, next, err = page(next, 500); err != nil {
				return nil, err
			}
			out.Count += n
		}
		out.More = next != ""
	} else {
		out.Count = 0
	}
	return out, nil
}

// drillTitle names the figure a list is behind: the report table's
// column and row it was opened from, else the figure's own name.
func drillTitle(v *viewer, d *crm.Drill, q url.Values) string {
	var parts []string
	if c := q.Get("col"); c != "" {
		parts = append(parts, v.label(linkLabel(c, q.Get("col_arg"))))
	} else if _, ok := catalogue["drill."+d.Figure]; ok {
		parts = append(parts, v.T("drill."+d.Figure))
	}
	if row := q.Get("row"); row != "" {
		parts = append(parts, v.label(linkLabel(row, q.Get("row_arg"))))
	}
	if len(parts) == 0 {
		return v.T("report.list")
	}
	return strings.Join(parts, " · ")
}

// filterWords are a drill list's filters other than the period, as a
// person reads them.
func (s *Server) filterWords(r *http.Request, v *viewer, f crm.ReportFilter) []string {
	var out []string
	if f.Pipeline != "" {
		name := f.Pipeline
		if ps, err := s.store.Pipelines(r.Context()); err == nil {
			for _, p := range ps {
				if p.Key == f.Pipeline {
					name = p.Name
				}
			}
		}
		out = append(out, v.T("pipeline")+": "+name)
	}
	if f.ManagerID != nil {
		out = append(out, v.T("col.manager")+": "+v.ManagerName(f.ManagerID))
	}
	if f.Unassigned {
		out = append(out, v.T("col.manager")+": "+v.T("rep.unassigned"))
	}
	if f.Channel != "" {
		out = append(out, v.T("report.channel")+": "+v.Channel(f.Channel))
	}
	for _, x := range []struct{ key, val string }{{"report.origin", f.Origin}, {"report.utm_source", f.UTMSource},
		{"report.utm_campaign", f.UTMCampaign}, {"rep.c.source", f.Source}, {"report.currency", f.Currency}} {
		if x.val != "" {
			out = append(out, v.T(x.key)+": "+x.val)
		}
	}
	return out
}

// consoleLink turns a figure's list in the API into the console's page of
// it. back is the report page the list was opened from (its filters
// kept); col and row name the figure: the report table's column and row
// (catalogue keys, or text shown as it is).
func consoleLink(api, back string, col, row crm.Label) string {
	_, query, ok := strings.Cut(api, "?")
	if !ok {
		return ""
	}
	extra := url.Values{}
	for k, x := range map[string]string{"back": back, "col": labelRef(col), "col_arg": col.Arg, "row": labelRef(row), "row_arg": row.Arg} {
		if x != "" {
			extra.Set(k, x)
		}
	}
	if len(extra) > 0 {
		query += "&" + extra.Encode()
	}
	return "/reports/list?" + query
}

// labelRef is how a label travels in a link: its catalogue key when the
// catalogue has it (so it reads in the viewer's language), else its text.
func labelRef(l crm.Label) string {
	if _, ok := catalogue[l.Key]; ok {
		return l.Key
	}
	return l.Text
}

// linkLabel reads a label sent by labelRef.
func linkLabel(ref, arg string) crm.Label {
	return crm.Label{Key: ref, Arg: arg, Text: ref}
}

// safeBack is a drill list's way back: a report page of this console,
// nowhere else.
func safeBack(back string) string {
	if !strings.HasPrefix(back, "/reports") || strings.ContainsAny(back, "\\\r\n") || strings.HasPrefix(back, "/reports/list") {
		return "/reports"
	}
	if u, err := url.Parse(back); err != nil || u.Host != "" || u.Scheme != "" || strings.HasPrefix(u.Path, "//") {
		return "/reports"
	}
	return back
}
