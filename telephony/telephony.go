// Package telephony turns PBX call events into ingest events: one
// Provider per PBX verifies the sender and parses its format into Calls;
// the Handler (HTTP hooks) and long-running clients (Asterisk AMI) hand
// them to Intake, which normalizes and stores them in the inbox.
package telephony

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/dedupe"
	"github.com/leadd/leadd/ingest"
	"github.com/leadd/leadd/web/clientip"
	"github.com/leadd/leadd/web/httperr"
)

// Call states: each is its own inbox event, and they fold into one touch.
const (
	Ringing   = "ringing"
	Answered  = "answered"
	Ended     = "ended"
	Recording = "recording"
)

// Call is one event of a call, as a provider reports it.
type Call struct {
	ID           string    // the provider's call id, the same for every event of the call
	State        string    // ringing, answered, ended, recording
	Direction    string    // in, out
	From, To     string    // as the provider gives them
	Extension    string    // the extension that answered or dialled
	Duration     int       // seconds of conversation
	Disposition  string    // answered, no_answer, busy, cancelled, failed, voicemail (ended)
	RecordingURL string    // recording
	At           time.Time // when it happened; zero: when it arrived
	CallerName   string    // the caller's name as the PBX knows it (caller ID name)
	// Follows marks an event that names only the call, not the client (a
	// leg to a manager's phone, a recording): it joins the touch the
	// call's other events made, and its missing number is not a hidden one.
	Follows bool
	// Leg tells apart events of one state from different legs of a call
	// (Twilio's <Dial> children): each is stored, not taken for a repeat.
	Leg string
}

// HiddenNumber is how a caller whose number is withheld reads to a manager.
const HiddenNumber = "номер скрыт"

// hidden reports whether a client number is a withheld one, in the ways
// PBXs write it.
func hidden(number string) bool {
	switch strings.ToLower(strings.Trim(strings.TrimSpace(number), "<>\"")) {
	case "", "anonymous", "unknown", "private", "restricted", "hidden", "withheld", "unavailable", "0", "+",
		"скрыт", "номер скрыт", "неизвестен":
		return true
	}
	return false
}

// Provider verifies and parses one PBX's webhook requests.
type Provider interface {
	// Parse verifies the request's signature and returns the call events
	// the body carries (none for events that are not about a call).
	// Errors: EUNAUTHORIZED for a missing or wrong signature, EMALFORMED
	// or EINVALID for a well-signed payload that cannot be read.
	Parse(r *http.Request, body []byte) ([]Call, error)
}

// Answerer is a Provider that answers some requests itself: URL checks
// (Zadarma's zd_echo) or a body the PBX expects back.
type Answerer interface {
	// Answer writes the response and reports true when r is such a
	// request; calls are the events already stored for it (may be nil).
	Answer(w http.ResponseWriter, r *http.Request, calls []Call) bool
}

// Validate checks a call before it is stored. Errors: EINVALID naming the field.
func (c *Call) Validate() error {
	switch {
	case strings.TrimSpace(c.ID) == "":
		return crm.Invalid("call_id", "is required")
	case c.State != Ringing && c.State != Answered && c.State != Ended && c.State != Recording:
		return crm.Invalid("state", "must be ringing, answered, ended or recording, not %q", c.State)
	case c.Direction != "in" && c.Direction != "out":
		return crm.Invalid("direction", "must be in or out, not %q", c.Direction)
	}
	switch c.Disposition {
	case "", "answered", "no_answer", "busy", "cancelled", "failed", "voicemail":
	default:
		return crm.Invalid("disposition", "must be answered, no_answer, busy, cancelled, failed or voicemail, not %q", c.Disposition)
	}
	if c.Duration < 0 {
		return crm.Invalid("duration", "must not be negative")
	}
	return nil
}

// Intake normalizes calls and stores them in the inbox.
type Intake struct {
	Inbox *ingest.Inbox
	Norm  dedupe.Normalizer
	Now   func() time.Time
}

// Accept stores one call event of provider and returns its inbox id and
// whether it was seen before. Errors: EINVALID for a call that fails
// Validate; the inbox's.
func (in *Intake) Accept(ctx context.Context, provider string, c Call) (string, bool, error) {
	ev, err := in.Event(provider, c)
	if err != nil {
		return "", false, err
	}
	return in.Inbox.Accept(ctx, ev, nil)
}

