// Package mango reads the event callbacks of the MANGO OFFICE Virtual PBX
// API (API ВАТС): events/call, events/summary, events/recording and
// events/record/added, each a form POST of vpbx_api_key, sign and json.
//
// Format and signature: "API MANGO OFFICE" v1.9 (MangoOffice_VPBX_API_v1.9.pdf,
// linked from https://www.mango-office.ru/support/integratsiya-api/),
// §2.4.3 "О параметре sign": sign = sha256(vpbx_api_key + json +
// vpbx_api_salt), sent as lowercase hex, on requests in both directions;
// §3.1.2 events/call, §3.1.4 events/recording, §3.1.6 events/summary,
// §3.1.8 events/record/added, §3.5.3 the recording link, and the list of
// result codes for disconnect_reason.
//
// Every leg of a call (the IVR, the queue, each ringing employee) is a
// separate call_id; entry_id is the same for all of them (§3.1.2), so it
// is the call's id here. Each leg also sends its own Disconnected, and
// which one is last cannot be known from one request; an account may not
// send events/summary at all. So a Disconnected (but the voice menu's,
// which hands the call on) ends the call as far as it knows, kept apart
// per leg, and events/summary, "the finalizing event" of an entry
// (§3.1.6), adds the talk time; a later leg's Connected still makes the
// call answered.
package mango

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/telephony"
)

// Provider verifies and parses Virtual PBX events.
type Provider struct {
	APIKey  string // the PBX's unique code (vpbx_api_key)
	APISalt string // the signing key (vpbx_api_salt)
}

var _ telephony.Provider = Provider{}

// Sign returns the sign field for a json field, as the PBX computes it.
func Sign(apiKey, jsonField, apiSalt string) string {
	sum := sha256.Sum256([]byte(apiKey + jsonField + apiSalt))
	return hex.EncodeToString(sum[:])
}

