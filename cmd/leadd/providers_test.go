package main

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"net/textproto"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leadd/leadd/configs"
	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/telephony/telephonytest"
	"github.com/leadd/leadd/telephony/twilio"
)

// The secrets the providers' testdata was signed with (see each
// telephony/<provider>/testdata/README.md).
const (
	zadarmaKey, zadarmaSecret = "a248a6a984459935b569", "zadarma-test-secret"
	mangoKey, mangoSalt       = "mango-test-key-0123456789abcdef", "mango-test-salt"
	twilioToken, twilioURL    = "twilio-test-auth-token", "https://crm.example.com/"
)

// section turns on an optional config section and returns it to fill.
func section[T any](p **T) *T {
	*p = new(T)
	return *p
}

// send posts a recorded request to the daemon as the PBX would.
func (ta *testApp) send(provider, name string) response {
	ta.t.Helper()
	r := telephonytest.Read(ta.t, filepath.Join("..", "..", "telephony", provider, "testdata", name+".http"))
	return ta.do(r.Method, r.Target, "", strings.NewReader(r.Body), r.Headers...)
}

// replay sends recorded requests in order, each answered 200 and handled
// before the next, as a PBX reports a call's events seconds apart.
func (ta *testApp) replay(provider string, names ...string) {
	ta.t.Helper()
	for _, name := range names {
		if res := ta.send(provider, name); res.Status != 200 {
			ta.t.Fatalf("%s/%s: answered %d %s", provider, name, res.Status, res.Body)
		}
		ta.waitProcessed()
	}
}

// refused sends recorded requests that must be refused with status, and
// checks that none of them stored anything.
func (ta *testApp) refused(provider string, status int, names ...string) {
	ta.t.Helper()
	before := ta.stored()
	for _, name := range names {
		if res := ta.send(provider, name); res.Status != status {
			ta.t.Errorf("%s/%s: answered %d %s, want %d", provider, name, res.Status, res.Body, status)
		}
	}
	if after := ta.stored(); after != before {
		ta.t.Errorf("refused requests stored something:\n before %+v\n after  %+v", before, after)
	}
}

// counts is how many rows the daemon keeps of each kind.
type counts struct{ leads, touches, activities, open, inbox, outbox int }

// stored counts what the daemon keeps, but for the leads except.
// Reminders and digests the scheduler writes on the wall clock are left
// out.
func (ta *testApp) stored(except ...int64) counts {
	ta.t.Helper()
	if except == nil {
		except = []int64{}
	}
	c := func(sql string) int { return ta.db.Count(ta.t, sql, except) }
	return counts{
		leads:      c(`SELECT count(*) FROM leads WHERE id <> ALL($1::bigint[])`),
		touches:    c(`SELECT count(*) FROM touches WHERE coalesce(lead_id, 0) <> ALL($1::bigint[])`),
		activities: c(`SELECT count(*) FROM activities WHERE coalesce(lead_id, 0) <> ALL($1::bigint[])`),
		open:       c(`SELECT count(*) FROM activities WHERE done_at IS NULL AND coalesce(lead_id, 0) <> ALL($1::bigint[])`),
		inbox:      c(`SELECT count(*) FROM inbox WHERE coalesce(lead_id, 0) <> ALL($1::bigint[])`),
		outbox: c(`SELECT count(*) FROM outbox WHERE kind NOT IN ('activity.overdue', 'manager.digest')
			AND coalesce((payload->>'lead_id')::bigint, 0) <> ALL($1::bigint[])`),
	}
}

// seen is everything a user sees of the leads of phone: the lead, its
// touches and its activities with their dates and data.
func (ta *testApp) seen(phone string) string {
	ta.t.Helper()
	var b strings.Builder
	for _, l := range ta.leadsByPhone(phone) {
		l = ta.lead(l.ID)
		fmt.Fprintf(&b, "lead %s %s %s manager=%v\n", l.Status, l.Channel, l.Source, l.ManagerID != nil)
		for _, tc := range l.Touches {
			fmt.Fprintf(&b, "  touch %s %s %q at %s %s\n", tc.Channel, tc.Source, tc.Text, tc.At.UTC().Format(time.RFC3339), tc.Data)
		}
		for _, a := range l.Activities {
			// A call's own activity is dated by the call; the lead's
			// planned call by when the lead arrived here, which differs
			// between two daemons a second apart.
			due := a.DueAt.UTC().Format(time.RFC3339)
			if a.Subject == "Call back: new lead" {
				due = "(when the lead arrived)"
			}
			fmt.Fprintf(&b, "  activity %q due %s done %v outcome %q data %v\n", a.Subject, due,
				a.DoneAt != nil, deref(a.Outcome), ta.activityData(a.ID))
		}
	}
	return b.String()
}

