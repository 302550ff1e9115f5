package zadarma

import (
	"bytes"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/telephony"
	"github.com/leadd/leadd/telephony/telephonytest"
)

const testSecret = "zadarma-test-secret"

var msk = time.FixedZone("MSK", 3*60*60)

func TestSignMatchesAnIndependentVector(t *testing.T) {
	t.Parallel()
	// base64 of the hex HMAC-SHA1, computed with Python's hmac module
	// (see testdata/README.md).
	got := Sign(testSecret, "79161230001", "74951000000", "2024-05-14 15:37:11")
	if want := "ZGVlMDQ4ZDRhYTRhNDUyMTA1ZDc3YWE4ZGU2MDNkMmE5ZGEyMjhjYg=="; got != want {
		t.Errorf("Sign = %s, want %s", got, want)
	}
}

func TestRecordedCallsBecomeCallEvents(t *testing.T) {
	t.Parallel()
	p := Provider{Key: "a248a6a984459935b569", Secret: testSecret, Location: msk}
	const in, out = "in_4c1a3f0e9d2b7a6c5e8f01d3b9a7c2e4f6a8b0d1", "out_807a1b7f09fa7a188dbf8a6998b1c9e4d3c2b1a0"
	const ext = "in_7d2e9a1c3b5f4e6a8c0d2f4b6a8c0e2d4f6a8b1c"
	const missed, busy = "in_9e0d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d", "out_1f2e3d4c5b6a79808f7e6d5c4b3a291807f6e5d4"
	tests := []struct {
		name  string
		files []string
		want  []telephony.Call
	}{
		{"answered, then recorded", []string{"answered-01-start", "answered-02-internal", "answered-03-answer", "answered-04-end", "answered-05-record"}, []telephony.Call{
			{ID: in, State: "ringing", Direction: "in", From: "79161230001", To: "74951000000", At: time.Date(2024, 5, 14, 12, 37, 11, 0, time.UTC)},
			{ID: in, State: "answered", Direction: "in", From: "79161230001", Extension: "100"},
			{ID: in, State: "ended", Direction: "in", From: "79161230001", To: "74951000000", Extension: "100", Duration: 125, Disposition: "answered"},
			{ID: in, State: "recording", Direction: "in",
				RecordingURL: "https://api.zadarma.com/v1/pbx/record/request/?call_id=1715690231.4417209&pbx_call_id=" + in},
		}},
		// NOTIFY_ANSWER before NOTIFY_START, its destination the extension
		// 101: the line is the called_did alone.
		{"answered before it started", []string{"ext-01-answer", "ext-02-start", "ext-03-end"}, []telephony.Call{
			{ID: ext, State: "answered", Direction: "in", From: "79161230007", Extension: "101"},
			{ID: ext, State: "ringing", Direction: "in", From: "79161230007", To: "74951000001", At: time.Date(2024, 5, 15, 8, 20, 0, 0, time.UTC)},
			{ID: ext, State: "ended", Direction: "in", From: "79161230007", To: "74951000001", Extension: "101", Duration: 48, Disposition: "answered"},
		}},
		{"missed", []string{"missed-01-start", "missed-02-end"}, []telephony.Call{
			{ID: missed, State: "ringing", Direction: "in", From: "79161230003", To: "74951000000", At: time.Date(2024, 5, 14, 15, 2, 45, 0, time.UTC)},
			{ID: missed, State: "ended", Direction: "in", From: "79161230003", To: "74951000000", Disposition: "no_answer"},
		}},
		{"outgoing, answered and recorded", []string{"outgoing-01-start", "outgoing-02-end", "outgoing-03-record"}, []telephony.Call{
			{ID: out, State: "ringing", Direction: "out", From: "101", To: "79161230002", Extension: "101", At: time.Date(2024, 5, 15, 7, 11, 12, 0, time.UTC)},
			{ID: out, State: "ended", Direction: "out", From: "74951000000", To: "79161230002", Extension: "101", Duration: 42, Disposition: "answered"},
			{ID: out, State: "recording", Direction: "out",
				RecordingURL: "https://api.zadarma.com/v1/pbx/record/request/?call_id=1715757072.5521830&pbx_call_id=" + out},
		}},
		{"outgoing, busy", []string{"busy-01-start", "busy-02-end"}, []telephony.Call{
			{ID: busy, State: "ringing", Direction: "out", From: "101", To: "79161230004", Extension: "101", At: time.Date(2024, 5, 15, 8, 0, 5, 0, time.UTC)},
			{ID: busy, State: "ended", Direction: "out", From: "101", To: "79161230004", Extension: "101", Disposition: "busy"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := telephonytest.Replay(t, p.Parse, tt.files...)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("calls:\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestWithoutATimeZoneTheArrivalDatesTheCall(t *testing.T) {
	t.Parallel()
	r, body := telephonytest.Request(t, "answered-01-start.http")
	calls, err := Provider{Secret: testSecret}.Parse(r, body)
	if err != nil || len(calls) != 1 || !calls[0].At.IsZero() {
		t.Fatalf("calls %+v, err %v: want one call with a zero At", calls, err)
	}
}

func TestRejectedNotifications(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file, code, field string
	}{
		{"unsigned.http", crm.EUNAUTHORIZED, ""},
		{"wrong-secret.http", crm.EUNAUTHORIZED, ""},
		{"tampered.http", crm.EUNAUTHORIZED, ""},
		{"raw-digest.http", crm.EUNAUTHORIZED, ""}, // base64 of the raw digest is not what Zadarma sends
		{"bad-duration.http", crm.EMALFORMED, "duration"},
		{"no-call-id.http", crm.EMALFORMED, "pbx_call_id"},
		{"bad-call-start.http", crm.EMALFORMED, "call_start"},
	}
	p := Provider{Secret: testSecret, Location: msk}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			r, body := telephonytest.Request(t, tt.file)
			calls, err := p.Parse(r, body)
			telephonytest.Refused(t, calls, err, tt.code, tt.field)
		})
	}
	t.Run("no secret configured", func(t *testing.T) {
		t.Parallel()
		r, body := telephonytest.Request(t, "answered-01-start.http")
		if _, err := (Provider{}).Parse(r, body); crm.ErrorCode(err) != crm.EUNAUTHORIZED {
			t.Errorf("err %v, want unauthorized", err)
		}
	})
}

func TestTheURLCheckIsAnsweredWithTheEcho(t *testing.T) {
	t.Parallel()
	p := Provider{Secret: testSecret}
	r, body := telephonytest.Request(t, "echo.http")
	calls, err := p.Parse(r, body)
	if err != nil || len(calls) != 0 {
		t.Fatalf("calls %+v, err %v: want none", calls, err)
	}
	w := httptest.NewRecorder()
	if !p.Answer(w, r, calls) {
		t.Fatal("Answer did not answer the zd_echo check")
	}
	if w.Code != 200 || w.Body.String() != "f2a9c1d0e7" || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/plain") {
		t.Errorf("answered %d %q (%s)", w.Code, w.Body.String(), w.Header().Get("Content-Type"))
	}

	r, body = telephonytest.Request(t, "answered-01-start.http")
	w = httptest.NewRecorder()
	if calls, _ := p.Parse(r, body); p.Answer(w, r, calls) || w.Body.Len() != 0 {
		t.Errorf("a call notification was answered by the provider: %q", w.Body.String())
	}
}

func TestUnknownEventsAreIgnored(t *testing.T) {
	t.Parallel()
	body := []byte("event=SMS&result=%7B%22caller_id%22%3A%22123%22%7D")
	r := httptest.NewRequest("POST", "/hooks/telephony/zadarma", bytes.NewReader(body))
	r.Header.Set("Signature", "c29tZXRoaW5n")
	calls, err := Provider{Secret: testSecret}.Parse(r, body)
	if err != nil || len(calls) != 0 {
		t.Errorf("calls %+v, err %v: want none", calls, err)
	}
}
