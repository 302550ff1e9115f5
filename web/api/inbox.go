package api

import (
	"net/http"
	"strconv"

	"github.com/leadd/leadd/crm"
)

// listFailedEvents is GET /api/v1/inbox/failed: inbound events that still
// failed after their retries, newest first, for admins and supervisors.
func (s *Server) listFailedEvents(r *http.Request, p Principal) (int, any, error) {
	if p.Role != RoleAdmin && p.Role != RoleSupervisor {
		return 0, nil, crm.Errorf(crm.EFORBIDDEN, "only an admin or a supervisor sees failed events")
	}
	q := r.URL.Query()
	limit := 0
	if v := q.Get("limit"); v != "" {
		var err error
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 {
			return 0, nil, crm.Invalid("limit", "must be a positive number, at most %d", crm.MaxPage)
		}
	}
	events, next, err := s.store.FailedEvents(r.Context(), q.Get("cursor"), limit)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, newPage(events, next), nil
}

// retryEvent is POST /api/v1/inbox/{id}/retry: a failed event goes back
// to be processed at once. Admins and supervisors.
func (s *Server) retryEvent(r *http.Request, p Principal) (int, any, error) {
	if p.Role != RoleAdmin && p.Role != RoleSupervisor {
		return 0, nil, crm.Errorf(crm.EFORBIDDEN, "only an admin or a supervisor retries events")
	}
	e, err := s.store.RetryEvent(r.Context(), r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusAccepted, e, nil
}
