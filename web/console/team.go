package console

import (
	"net/http"
	"strconv"

	"github.com/leadd/leadd/crm"
)

// teamData is the team page for supervisors and admins.
type teamData struct {
	Managers []crm.Manager
	Sessions map[int64]int
	Queue    []crm.QueueLead
	Misses   []crm.QueueLead
}

func (s *Server) team(r *http.Request, v *viewer) (any, error) {
	if !v.P.SeesAll() {
		return nil, crm.Errorf(crm.EFORBIDDEN, "the team page is for supervisors")
	}
	ctx := r.Context()
	var d teamData
	var err error
	if d.Managers, err = s.store.Managers(ctx); err != nil {
		return nil, err
	}
	if d.Sessions, err = s.store.ManagerSessions(ctx); err != nil {
		return nil, err
	}
	if d.Queue, err = s.store.QueuedLeads(ctx, 50); err != nil {
		return nil, err
	}
	if d.Misses, err = s.store.SLAMisses(ctx, 50); err != nil {
		return nil, err
	}
	return d, nil
}

// endSessions signs a manager out everywhere (admins).
func (s *Server) endSessions(w http.ResponseWriter, r *http.Request, v *viewer) (string, error) {
	if v.P.Role != crm.RoleAdmin {
		return "", crm.Errorf(crm.EFORBIDDEN, "admins only")
	}
	id, err := pathID(r, "id")
	if err != nil {
		return "", err
	}
	n, err := s.store.EndManagerSessions(r.Context(), id)
	if err != nil {
		return "/team", err
	}
	s.flash(w, r, v.T("team.sessions_ended")+" "+strconv.Itoa(n), false)
	return "/team", nil
}

// setAway flips a manager's away switch: supervisors anyone's, a manager
// their own.
func (s *Server) setAway(w http.ResponseWriter, r *http.Request, v *viewer) (string, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return "", err
	}
	if err := s.store.Authorize(r.Context(), v.P, crm.Write, crm.Ref{Kind: crm.KindManager, ID: id}); err != nil {
		return "", err
	}
	away := r.PostFormValue("away") == "1"
	if _, err := s.store.UpdateManager(r.Context(), id, crm.ManagerPatch{Away: &away}); err != nil {
		return "/team", err
	}
	back := localPath(r.PostFormValue("back"))
	return back, nil
}
