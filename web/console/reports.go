package console

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

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
	Pipelines []crm.Pipeline
	Managers  []crm.Manager
	Channels  []string
	Chart     template.HTML
	Tables    []viewTable
	Export    string     // the filter's query, for the export links
	Plan      *planForm  // supervisors: the targets' form (plan)
	Spend     *spendForm // supervisors: the ad spend's form (sources)
	Shown     string     // the period shown, in words
}

func (s *Server) registerReports() {
	s.page("GET /reports/list", "drill", s.drillList)
	s.page("GET /reports", "report", s.reportPage)
	s.page("GET /reports/{name}", "report", s.reportPage)
	s.handle("GET /reports/{name}/export", s.sessionHandler(s.exportReport))
}

// reportQuery is the page's filter as the report's query: a preset or
// from/to, the pipeline, the manager (a manager's own figures whatever),
// the channel; in the viewer's time zone.
func (s *Server) reportQuery(r *http.Request, v *viewer) (url.Values, crm.ReportQuery, error) {
	in := r.URL.Query()
	q := url.Values{}
	for _, k := range []string{"period", "from", "to", "pipeline", "manager_id", "channel", "currency"} {
		if val := in.Get(k); val != "" {
			q.Set(k, val)
		}
	}
	if q.Get("period") == "" && q.Get("from") == "" && q.Get("to") == "" {
		q.Set("period", "this_month")
	}
	q.Set("tz", v.Loc.String())
	rq, err := s.store.ReportRequest(r.Context(), q, v.P, s.opts.SLA, 0)
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

func (s *Server) reportPage(req *http.Request, v *viewer) (any, error) {
	r := req
	name, err := reportName(r)
	if err != nil {
		return nil, err
	}
	q, rq, err := s.reportQuery(r, v)
	if err != nil {
		return nil, err
	}
	rep, err := s.store.Report(r.Context(), name, rq)
	if err != nil {
		return nil, err
	}
	d := reportData{Name: name, Names: crm.ReportNames, Periods: crm.PeriodPresets, Period: q.Get("period"),
		From: q.Get("from"), To: q.Get("to"), Pipeline: q.Get("pipeline"), Manager: q.Get("manager_id"),
		Channel: q.Get("channel"), Channels: channels, Tables: viewTables(v, rep.Tables())}
	q.Del("tz")
	d.Export = q.Encode()
	d.Shown = v.Date(rq.Filter.From) + " — " + v.Date(rq.Filter.To.Add(-1))
	if d.Pipelines, err = s.store.Pipelines(r.Context()); err != nil {
		return nil, err
	}
	if v.SeesAll() {
		if d.Managers, err = s.store.Managers(r.Context()); err != nil {
			return nil, err
		}
	}
	d.Chart = reportChart(v, name, rep)
	if v.SeesAll() {
		month := formMonth(v, rq.Filter.From)
		switch r := rep.(type) {
		case crm.PlanReport:
			if d.Plan, err = s.planForm(req, v, month); err != nil {
				return nil, err
			}
		case crm.SourcesReport:
			if d.Spend, err = s.spendForm(req, month, r); err != nil {
				return nil, err
			}
		}
	}
	return d, nil
}

// reportChart draws a report's headline figures.
func reportChart(v *viewer, name string, rep crm.Tabular) template.HTML {
	title := v.T("report." + name)
	switch r := rep.(type) {
	case crm.FunnelReport:
		c := chart.Funnel{Title: title, Desc: v.T("report.chart.funnel")}
		// A stage after a progress stage shows the conversion into it (the
		// won stage after the last one); a lost stage shows its count only.
		var prev *crm.FunnelStage
		for i, st := range r.Stages {
			display := strconv.Itoa(st.Entered)
			if prev != nil && st.Semantic != crm.StageLost && prev.ConversionNext != nil {
				display += " · " + pctText(prev.ConversionNext)
			}
			if st.Semantic == crm.StageProgress {
				prev = &r.Stages[i]
			}
			c.Stages = append(c.Stages, chart.Bar{Label: st.Name, Value: float64(st.Entered), Display: display, Link: consoleLink(st.Links["entered"])})
		}
		return c.SVG()
	case crm.PipelineReport:
		c := chart.Bars{Title: title, Desc: v.T("report.chart.pipeline"), Empty: v.T("report.chart_empty")}
		for _, st := range r.Stages {
			c.Bars = append(c.Bars, chart.Bar{Label: st.Name, Value: money(st.Sum), Display: v.Money(st.Sum, r.Currency) + " · " + strconv.Itoa(st.Open), Link: consoleLink(st.Links["open"])})
		}
		return c.SVG()
	case crm.SourcesReport:
		c := chart.Bars{Title: title, Desc: v.T("report.chart.sources"), Empty: v.T("report.chart_empty")}
		for _, it := range r.Items {
			c.Bars = append(c.Bars, chart.Bar{Label: it.Source, Value: float64(it.Leads), Display: fmt.Sprintf("%d · %s", it.Leads, v.Money(it.Revenue, r.Currency)), Link: consoleLink(it.Links["leads"])})
		}
		return c.SVG()
	case crm.SpeedReport:
		c := chart.Bars{Title: title, Desc: v.T("report.chart.speed"), Color: "#1a7f5a", Empty: v.T("report.chart_empty")}
		for _, b := range r.Curve {
			c.Bars = append(c.Bars, chart.Bar{Label: v.label(crm.Label{Key: "bucket." + b.Key, Text: b.Name}), Value: float64(b.Leads), Display: fmt.Sprintf("%d · %s", b.Leads, pctText(b.ConvertedPct)), Link: consoleLink(b.Links["leads"])})
		}
		return c.SVG()
	case crm.WorkloadReport:
		c := chart.Bars{Title: title, Desc: v.T("report.chart.workload"), Color: "#b8562b", Empty: v.T("report.chart_empty")}
		for _, m := range r.Managers {
			c.Bars = append(c.Bars, chart.Bar{Label: managerName(v, m.ManagerRef), Value: float64(m.OpenLeads),
				Display: fmt.Sprintf("%d · %s %d", m.OpenLeads, v.T("counter.overdue"), m.Overdue), Link: consoleLink(m.Links["open_leads"])})
		}
		return c.SVG()
	case crm.PlanReport:
		c := chart.Bars{Title: title, Desc: v.T("report.chart.plan"), Empty: v.T("report.chart_empty")}
		for _, m := range r.Managers {
			c.Bars = append(c.Bars, chart.Bar{Label: managerName(v, m.ManagerRef), Value: money(m.Revenue), Display: v.Money(m.Revenue, r.Currency) + planOf(m.RevenuePct), Link: consoleLink(m.Links["revenue"])})
		}
		return c.SVG()
	}
	return ""
}

func managerName(v *viewer, m crm.ManagerRef) string {
	if m.ID == 0 {
		return v.T("rep.unassigned")
	}
	return m.Name
}

// planOf is the share of the revenue target done, short enough to fit
// beside a full-width bar.
func planOf(done *float64) string {
	if done == nil {
		return ""
	}
	return " · " + chart.Percent(*done)
}

func money(s string) float64 {
	f, _ := strconv.ParseFloat(s, 64)
	return f
}

func pctText(p *float64) string {
	if p == nil {
		return "—"
	}
	return chart.Percent(*p)
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
	return imports.WriteTables(w, format, rep.Tables())
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

func viewTables(v *viewer, ts []crm.Table) []viewTable {
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
				} else {
					row[j] = cellOf(x)
				}
				if i < len(t.Links) && j < len(t.Links[i]) && t.Links[i][j] != "" {
					row[j].Link = consoleLink(t.Links[i][j])
				}
			}
			vt.Rows = append(vt.Rows, row)
		}
		out = append(out, vt)
	}
	return out
}