func (ta *testApp) activityData(id int64) map[string]any {
	ta.t.Helper()
	var data map[string]any
	if err := ta.db.Pool.QueryRow(ta.t.Context(), `SELECT data FROM activities WHERE id = $1`, id).Scan(&data); err != nil {
		ta.t.Fatalf("activity %d: %v", id, err)
	}
	return data
}

// str reads an optional string from decoded JSON.
func str(v any) string {
	s, _ := v.(string)
	return s
}

// completedCalls are a lead's calls that took place.
func completedCalls(l crm.Lead) []crm.Activity {
	var done []crm.Activity
	for _, a := range l.Activities {
		if a.Outcome != nil && *a.Outcome == "answered" {
			done = append(done, a)
		}
	}
	return done
}

// answered is what a user should see of an answered call from a stranger.
type answered struct {
	phone, line   string    // E.164
	text, subject string    // the touch, the completed call
	extension     string    // who answered
	duration      int       // seconds of talk
	recording     string    // the recording's URL, once it is known
	started       time.Time // when it rang, as the PBX says
}

// checkAnswered checks one lead opened by the call, with the call as its
// only touch and a completed call activity carrying the call's facts.
func (ta *testApp) checkAnswered(w answered) {
	t := ta.t
	t.Helper()
	leads := ta.leadsByPhone(w.phone)
	if len(leads) != 1 || leads[0].Channel != "call" || leads[0].Source != w.line {
		t.Fatalf("leads of %s: %+v, want one from a call on %s", w.phone, leads, w.line)
	}
	l := ta.lead(leads[0].ID)
	if len(l.Touches) != 1 {
		t.Errorf("%d touches for one call, want 1", len(l.Touches))
	}
	if l.Status != crm.StatusInProgress {
		t.Errorf("the lead is %s after the manager talked to the client, want in_progress", l.Status)
	}
	touch, d := ta.callTouch(l.ID)
	if touch.Text != w.text || str(d["recording_url"]) != w.recording {
		t.Errorf("touch %q with recording %q, want %q with %q", touch.Text, str(d["recording_url"]), w.text, w.recording)
	}
	for _, a := range l.Activities {
		if a.DoneAt == nil {
			t.Errorf("a call still planned after they talked: %+v", a)
		}
	}
	done := completedCalls(l)
	if len(done) != 1 || done[0].Subject != w.subject || l.ManagerID == nil || done[0].ManagerID != *l.ManagerID {
		t.Fatalf("completed calls: %+v, want one %q by the lead's manager", done, w.subject)
	}
	if !done[0].DueAt.Equal(w.started) {
		t.Errorf("the completed call is dated %s, want when it rang, %s", done[0].DueAt.UTC(), w.started.UTC())
	}
	data := ta.activityData(done[0].ID)
	if data["duration"] != float64(w.duration) || data["extension"] != w.extension || str(data["recording_url"]) != w.recording ||
		data["direction"] != "in" || data["phone"] != w.phone {
		t.Errorf("completed call data %v, want %d s from %s answered by %q, recording %q", data, w.duration, w.phone, w.extension, w.recording)
	}
}

// checkRecorded checks that a recording joined its call: on the touch and
// on the completed call, which keeps its subject and duration.
func (ta *testApp) checkRecorded(phone, subject string, duration int, recording string) {
	t := ta.t
	t.Helper()
	l := ta.lead(ta.leadsByPhone(phone)[0].ID)
	if _, d := ta.callTouch(l.ID); str(d["recording_url"]) != recording {
		t.Errorf("the call's touch has the recording %v, want %s", d["recording_url"], recording)
	}
	done := completedCalls(l)
	if len(done) != 1 || done[0].Subject != subject {
		t.Fatalf("completed calls %+v, want one %q", done, subject)
	}
	if data := ta.activityData(done[0].ID); data["recording_url"] != recording || data["duration"] != float64(duration) {
		t.Errorf("completed call data %v, want %d s and the recording %s", data, duration, recording)
	}
}

