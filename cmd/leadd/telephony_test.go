package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/telephony/generic"
)

const telephonySecret = "dev-telephony-secret"

// call posts one generic call event, signed as the demo config expects.
func (ta *testApp) call(fields map[string]any) response {
	ta.t.Helper()
	body, _ := json.Marshal(fields)
	return ta.do("POST", "/hooks/telephony/generic", "application/json", strings.NewReader(string(body)),
		"X-Signature: "+generic.Sign(telephonySecret, body))
}

func event(id, state string, extra ...any) map[string]any {
	e := map[string]any{"call_id": id, "direction": "in", "from": "8 (916) 123-00-01", "to": "+7 495 100-00-00",
		"state": state, "at": time.Now().UTC().Format(time.RFC3339)}
	for i := 0; i+1 < len(extra); i += 2 {
		e[extra[i].(string)] = extra[i+1]
	}
	return e
}

func (ta *testApp) callTouch(leadID int64) (crm.Touch, map[string]any) {
	ta.t.Helper()
	l := ta.lead(leadID)
	for _, tc := range l.Touches {
		if tc.Channel == "call" {
			var d struct{ Call map[string]any }
			json.Unmarshal(tc.Data, &d)
			return tc, d.Call
		}
	}
	ta.t.Fatalf("lead %d has no call touch", leadID)
	return crm.Touch{}, nil
}

func TestAnAnsweredCallFromAStrangerBecomesALeadWithACompletedCall(t *testing.T) {
	t.Parallel()
	ta := startApp(t, nil)
	for _, e := range []map[string]any{
		event("c1", "ringing"),
		event("c1", "answered", "extension", "101"),
		event("c1", "ended", "disposition", "answered", "duration", 125),
		event("c1", "recording", "recording_url", "https://pbx.example/rec/c1.mp3"),
	} {
		if res := ta.call(e); res.Status != 200 {
			t.Fatalf("%s: %d %s", e["state"], res.Status, res.Body)
		}
	}
	ta.waitProcessed()
	leads := ta.leadsByPhone("+79161230001")
	if len(leads) != 1 || leads[0].Channel != "call" || leads[0].Source != "+74951000000" {
		t.Fatalf("leads: %+v", leads)
	}
	touch, d := ta.callTouch(leads[0].ID)
	if touch.Text != "Incoming call from +79161230001, answered, 2:05" || d["recording_url"] != "https://pbx.example/rec/c1.mp3" {
		t.Errorf("touch %q, data %v", touch.Text, d)
	}
	l := ta.lead(leads[0].ID)
	if len(l.Touches) != 1 {
		t.Errorf("%d touches for one call, want 1", len(l.Touches))
	}
	var done *crm.Activity
	for i, a := range l.Activities {
		if a.DoneAt == nil {
			t.Errorf("a call still planned after they talked: %+v", a)
		}
		if a.Outcome != nil && *a.Outcome == "answered" {
			done = &l.Activities[i]
		}
	}
	if done == nil || done.Subject != "Incoming call, 2:05" || done.ManagerID != *l.ManagerID {
		t.Fatalf("completed call: %+v", l.Activities)
	}
	var data map[string]any
	ta.db.Pool.QueryRow(t.Context(), `SELECT data FROM activities WHERE id = $1`, done.ID).Scan(&data)
	if data["extension"] != "101" || data["duration"] != float64(125) || data["recording_url"] != "https://pbx.example/rec/c1.mp3" {
		t.Errorf("call activity data %v", data)
	}
}

func TestAMissedCallGetsACallBackDueNow(t *testing.T) {
	t.Parallel()
	ta := startApp(t, nil)
	before := time.Now()
	ta.call(event("m1", "ringing"))
	ta.call(event("m1", "ended", "disposition", "no_answer"))
	ta.waitProcessed()
	l := ta.lead(ta.leadsByPhone("+79161230001")[0].ID)
	open := []crm.Activity{}
	for _, a := range l.Activities {
		if a.DoneAt == nil {
			open = append(open, a)
		}
	}
	if len(open) != 1 || open[0].Subject != "Missed call: call back" || open[0].DueAt.After(time.Now()) || open[0].DueAt.Before(before.Add(-time.Second)) {
		t.Errorf("open calls after a missed call: %+v", open)
	}
	if touch, _ := ta.callTouch(l.ID); touch.Text != "Incoming call from +79161230001, missed (no_answer)" {
		t.Errorf("touch %q", touch.Text)
	}
	var c crm.Counters
	ta.api("GET", fmt.Sprint("/api/v1/counters?manager_id=", *l.ManagerID), nil, &c)
	if c.NewLeads != 1 || c.Unanswered != 1 || c.Incoming != 2 {
		t.Errorf("counters %+v: want the new lead and the missed call waiting", c)
	}
}

