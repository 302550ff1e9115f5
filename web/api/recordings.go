package api

import (
	"fmt"
	"net/http"

	"github.com/leadd/leadd/crm"
)

// Recordings serves a call's recording: fetched from the PBX that keeps
// it (Zadarma, through its signed API) and streamed, or a redirect to a
// plain link (telephony.Recordings).
type Recordings interface {
	Serve(w http.ResponseWriter, r *http.Request, provider, ref, name string) error
}

// touchRecording streams the recording of a call touch to whoever may see
// its lead or deal: the link a manager opens, never the PBX's own.
func (s *Server) touchRecording(w http.ResponseWriter, r *http.Request) {
	if err := s.serveRecording(w, r); err != nil {
		WriteError(w, r, s.log, err)
	}
}

func (s *Server) serveRecording(w http.ResponseWriter, r *http.Request) error {
	p, err := s.principal(r)
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	rec, err := s.store.CallRecording(r.Context(), id)
	if err != nil {
		return err
	}
	// Whoever may read its lead or deal; a call of neither (queued,
	// ignored) only who sees everything.
	refs := rec.Refs()
	if refs == nil && !p.SeesAll() {
		return crm.Errorf(crm.EFORBIDDEN, "call %d is nobody's client yet", id)
	}
	if err := s.allow(r, p, refs...); err != nil {
		return err
	}
	if s.opts.Recordings == nil {
		return crm.Errorf(crm.ENOTFOUND, "no telephony provider is configured")
	}
	return s.opts.Recordings.Serve(w, r, rec.Provider, rec.Ref, fmt.Sprintf("call-%d.mp3", id))
}