func cellOf(x any) reportCell {
	switch c := x.(type) {
	case nil:
		return reportCell{Text: "—", Num: true}
	case int:
		return reportCell{Text: chart.Number(int64(c)), Num: true}
	case int64:
		return reportCell{Text: chart.Number(c), Num: true}
	case float64:
		return reportCell{Text: chart.Decimal(c, 1), Num: true}
	case crm.Decimal:
		f, err := strconv.ParseFloat(string(c), 64)
		if err != nil {
			return reportCell{Text: string(c)}
		}
		places := 0
		if i := strings.IndexByte(string(c), '.'); i >= 0 {
			places = len(c) - i - 1
		}
		return reportCell{Text: chart.Decimal(f, places), Num: true}
	case string:
		return reportCell{Text: c}
	}
	return reportCell{Text: fmt.Sprint(x)}
}

// drillData is the list behind one figure of a report.
type drillData struct {
	Entity     string // leads, deals, activities or calls
	Figure     string
	Leads      []crm.Lead
	Deals      []crm.Deal
	Activities []crm.Activity
	Calls      []crm.Call
	Next       string
	Query      string // the drill's query without the cursor, for "more"
}

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
	cursor := q.Get("cursor")
	q.Del("cursor")
	out := drillData{Entity: d.Entity(), Figure: d.Figure, Query: q.Encode()}
	switch out.Entity {
	case "deals":
		out.Deals, out.Next, err = s.store.Deals(r.Context(), crm.DealFilter{ManagerID: s.scope(v), Drill: d, Limit: 100, Cursor: cursor})
	case "activities":
		out.Activities, out.Next, err = s.store.ActivityList(r.Context(), crm.ActivityFilter{ManagerID: s.scope(v), Drill: d, Limit: 100, Cursor: cursor})
	case "calls":
		out.Calls, out.Next, err = s.store.Calls(r.Context(), crm.CallFilter{ManagerID: s.scope(v), Drill: d, Limit: 100, Cursor: cursor})
	default:
		out.Leads, out.Next, err = s.store.Leads(r.Context(), crm.LeadFilter{ManagerID: s.scope(v), Drill: d, Limit: 100, Cursor: cursor})
	}
	return out, err
}

// consoleLink turns a figure's list in the API into the console's page of it.
func consoleLink(api string) string {
	_, query, ok := strings.Cut(api, "?")
	if !ok {
		return ""
	}
	return "/reports/list?" + query
}
