package api

import (
	"net/http"
	"time"

	"github.com/leadd/leadd/crm"
)

// telegramLink makes a one-time code the manager sends to the bot as
// /start <code> to link their chat.
func (s *Server) telegramLink(r *http.Request, p Principal) (int, any, error) {
	if !p.Supervises() {
		return 0, nil, crm.Errorf(crm.EFORBIDDEN, "only an admin or a supervisor links managers")
	}
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	code, err := s.store.CreateLinkCode(r.Context(), id)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, map[string]any{"code": code, "expires_at": time.Now().Add(crm.LinkCodeTTL).UTC()}, nil
}
