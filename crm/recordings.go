package crm

import (
	"context"
)

// CallRecording is where a call's recording is kept: the provider and
// its reference (a link, or the provider's API request for one), and the
// record whose touch it is.
type CallRecording struct {
	TouchID  int64
	LeadID   *int64
	DealID   *int64
	Provider string
	Ref      string
}

// Refs are the records a principal must reach to hear the recording: the
// touch's lead or deal. A touch of neither (a queued or ignored call) is
// nobody's client yet: reaching it takes seeing everything.
func (c CallRecording) Refs() []Ref {
	switch {
	case c.LeadID != nil:
		return []Ref{Path(KindLead, *c.LeadID)}
	case c.DealID != nil:
		return []Ref{Path(KindDeal, *c.DealID)}
	}
	return nil
}

// CallRecording returns the recording of the call touch id. Errors:
// ENOTFOUND when there is no such touch or its call has no recording.
func (s *Store) CallRecording(ctx context.Context, id int64) (CallRecording, error) {
	c := CallRecording{TouchID: id}
	err := s.pool.QueryRow(ctx, `SELECT lead_id, deal_id, coalesce(data->'call'->>'provider', ''),
		coalesce(data->'call'->>'recording_url', '') FROM touches WHERE id = $1 AND channel = 'call'`, id).
		Scan(&c.LeadID, &c.DealID, &c.Provider, &c.Ref)
	if err != nil {
		return c, translate(err, "call touch")
	}
	if c.Ref == "" {
		return c, Errorf(ENOTFOUND, "call touch %d has no recording (yet: the PBX sends it once it is ready)", id)
	}
	return c, nil
}
