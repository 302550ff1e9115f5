// Package zadarma reads Zadarma's PBX call notifications: form POSTs of
// NOTIFY_START, NOTIFY_ANSWER, NOTIFY_END, NOTIFY_OUT_START,
// NOTIFY_OUT_END and NOTIFY_RECORD, and the zd_echo URL check.
//
// Format and signature: https://zadarma.com/en/support/api/#api_webhooks
// ("Call notification system - webhook") and the official PHP library
// (github.com/zadarma/user-api-v1, lib/Webhook/*.php, Client::encodeSignature).
// The Signature header is base64(hash_hmac('sha1', fields, secret)); PHP's
// hash_hmac returns lowercase hex by default, so what is base64-encoded is
// the 40-character hex digest, not the raw 20 bytes. The signed fields
// differ per event:
//
//	NOTIFY_START, NOTIFY_INTERNAL, NOTIFY_END, NOTIFY_IVR: caller_id + called_did + call_start
//	NOTIFY_ANSWER:                                        caller_id + destination + call_start
//	NOTIFY_OUT_START, NOTIFY_OUT_END:                     internal + destination + call_start
//	NOTIFY_RECORD:                                        pbx_call_id + call_id_with_rec
package zadarma

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/telephony"
)

// Provider verifies and parses Zadarma notifications.
type Provider struct {
	Key    string // the API user key; webhooks are signed with the secret alone
	Secret string // the API secret that signs every notification
	// Location is the account's time zone (Settings, or /v1/info/timezone):
	// call_start is local time without an offset. Nil leaves Call.At zero,
	// so the event is dated when it arrives rather than hours off.
	Location *time.Location
	// API is Zadarma's API base (DefaultAPI when empty); recordings are
	// fetched through it with Key and Secret.
	API string
	// HTTP is the client for the API and the downloads (a default one
	// when nil).
	HTTP *http.Client
}

var (
	_ telephony.Provider = Provider{}
	_ telephony.Answerer = Provider{}
)

// callStartLayout is how call_start reads ("2015-06-01 15:04:00").
const callStartLayout = "2006-01-02 15:04:05"

// Sign returns the Signature header value for the signed fields of an
// event, concatenated in the documented order.
func Sign(secret string, fields ...string) string {
	m := hmac.New(sha1.New, []byte(secret))
	m.Write([]byte(strings.Join(fields, "")))
	return base64.StdEncoding.EncodeToString([]byte(hex.EncodeToString(m.Sum(nil))))
}

// signed names the fields each event signs, in order.
var signed = map[string][]string{
	"NOTIFY_START":     {"caller_id", "called_did", "call_start"},
	"NOTIFY_INTERNAL":  {"caller_id", "called_did", "call_start"},
	"NOTIFY_END":       {"caller_id", "called_did", "call_start"},
	"NOTIFY_IVR":       {"caller_id", "called_did", "call_start"},
	"NOTIFY_ANSWER":    {"caller_id", "destination", "call_start"},
	"NOTIFY_OUT_START": {"internal", "destination", "call_start"},
	"NOTIFY_OUT_END":   {"internal", "destination", "call_start"},
	"NOTIFY_RECORD":    {"pbx_call_id", "call_id_with_rec"},
}

