package api

import (
	"bytes"
	"io"
	"net/http"
	"strings"

	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/crm/documents"
)

// requisitesLookup asks to fill a company from the registry; the INN is
// the company's own unless it has none.
type requisitesLookup struct {
	INN string `json:"inn"`
}

// lookupAnswer is the company after a lookup, what changed and what the
// registry says (the manager sees where it disagrees with what they typed).
type lookupAnswer struct {
	crm.Filled
	Registry crm.Party `json:"registry"`
}

// lookupRequisites fills a company's empty requisites from the registry by
// INN. The INN's control digits are checked first (422 naming inn); with
// the registry off or failing (503 unavailable) or not knowing the INN
// (404 not_found) nothing is changed. A field the manager typed is never
// overwritten.
func (s *Server) lookupRequisites(r *http.Request, p Principal) (int, any, error) {
	c, err := s.company(r, p)
	if err != nil {
		return 0, nil, err
	}
	var in requisitesLookup
	b, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return 0, nil, &crm.Error{Code: crm.EMALFORMED, Message: "cannot read the body: " + err.Error()}
	}
	if len(bytes.TrimSpace(b)) > 0 { // the body is optional
		if err := strictUnmarshal(b, &in); err != nil {
			return 0, nil, err
		}
	}
	if err := s.allowReach(r, p, crm.Reach{Field: "inn", INNs: nonEmpty(strings.TrimSpace(in.INN))}); err != nil {
		return 0, nil, err
	}
	inn, own := strings.TrimSpace(in.INN), ""
	if c.INN != nil {
		own = *c.INN
	}
	switch {
	case inn == "" && own == "":
		return 0, nil, crm.Invalid("inn", "company %d has no INN: send the one to look up", c.ID)
	case inn == "":
		inn = own
	case own != "" && inn != own:
		return 0, nil, crm.Invalid("inn", "company %d has INN %s; a lookup is by it, not by %s", c.ID, own, inn)
	}
	if err := documents.CheckINN(inn); err != nil {
		return 0, nil, err
	}
	if s.opts.Registry == nil {
		return 0, nil, crm.Errorf(crm.EUNAVAILABLE, "the requisites lookup is off: set registry.url and registry.token in the configuration; nothing was changed")
	}
	party, err := s.opts.Registry.FindParty(r.Context(), inn)
	if err != nil {
		if crm.ErrorCode(err) == crm.EUNAVAILABLE {
			s.log.Warn("requisites lookup failed", "company_id", c.ID, "inn", inn, "err", err)
		}
		return 0, nil, err
	}
	filled, err := s.store.FillCompany(r.Context(), c.ID, party)
	if err != nil {
		return 0, nil, err
	}
	s.log.Info("requisites looked up", "company_id", c.ID, "inn", inn, "changed", filled.Changed)
	return http.StatusOK, lookupAnswer{Filled: filled, Registry: party}, nil
}

// nonEmpty is a list of s, or none when s is empty.
func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}