// checkMissed checks one lead opened by a missed call, with a call-back
// due now (not before the call was replayed, started).
func (ta *testApp) checkMissed(phone, line, text string, started time.Time) {
	t := ta.t
	t.Helper()
	leads := ta.leadsByPhone(phone)
	if len(leads) != 1 || leads[0].Channel != "call" || leads[0].Source != line {
		t.Fatalf("leads of %s: %+v, want one from a call on %s", phone, leads, line)
	}
	l := ta.lead(leads[0].ID)
	var open []crm.Activity
	for _, a := range l.Activities {
		if a.DoneAt == nil {
			open = append(open, a)
		}
	}
	if len(open) != 1 || open[0].Subject != "Missed call: call back" || open[0].Type != "call" ||
		open[0].DueAt.After(time.Now()) || open[0].DueAt.Before(started.Add(-time.Second)) {
		t.Errorf("open activities after a missed call: %+v, want one call-back due now", open)
	}
	if touch, _ := ta.callTouch(l.ID); touch.Text != text || len(l.Touches) != 1 {
		t.Errorf("touch %q (%d touches), want %q", touch.Text, len(l.Touches), text)
	}
}

// checkOutgoing checks a known lead called by its manager: an answered
// call takes the lead and is a completed call.
func (ta *testApp) checkOutgoing(lead crm.Lead, text, subject, recording string) {
	t := ta.t
	t.Helper()
	l := ta.lead(lead.ID)
	if l.Status != "in_progress" {
		t.Errorf("status %s after the manager talked to the client, want in_progress", l.Status)
	}
	if len(l.Touches) != 2 || l.Touches[0].Text != text && l.Touches[1].Text != text {
		t.Errorf("touches %+v, want the form and %q", l.Touches, text)
	}
	for _, a := range l.Activities {
		if a.DoneAt == nil {
			t.Errorf("a call still planned after they talked: %+v", a)
		}
	}
	done := completedCalls(l)
	if len(done) != 1 || done[0].Subject != subject {
		t.Fatalf("completed calls %+v, want %q", done, subject)
	}
	if data := ta.activityData(done[0].ID); str(data["recording_url"]) != recording || data["direction"] != "out" {
		t.Errorf("completed call data %v, want the recording %q", data, recording)
	}
}

// checkRepeatsChangeNothing does again what the PBX did (except changes
// only the leads it names) and compares what is stored and what users
// see of phones.
func (ta *testApp) checkRepeatsChangeNothing(again func() (except []int64), phones ...string) {
	t := ta.t
	t.Helper()
	before, views := ta.stored(), map[string]string{}
	for _, p := range phones {
		views[p] = ta.seen(p)
	}
	except := again() // new leads: what was stored before holds none of theirs
	if after := ta.stored(except...); after != before {
		t.Errorf("a repeated sequence changed what is stored:\n before %+v\n after  %+v", before, after)
	}
	for _, p := range phones {
		if got := ta.seen(p); got != views[p] {
			t.Errorf("a repeated sequence changed what a user sees of %s:\n before\n%s after\n%s", p, views[p], got)
		}
	}
}

var (
	zadarmaAnswered = []string{"answered-01-start", "answered-02-internal", "answered-03-answer", "answered-04-end"}
	zadarmaMissed   = []string{"missed-01-start", "missed-02-end"}
	zadarmaOutgoing = []string{"outgoing-01-start", "outgoing-02-end"}
	zadarmaBusy     = []string{"busy-01-start", "busy-02-end"}
	zadarmaCall     = answered{phone: "+79161230001", line: "+74951000000",
		text: "Incoming call from +79161230001, answered, 2:05", subject: "Incoming call, 2:05", extension: "100", duration: 125,
		recording: "https://api.zadarma.com/v1/pbx/record/request/?call_id=1715690231.4417209&pbx_call_id=in_4c1a3f0e9d2b7a6c5e8f01d3b9a7c2e4f6a8b0d1",
		started:   time.Date(2024, 5, 14, 12, 37, 11, 0, time.UTC)} // 15:37:11 in Moscow
)

func withZadarma(cfg *configs.Config) {
	z := section(&cfg.Telephony.Zadarma)
	z.Key, z.Secret, z.TimeZone = zadarmaKey, zadarmaSecret, "Europe/Moscow"
}