func TestAKnownCallerLandsOnTheirLeadAndTheManagerIsToldWhileItRings(t *testing.T) {
	t.Parallel()
	ta := startApp(t, nil)
	l := ta.newLead("+7 916 123 00 01")
	ta.call(event("k1", "ringing"))
	ta.waitProcessed()
	if n := len(ta.leadsByPhone("+79161230001")); n != 1 {
		t.Fatalf("%d leads, want the open one", n)
	}
	var payload map[string]any
	err := ta.db.Pool.QueryRow(t.Context(), `SELECT payload FROM outbox WHERE kind = 'call.incoming'`).Scan(&payload)
	if err != nil || payload["manager_id"] != float64(*l.ManagerID) || payload["lead_id"] != float64(l.ID) {
		t.Errorf("who-is-calling notice: %v %v", payload, err)
	}
	if got := ta.lead(l.ID); len(got.Touches) != 2 {
		t.Errorf("%d touches, want the form and the call", len(got.Touches))
	}
}

// snapshot is what a user sees of a call's lead, for comparing histories.
func (ta *testApp) snapshot(phone string) string {
	l := ta.lead(ta.leadsByPhone(phone)[0].ID)
	touch, d := ta.callTouch(l.ID)
	var acts []string
	for _, a := range l.Activities {
		acts = append(acts, fmt.Sprintf("%s/%v/%v", a.Subject, a.DoneAt != nil, deref(a.Outcome)))
	}
	return fmt.Sprintf("%s %d touches; %s; answered=%v duration=%v disposition=%v rec=%v; %v",
		l.Status, len(l.Touches), touch.Text, d["answered"], d["duration"], d["disposition"], d["recording_url"], acts)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func TestRetriesAndEventsOutOfOrderConvergeToTheSameState(t *testing.T) {
	t.Parallel()
	events := func(id string) []map[string]any {
		return []map[string]any{
			event(id, "ringing"),
			event(id, "answered", "extension", "102"),
			event(id, "ended", "disposition", "answered", "duration", 61),
			event(id, "recording", "recording_url", "https://pbx.example/"+id),
		}
	}
	inOrder := startApp(t, nil)
	for _, e := range events("x1") {
		inOrder.call(e)
	}
	inOrder.waitProcessed()
	want := strings.ReplaceAll(inOrder.snapshot("+79161230001"), "x1", "ID")

	shuffled := startApp(t, nil)
	ev := events("x1")
	for _, i := range []int{3, 2, 2, 0, 3, 1, 0} { // recording first, end twice, ringing last
		if res := shuffled.call(ev[i]); res.Status != 200 {
			t.Fatal(res.Status)
		}
		shuffled.waitProcessed()
	}
	if got := strings.ReplaceAll(shuffled.snapshot("+79161230001"), "x1", "ID"); got != want {
		t.Errorf("out of order and repeated:\n got  %s\n want %s", got, want)
	}
	if n := shuffled.db.Count(t, `SELECT count(*) FROM inbox`); n != 4 {
		t.Errorf("%d inbox events for four distinct ones", n)
	}
}

func TestSignaturesAndBadPayloadsChangeNothing(t *testing.T) {
	t.Parallel()
	ta := startApp(t, nil)
	body := `{"call_id": "s1", "direction": "in", "from": "+79161230001", "to": "+74951000000", "state": "ringing"}`
	for _, tc := range []struct {
		name, provider, body, signature string
		status                          int
	}{
		{"no signature", "generic", body, "", 401},
		{"a wrong signature", "generic", body, "sha256=" + strings.Repeat("0", 64), 401},
		{"signed with another secret", "generic", body, generic.Sign("another-secret!", []byte(body)), 401},
		{"well signed, not JSON", "generic", "{call", generic.Sign(telephonySecret, []byte("{call")), 400},
		{"well signed, no call id", "generic", `{"direction": "in", "from": "+79161230001", "state": "ringing"}`, "", 400},
		{"well signed, an unknown state", "generic", `{"call_id": "s2", "direction": "in", "from": "+79161230001", "state": "hold"}`, "", 400},
		{"an unknown provider", "sipuni", body, "", 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sig := tc.signature
			if sig == "" && tc.status == 400 {
				sig = generic.Sign(telephonySecret, []byte(tc.body))
			}
			res := ta.do("POST", "/hooks/telephony/"+tc.provider, "application/json", strings.NewReader(tc.body), "X-Signature: "+sig)
			if res.Status != tc.status {
				t.Errorf("answered %d %s, want %d", res.Status, res.Body, tc.status)
			}
		})
	}
	if n := ta.db.Count(t, `SELECT count(*) FROM inbox`); n != 0 {
		t.Errorf("%d events stored from bad requests", n)
	}
}

func TestTwentyCallsAtOnceFromOneStrangerMakeOneLead(t *testing.T) {
	t.Parallel()
	ta := startApp(t, nil)
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if res := ta.call(event(fmt.Sprintf("burst-%d", i), "ringing")); res.Status != 200 {
				t.Errorf("%d: %d", i, res.Status)
			}
		}()
	}
	wg.Wait()
	ta.waitProcessed()
	if n := ta.db.Count(t, `SELECT count(*) FROM leads`); n != 1 {
		t.Fatalf("%d leads", n)
	}
	if n := ta.db.Count(t, `SELECT count(*) FROM touches`); n != 20 {
		t.Errorf("%d touches, want 20", n)
	}
}

