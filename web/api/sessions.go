package api

import (
	"net/http"

	"github.com/leadd/leadd/crm"
)

// loginLink makes a one-time console login link for a manager: an admin or
// a supervisor for anyone, a manager for themself.
func (s *Server) loginLink(r *http.Request, p Principal) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	if p.Role == RoleManager && (p.ManagerID == nil || *p.ManagerID != id) {
		return 0, nil, crm.Errorf(crm.EFORBIDDEN, "a manager asks for a login link for themself only")
	}
	code, err := s.store.CreateLoginCode(r.Context(), id, s.opts.LoginLinkTTL)
	if err != nil {
		return 0, nil, err
	}
	ttl := s.opts.LoginLinkTTL
	if ttl <= 0 {
		ttl = crm.LoginLinkTTL
	}
	s.log.Info("console login link made", "manager_id", id, "by", p.Name)
	return http.StatusCreated, map[string]any{"url": "/login/" + code, "expires_in": int(ttl.Seconds())}, nil
}

// endSessions signs a manager out of the console everywhere (admins only).
func (s *Server) endSessions(r *http.Request, p Principal) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	if p.Role != RoleAdmin {
		return 0, nil, crm.Errorf(crm.EFORBIDDEN, "only an admin ends a manager's sessions")
	}
	n, err := s.store.EndManagerSessions(r.Context(), id)
	if err != nil {
		return 0, nil, err
	}
	s.log.Info("console sessions ended", "manager_id", id, "count", n, "by", p.Name)
	return http.StatusOK, map[string]any{"manager_id": id, "ended": n}, nil
}

// PrincipalOf returns who an API token acts as. Errors: EUNAUTHORIZED for
// an unknown token.
func (s *Server) PrincipalOf(token string) (Principal, error) {
	r, _ := http.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "Bearer "+token)
	return s.auth.principal(r)
}