func TestZadarmaRecordedNotificationsBecomeLeadsCallsAndCallBacks(t *testing.T) {
	t.Parallel()
	ta := startApp(t, withZadarma)

	ta.refused("zadarma", 401, "unsigned", "wrong-secret", "tampered", "raw-digest")
	ta.refused("zadarma", 400, "bad-duration", "no-call-id", "bad-call-start")

	res := ta.send("zadarma", "echo")
	if res.Status != 200 || string(res.Body) != "f2a9c1d0e7" || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/plain") {
		t.Errorf("zd_echo answered %d %q (%s), want the echo as text", res.Status, res.Body, res.Header.Get("Content-Type"))
	}

	start := time.Now()
	ta.replay("zadarma", zadarmaAnswered...)
	before := zadarmaCall
	before.recording = ""
	ta.checkAnswered(before)
	ta.replay("zadarma", "answered-05-record")
	ta.checkRecorded(zadarmaCall.phone, zadarmaCall.subject, zadarmaCall.duration, zadarmaCall.recording)

	ta.replay("zadarma", zadarmaMissed...)
	ta.checkMissed("+79161230003", "+74951000000", "Incoming call from +79161230003, missed (no_answer)", start)

	known := ta.newLead("+7 916 123-00-02")
	ta.replay("zadarma", zadarmaOutgoing...)
	ta.checkOutgoing(known, "Outgoing call to +79161230002, answered, 0:42", "Outgoing call, 0:42", "")
	ta.replay("zadarma", "outgoing-03-record")
	ta.checkRecorded("+79161230002", "Outgoing call, 0:42", 42,
		"https://api.zadarma.com/v1/pbx/record/request/?call_id=1715757072.5521830&pbx_call_id=out_807a1b7f09fa7a188dbf8a6998b1c9e4d3c2b1a0")

	ta.replay("zadarma", zadarmaBusy...)
	if n := len(ta.leadsByPhone("+79161230004")); n != 0 {
		t.Errorf("a manager's call to a busy stranger opened %d leads", n)
	}

	ta.checkRepeatsChangeNothing(func() []int64 {
		for _, seq := range [][]string{zadarmaAnswered, {"answered-05-record"}, zadarmaMissed, zadarmaOutgoing, {"outgoing-03-record"}, zadarmaBusy} {
			ta.replay("zadarma", seq...)
		}
		return nil
	}, "+79161230001", "+79161230003", "+79161230002")
}

// A PBX retries and its notifications race: the same call reported in
// another order must read the same, dates included.
func TestZadarmaNotificationsOutOfOrderConvergeToTheSameCall(t *testing.T) {
	t.Parallel()
	inOrder := startApp(t, withZadarma)
	inOrder.replay("zadarma", append(zadarmaAnswered, "answered-05-record")...)
	want := inOrder.seen("+79161230001")

	shuffled := startApp(t, withZadarma)
	// The end names the caller, so it may come first; the recording only
	// names the call, and comes last in both.
	shuffled.replay("zadarma", "answered-04-end", "answered-03-answer", "answered-01-start", "answered-04-end", "answered-05-record")
	if got := shuffled.seen("+79161230001"); got != want {
		t.Errorf("out of order:\n got\n%s want\n%s", got, want)
	}
}

var (
	mangoAnswered = []string{"answered-01-appeared-ivr", "answered-02-disconnected-ivr", "answered-03-appeared-manager",
		"answered-04-connected", "answered-05-recording-started", "answered-06-disconnected", "answered-07-summary"}
	mangoRecording = []string{"answered-08-recording-completed", "answered-09-record-added"}
	mangoMissed    = []string{"missed-01-appeared", "missed-02-appeared-manager", "missed-03-disconnected", "missed-04-summary"}
	mangoOutgoing  = []string{"outgoing-01-appeared", "outgoing-02-connected", "outgoing-03-summary"}
	mangoCall      = answered{phone: "+79161230001", line: "+74951000000",
		text: "Incoming call from +79161230001, answered, 2:05", subject: "Incoming call, 2:05", extension: "101", duration: 125,
		recording: "https://app.mango-office.ru/vpbx/queries/recording/issa/MToxMDAwNjA4NTo1MDA5NDExMDIyOjE=/play",
		started:   time.Unix(1715690231, 0)}
)

func withMango(cfg *configs.Config) {
	m := section(&cfg.Telephony.Mango)
	m.APIKey, m.APISalt = mangoKey, mangoSalt
}