// Parse verifies the Signature header and reads one notification. A
// zd_echo URL check and events that are not about a client's call
// (NOTIFY_INTERNAL, NOTIFY_IVR, others) give no calls. Errors:
// EUNAUTHORIZED for a missing or wrong signature, EMALFORMED for a
// well-signed notification that cannot be read.
func (p Provider) Parse(r *http.Request, body []byte) ([]telephony.Call, error) {
	if r.URL.Query().Get("zd_echo") != "" {
		return nil, nil // Answer echoes it; nothing to verify or store
	}
	if p.Secret == "" {
		return nil, crm.Errorf(crm.EUNAUTHORIZED, "no Zadarma API secret is configured to verify the signature")
	}
	got := r.Header.Get("Signature")
	if got == "" {
		return nil, crm.Errorf(crm.EUNAUTHORIZED, "the Signature header is missing")
	}
	f, formErr := url.ParseQuery(string(body))
	event := f.Get("event")
	names, known := signed[event]
	if !known {
		return []telephony.Call{}, nil // not a call notification we read, and no way to verify it
	}
	vals := make([]string, len(names))
	for i, n := range names {
		vals[i] = f.Get(n)
	}
	if !hmac.Equal([]byte(got), []byte(Sign(p.Secret, vals...))) {
		return nil, crm.Errorf(crm.EUNAUTHORIZED, "the Signature header does not match the %s notification", event)
	}
	if formErr != nil {
		return nil, &crm.Error{Code: crm.EMALFORMED, Message: "the body is not a readable form: " + formErr.Error()}
	}
	c, ok, err := p.call(event, f)
	if err != nil || !ok {
		return nil, err
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return []telephony.Call{c}, nil
}

// Answer answers the zd_echo URL check with the echo, as plain text.
func (Provider) Answer(w http.ResponseWriter, r *http.Request, _ []telephony.Call) bool {
	echo := r.URL.Query().Get("zd_echo")
	if echo == "" {
		return false
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(echo))
	return true
}

// call maps a verified notification; ok is false for events that are not
// a state of a client's call.
func (p Provider) call(event string, f url.Values) (telephony.Call, bool, error) {
	c := telephony.Call{ID: f.Get("pbx_call_id")}
	if c.ID == "" {
		return c, false, malformed("pbx_call_id", "is missing")
	}
	switch event {
	case "NOTIFY_START":
		c.State, c.Direction, c.From, c.To = telephony.Ringing, "in", f.Get("caller_id"), f.Get("called_did")
	case "NOTIFY_ANSWER":
		// destination is where the PBX put the call through (an extension,
		// a forwarding number), never the line the client dialled: that
		// is NOTIFY_START's called_did, whichever arrives first.
		c.State, c.Direction, c.From = telephony.Answered, "in", f.Get("caller_id")
		c.Extension = first(f.Get("internal"), f.Get("destination"))
	case "NOTIFY_END":
		c.State, c.Direction, c.From, c.To = telephony.Ended, "in", f.Get("caller_id"), f.Get("called_did")
		c.Extension = first(f.Get("last_internal"), f.Get("internal"))
	case "NOTIFY_OUT_START", "NOTIFY_OUT_END":
		c.State, c.Direction, c.To, c.Extension = telephony.Ringing, "out", f.Get("destination"), f.Get("internal")
		// caller_id is the line's number; "0" when the extension has none.
		if id := f.Get("caller_id"); id != "" && id != "0" {
			c.From = id
		} else {
			c.From = c.Extension
		}
		if event == "NOTIFY_OUT_END" {
			c.State = telephony.Ended
		}
	case "NOTIFY_RECORD":
		return p.record(c, f)
	default:
		return c, false, nil
	}
	if c.State == telephony.Ended {
		if err := ending(&c, f); err != nil {
			return c, false, err
		}
	}
	if err := p.dated(&c, f); err != nil {
		return c, false, err
	}
	return c, true, nil
}

// ending reads the disposition and duration of an ended call.
func ending(c *telephony.Call, f url.Values) error {
	d, ok := dispositions[f.Get("disposition")]
	switch {
	case f.Get("disposition") == "":
		return malformed("disposition", "is missing")
	case !ok:
		d = "failed" // the limit and billing refusals, and any added later
	}
	c.Disposition = d
	if s := f.Get("duration"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return malformed("duration", "must be whole seconds, not %q", s)
		}
		c.Duration = n
	}
	if d != "answered" {
		c.Duration = 0 // ringing time is not conversation
	}
	return nil
}

// dispositions maps Zadarma's call statuses onto ours; the rest
// ("no money", "unallocated number", "no limit", "no day limit",
// "line limit", "no money, no limit") are failures.
var dispositions = map[string]string{
	"answered":  "answered",
	"busy":      "busy",
	"cancel":    "cancelled",
	"no answer": "no_answer",
	"failed":    "failed",
}

// dated dates start notifications by call_start. End notifications
// carry the same call_start, not when the call ended, so they keep the
// zero time: they arrive as the call ends.
func (p Provider) dated(c *telephony.Call, f url.Values) error {
	s := f.Get("call_start")
	if s == "" {
		return malformed("call_start", "is missing")
	}
	t, err := time.ParseInLocation(callStartLayout, s, time.UTC)
	if err != nil {
		return malformed("call_start", "must read YYYY-MM-DD hh:mm:ss, not %q", s)
	}
	if p.Location != nil && c.State == telephony.Ringing {
		c.At = time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), 0, p.Location).UTC()
	}
	return nil
}

// record maps NOTIFY_RECORD, sent when the recording can be downloaded.
// Zadarma sends no link: the reference is the documented API request
// that returns one (GET /v1/pbx/record/request/, signed with the API
// key); Recording makes it when a manager listens.
// The notification carries no numbers and no direction; the pbx_call_id
// prefix ("in_", "out_", as Zadarma's statistics show it) gives the
// direction, and in is assumed otherwise.
func (p Provider) record(c telephony.Call, f url.Values) (telephony.Call, bool, error) {
	rec := f.Get("call_id_with_rec")
	if rec == "" {
		return c, false, malformed("call_id_with_rec", "is missing")
	}
	c.State, c.Direction = telephony.Recording, "in"
	if strings.HasPrefix(c.ID, "out_") {
		c.Direction = "out"
	}
	q := url.Values{"call_id": {rec}, "pbx_call_id": {c.ID}}
	c.RecordingURL = "https://api.zadarma.com/v1/pbx/record/request/?" + q.Encode()
	return c, true, nil
}

func malformed(field, format string, args ...any) error {
	e := crm.Errorf(crm.EMALFORMED, format, args...)
	e.Field = field
	return e
}

func first(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
