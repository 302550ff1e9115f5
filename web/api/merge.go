package api

import (
	"context"
	"net/http"

	"github.com/leadd/leadd/crm"
)

func (s *Server) mergeContacts(r *http.Request, p Principal) (int, any, error) {
	return s.merge(r, p, s.store.MergeContacts)
}

func (s *Server) mergeCompanies(r *http.Request, p Principal) (int, any, error) {
	return s.merge(r, p, s.store.MergeCompanies)
}

func (s *Server) mergeLeads(r *http.Request, p Principal) (int, any, error) {
	return s.merge(r, p, s.store.MergeLeads)
}

// merge merges the body's other_id into the path's record.
func (s *Server) merge(r *http.Request, p Principal, do func(context.Context, int64, int64, *int64) (crm.Merge, error)) (int, any, error) {
	if err := s.allow(r, p, crm.Ref{Kind: crm.KindMerge}); err != nil {
		return 0, nil, err
	}
	keep, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	var body struct {
		OtherID int64 `json:"other_id"`
	}
	if err := decode(r, &body); err != nil {
		return 0, nil, err
	}
	if body.OtherID <= 0 {
		return 0, nil, crm.Invalid("other_id", "is required")
	}
	m, err := do(r.Context(), keep, body.OtherID, p.ManagerID)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, m, nil
}

func (s *Server) undoMerge(r *http.Request, p Principal) (int, any, error) {
	if err := s.allow(r, p, crm.Ref{Kind: crm.KindMerge}); err != nil {
		return 0, nil, err
	}
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	m, err := s.store.UndoMerge(r.Context(), id)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, m, nil
}
