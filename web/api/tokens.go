package api

import (
	"net/http"

	"github.com/leadd/leadd/crm"
)

// adminTokens refuses everyone but an admin: tokens are keys to everything.
func adminTokens(p Principal, what string) error {
	if p.Role != RoleAdmin {
		return crm.Errorf(crm.EFORBIDDEN, "only an admin %s", what)
	}
	return nil
}

func (s *Server) createToken(r *http.Request, p Principal) (int, any, error) {
	if err := adminTokens(p, "makes tokens"); err != nil {
		return 0, nil, err
	}
	var in crm.TokenInput
	if err := decode(r, &in); err != nil {
		return 0, nil, err
	}
	t, err := s.store.CreateToken(r.Context(), in, p.Name)
	if err != nil {
		return 0, nil, err
	}
	s.log.Info("token made", "token_id", t.ID, "name", t.Name, "role", t.Role, "by", p.Name)
	return http.StatusCreated, t, nil
}

func (s *Server) listTokens(r *http.Request, p Principal) (int, any, error) {
	if err := adminTokens(p, "lists tokens"); err != nil {
		return 0, nil, err
	}
	list, err := s.store.Tokens(r.Context())
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, newPage(list, ""), nil
}

func (s *Server) revokeToken(r *http.Request, p Principal) (int, any, error) {
	if err := adminTokens(p, "revokes tokens"); err != nil {
		return 0, nil, err
	}
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	t, err := s.store.RevokeToken(r.Context(), id)
	if err != nil {
		return 0, nil, err
	}
	s.auth.forget(id)
	s.log.Info("token revoked", "token_id", t.ID, "name", t.Name, "by", p.Name)
	return http.StatusOK, t, nil
}
