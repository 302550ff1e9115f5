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
	"net/http"
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

// Event is the generic JSON format.
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
	At           time.Time `json:"at"`
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
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		return nil, &crm.Error{Code: crm.EMALFORMED, Message: "cannot read the event: " + err.Error()}
	}
	c := telephony.Call{ID: e.CallID, State: e.State, Direction: e.Direction, From: e.From, To: e.To,
		Extension: e.Extension, Duration: e.Duration, Disposition: e.Disposition, RecordingURL: e.RecordingURL, At: e.At}
	if c.State == telephony.Ended && c.Disposition == "" {
		return nil, crm.Invalid("disposition", "an ended call needs its disposition")
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return []telephony.Call{c}, nil
}
