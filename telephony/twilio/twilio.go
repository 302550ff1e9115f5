// Package twilio reads Twilio Programmable Voice callbacks: the call
// status callbacks (StatusCallback / StatusCallbackEvent) and the
// recording status callbacks (RecordingStatusCallback), form POSTs signed
// in the X-Twilio-Signature header.
//
// Signature: https://www.twilio.com/docs/usage/webhooks/webhooks-security
// — base64(HMAC-SHA1(auth token, the full URL Twilio requested + each POST
// parameter, sorted by name, as name followed by value, no separators)).
// Twilio's own validators also try the URL with and without the default
// port, since Twilio is not consistent about it
// (github.com/twilio/twilio-go, client/request_validator.go); so does this.
// Parameters: https://www.twilio.com/docs/voice/api/call-resource
// ("StatusCallbackEvent", "RecordingStatusCallback").
package twilio

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"net/http"
	"net/mail"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/telephony"
)

// Provider verifies and parses Twilio voice callbacks.
type Provider struct {
	AuthToken string // the account's auth token, the signing key
	// PublicURL is the daemon's public base URL ("https://crm.example.com"):
	// Leadd sits behind a proxy, and Twilio signs the URL it called, so the
	// signed URL is PublicURL + the request's path and query.
	PublicURL string
}

var (
	_ telephony.Provider = Provider{}
	_ telephony.Answerer = Provider{}
)