func TestMangoRecordedEventsBecomeLeadsCallsAndCallBacks(t *testing.T) {
	t.Parallel()
	ta := startApp(t, withMango)

	ta.refused("mango", 401, "unsigned", "wrong-key", "wrong-salt", "tampered")
	ta.refused("mango", 400, "not-json", "no-entry-id", "bad-timestamp", "bad-direction")

	start := time.Now()
	ta.replay("mango", mangoAnswered...)
	before := mangoCall
	before.recording = ""
	ta.checkAnswered(before)
	ta.replay("mango", mangoRecording...)
	ta.checkRecorded(mangoCall.phone, mangoCall.subject, mangoCall.duration, mangoCall.recording)

	ta.replay("mango", mangoMissed...)
	ta.checkMissed("+79161230003", "+74951000000", "Incoming call from +79161230003, missed (no_answer)", start)

	known := ta.newLead("+7 916 123-00-02")
	ta.replay("mango", mangoOutgoing...)
	ta.checkOutgoing(known, "Outgoing call to +79161230002, answered, 0:42", "Outgoing call, 0:42", "")

	ta.checkRepeatsChangeNothing(func() []int64 {
		for _, seq := range [][]string{mangoAnswered, mangoRecording, mangoMissed, mangoOutgoing} {
			ta.replay("mango", seq...)
		}
		return nil
	}, "+79161230001", "+79161230003", "+79161230002")
}

var (
	// TwiML <Dial action=…> to the manager's mobile: the parent's status
	// callbacks, the child leg's, and the Dial action.
	twilioAnswered = []string{"dial-answered-01-ringing", "dial-answered-02-in-progress", "dial-answered-03-leg-ringing",
		"dial-answered-04-leg-in-progress", "dial-answered-05-leg-completed", "dial-answered-06-action", "dial-answered-07-completed"}
	twilioDialMissed = []string{"dial-missed-01-ringing", "dial-missed-02-in-progress", "dial-missed-03-leg-initiated",
		"dial-missed-04-leg-ringing", "dial-missed-05-leg-no-answer", "dial-missed-06-action", "dial-missed-07-completed"}
	// The parent's callbacks alone: Twilio answered to run the TwiML, no
	// person did.
	twilioParentOnly = []string{"answered-01-ringing", "answered-00-recording-in-progress", "answered-02-in-progress",
		"answered-03-completed"}
	twilioUnanswered = []string{"missed-01-queued", "missed-02-initiated", "missed-03-ringing", "missed-04-no-answer"}
	twilioRecorded   = []string{"recorded-01-in-progress", "recorded-02-completed"}
	twilioCall       = answered{phone: "+79161230006", line: "+74951000000",
		text: "Incoming call from +79161230006, answered, 1:35", subject: "Incoming call, 1:35", duration: 95, extension: "+79169990001",
		recording: "https://api.twilio.com/2010-04-01/Accounts/AC8f3c1a9d2b7e4f6a0c5d8e1b3a7f9c2d4/Recordings/RE1a2b3c4d5e6f708192a3b4c5d6e7f809",
		started:   time.Date(2024, 5, 16, 10, 0, 0, 0, time.UTC)}
)

func withTwilio(cfg *configs.Config) {
	section(&cfg.Telephony.Twilio).AuthToken = twilioToken
	cfg.Telephony.PublicURL = twilioURL
}

// twilioMissed posts the status callbacks of an inbound call nobody
// answered, signed as Twilio signs them: the recorded calls are all
// answered or outbound.
func (ta *testApp) twilioMissed() {
	ta.t.Helper()
	for _, f := range []url.Values{
		{"CallStatus": {"ringing"}, "SequenceNumber": {"0"}, "Timestamp": {"Tue, 14 May 2024 15:02:45 +0000"}},
		{"CallStatus": {"no-answer"}, "SequenceNumber": {"1"}, "Timestamp": {"Tue, 14 May 2024 15:03:06 +0000"}, "CallDuration": {"0"}},
	} {
		for k, v := range map[string]string{"AccountSid": "AC8f3c1a9d2b7e4f6a0c5d8e1b3a7f9c2d4", "ApiVersion": "2010-04-01",
			"CallSid": "CA7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c21", "Direction": "inbound", "From": "+79161230003", "To": "+74951000000",
			"Caller": "+79161230003", "Called": "+74951000000", "CallbackSource": "call-progress-events"} {
			f.Set(k, v)
		}
		sig := twilio.Sign(twilioToken, strings.TrimSuffix(twilioURL, "/")+"/hooks/telephony/twilio", f)
		res := ta.do("POST", "/hooks/telephony/twilio", "application/x-www-form-urlencoded", strings.NewReader(f.Encode()),
			"X-Twilio-Signature: "+sig)
		if res.Status != 200 {
			ta.t.Fatalf("%s: answered %d %s", f.Get("CallStatus"), res.Status, res.Body)
		}
		ta.waitProcessed()
	}
}

