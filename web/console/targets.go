package console

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/leadd/leadd/crm"
)

// The monthly targets (on the plan report's page) and the ad spend per
// utm_source (on the sources page): supervisors and admins set them with
// plain forms; a manager gets the 403 page.

// planForm is the plan page's form: each manager's target for a month.
type planForm struct {
	Month string // 2026-12
	Rows  []planFormRow
}

type planFormRow struct {
	ID      int64
	Name    string
	Revenue string
	Won     string
}

// spendForm is the sources page's form and the spend entered for a month.
type spendForm struct {
	Month   string
	Sources []string // the utm_sources the report saw, offered to pick from
	Spends  []crm.AdSpend
}

func (s *Server) registerTargets() {
	s.action("POST /reports/plan/targets", s.saveTargets)
	s.action("POST /reports/sources/spend", s.saveSpend)
}

// formMonth is the month a form opens on: the report's first month, in
// the viewer's time zone.
//
// A period that holds today (this quarter, this year) starts the picker
// at the current month, not the period's first.
func formMonth(v *viewer, from, to time.Time) string {
	if !v.Now.Before(from) && v.Now.Before(to) {
		return v.Now.In(v.Loc).Format("2006-01")
	}
	return from.In(v.Loc).Format("2006-01")
}

func (s *Server) planForm(r *http.Request, v *viewer, month string) (*planForm, error) {
	ms, err := s.store.Managers(r.Context())
	if err != nil {
		return nil, err
	}
	ps, err := s.store.Plans(r.Context(), month)
	if err != nil {
		return nil, err
	}
	byID := map[int64]crm.Plan{}
	for _, p := range ps {
		byID[p.ManagerID] = p
	}
	f := &planForm{Month: month}
	for _, m := range ms {
		p, ok := byID[m.ID]
		if !m.Active && !ok {
			continue
		}
		row := planFormRow{ID: m.ID, Name: m.Name}
		if ok {
			// As Russians type it: "1200000,50", "500000".
			row.Revenue, row.Won = strings.Replace(strings.TrimSuffix(p.Revenue, ".00"), ".", ",", 1), strconv.Itoa(p.Won)
		}
		f.Rows = append(f.Rows, row)
	}
	return f, nil
}

func (s *Server) spendForm(r *http.Request, month string, rep crm.SourcesReport) (*spendForm, error) {
	all, err := s.store.AdSpends(r.Context())
	if err != nil {
		return nil, err
	}
	f := &spendForm{Month: month}
	seen := map[string]bool{}
	for _, a := range all {
		if a.Month == month {
			f.Spends = append(f.Spends, a)
		}
		if !seen[a.UTMSource] {
			seen[a.UTMSource] = true
			f.Sources = append(f.Sources, a.UTMSource)
		}
	}
	for _, it := range rep.Items {
		if it.Kind == "utm_source" && !seen[it.Source] {
			seen[it.Source] = true
			f.Sources = append(f.Sources, it.Source)
		}
	}
	return f, nil
}

// formAmount reads an amount as people type it: "1 200 000,50" or
// "1200000.50".
//
// "1200000.50", and as the reports print money: "2 000 000 ₽",
// "2 000 000,00 руб.", "2,000,000.00 ₽" (English).
func formAmount(v string) string {
	v = strings.TrimSpace(v)
	for _, sign := range []string{"₽", "руб.", "руб", "р.", "RUB", "rub"} {
		v = strings.TrimSpace(strings.TrimSuffix(v, sign))
	}
	v = strings.NewReplacer(" ", "", "\u00a0", "", "\u202f", "").Replace(v)
	// Both marks: the last is the decimal one, the other groups thousands.
	if c, d := strings.LastIndex(v, ","), strings.LastIndex(v, "."); c >= 0 && d >= 0 {
		if d > c {
			return strings.ReplaceAll(v, ",", "")
		}
		return strings.Replace(strings.ReplaceAll(v, ".", ""), ",", ".", 1)
	}
	return strings.Replace(v, ",", ".", 1)
}

// back is the report page to return to: the filter the form was sent
// from, re-encoded (never a URL of another site).
func back(r *http.Request, name string) string {
	q, err := url.ParseQuery(r.PostFormValue("back"))
	if err != nil || len(q) == 0 {
		return "/reports/" + name
	}
	return "/reports/" + name + "?" + q.Encode()
}

// saveTargets sets the month's targets of every manager on the form, all
// or — when any is wrong — none.
func (s *Server) saveTargets(w http.ResponseWriter, r *http.Request, v *viewer) (string, error) {
	if !v.P.SeesAll() {
		return "", crm.Errorf(crm.EFORBIDDEN, "targets are set by supervisors")
	}
	to := back(r, "plan")
	if err := r.ParseForm(); err != nil {
		return to, crm.Invalid("form", "unreadable form")
	}
	month := r.PostFormValue("month")
	var ps []crm.Plan
	for _, idv := range r.PostForm["manager"] {
		id, err := strconv.ParseInt(idv, 10, 64)
		if err != nil || id <= 0 {
			return to, crm.Invalid("manager_id", "not a manager: %q", idv)
		}
		rev := formAmount(r.PostFormValue("revenue_" + idv))
		wonv := strings.TrimSpace(r.PostFormValue("won_" + idv))
		if rev == "" && wonv == "" {
			continue // no target for this manager
		}
		won := 0
		if wonv != "" {
			if won, err = strconv.Atoi(wonv); err != nil {
				return to, crm.Invalid("won", "must be a whole number of deals, not %q", wonv)
			}
		}
		ps = append(ps, crm.Plan{ManagerID: id, Month: month, Revenue: rev, Won: won, UpdatedBy: v.P.Name})
	}
	if len(ps) == 0 {
		return to, crm.Invalid("revenue", "must not be empty")
	}
	if _, err := s.store.SetPlans(r.Context(), ps); err != nil {
		return to, err
	}
	s.flash(w, r, v.T("targets.saved"), false)
	return to, nil
}

// saveSpend records a utm_source's spend for a month.
func (s *Server) saveSpend(w http.ResponseWriter, r *http.Request, v *viewer) (string, error) {
	if !v.P.SeesAll() {
		return "", crm.Errorf(crm.EFORBIDDEN, "ad spend is entered by supervisors")
	}
	to := back(r, "sources")
	if _, err := s.store.SetAdSpend(r.Context(), r.PostFormValue("utm_source"), r.PostFormValue("month"),
		formAmount(r.PostFormValue("amount"))); err != nil {
		return to, err
	}
	s.flash(w, r, v.T("spend.saved"), false)
	return to, nil
}
