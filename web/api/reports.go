package api

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/crm/imports"
)

// Reporter is what the reports need of the core.
type Reporter interface {
	Funnel(ctx context.Context, rq crm.ReportQuery) (crm.FunnelReport, error)
	PipelineNow(ctx context.Context, rq crm.ReportQuery) (crm.PipelineReport, error)
	Sources(ctx context.Context, rq crm.ReportQuery) (crm.SourcesReport, error)
	Speed(ctx context.Context, rq crm.ReportQuery) (crm.SpeedReport, error)
	Workload(ctx context.Context, rq crm.ReportQuery) (crm.WorkloadReport, error)
	PlanFact(ctx context.Context, rq crm.ReportQuery) (crm.PlanReport, error)
	SetPlan(ctx context.Context, p crm.Plan) (crm.Plan, error)
	Plans(ctx context.Context, month string) ([]crm.Plan, error)
	SetAdSpend(ctx context.Context, utmSource, month, amount string) (crm.AdSpend, error)
	AdSpends(ctx context.Context) ([]crm.AdSpend, error)
	Manager(ctx context.Context, id int64) (crm.Manager, error)
	Now() time.Time
	ReportRequest(ctx context.Context, q url.Values, p crm.Principal, sla time.Duration, stuckDays int) (crm.ReportQuery, error)
	ViewerLocation(ctx context.Context, tz string, p crm.Principal) (*time.Location, error)
	ReportScope(ctx context.Context, f *crm.ReportFilter, p crm.Principal) error
	Report(ctx context.Context, name string, rq crm.ReportQuery) (crm.Tabular, error)
}

var _ Reporter = (*crm.Store)(nil)

// registerReports adds the reports' routes.
func (s *Server) registerReports(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/v1/reports/{name}", s.report) // JSON, CSV or XLSX
	s.route(mux, "GET /api/v1/plans", s.listPlans)
	s.route(mux, "PUT /api/v1/plans", s.putPlan)
	s.route(mux, "GET /api/v1/ad-spend", s.listAdSpend)
	s.route(mux, "PUT /api/v1/ad-spend", s.putAdSpend)
}

// report is GET /api/v1/reports/{name}?from=&to=&…&format=json|csv|xlsx.
func (s *Server) report(w http.ResponseWriter, r *http.Request) {
	p, err := s.auth.principal(r)
	if err != nil {
		WriteError(w, r, s.log, err)
		return
	}
	q := r.URL.Query()
	format := q.Get("format")
	if format == "" {
		format = "json"
	}
	name := r.PathValue("name")
	if !slices.Contains(crm.ReportNames, name) {
		WriteError(w, r, s.log, crm.Errorf(crm.ENOTFOUND, "no report %q: %v", name, crm.ReportNames))
		return
	}
	if format != "json" && format != "csv" && format != "xlsx" {
		WriteError(w, r, s.log, crm.Invalid("format", "must be json, csv or xlsx, not %q", format))
		return
	}
	rq, err := s.reports.ReportRequest(r.Context(), q, p, s.opts.SLA, s.opts.StuckDays)
	if err != nil {
		WriteError(w, r, s.log, err)
		return
	}
	rep, err := s.reports.Report(r.Context(), name, rq)
	if err != nil {
		WriteError(w, r, s.log, err)
		return
	}
	if format == "json" {
		WriteJSON(w, http.StatusOK, rep)
		return
	}
	w.Header().Set("Content-Type", imports.ContentType(format))
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="report-%s-%s.%s"`, name,
		rq.Filter.From.In(rq.Loc).Format("2006-01-02"), format))
	if err := imports.WriteTables(w, format, rep.Tables()); err != nil {
		s.log.Error("report file failed", "report", name, "format", format, "err", err)
	}
}

func supervisorOnly(p Principal) error {
	if p.Role != RoleAdmin && p.Role != RoleSupervisor {
		return crm.Errorf(crm.EFORBIDDEN, "only supervisors and admins set plans and spend")
	}
	return nil
}

func (s *Server) listPlans(r *http.Request, p Principal) (int, any, error) {
	list, err := s.reports.Plans(r.Context(), r.URL.Query().Get("month"))
	if err != nil {
		return 0, nil, err
	}
	if !p.SeesAll() {
		own := []crm.Plan{}
		for _, x := range list {
			if x.ManagerID == *p.ManagerID {
				own = append(own, x)
			}
		}
		list = own
	}
	return http.StatusOK, map[string]any{"items": list}, nil
}

func (s *Server) putPlan(r *http.Request, p Principal) (int, any, error) {
	if err := supervisorOnly(p); err != nil {
		return 0, nil, err
	}
	var in struct {
		ManagerID int64  `json:"manager_id"`
		Month     string `json:"month"`
		Revenue   string `json:"revenue"`
		Won       int    `json:"won"`
	}
	if err := decode(r, &in); err != nil {
		return 0, nil, err
	}
	plan, err := s.reports.SetPlan(r.Context(), crm.Plan{ManagerID: in.ManagerID, Month: in.Month, Revenue: in.Revenue, Won: in.Won, UpdatedBy: p.Name})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, plan, nil
}

func (s *Server) listAdSpend(r *http.Request, p Principal) (int, any, error) {
	list, err := s.reports.AdSpends(r.Context())
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"items": list}, nil
}

func (s *Server) putAdSpend(r *http.Request, p Principal) (int, any, error) {
	if err := supervisorOnly(p); err != nil {
		return 0, nil, err
	}
	var in crm.AdSpend
	if err := decode(r, &in); err != nil {
		return 0, nil, err
	}
	out, err := s.reports.SetAdSpend(r.Context(), in.UTMSource, in.Month, in.Amount)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, out, nil
}

// drill reads a list's drill-down parameters, in the viewer's time zone.
func (s *Server) drill(r *http.Request, p Principal) (*crm.Drill, error) {
	q := r.URL.Query()
	if q.Get("drill") == "" {
		return nil, nil
	}
	loc, err := s.reports.ViewerLocation(r.Context(), q.Get("tz"), p)
	if err != nil {
		return nil, err
	}
	d, err := crm.ParseDrill(q, loc, s.reports.Now())
	if err != nil {
		return nil, err
	}
	return d, s.reports.ReportScope(r.Context(), &d.Filter, p)
}