func TestTwilioRecordedCallbacksBecomeLeadsCallsAndCallBacks(t *testing.T) {
	t.Parallel()
	ta := startApp(t, withTwilio)

	ta.refused("twilio", 401, "unsigned", "wrong-token", "other-url", "tampered")
	ta.refused("twilio", 400, "bad-duration", "bad-timestamp", "bad-status")

	// Twilio reads the answer to a callback as TwiML.
	if res := ta.send("twilio", "answered-01-ringing"); res.Status != 200 ||
		!strings.HasPrefix(res.Header.Get("Content-Type"), "text/xml") || !bytes.HasSuffix(res.Body, []byte("<Response/>")) {
		t.Errorf("a status callback answered %d %q (%s), want empty TwiML", res.Status, res.Body, res.Header.Get("Content-Type"))
	}
	start := time.Now()
	ta.replay("twilio", twilioAnswered...)
	before := twilioCall
	before.recording = ""
	ta.checkAnswered(before)
	ta.replay("twilio", "dial-answered-08-recording")
	ta.checkRecorded(twilioCall.phone, twilioCall.subject, twilioCall.duration, twilioCall.recording)

	// The usual missed call: the IVR answered, the manager's mobile rang
	// out, the Dial action says no-answer. A call-back, and the manager's
	// own number is no client.
	ta.replay("twilio", twilioDialMissed...)
	ta.checkMissed("+79161230005", "+74951000000", "Incoming call from +79161230005, missed (no_answer)", start)
	if n := len(ta.leadsByPhone("+79169990001")); n != 0 {
		t.Errorf("the manager's own mobile opened %d leads", n)
	}
	// Only the parent's callbacks: nobody answered.
	ta.replay("twilio", twilioParentOnly...)
	ta.checkMissed("+79161230001", "+74951000000", "Incoming call from +79161230001, missed (no_answer)", start)

	ta.twilioMissed()
	ta.checkMissed("+79161230003", "+74951000000", "Incoming call from +79161230003, missed (no_answer)", start)

	// The manager calls the missed caller back and nobody answers: the
	// attempt is in the history and the call-back stays open.
	ta.replay("twilio", twilioUnanswered...)
	missed := ta.lead(ta.leadsByPhone("+79161230003")[0].ID)
	var texts, open []string
	for _, tc := range missed.Touches {
		texts = append(texts, tc.Text)
	}
	for _, a := range missed.Activities {
		if a.DoneAt == nil {
			open = append(open, a.Subject)
		}
	}
	if len(texts) != 2 || !slices.Contains(texts, "Outgoing call to +79161230003, missed (no_answer)") ||
		len(open) != 1 || open[0] != "Missed call: call back" {
		t.Errorf("after an unanswered call back: touches %q, open %q", texts, open)
	}

	// With Record=true the completed callback carries the recording.
	known := ta.newLead("+7 916 123-00-02")
	ta.replay("twilio", twilioRecorded...)
	ta.checkOutgoing(known, "Outgoing call to +79161230002, answered, 0:42", "Outgoing call, 0:42",
		"https://api.twilio.com/2010-04-01/Accounts/AC8f3c1a9d2b7e4f6a0c5d8e1b3a7f9c2d4/Recordings/RE0f1e2d3c4b5a69788796a5b4c3d2e1f0")

	ta.replay("twilio", "busy-01-busy")
	if n := len(ta.leadsByPhone("+79161230004")); n != 0 {
		t.Errorf("a manager's call to a busy stranger opened %d leads", n)
	}

	ta.checkRepeatsChangeNothing(func() []int64 {
		for _, seq := range [][]string{twilioAnswered, {"dial-answered-08-recording"}, twilioDialMissed, twilioParentOnly, twilioUnanswered, twilioRecorded, {"busy-01-busy"}} {
			ta.replay("twilio", seq...)
		}
		ta.twilioMissed()
		return nil
	}, "+79161230001", "+79161230003", "+79161230002", "+79161230005", "+79161230006")
}