// Sign returns the X-Twilio-Signature of a request to fullURL with the
// given POST parameters (nil for a GET, whose parameters are in the URL).
func Sign(authToken, fullURL string, params url.Values) string {
	names := make([]string, 0, len(params))
	for k := range params {
		names = append(names, k)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString(fullURL)
	for _, k := range names {
		vals := append([]string(nil), params[k]...)
		sort.Strings(vals)
		for _, v := range vals {
			b.WriteString(k)
			b.WriteString(v)
		}
	}
	m := hmac.New(sha1.New, []byte(authToken))
	m.Write([]byte(b.String()))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// Parse verifies X-Twilio-Signature and reads one callback. A status
// callback gives one call (completed with a RecordingUrl also gives the
// recording); a recording callback gives the recording once it is
// completed. queued, and recordings in progress or absent, give none.
// Errors: EUNAUTHORIZED for a missing or wrong signature, EMALFORMED for a
// well-signed callback that cannot be read.
func (p Provider) Parse(r *http.Request, body []byte) ([]telephony.Call, error) {
	if p.AuthToken == "" || p.PublicURL == "" {
		return nil, crm.Errorf(crm.EUNAUTHORIZED, "no Twilio auth token and public URL are configured to verify the signature")
	}
	got := r.Header.Get("X-Twilio-Signature")
	if got == "" {
		return nil, crm.Errorf(crm.EUNAUTHORIZED, "the X-Twilio-Signature header is missing")
	}
	full := strings.TrimSuffix(p.PublicURL, "/") + r.URL.RequestURI()
	var (
		signed, f url.Values // what the signature covers; the callback's fields
		formErr   error
	)
	if r.Method == http.MethodGet {
		f = r.URL.Query()
	} else {
		signed, formErr = url.ParseQuery(string(body))
		f = signed
	}
	if !p.verify(got, full, signed) {
		return nil, crm.Errorf(crm.EUNAUTHORIZED, "X-Twilio-Signature does not match the request to %s", full)
	}
	if formErr != nil {
		return nil, &crm.Error{Code: crm.EMALFORMED, Message: "the body is not a readable form: " + formErr.Error()}
	}
	calls, err := read(f)
	if err != nil {
		return nil, err
	}
	for _, c := range calls {
		if err := c.Validate(); err != nil {
			return nil, err
		}
	}
	return calls, nil
}

// verify checks the signature against the URL as configured, and with the
// default port added or removed.
func (p Provider) verify(got, full string, params url.Values) bool {
	urls := []string{full}
	if u, err := url.Parse(full); err == nil {
		port := map[string]string{"https": "443", "http": "80"}[u.Scheme]
		switch {
		case u.Port() == "" && port != "":
			u.Host += ":" + port
			urls = append(urls, u.String())
		case u.Port() != "" && u.Port() == port:
			u.Host = u.Hostname()
			urls = append(urls, u.String())
		}
	}
	for _, s := range urls {
		if hmac.Equal([]byte(got), []byte(Sign(p.AuthToken, s, params))) {
			return true
		}
	}
	return false
}

// Answer replies with an empty TwiML document to every callback that was
// read (calls non-nil, possibly empty): Twilio wants TwiML from a voice
// URL and ignores the body of a status callback. A rejected callback
// (calls nil) is left to the handler's error reply, which shows in
// Twilio's debugger.
func (Provider) Answer(w http.ResponseWriter, _ *http.Request, calls []telephony.Call) bool {
	if calls == nil {
		return false
	}
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?><Response/>`))
	return true
}

// read maps a verified callback.
//
// With TwiML's <Dial>, Twilio answers the caller's call itself (the parent
// goes in-progress while the manager's phone still rings), dials the
// manager as a child leg (Direction outbound-dial, ParentCallSid), and
// posts the outcome to the <Dial action> URL (DialCallStatus). So an
// inbound call is answered only when a child leg is in-progress or the
// Dial action says completed; the parent's own in-progress and completed
// say only that it rang and ended. A child leg is an event of its parent
// call and never names a client: its To is the manager's own phone.
func read(f url.Values) ([]telephony.Call, error) {
	c := telephony.Call{ID: f.Get("CallSid"), From: f.Get("From"), To: f.Get("To")}
	if c.ID == "" {
		return nil, malformed("CallSid", "is missing")
	}
	if s := f.Get("Timestamp"); s != "" {
		t, err := mail.ParseDate(s)
		if err != nil {
			return nil, malformed("Timestamp", "must be an RFC 2822 date, not %q", s)
		}
		c.At = t.UTC()
	}
	status := f.Get("CallStatus")
	if _, ok := f["RecordingStatus"]; ok || (status == "" && f.Get("RecordingUrl") != "") {
		return recording(c, f)
	}
	switch f.Get("Direction") {
	case "inbound":
		c.Direction = "in"
	case "outbound-api", "outbound-dial":
		c.Direction = "out"
	default:
		return nil, malformed("Direction", "must be inbound, outbound-api or outbound-dial, not %q", f.Get("Direction"))
	}
	if _, ok := f["DialCallStatus"]; ok {
		return dialAction(c, f)
	}
	if parent := f.Get("ParentCallSid"); f.Get("Direction") == "outbound-dial" && parent != "" {
		return childLeg(c, parent, status, f)
	}
	switch status {
	case "queued":
		return []telephony.Call{}, nil
	case "initiated", "ringing":
		c.State = telephony.Ringing
	case "in-progress":
		c.State = telephony.Answered
		if c.Direction == "in" {
			// Twilio answered to run the TwiML (an IVR, a <Dial>): the
			// caller still waits for a person.
			c.State = telephony.Ringing
		}
	case "completed", "busy", "no-answer", "canceled", "failed":
		c.State, c.Disposition = telephony.Ended, dispositions[status]
	case "":
		return nil, malformed("CallStatus", "is missing")
	default:
		return nil, malformed("CallStatus", "%q is not a call status", status)
	}
	if status != "completed" {
		return []telephony.Call{c}, nil
	}
	n, err := seconds(f, "CallDuration")
	if err != nil {
		return nil, err
	}
	if c.Direction == "in" {
		// Completed is the end of the call, not a conversation: whether a
		// person answered, and for how long they talked, the <Dial> says.
		c.Disposition = "no_answer"
	} else {
		c.Duration = n
	}
	calls := []telephony.Call{c}
	// With Record=true the completed callback carries the recording too.
	if u := f.Get("RecordingUrl"); u != "" {
		rec := c
		rec.State, rec.Duration, rec.Disposition, rec.RecordingURL = telephony.Recording, 0, "", u
		calls = append(calls, rec)
	}
	return calls, nil
}

// dialAction maps the <Dial action> callback: the parent call's fields
// and the outcome of the dial. Answered (completed, or answered for a
// <Dial> to a SIP or client) is a person on the line for DialCallDuration
// seconds; anything else ended the ringing unanswered.
func dialAction(c telephony.Call, f url.Values) ([]telephony.Call, error) {
	c.Leg = "dial:" + f.Get("DialCallSid")
	switch st := f.Get("DialCallStatus"); st {
	case "completed", "answered":
		n, err := seconds(f, "DialCallDuration")
		if err != nil {
			return nil, err
		}
		c.State, c.Duration = telephony.Answered, n
	case "busy", "no-answer", "canceled", "failed":
		c.State, c.Disposition = telephony.Ended, dispositions[st]
	default:
		return nil, malformed("DialCallStatus", "%q is not a dial status", st)
	}
	return []telephony.Call{c}, nil
}

// childLeg maps a status callback of a <Dial> leg as an event of its
// parent call: in-progress is the manager answering, completed gives how
// long they talked; the leg's ringing and failures add nothing (the Dial
// action and the parent tell them).
func childLeg(c telephony.Call, parent, status string, f url.Values) ([]telephony.Call, error) {
	leg := telephony.Call{ID: parent, Direction: "in", Extension: c.To, At: c.At, Follows: true, Leg: c.ID}
	switch status {
	case "in-progress":
		leg.State = telephony.Answered
	case "completed":
		n, err := seconds(f, "CallDuration")
		if err != nil {
			return nil, err
		}
		leg.State, leg.Duration, leg.Leg = telephony.Answered, n, c.ID+":completed"
	case "queued", "initiated", "ringing", "busy", "no-answer", "canceled", "failed":
		return []telephony.Call{}, nil
	case "":
		return nil, malformed("CallStatus", "is missing")
	default:
		return nil, malformed("CallStatus", "%q is not a call status", status)
	}
	return []telephony.Call{leg}, nil
}

// seconds reads a duration field: whole seconds, absent is 0.
func seconds(f url.Values, name string) (int, error) {
	s := f.Get(name)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, malformed(name, "must be whole seconds, not %q", s)
	}
	return n, nil
}

// dispositions maps the final call statuses onto ours.
var dispositions = map[string]string{
	"completed": "answered",
	"busy":      "busy",
	"no-answer": "no_answer",
	"canceled":  "cancelled",
	"failed":    "failed",
}

// recording maps a recording status callback, which carries the call's
// sid but no numbers and no direction: in is assumed unless the callback
// says otherwise, and the call's id ties it to the call.
func recording(c telephony.Call, f url.Values) ([]telephony.Call, error) {
	if s := f.Get("RecordingStatus"); s != "" && s != "completed" {
		return []telephony.Call{}, nil // in-progress, absent
	}
	c.State, c.Direction, c.RecordingURL = telephony.Recording, "in", f.Get("RecordingUrl")
	if strings.HasPrefix(f.Get("Direction"), "outbound") {
		c.Direction = "out"
	}
	if c.RecordingURL == "" {
		return nil, malformed("RecordingUrl", "is missing")
	}
	return []telephony.Call{c}, nil
}

func malformed(field, format string, args ...any) error {
	e := crm.Errorf(crm.EMALFORMED, format, args...)
	e.Field = field
	return e
}
