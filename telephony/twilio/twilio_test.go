package twilio

import (
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/telephony"
	"github.com/leadd/leadd/telephony/telephonytest"
)

const testToken, testURL = "twilio-test-auth-token", "https://crm.example.com/"

// Twilio's published example, https://www.twilio.com/docs/usage/webhooks/webhooks-security.
func TestSignReproducesTwiliosExample(t *testing.T) {
	t.Parallel()
	params := url.Values{
		"CallSid": {"CA1234567890ABCDE"},
		"Caller":  {"+12349013030"},
		"Digits":  {"1234"},
		"From":    {"+12349013030"},
		"To":      {"+18005551212"},
	}
	got := Sign("12345", "https://mycompany.com/myapp.php?foo=1&bar=2", params)
	if want := "0/KCTR6DLpKmkAf8muzZqo1nDgQ="; got != want {
		t.Errorf("Sign = %s, want %s", got, want)
	}
}

func TestRecordedCallbacksBecomeCallEvents(t *testing.T) {
	t.Parallel()
	p := Provider{AuthToken: testToken, PublicURL: testURL}
	const in, missed, rec = "CA3f1e2d4c5b6a79808f7e6d5c4b3a2910", "CA9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b", "CA0a1b2c3d4e5f60718293a4b5c6d7e8f9"
	const dialMissed, dialAnswered = "CA1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f60", "CA2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a71"
	const recordings = "https://api.twilio.com/2010-04-01/Accounts/AC8f3c1a9d2b7e4f6a0c5d8e1b3a7f9c2d4/Recordings/"
	at := func(s string) time.Time {
		t, err := time.Parse(time.DateTime, s)
		if err != nil {
			panic(err)
		}
		return t
	}
	tests := []struct {
		name  string
		files []string
		want  []telephony.Call
	}{
		// The parent's own callbacks say only that it rang and ended:
		// Twilio answers an inbound call itself to run its TwiML.
		{"inbound, the parent's callbacks alone", []string{
			"answered-01-ringing", "answered-00-recording-in-progress", "answered-02-in-progress", "answered-03-completed", "answered-04-recording",
		}, []telephony.Call{
			{ID: in, State: "ringing", Direction: "in", From: "+79161230001", To: "+74951000000", At: at("2024-05-14 12:37:11")},
			{ID: in, State: "ringing", Direction: "in", From: "+79161230001", To: "+74951000000", At: at("2024-05-14 12:37:15")},
			{ID: in, State: "ended", Direction: "in", From: "+79161230001", To: "+74951000000", Disposition: "no_answer",
				At: at("2024-05-14 12:39:20")},
			{ID: in, State: "recording", Direction: "in", RecordingURL: recordings + "RE7d9f1b3c5e7a9b1d3f5a7c9e1b3d5f7a"},
		}},
		// <Dial> to the manager's mobile, who does not pick up: the child
		// leg is never a client's call, the Dial action says no-answer.
		{"<Dial> the manager does not answer", []string{
			"dial-missed-01-ringing", "dial-missed-02-in-progress", "dial-missed-03-leg-initiated", "dial-missed-04-leg-ringing",
			"dial-missed-05-leg-no-answer", "dial-missed-06-action", "dial-missed-07-completed",
		}, []telephony.Call{
			{ID: dialMissed, State: "ringing", Direction: "in", From: "+79161230005", To: "+74951000000", At: at("2024-05-16 09:00:00")},
			{ID: dialMissed, State: "ringing", Direction: "in", From: "+79161230005", To: "+74951000000", At: at("2024-05-16 09:00:01")},
			{ID: dialMissed, State: "ended", Direction: "in", From: "+79161230005", To: "+74951000000", Disposition: "no_answer",
				Leg: "dial:CA6f5e4d3c2b1a0f9e8d7c6b5a4f3e2d10"},
			{ID: dialMissed, State: "ended", Direction: "in", From: "+79161230005", To: "+74951000000", Disposition: "no_answer",
				At: at("2024-05-16 09:00:34")},
		}},
		{"<Dial> the manager answers", []string{
			"dial-answered-01-ringing", "dial-answered-02-in-progress", "dial-answered-03-leg-ringing", "dial-answered-04-leg-in-progress",
			"dial-answered-05-leg-completed", "dial-answered-06-action", "dial-answered-07-completed", "dial-answered-08-recording",
		}, []telephony.Call{
			{ID: dialAnswered, State: "ringing", Direction: "in", From: "+79161230006", To: "+74951000000", At: at("2024-05-16 10:00:00")},
			{ID: dialAnswered, State: "ringing", Direction: "in", From: "+79161230006", To: "+74951000000", At: at("2024-05-16 10:00:01")},
			{ID: dialAnswered, State: "answered", Direction: "in", Extension: "+79169990001", Follows: true,
				Leg: "CA7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e21", At: at("2024-05-16 10:00:12")},
			{ID: dialAnswered, State: "answered", Direction: "in", Extension: "+79169990001", Follows: true, Duration: 95,
				Leg: "CA7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e21:completed", At: at("2024-05-16 10:01:47")},
			{ID: dialAnswered, State: "answered", Direction: "in", From: "+79161230006", To: "+74951000000", Duration: 95,
				Leg: "dial:CA7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e21"},
			{ID: dialAnswered, State: "ended", Direction: "in", From: "+79161230006", To: "+74951000000", Disposition: "no_answer",
				At: at("2024-05-16 10:01:50")},
			{ID: dialAnswered, State: "recording", Direction: "in", RecordingURL: recordings + "RE1a2b3c4d5e6f708192a3b4c5d6e7f809"},
		}},
		{"outbound, not answered", []string{"missed-01-queued", "missed-02-initiated", "missed-03-ringing", "missed-04-no-answer"}, []telephony.Call{
			{ID: missed, State: "ringing", Direction: "out", From: "+74951000000", To: "+79161230003", At: at("2024-05-14 15:02:41")},
			{ID: missed, State: "ringing", Direction: "out", From: "+74951000000", To: "+79161230003", At: at("2024-05-14 15:02:43")},
			{ID: missed, State: "ended", Direction: "out", From: "+74951000000", To: "+79161230003", Disposition: "no_answer",
				At: at("2024-05-14 15:03:13")},
		}},
		{"outbound with Record=true", []string{"recorded-01-in-progress", "recorded-02-completed"}, []telephony.Call{
			{ID: rec, State: "answered", Direction: "out", From: "+74951000000", To: "+79161230002", At: at("2024-05-15 07:11:18")},
			{ID: rec, State: "ended", Direction: "out", From: "+74951000000", To: "+79161230002", Duration: 42, Disposition: "answered",
				At: at("2024-05-15 07:12:00")},
			{ID: rec, State: "recording", Direction: "out", From: "+74951000000", To: "+79161230002",
				RecordingURL: recordings + "RE0f1e2d3c4b5a69788796a5b4c3d2e1f0", At: at("2024-05-15 07:12:00")},
		}},
		// A <Dial> leg's own failure adds nothing: its parent and the Dial
		// action tell how the call went.
		{"a dialled leg, busy", []string{"busy-01-busy"}, nil},
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

func TestTheDefaultPortIsAcceptedEitherWay(t *testing.T) {
	t.Parallel()
	r, body := telephonytest.Request(t, "port-443.http")
	if _, err := (Provider{AuthToken: testToken, PublicURL: "https://crm.example.com"}).Parse(r, body); err != nil {
		t.Errorf("signed with :443: %v", err)
	}
	r, body = telephonytest.Request(t, "answered-01-ringing.http")
	if _, err := (Provider{AuthToken: testToken, PublicURL: "https://crm.example.com:443"}).Parse(r, body); err != nil {
		t.Errorf("configured with :443: %v", err)
	}
}

func TestRejectedCallbacks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file, code, field string
		p                 Provider
	}{
		{"unsigned.http", crm.EUNAUTHORIZED, "", Provider{}},
		{"wrong-token.http", crm.EUNAUTHORIZED, "", Provider{}},
		{"other-url.http", crm.EUNAUTHORIZED, "", Provider{}}, // signed for the address behind the proxy
		{"tampered.http", crm.EUNAUTHORIZED, "", Provider{}},
		{"answered-01-ringing.http", crm.EUNAUTHORIZED, "", Provider{AuthToken: testToken, PublicURL: "https://leadd.example.org"}},
		{"twilio-example.http", crm.EMALFORMED, "Direction", Provider{AuthToken: "12345", PublicURL: "https://mycompany.com"}},
		{"bad-duration.http", crm.EMALFORMED, "CallDuration", Provider{}},
		{"bad-timestamp.http", crm.EMALFORMED, "Timestamp", Provider{}},
		{"bad-status.http", crm.EMALFORMED, "CallStatus", Provider{}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			p := tt.p
			if p.AuthToken == "" {
				p = Provider{AuthToken: testToken, PublicURL: testURL}
			}
			r, body := telephonytest.Request(t, tt.file)
			calls, err := p.Parse(r, body)
			telephonytest.Refused(t, calls, err, tt.code, tt.field)
			if (Provider{}).Answer(httptest.NewRecorder(), r, calls) {
				t.Error("a rejected callback was answered with TwiML")
			}
		})
	}
	t.Run("no token configured", func(t *testing.T) {
		t.Parallel()
		r, body := telephonytest.Request(t, "answered-01-ringing.http")
		if _, err := (Provider{PublicURL: testURL}).Parse(r, body); crm.ErrorCode(err) != crm.EUNAUTHORIZED {
			t.Errorf("err %v, want unauthorized", err)
		}
	})
}

