package api

import (
	"net/http"

	"github.com/leadd/leadd/crm"
)

// recordOf checks the principal may see the path's record of a kind and
// returns its id.
func (s *Server) recordOf(r *http.Request, p Principal, kind string) (int64, error) {
	switch kind {
	case crm.RecordLead:
		l, err := s.lead(r, p)
		return l.ID, err
	case crm.RecordDeal:
		d, err := s.deal(r, p)
		return d.ID, err
	case crm.RecordContact:
		c, err := s.contact(r, p)
		return c.ID, err
	case crm.RecordCompany:
		c, err := s.company(r, p)
		return c.ID, err
	}
	return 0, crm.Errorf(crm.ENOTFOUND, "no such record kind %q", kind)
}

// addNoteTo answers POST /api/v1/{kind}s/{id}/notes.
func (s *Server) addNoteTo(kind string) handler {
	return func(r *http.Request, p Principal) (int, any, error) {
		id, err := s.recordOf(r, p, kind)
		if err != nil {
			return 0, nil, err
		}
		var body struct {
			Text string `json:"text"`
		}
		if err := decode(r, &body); err != nil {
			return 0, nil, err
		}
		n, err := s.store.AddNote(r.Context(), kind, id, body.Text, p.Actor())
		if err != nil {
			return 0, nil, err
		}
		return http.StatusCreated, n, nil
	}
}

// timelineOf answers GET /api/v1/{kind}s/{id}/timeline.
func (s *Server) timelineOf(kind string) handler {
	return func(r *http.Request, p Principal) (int, any, error) {
		id, err := s.recordOf(r, p, kind)
		if err != nil {
			return 0, nil, err
		}
		q := r.URL.Query()
		f := crm.TimelineFilter{Cursor: q.Get("cursor")}
		if f.Limit, err = limit(q.Get("limit")); err != nil {
			return 0, nil, err
		}
		items, next, err := s.store.Timeline(r.Context(), kind, id, f)
		if err != nil {
			return 0, nil, err
		}
		return http.StatusOK, newPage(items, next), nil
	}
}