// A recording callback names only the call (Zadarma's NOTIFY_RECORD,
// Mango's events/recording and events/record/added, Twilio's
// RecordingStatusCallback): the call's history must still name the
// caller once the recording has joined it.
func TestARecordingKeepsTheCallersNumberInTheCallsHistory(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		provider string
		edit     func(*configs.Config)
		files    []string
		want     answered
	}{
		{"zadarma", withZadarma, append(zadarmaAnswered, "answered-05-record"), zadarmaCall},
		{"mango", withMango, append(mangoAnswered, mangoRecording...), mangoCall},
		{"twilio", withTwilio, append(twilioAnswered, "dial-answered-08-recording"), twilioCall},
	} {
		t.Run(tc.provider, func(t *testing.T) {
			t.Parallel()
			ta := startApp(t, tc.edit)
			ta.replay(tc.provider, tc.files...)
			ta.checkAnswered(tc.want)
		})
	}
}

// fakeAMI stands in for Asterisk's manager port: it greets, accepts the
// Login it expects, then replays the n-th connection's sessions from
// telephony/asterisk/testdata with AMI's CRLF. Every connection but the
// last is closed after its replay, as a PBX restart would; the last one
// waits for its gate, replays and holds the line, answering pings.
type fakeAMI struct {
	t            *testing.T
	ln           net.Listener
	user, secret string
	sessions     [][]string
	gates        []chan struct{} // closed to let connection n replay
	logins       chan bool
	quit         chan struct{}
	wg           sync.WaitGroup
	mu           sync.Mutex
	conns        []net.Conn
}

func startAMI(t *testing.T, user, secret string, sessions ...[]string) *fakeAMI {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &fakeAMI{t: t, ln: ln, user: user, secret: secret, sessions: sessions,
		logins: make(chan bool, 100), quit: make(chan struct{})}
	for range sessions {
		p.gates = append(p.gates, make(chan struct{}))
	}
	close(p.gates[0])
	p.wg.Go(p.serve)
	t.Cleanup(func() {
		close(p.quit)
		ln.Close()
		p.mu.Lock()
		for _, c := range p.conns {
			c.Close()
		}
		p.mu.Unlock()
		p.wg.Wait()
	})
	return p
}

