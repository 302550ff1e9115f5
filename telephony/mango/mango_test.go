package mango

import (
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/telephony"
	"github.com/leadd/leadd/telephony/telephonytest"
)

const testKey, testSalt = "mango-test-key-0123456789abcdef", "mango-test-salt"

func TestSignMatchesAnIndependentVector(t *testing.T) {
	t.Parallel()
	// printf '%s' "$key$json$salt" | sha256sum (see testdata/README.md)
	got := Sign(testKey, `{"entry_id":"NTAwOTQxMTAyMg=="}`, testSalt)
	if want := "a6333a2f7f02cd46838067510bc78fcb68d81a9c3becc25bac33226f5c6719dd"; got != want {
		t.Errorf("Sign = %s, want %s", got, want)
	}
}

func unix(n int64) time.Time { return time.Unix(n, 0).UTC() }

func TestRecordedCallsBecomeCallEvents(t *testing.T) {
	t.Parallel()
	p := Provider{APIKey: testKey, APISalt: testSalt}
	const e1, e2, e3 = "NTAwOTQxMTAyMg==", "NTAwOTQxMTA5OQ==", "NTAwOTQxMTEzNw=="
	const rec = "https://app.mango-office.ru/vpbx/queries/recording/issa/MToxMDAwNjA4NTo1MDA5NDExMDIyOjE=/play"
	tests := []struct {
		name  string
		files []string
		want  []telephony.Call
	}{
		{"answered through the voice menu, then recorded", []string{
			"answered-01-appeared-ivr", "answered-02-disconnected-ivr", "answered-03-appeared-manager", "answered-04-connected",
			"answered-05-recording-started", "answered-06-disconnected", "answered-07-summary", "answered-08-recording-completed",
			"answered-09-record-added",
		}, []telephony.Call{
			{ID: e1, State: "ringing", Direction: "in", From: "79161230001", To: "74951000000", At: unix(1715690231)},
			{ID: e1, State: "ringing", Direction: "in", From: "79161230001", To: "74951000000", Extension: "101", At: unix(1715690236)},
			{ID: e1, State: "answered", Direction: "in", From: "79161230001", To: "74951000000", Extension: "101", At: unix(1715690240)},
			// The employee's leg disconnecting: the call ends as far as it
			// knows; answered sticks, and the summary adds the talk time.
			{ID: e1, State: "ended", Direction: "in", From: "79161230001", To: "74951000000", Extension: "101",
				Disposition: "cancelled", Leg: "leg:MToxMDA6NTAwOjI1Nw==", At: unix(1715690365)},
			{ID: e1, State: "ended", Direction: "in", From: "79161230001", To: "74951000000", Extension: "101", Duration: 125,
				Disposition: "answered", At: unix(1715690365)},
			{ID: e1, State: "recording", Direction: "in", Extension: "101", RecordingURL: rec, At: unix(1715690365)},
			{ID: e1, State: "recording", Direction: "in", RecordingURL: rec, At: unix(1715690371)},
		}},
		{"missed in the queue, posted to the hook's own address", []string{
			"missed-01-appeared", "missed-02-appeared-manager", "missed-03-disconnected", "missed-04-summary",
		}, []telephony.Call{
			{ID: e2, State: "ringing", Direction: "in", From: "79161230003", To: "74951000000", At: unix(1715702565)},
			{ID: e2, State: "ringing", Direction: "in", From: "79161230003", To: "74951000000", Extension: "102", At: unix(1715702566)},
			{ID: e2, State: "ended", Direction: "in", From: "79161230003", To: "74951000000", Extension: "102",
				Disposition: "no_answer", Leg: "leg:MToxMDA6NTAwOjMwMg==", At: unix(1715702596)},
			{ID: e2, State: "ended", Direction: "in", From: "79161230003", To: "74951000000", Extension: "102",
				Disposition: "no_answer", At: unix(1715702596)},
		}},
		{"outgoing, answered", []string{"outgoing-01-appeared", "outgoing-02-connected", "outgoing-03-summary"}, []telephony.Call{
			{ID: e3, State: "ringing", Direction: "out", From: "101", To: "79161230002", Extension: "101", At: unix(1715757072)},
			{ID: e3, State: "answered", Direction: "out", From: "74951000000", To: "79161230002", Extension: "101", At: unix(1715757078)},
			{ID: e3, State: "ended", Direction: "out", From: "74951000000", To: "79161230002", Extension: "101", Duration: 42,
				Disposition: "answered", At: unix(1715757120)},
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

func TestDisconnectReasonsBecomeDispositions(t *testing.T) {
	t.Parallel()
	for reason, want := range map[int64]string{
		0: "no_answer", 1100: "no_answer", 1111: "no_answer", 1120: "no_answer", 1163: "no_answer", 1170: "no_answer", 1192: "no_answer",
		1110: "cancelled", 1181: "cancelled",
		1121: "busy", 1122: "busy", 1123: "busy", 1124: "busy",
		1313: "voicemail", 1310: "voicemail",
		1131: "failed", 1133: "failed", 1151: "failed", 1201: "failed", 2240: "failed", 3200: "failed", 4200: "failed", 5003: "failed",
	} {
		if got := disposition(reason); got != want {
			t.Errorf("disconnect_reason %d: %s, want %s", reason, got, want)
		}
	}
}

func TestRejectedEvents(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file, code, field string
	}{
		{"unsigned.http", crm.EUNAUTHORIZED, ""},
		{"wrong-key.http", crm.EUNAUTHORIZED, ""},
		{"wrong-salt.http", crm.EUNAUTHORIZED, ""},
		{"tampered.http", crm.EUNAUTHORIZED, ""},
		{"not-json.http", crm.EMALFORMED, "json"},
		{"no-entry-id.http", crm.EMALFORMED, "entry_id"},
		{"bad-timestamp.http", crm.EMALFORMED, "timestamp"},
		{"bad-direction.http", crm.EMALFORMED, "call_direction"},
	}
	p := Provider{APIKey: testKey, APISalt: testSalt}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			r, body := telephonytest.Request(t, tt.file)
			calls, err := p.Parse(r, body)
			telephonytest.Refused(t, calls, err, tt.code, tt.field)
		})
	}
	t.Run("no key configured", func(t *testing.T) {
		t.Parallel()
		r, body := telephonytest.Request(t, "answered-01-appeared-ivr.http")
		if _, err := (Provider{APISalt: testSalt}).Parse(r, body); crm.ErrorCode(err) != crm.EUNAUTHORIZED {
			t.Errorf("err %v, want unauthorized", err)
		}
	})
}

func TestOtherEventsAreVerifiedAndIgnored(t *testing.T) {
	t.Parallel()
	p := Provider{APIKey: testKey, APISalt: testSalt}
	for _, path := range []string{"/hooks/telephony/mango/events/dtmf", "/hooks/telephony/mango"} {
		js := `{"seq":1,"dtmf":"124","timestamp":"1399906980","call_id":"100:500:256","entry_id":"232wc3e3w3s222"}`
		body := "vpbx_api_key=" + testKey + "&sign=" + Sign(testKey, js, testSalt) + "&json=" + js
		calls, err := p.Parse(httptest.NewRequest("POST", path, strings.NewReader(body)), []byte(body))
		if err != nil || calls == nil || len(calls) != 0 {
			t.Errorf("%s: calls %+v, err %v: want none", path, calls, err)
		}
	}
}
