package api

import (
	"encoding/json"
	"net/http"

	"github.com/leadd/leadd/crm"
)

// assignLead: a supervisor re-assigns; a manager takes a queued lead.
func (s *Server) assignLead(r *http.Request, p Principal) (int, any, error) {
	l, err := s.lead(r, p)
	if err != nil {
		return 0, nil, err
	}
	var body struct {
		ManagerID *int64 `json:"manager_id"`
	}
	if err := decode(r, &body); err != nil {
		return 0, nil, err
	}
	if body.ManagerID == nil {
		if p.ManagerID == nil {
			return 0, nil, crm.Invalid("manager_id", "is required")
		}
		body.ManagerID = p.ManagerID // "I take it"
	}
	// The lead is the manager's own or queued (s.lead asked); they take
	// it for themself only.
	if err := s.allow(r, p, crm.Named(crm.KindManager, "manager_id", body.ManagerID)...); err != nil {
		return 0, nil, err
	}
	out, err := s.store.AssignLead(r.Context(), l.ID, *body.ManagerID, p.ManagerID, s.opts.SLA)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, detail(out), nil
}

func (s *Server) getManager(r *http.Request, _ Principal) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	m, err := s.store.Manager(r.Context(), id)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, m, nil
}

// patchManager changes hours, time zone, away, capacity, weight and the
// rest; a manager may flip only their own away switch.
func (s *Server) patchManager(r *http.Request, p Principal) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	var raw map[string]json.RawMessage
	if err := decode(r, &raw); err != nil {
		return 0, nil, err
	}
	if err := s.allow(r, p, crm.Path(crm.KindManager, id)); err != nil {
		return 0, nil, err
	}
	if _, onlyAway := raw["away"]; !p.SeesAll() && (len(raw) != 1 || !onlyAway) {
		return 0, nil, crm.Errorf(crm.EFORBIDDEN, "a manager changes only their own away switch")
	}
	var patch crm.ManagerPatch
	b, _ := json.Marshal(raw)
	if err := strictUnmarshal(b, &patch); err != nil {
		return 0, nil, err
	}
	if h, ok := raw["hours"]; ok && string(h) == "null" {
		patch.ClearHours = true
	}
	m, err := s.store.UpdateManager(r.Context(), id, patch)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, m, nil
}

func (s *Server) listActivities(r *http.Request, p Principal) (int, any, error) {
	q := r.URL.Query()
	if q.Get("drill") != "" {
		return s.activityDrill(r, p)
	}
	id, err := optionalID(q.Get("manager_id"), "manager_id")
	if err != nil {
		return 0, nil, err
	}
	if id, err = ownScope(p, id); err != nil {
		return 0, nil, err
	}
	list, err := s.store.Activities(r.Context(), *id, q.Get("due"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, newPage(list, ""), nil
}

// activityDrill is the list behind a workload figure of activities, a
// page at a time: a manager's own only.
func (s *Server) activityDrill(r *http.Request, p Principal) (int, any, error) {
	d, err := s.drill(r, p)
	if err != nil {
		return 0, nil, err
	}
	f := crm.ActivityFilter{Drill: d, Cursor: r.URL.Query().Get("cursor")}
	if f.Limit, err = limit(r.URL.Query().Get("limit")); err != nil {
		return 0, nil, err
	}
	if f.ManagerID, err = crm.Scope(p, d.Filter.ManagerID, "manager_id"); err != nil {
		return 0, nil, err
	}
	list, next, err := s.store.ActivityList(r.Context(), f)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, newPage(list, next), nil
}

// listCalls is the list behind a workload figure of calls (calls made,
// calls missed), the latest first: on a manager's own records only.
func (s *Server) listCalls(r *http.Request, p Principal) (int, any, error) {
	d, err := s.drill(r, p)
	if err != nil {
		return 0, nil, err
	}
	if d == nil {
		return 0, nil, crm.Invalid("drill", "name a figure of calls: calls_made or calls_missed")
	}
	f := crm.CallFilter{Drill: d, Cursor: r.URL.Query().Get("cursor")}
	if f.Limit, err = limit(r.URL.Query().Get("limit")); err != nil {
		return 0, nil, err
	}
	if f.ManagerID, err = crm.Scope(p, d.Filter.ManagerID, "manager_id"); err != nil {
		return 0, nil, err
	}
	list, next, err := s.store.Calls(r.Context(), f)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, newPage(list, next), nil
}

// completeActivity records done, no_answer (the cadence schedules the next
// call) or rescheduled with a new time.
func (s *Server) completeActivity(r *http.Request, p Principal) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	if err := s.allow(r, p, crm.Path(crm.KindActivity, id)); err != nil {
		return 0, nil, err
	}
	var c crm.Completion
	if err := decode(r, &c); err != nil {
		return 0, nil, err
	}
	res, err := s.store.CompleteActivity(r.Context(), id, c, s.opts.Cadence)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, res, nil
}
