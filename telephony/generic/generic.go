// Package generic is Leadd's own call-event format, for a company's PBX
// script or an integrator: one JSON object per event, signed with an
// HMAC-SHA256 of the raw body in X-Signature: sha256=<hex>.
package generic

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/telephony"
)

// Provider verifies and parses generic call events.
type Provider struct {
	Secret string
}

var _ telephony.Provider = Provider{}

// Event is the generic JSON format. What integrators send beyond it is
// ignored; call_id may be a number, duration a string of digits,
// direction "in"/"out" or "inbound"/"outbound".
type Event struct {
	CallID       string    `json:"call_id"`
	Direction    string    `json:"direction"`
	From         string    `json:"from"`
	To           string    `json:"to"`
	Extension    string    `json:"extension"`
	State        string    `json:"state"`
	Duration     int       `json:"duration"`
	Disposition  string    `json:"disposition"`
	RecordingURL string    `json:"recording_url"`
	CallerName   string    `json:"caller_name"`
	At           time.Time `json:"at"`
}

// UnmarshalJSON reads an event as integrators write it: call_id and
// extension as strings or numbers, duration as a number or digits.
func (e *Event) UnmarshalJSON(b []byte) error {
	type plain Event
	var w struct {
		plain
		CallID    flexString `json:"call_id"`
		Extension flexString `json:"extension"`
		Duration  flexInt    `json:"duration"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*e = Event(w.plain)
	e.CallID, e.Extension, e.Duration = string(w.CallID), string(w.Extension), int(w.Duration)
	return nil
}

// flexString is a JSON string or number, kept as its text.
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*f = flexString(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("want a string or a number, not %s", b)
	}
	*f = flexString(n.String())
	return nil
}

// flexInt is a JSON whole number or a string of digits ("15", "").
type flexInt int

func (f *flexInt) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	var s string
	if json.Unmarshal(b, &s) == nil {
		s = strings.TrimSpace(s)
		if s == "" {
			return nil
		}
		b = []byte(s)
	}
	n, err := strconv.ParseFloat(string(b), 64)
	if err != nil || n != float64(int(n)) {
		return fmt.Errorf("want a whole number of seconds, not %s", b)
	}
	*f = flexInt(n)
	return nil
}

// directions are the spellings of the two directions integrators use.
var directions = map[string]string{
	"in": "in", "inbound": "in", "incoming": "in", "входящий": "in",
	"out": "out", "outbound": "out", "outgoing": "out", "исходящий": "out",
}

// states and dispositions likewise.
var states = map[string]string{
	"ringing": telephony.Ringing, "ring": telephony.Ringing, "start": telephony.Ringing, "started": telephony.Ringing,
	"answered": telephony.Answered, "answer": telephony.Answered,
	"ended": telephony.Ended, "end": telephony.Ended, "hangup": telephony.Ended, "completed": telephony.Ended, "finished": telephony.Ended,
	"recording": telephony.Recording, "record": telephony.Recording,
}

var dispositions = map[string]string{
	"answered": "answered", "no_answer": "no_answer", "noanswer": "no_answer", "no-answer": "no_answer", "missed": "no_answer",
	"busy": "busy", "cancelled": "cancelled", "canceled": "cancelled", "failed": "failed", "unavailable": "failed",
	"voicemail": "voicemail",
}

// Sign returns the X-Signature value for body.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Parse verifies the signature and reads one event. Errors: EUNAUTHORIZED,
// EMALFORMED, EINVALID.
func (p Provider) Parse(r *http.Request, body []byte) ([]telephony.Call, error) {
	got := r.Header.Get("X-Signature")
	if got == "" {
		return nil, crm.Errorf(crm.EUNAUTHORIZED, "X-Signature is missing")
	}
	if !hmac.Equal([]byte(strings.ToLower(got)), []byte(Sign(p.Secret, body))) {
		return nil, crm.Errorf(crm.EUNAUTHORIZED, "X-Signature does not match the body")
	}
	var e Event
	if err := json.NewDecoder(bytes.NewReader(body)).Decode(&e); err != nil {
		return nil, &crm.Error{Code: crm.EMALFORMED, Message: "cannot read the event: " + err.Error()}
	}
	c := telephony.Call{ID: strings.TrimSpace(e.CallID), State: word(states, e.State), Direction: word(directions, e.Direction),
		From: e.From, To: e.To, Extension: e.Extension, Duration: e.Duration, Disposition: word(dispositions, e.Disposition),
		RecordingURL: e.RecordingURL, At: e.At, CallerName: e.CallerName}
	if c.State == telephony.Ended && c.Disposition == "" {
		return nil, crm.Invalid("disposition", "an ended call needs its disposition")
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return []telephony.Call{c}, nil
}

// word is the one spelling of v a table knows, or v itself.
func word(table map[string]string, v string) string {
	if w, ok := table[strings.ToLower(strings.TrimSpace(v))]; ok {
		return w
	}
	return v
}