// Event is the inbox event one call event of provider becomes, normalized
// and made storable. Errors: EINVALID for a call that fails Validate.
func (in *Intake) Event(provider string, c Call) (*ingest.Event, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if crm.CheckText("call_id", c.ID, crm.MaxKey-16) != nil {
		// Every event of the call must still name the same call.
		sum := sha256.Sum256([]byte(c.ID))
		c.ID = "sha256:" + hex.EncodeToString(sum[:])
	}
	client, line := c.From, c.To
	if c.Direction == "out" {
		client, line = c.To, c.From
	}
	now := in.Now().UTC()
	at := c.At
	if at.IsZero() {
		at = now
	}
	touch := crm.Inbound{Channel: crm.ChannelCall, At: at.UTC(), Call: &crm.CallInfo{
		Provider: provider, ID: c.ID, State: c.State, Direction: c.Direction, Line: line, Extension: c.Extension,
		Duration: c.Duration, Disposition: c.Disposition, RecordingURL: c.RecordingURL,
	}}
	touch.Phones, touch.RawPhones = in.Norm.Phones(client)
	if e164, ok := in.Norm.Phone(line); ok {
		line = e164
	}
	touch.Source, touch.Call.Line = line, line
	if name := strings.TrimSpace(c.CallerName); name != "" && !hidden(name) && !strings.ContainsAny(name, "0123456789") {
		touch.Name = name
	}
	// A call event without the client's number is a withheld number,
	// except a recording: that names only the call and joins its touch
	// by the call id.
	if hidden(client) && c.State != Recording && !c.Follows {
		touch.Phones, touch.RawPhones = nil, nil
		touch.Call.Hidden = true
		if touch.Name == "" {
			touch.Name = HiddenNumber
		}
	}
	ev := &ingest.Event{ID: ingest.NewID(now), Source: "call:" + provider, ExternalID: c.ID + ":" + c.State, Touch: touch}
	if c.Leg != "" {
		ev.ExternalID += ":" + c.Leg
	}
	// A PBX sends what it sends, again and again: what Leadd cannot store
	// as given is made storable, and the event says so.
	ev.Clean()
	return ev, nil
}

// Handler serves POST /hooks/telephony/{provider}.
type Handler struct {
	providers map[string]Provider
	intake    *Intake
	log       *slog.Logger
	// Sources are each provider's allowed_sources: a request from another
	// address (clientip.Of: the peer, or behind http.trusted_proxies the
	// address they forwarded) is refused with 403 forbidden before it is
	// read.
	Sources map[string]Sources
}

// NewHandler serves the configured providers by name.
func NewHandler(providers map[string]Provider, intake *Intake, log *slog.Logger) *Handler {
	return &Handler{providers: providers, intake: intake, log: log}
}

// Register adds the telephony routes to mux.
func (h *Handler) Register(mux *http.ServeMux) {
	mux.HandleFunc("POST /hooks/telephony/{provider}", h.serve)
	mux.HandleFunc("POST /hooks/telephony/{provider}/{event...}", h.serve) // Mango: /events/call, /events/summary...
	mux.HandleFunc("GET /hooks/telephony/{provider}", h.serve)             // URL checks
}

// maxBody is the largest webhook accepted.
const maxBody = 256 << 10

func (h *Handler) serve(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	name := r.PathValue("provider")
	source := "call:" + name
	p, ok := h.providers[name]
	if !ok {
		source = "call:unknown"
	}
	result, err := h.accept(w, r, name, p, ok)
	if err != nil {
		result = "rejected_" + crm.ErrorCode(err)
		h.log.Warn("call event rejected", "provider", name, "code", crm.ErrorCode(err), "client", clientip.Of(r), "err", err)
		httperr.Write(w, r, h.log, err)
	}
	ingest.Accepted.WithLabelValues(source, result).Inc()
	ingest.AcceptSeconds.WithLabelValues(source).Observe(time.Since(start).Seconds())
}

func (h *Handler) accept(w http.ResponseWriter, r *http.Request, name string, p Provider, known bool) (string, error) {
	if !known {
		return "", crm.Errorf(crm.ENOTFOUND, "no telephony provider %q is configured", name)
	}
	if src := h.Sources[name]; len(src) > 0 {
		if a := clientip.Of(r); !src.Allows(a) {
			return "", crm.Errorf(crm.EFORBIDDEN, "requests from %s are not in telephony.%s.allowed_sources", a, name)
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return "", crm.Errorf(crm.ETOOLARGE, "the body is larger than %d bytes", maxBody)
		}
		return "", crm.Errorf(crm.EMALFORMED, "cannot read the body: %v", err)
	}
	calls, err := p.Parse(r, body)
	if err != nil {
		return "", malformed(err)
	}
	ids := make([]string, 0, len(calls))
	result := "accepted"
	for _, c := range calls {
		id, dup, err := h.intake.Accept(r.Context(), name, c)
		if err != nil {
			return "", malformed(err)
		}
		if dup {
			result = "duplicate"
		}
		ids = append(ids, id)
		h.log.Info("call event accepted", "provider", name, "call_id", c.ID, "state", c.State, "direction", c.Direction,
			"event_id", id, "duplicate", dup)
	}
	if a, ok := p.(Answerer); ok && a.Answer(w, r, calls) {
		return result, nil
	}
	if len(calls) == 0 {
		result = "ignored"
	}
	httperr.WriteJSON(w, http.StatusOK, map[string]any{"event_ids": ids})
	return result, nil
}

// malformed answers a signed payload we cannot use with 400 and the
// reason: the PBX, not a person, sent it.
func malformed(err error) error {
	var e *crm.Error
	if errors.As(err, &e) && e.Code == crm.EINVALID {
		m := *e
		m.Code = crm.EMALFORMED
		return &m
	}
	return err
}