// Parse verifies vpbx_api_key and sign and reads one event. Events that
// are not about a client's call (internal calls, Disconnected legs,
// OnHold, DTMF, SMS, recordings still in progress) give no calls.
// Errors: EUNAUTHORIZED for a missing or wrong key or sign, EMALFORMED for
// a well-signed event that cannot be read.
func (p Provider) Parse(r *http.Request, body []byte) ([]telephony.Call, error) {
	if p.APIKey == "" || p.APISalt == "" {
		return nil, crm.Errorf(crm.EUNAUTHORIZED, "no Mango API key and salt are configured to verify the sign")
	}
	f, formErr := url.ParseQuery(string(body))
	key, sign, js := f.Get("vpbx_api_key"), strings.ToLower(f.Get("sign")), f.Get("json")
	switch {
	case key == "" || sign == "":
		return nil, crm.Errorf(crm.EUNAUTHORIZED, "vpbx_api_key or sign is missing")
	case subtle.ConstantTimeCompare([]byte(key), []byte(p.APIKey)) != 1:
		return nil, crm.Errorf(crm.EUNAUTHORIZED, "vpbx_api_key is not this PBX's")
	case subtle.ConstantTimeCompare([]byte(sign), []byte(Sign(p.APIKey, js, p.APISalt))) != 1:
		return nil, crm.Errorf(crm.EUNAUTHORIZED, "sign does not match the json")
	case formErr != nil:
		return nil, &crm.Error{Code: crm.EMALFORMED, Message: "the body is not a readable form: " + formErr.Error()}
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal([]byte(js), &fields); err != nil {
		return nil, &crm.Error{Code: crm.EMALFORMED, Field: "json", Message: "is not a JSON object: " + err.Error()}
	}
	var (
		c   telephony.Call
		ok  bool
		err error
	)
	switch kind(r.URL.Path, fields) {
	case "call":
		c, ok, err = callEvent(js)
	case "summary":
		c, ok, err = summary(js)
	case "recording":
		c, ok, err = recording(js)
	case "record/added":
		c, ok, err = recordAdded(js)
	}
	if err != nil {
		return nil, err
	}
	if !ok {
		return []telephony.Call{}, nil
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return []telephony.Call{c}, nil
}

// kind names the event: by the path the PBX appends to the configured
// address (".../events/call"), or, when the hook is reached at its own
// address, by the fields only that event has.
func kind(path string, fields map[string]json.RawMessage) string {
	for _, k := range []string{"call", "summary", "recording", "record/added"} {
		if strings.HasSuffix(path, "/events/"+k) {
			return k
		}
	}
	if strings.Contains(path, "/events/") {
		return "" // dtmf, sms, record/tagged and the rest
	}
	has := func(k string) bool { _, ok := fields[k]; return ok }
	switch {
	case has("call_state"):
		return "call"
	case has("entry_result") || has("call_direction"):
		return "summary"
	case has("recording_state"):
		return "recording"
	case has("recording_id") && has("product_id"):
		return "record/added"
	}
	return ""
}

// party is one side of a call.
type party struct {
	Extension  scalar `json:"extension"`
	Number     scalar `json:"number"`
	LineNumber scalar `json:"line_number"`
}

// callEvent maps events/call: Appeared is ringing and Connected of an
// employee's leg is answered. Disconnected and OnHold give nothing (see
// the package doc), nor do calls between two employees.
func callEvent(js string) (telephony.Call, bool, error) {
	var e struct {
		EntryID   scalar `json:"entry_id"`
		Timestamp scalar `json:"timestamp"`
		CallID    scalar `json:"call_id"`
		CallState string `json:"call_state"`
		Location  string `json:"location"`
		From      party  `json:"from"`
		To        party  `json:"to"`
		Reason    scalar `json:"disconnect_reason"`
	}
	if err := decode(js, &e); err != nil {
		return telephony.Call{}, false, err
	}
	c := telephony.Call{ID: string(e.EntryID)}
	if c.ID == "" {
		return c, false, malformed("entry_id", "is missing")
	}
	at, err := e.Timestamp.time("timestamp")
	if err != nil {
		return c, false, err
	}
	c.At = at
	switch {
	case e.CallState == "Appeared":
		c.State = telephony.Ringing
	case e.CallState == "Connected" && e.Location == "abonent":
		c.State = telephony.Answered
	case e.CallState == "Disconnected" && e.Location != "ivr":
		reason, err := e.Reason.int("disconnect_reason")
		if err != nil {
			return c, false, err
		}
		c.State, c.Disposition, c.Leg = telephony.Ended, disposition(reason), "leg:"+string(e.CallID)
	case e.CallState == "":
		return c, false, malformed("call_state", "is missing")
	default:
		return c, false, nil
	}
	switch {
	case e.From.Extension != "" && e.To.Extension != "":
		return c, false, nil // between two employees
	case e.From.Extension != "":
		c.Direction, c.From, c.To, c.Extension = "out", first(e.From.Number, e.From.Extension), string(e.To.Number), string(e.From.Extension)
	default:
		c.Direction, c.From, c.To, c.Extension = "in", string(e.From.Number), first(e.To.LineNumber, e.To.Number), string(e.To.Extension)
	}
	return c, true, nil
}

// summary maps events/summary, sent once per entry when it is over.
func summary(js string) (telephony.Call, bool, error) {
	var e struct {
		EntryID          scalar `json:"entry_id"`
		CallDirection    scalar `json:"call_direction"`
		From             party  `json:"from"`
		To               party  `json:"to"`
		LineNumber       scalar `json:"line_number"`
		TalkTime         scalar `json:"talk_time"`
		EndTime          scalar `json:"end_time"`
		EntryResult      scalar `json:"entry_result"`
		DisconnectReason scalar `json:"disconnect_reason"`
	}
	if err := decode(js, &e); err != nil {
		return telephony.Call{}, false, err
	}
	c := telephony.Call{ID: string(e.EntryID), State: telephony.Ended}
	if c.ID == "" {
		return c, false, malformed("entry_id", "is missing")
	}
	line := first(e.LineNumber, e.To.LineNumber)
	switch e.CallDirection {
	case "1":
		c.Direction, c.From, c.To, c.Extension = "in", string(e.From.Number), line, string(e.To.Extension)
	case "2":
		c.Direction, c.From, c.To, c.Extension = "out", first(scalar(line), e.From.Number), string(e.To.Number), string(e.From.Extension)
	case "0":
		return c, false, nil // between two employees
	default:
		return c, false, malformed("call_direction", "must be 0, 1 or 2, not %q", e.CallDirection)
	}
	talk, err := e.TalkTime.int("talk_time")
	if err != nil {
		return c, false, err
	}
	end, err := e.EndTime.int("end_time")
	if err != nil {
		return c, false, err
	}
	result, err := e.EntryResult.int("entry_result")
	if err != nil {
		return c, false, err
	}
	reason, err := e.DisconnectReason.int("disconnect_reason")
	if err != nil {
		return c, false, err
	}
	// entry_result is 1 also for a call that only reached the voice menu
	// (the document's own example 2, talk_time 0): a person answered only
	// when talk_time is set.
	if result == 1 && talk > 0 {
		c.Disposition = "answered"
		if end > talk {
			c.Duration = int(end - talk)
		}
	} else {
		c.Disposition = disposition(reason)
	}
	if end > 0 {
		c.At = time.Unix(end, 0).UTC()
	}
	return c, true, nil
}

// disposition reads why a call nobody answered ended, by the classes of
// the result codes ("Список кодов результатов").
func disposition(reason int64) string {
	switch {
	case reason >= 1121 && reason <= 1124: // busy, rejected, do not disturb
		return "busy"
	case reason == 1110 || reason/10 == 118: // the caller hung up; ended by a command
		return "cancelled"
	case reason/10 == 131: // an answering machine or voicemail answered
		return "voicemail"
	case reason/10 >= 113 && reason/10 <= 115, reason/100 == 12, reason >= 2000:
		return "failed" // number unavailable or barred, account limits, errors
	default: // 1100, 1111, 1120, 116x queue, 117x scheme, 119x schedule
		return "no_answer"
	}
}

// recordingLink is the documented direct link to a recording (§3.5.3):
// it asks whoever opens it to sign in to the Mango account.
func recordingLink(id string) string {
	return "https://app.mango-office.ru/vpbx/queries/recording/issa/" + url.PathEscape(id) + "/play"
}

// recording maps events/recording: Completed with a successful code and
// the recording kept in the cloud (not only mailed). The event carries no
// numbers and no direction: in is assumed, and the call's id ties it to
// the call.
func recording(js string) (telephony.Call, bool, error) {
	var e struct {
		RecordingID    scalar `json:"recording_id"`
		RecordingState string `json:"recording_state"`
		EntryID        scalar `json:"entry_id"`
		Extension      scalar `json:"extension"`
		Timestamp      scalar `json:"timestamp"`
		CompletionCode scalar `json:"completion_code"`
		Recipient      string `json:"recipient"`
	}
	if err := decode(js, &e); err != nil {
		return telephony.Call{}, false, err
	}
	code, err := e.CompletionCode.int("completion_code")
	if err != nil {
		return telephony.Call{}, false, err
	}
	if e.RecordingState != "Completed" || (code != 0 && code/1000 != 1) || e.Recipient == "Mail" {
		return telephony.Call{}, false, nil
	}
	return recordingCall(e.EntryID, e.RecordingID, e.Extension, e.Timestamp)
}

// recordAdded maps events/record/added, sent when the recording is in
// the cloud and can be downloaded.
func recordAdded(js string) (telephony.Call, bool, error) {
	var e struct {
		EntryID     scalar `json:"entry_id"`
		RecordingID scalar `json:"recording_id"`
		Timestamp   scalar `json:"timestamp"`
	}
	if err := decode(js, &e); err != nil {
		return telephony.Call{}, false, err
	}
	return recordingCall(e.EntryID, e.RecordingID, "", e.Timestamp)
}

func recordingCall(entry, rec, ext, ts scalar) (telephony.Call, bool, error) {
	c := telephony.Call{ID: string(entry), State: telephony.Recording, Direction: "in", Extension: string(ext)}
	switch {
	case c.ID == "":
		return c, false, malformed("entry_id", "is missing")
	case rec == "":
		return c, false, malformed("recording_id", "is missing")
	}
	c.RecordingURL = recordingLink(string(rec))
	at, err := ts.time("timestamp")
	c.At = at
	return c, err == nil, err
}

func decode(js string, v any) error {
	if err := json.Unmarshal([]byte(js), v); err != nil {
		return &crm.Error{Code: crm.EMALFORMED, Field: "json", Message: "cannot be read: " + err.Error()}
	}
	return nil
}

// scalar is a JSON string or number kept as its text: the document's own
// examples send timestamp, seq, extension and disconnect_reason both ways.
type scalar string

func (s *scalar) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*s = ""
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var v string
		err := json.Unmarshal(b, &v)
		*s = scalar(v)
		return err
	}
	var n json.Number
	err := json.Unmarshal(b, &n)
	*s = scalar(n)
	return err
}

// int reads a whole number; empty is 0.
func (s scalar) int(field string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(string(s), 10, 64)
	if err != nil {
		return 0, malformed(field, "must be a whole number, not %q", string(s))
	}
	return n, nil
}

// time reads a Unix time in seconds; empty or 0 is the zero time. The
// document labels these "UTC+3", but its examples are plain Unix times
// (1399906976 is 2014-05-12 14:49:36 UTC), which have no zone.
func (s scalar) time(field string) (time.Time, error) {
	n, err := s.int(field)
	if err != nil || n == 0 {
		return time.Time{}, err
	}
	return time.Unix(n, 0).UTC(), nil
}

func malformed(field, format string, args ...any) error {
	e := crm.Errorf(crm.EMALFORMED, format, args...)
	e.Field = field
	return e
}

func first(s ...scalar) string {
	for _, v := range s {
		if v != "" {
			return string(v)
		}
	}
	return ""
}