func (p *fakeAMI) serve() {
	for n := 0; ; n++ {
		conn, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		p.conns = append(p.conns, conn)
		p.mu.Unlock()
		p.wg.Go(func() {
			defer conn.Close()
			r := textproto.NewReader(bufio.NewReader(conn))
			if !p.login(conn, r) || n >= len(p.sessions) {
				return
			}
			select {
			case <-p.gates[n]:
			case <-p.quit:
				return
			}
			for _, name := range p.sessions[n] {
				b, err := os.ReadFile(filepath.Join("..", "..", "telephony", "asterisk", "testdata", name))
				if err != nil {
					p.t.Error(err)
					return
				}
				b = bytes.ReplaceAll(bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n")), []byte("\n"), []byte("\r\n"))
				if _, err := conn.Write(b); err != nil {
					return
				}
			}
			if n < len(p.sessions)-1 {
				return
			}
			for { // hold the line
				h, err := r.ReadMIMEHeader()
				if err != nil {
					return
				}
				if h.Get("Action") == "Ping" {
					fmt.Fprintf(conn, "Response: Success\r\nActionID: %s\r\nPing: Pong\r\n\r\n", h.Get("ActionID"))
				}
			}
		})
	}
}

// login answers the Login action as Asterisk does.
func (p *fakeAMI) login(conn net.Conn, r *textproto.Reader) bool {
	if _, err := conn.Write([]byte("Asterisk Call Manager/5.0.3\r\n")); err != nil {
		return false
	}
	h, err := r.ReadMIMEHeader()
	if err != nil {
		return false
	}
	ok := h.Get("Action") == "Login" && h.Get("Events") == "on" && h.Get("Username") == p.user && h.Get("Secret") == p.secret
	p.logins <- ok
	if !ok {
		fmt.Fprintf(conn, "Response: Error\r\nActionID: %s\r\nMessage: Authentication failed\r\n\r\n", h.Get("ActionID"))
		return false
	}
	_, err = fmt.Fprintf(conn, "Response: Success\r\nActionID: %s\r\nMessage: Authentication accepted\r\n\r\n"+
		"Event: FullyBooted\r\nPrivilege: system,all\r\nUptime: 2143\r\nLastReload: 2143\r\nStatus: Fully Booted\r\n\r\n", h.Get("ActionID"))
	return err == nil
}

func TestAsteriskCallsOverAMIBecomeLeadsCallsAndCallBacks(t *testing.T) {
	t.Parallel()
	calls := []string{"inbound_answered.ami", "internal.ami", "inbound_missed.ami"}
	// The second connection replays the same calls, then a new one whose
	// arrival shows that the repeats before it were handled.
	peer := startAMI(t, "leadd", "ami-s3cret", calls, append(calls, "busy_before_drop.ami", "busy_after_drop.ami"))
	start := time.Now()
	ta := startApp(t, func(cfg *configs.Config) {
		a := section(&cfg.Telephony.Asterisk)
		a.Addr, a.Username, a.Secret, a.Lines = peer.ln.Addr().String(), "leadd", "ami-s3cret", []string{"+7 495 123-45-67"}
	})
	processed := func(n int) func() bool {
		return func() bool {
			return ta.db.Count(t, `SELECT count(*) FROM inbox WHERE processed_at IS NOT NULL`) >= n &&
				ta.db.Count(t, `SELECT count(*) FROM inbox WHERE processed_at IS NULL`) == 0
		}
	}
	// ringing, answered, ended; ringing, ended. The internal call is no
	// client's.
	waitFor(t, "the calls of the first session", processed(5))
	select {
	case ok := <-peer.logins:
		if !ok {
			t.Fatal("the daemon logged in to the manager with other credentials")
		}
	default:
		t.Fatal("no login")
	}
	ta.checkAnswered(answered{phone: "+79161234567", line: "+74951234567",
		text: "Incoming call from +79161234567, answered, 1:07", subject: "Incoming call, 1:07",
		extension: "201", duration: 67, started: time.UnixMilli(1714560000500)})
	ta.checkMissed("+79031112233", "+74951234567", "Incoming call from +79031112233, missed (no_answer)", start)
	if n := ta.db.Count(t, `SELECT count(*) FROM inbox`); n != 5 {
		t.Errorf("%d call events stored, want 5", n)
	}

	ta.checkRepeatsChangeNothing(func() []int64 {
		close(peer.gates[1])
		waitFor(t, "the busy call after the repeats", processed(7))
		leads := ta.leadsByPhone("+79261112233")
		if len(leads) != 1 {
			t.Fatalf("%d leads for the call after the reconnect, want 1", len(leads))
		}
		return []int64{leads[0].ID}
	}, "+79161234567", "+79031112233")
}

// Zadarma's NOTIFY_ANSWER names the extension that took the call as its
// destination, and may come before NOTIFY_START: the lead's line is the
// number the client dialled all the same.
func TestZadarmaLineIsTheDialledNumberWhateverComesFirst(t *testing.T) {
	t.Parallel()
	ta := startApp(t, withZadarma)
	ta.replay("zadarma", "ext-01-answer", "ext-02-start", "ext-03-end")
	leads := ta.leadsByPhone("+79161230007")
	if len(leads) != 1 || leads[0].Source != "+74951000001" {
		t.Fatalf("leads %+v, want one from the line +74951000001", leads)
	}
	if _, d := ta.callTouch(leads[0].ID); d["line"] != "+74951000001" || d["extension"] != "101" {
		t.Errorf("the call says line %v, extension %v", d["line"], d["extension"])
	}
}

// An account that sends no events/summary still gets its missed calls:
// the Disconnected of events/call ends the call.
func TestMangoEndsACallOnDisconnectedWithoutASummary(t *testing.T) {
	t.Parallel()
	ta := startApp(t, withMango)
	start := time.Now()
	ta.replay("mango", "missed-01-appeared", "missed-02-appeared-manager", "missed-03-disconnected")
	ta.checkMissed("+79161230003", "+74951000000", "Incoming call from +79161230003, missed (no_answer)", start)
}

// A call that never reached Dial() (an unregistered endpoint) on a PBX
// with its own context names and no lines configured is a missed call on
// the line dialled, with a call-back.
func TestAsteriskCallThatNeverReachedDialIsAMissedCall(t *testing.T) {
	t.Parallel()
	peer := startAMI(t, "leadd", "ami-s3cret", []string{"unavailable.ami"})
	start := time.Now()
	ta := startApp(t, func(cfg *configs.Config) {
		a := section(&cfg.Telephony.Asterisk)
		a.Addr, a.Username, a.Secret = peer.ln.Addr().String(), "leadd", "ami-s3cret"
	})
	waitFor(t, "the call", func() bool {
		return ta.db.Count(t, `SELECT count(*) FROM inbox WHERE processed_at IS NOT NULL`) >= 1
	})
	ta.checkMissed("+79031112244", "+74951234568", "Incoming call from +79031112244, missed (failed)", start)
}