func TestAnAnsweredOutgoingCallTakesANewLead(t *testing.T) {
	t.Parallel()
	ta := startApp(t, nil)
	l := ta.newLead("+7 916 123 00 01")
	out := func(state string, extra ...any) map[string]any {
		e := event("o1", state, extra...)
		e["direction"], e["from"], e["to"] = "out", "+7 495 100-00-00", "+7 916 123-00-01"
		return e
	}
	ta.call(out("ringing"))
	ta.call(out("answered", "extension", "101"))
	ta.call(out("ended", "disposition", "answered", "duration", 30))
	ta.waitProcessed()
	got := ta.lead(l.ID)
	if got.Status != "in_progress" {
		t.Errorf("status %s, want in_progress", got.Status)
	}
	// A manager calling a stranger opens no lead.
	stranger := func(state string, extra ...any) map[string]any {
		e := event("o2", state, extra...)
		e["direction"], e["from"], e["to"] = "out", "+7 495 100-00-00", "+7 903 555-00-00"
		return e
	}
	ta.call(stranger("ringing"))
	ta.call(stranger("ended", "disposition", "no_answer"))
	ta.waitProcessed()
	if n := len(ta.leadsByPhone("+79035550000")); n != 0 {
		t.Errorf("an outgoing call to a stranger opened %d leads", n)
	}
}

// What integrators actually send is taken: unknown fields, a numeric
// call_id, duration as a string, "inbound"; the caller's name becomes the
// lead's, the dialled line its source.
func TestGenericTakesWhatIntegratorsSend(t *testing.T) {
	t.Parallel()
	ta := startApp(t, nil)
	body := `{"call_id":12345,"direction":"inbound","from":"8 903 765-43-21","to":"+7 495 000-00-00","state":"ended","duration":"0","disposition":"no_answer","at":"2026-11-26T10:00:00Z","caller_name":"Ольга","pbx":{"node":2},"tags":["x"]}`
	res := ta.do("POST", "/hooks/telephony/generic", "application/json", strings.NewReader(body), "X-Signature: "+generic.Sign(telephonySecret, []byte(body)))
	if res.Status != 200 {
		t.Fatalf("answered %d %s", res.Status, res.Body)
	}
	ta.waitProcessed()
	leads := ta.leadsByPhone("+79037654321")
	if len(leads) != 1 || leads[0].Source != "+74950000000" || leads[0].Name != "Ольга" {
		t.Fatalf("leads %+v, want one named Ольга from the line +74950000000", leads)
	}
	l := ta.lead(leads[0].ID)
	if len(l.Activities) != 1 || l.Activities[0].DoneAt != nil {
		t.Errorf("activities %+v, want one call-back to make", l.Activities)
	}
	for _, bad := range []string{
		`{"call_id":"x1","direction":"sideways","from":"+79037654321","state":"ringing"}`,
		`{"call_id":"x2","direction":"in","from":"+79037654321","state":"ended","disposition":"no_answer","duration":"1.5"}`,
		`{"call_id":{"a":1},"direction":"in","from":"+79037654321","state":"ringing"}`,
	} {
		if res := ta.do("POST", "/hooks/telephony/generic", "application/json", strings.NewReader(bad), "X-Signature: "+generic.Sign(telephonySecret, []byte(bad))); res.Status != 400 {
			t.Errorf("%s answered %d, want 400", bad, res.Status)
		}
	}
}

// A caller who hides their number still called: the call is a lead the
// manager sees as «номер скрыт», not a 400 and not an event retried.
func TestAHiddenNumberIsALeadWithAnUnknownCaller(t *testing.T) {
	t.Parallel()
	ta := startApp(t, nil)
	for i, from := range []any{"", "anonymous", nil} {
		id := fmt.Sprint("hidden-", i)
		e := event(id, "ringing")
		if from == nil {
			delete(e, "from")
		} else {
			e["from"] = from
		}
		ended := event(id, "ended", "disposition", "no_answer")
		delete(ended, "from")
		for _, ev := range []map[string]any{e, ended} {
			if res := ta.call(ev); res.Status != 200 {
				t.Fatalf("from %v: %s answered %d %s", from, ev["state"], res.Status, res.Body)
			}
		}
	}
	ta.waitProcessed()
	if n := ta.db.Count(t, `SELECT count(*) FROM leads WHERE name = 'номер скрыт' AND channel = 'call' AND phones = '{}'`); n != 3 {
		t.Errorf("%d leads for hidden callers, want 3", n)
	}
	if n := ta.db.Count(t, `SELECT count(*) FROM inbox WHERE processed_at IS NULL OR attempts > 1`); n != 0 {
		t.Errorf("%d events not processed at once", n)
	}
}