func TestCallbacksAreAnsweredWithEmptyTwiML(t *testing.T) {
	t.Parallel()
	p := Provider{AuthToken: testToken, PublicURL: testURL}
	for _, f := range []string{"missed-01-queued.http", "answered-03-completed.http"} {
		r, body := telephonytest.Request(t, f)
		calls, err := p.Parse(r, body)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		w := httptest.NewRecorder()
		if !p.Answer(w, r, calls) {
			t.Fatalf("%s: not answered", f)
		}
		if w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/xml") || !strings.HasSuffix(w.Body.String(), "<Response/>") {
			t.Errorf("%s: answered %d %q (%s)", f, w.Code, w.Body.String(), w.Header().Get("Content-Type"))
		}
	}
}

func TestGetCallbacksAreSignedOverTheURL(t *testing.T) {
	t.Parallel()
	p := Provider{AuthToken: testToken, PublicURL: testURL}
	q := url.Values{"CallSid": {"CA11"}, "CallStatus": {"ringing"}, "Direction": {"inbound"}, "From": {"+79161230001"}, "To": {"+74951000000"}}
	target := "/hooks/telephony/twilio?" + q.Encode()
	r := httptest.NewRequest("GET", target, nil)
	r.Header.Set("X-Twilio-Signature", Sign(testToken, "https://crm.example.com"+target, nil))
	calls, err := p.Parse(r, nil)
	if err != nil || len(calls) != 1 || calls[0].State != "ringing" || calls[0].From != "+79161230001" {
		t.Errorf("calls %+v, err %v", calls, err)
	}
}
