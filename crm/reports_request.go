package crm

import (
	"context"
	"net/url"
	"strconv"
	"time"
)

// ReportRequest reads a report's query — the period in the viewer's time
// zone, the filters — as the API and the console take it. A manager's
// figures are their own whatever the query says. Errors: EINVALID naming
// the parameter, EFORBIDDEN for a manager asking for another's figures.
func (s *Store) ReportRequest(ctx context.Context, q url.Values, p Principal, sla time.Duration, stuckDays int) (ReportQuery, error) {
	if stuckDays <= 0 {
		stuckDays = 14
	}
	rq := ReportQuery{SLA: sla, StuckDays: stuckDays}
	loc, err := s.ViewerLocation(ctx, q.Get("tz"), p)
	if err != nil {
		return rq, err
	}
	rq.Loc = loc
	if rq.Filter, err = ParseReportFilter(q); err != nil {
		return rq, err
	}
	// The currency is what the sums are in, not which deals are counted.
	rq.Currency, rq.Filter.Currency = rq.Filter.Currency, ""
	if rq.Filter.From, rq.Filter.To, err = ParsePeriod(q.Get("period"), q.Get("from"), q.Get("to"), loc, s.Now()); err != nil {
		return rq, err
	}
	if v := q.Get("stuck_days"); v != "" {
		if rq.StuckDays, err = strconv.Atoi(v); err != nil || rq.StuckDays < 1 || rq.StuckDays > 3650 {
			return rq, Invalid("stuck_days", "must be a number of days, not %q", v)
		}
	}
	if err := s.ReportScope(ctx, &rq.Filter, p); err != nil {
		return rq, err
	}
	return rq, nil
}

// ReportScope checks the manager a report or a drill-down list is asked
// for, the same way for both: a manager that does not exist is EINVALID
// naming manager_id (not an empty report); a manager asking for another's
// figures, or nobody's, is refused with the reports' own EFORBIDDEN,
// naming the parameter; a manager's filter becomes their own.
func (s *Store) ReportScope(ctx context.Context, f *ReportFilter, p Principal) error {
	if f.ManagerID != nil {
		var ok bool
		if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM managers WHERE id = $1)`, *f.ManagerID).Scan(&ok); err != nil {
			return translate(err, "managers")
		}
		if !ok {
			return Invalid("manager_id", "no manager with id %d", *f.ManagerID)
		}
	}
	if p.SeesAll() {
		return nil
	}
	switch {
	case f.Unassigned:
		return FieldErrorf(EFORBIDDEN, "unassigned", "a manager sees only their own figures")
	case f.ManagerID != nil && *f.ManagerID != *p.ManagerID:
		return FieldErrorf(EFORBIDDEN, "manager_id", "a manager sees only their own figures")
	}
	f.ManagerID = p.ManagerID
	return nil
}

// ViewerLocation is the time zone a period is read in: tz when given,
// else the manager's own, else the company's (SetTimeZone).
func (s *Store) ViewerLocation(ctx context.Context, tz string, p Principal) (*time.Location, error) {
	if tz != "" {
		loc, err := LoadLocation(tz)
		if err != nil {
			return nil, Invalid("tz", "not a time zone: %q", tz)
		}
		return loc, nil
	}
	if p.ManagerID != nil {
		if m, err := s.Manager(ctx, *p.ManagerID); err == nil {
			if loc, err := LoadLocation(m.TimeZone); err == nil {
				return loc, nil
			}
		}
	}
	if loc := s.zone.Load(); loc != nil {
		return loc, nil
	}
	return time.UTC, nil
}

// Report computes the named report (ReportNames). Errors: ENOTFOUND (no
// such report), and the report's.
func (s *Store) Report(ctx context.Context, name string, rq ReportQuery) (Tabular, error) {
	switch name {
	case "funnel":
		return s.Funnel(ctx, rq)
	case "pipeline":
		return s.PipelineNow(ctx, rq)
	case "sources":
		return s.Sources(ctx, rq)
	case "speed":
		return s.Speed(ctx, rq)
	case "workload":
		return s.Workload(ctx, rq)
	case "plan":
		return s.PlanFact(ctx, rq)
	}
	return nil, Errorf(ENOTFOUND, "no report %q: %v", name, ReportNames)
}
