package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leadd/leadd/configs"
	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/crm/scheduler"
	"github.com/leadd/leadd/routing"
)

// runJob runs one of the daemon's scheduled jobs for a tick at now, as the
// cron would.
func (ta *testApp) runJob(name string, now time.Time) bool {
	ta.t.Helper()
	for _, j := range ta.jobs(ta.cfg) {
		if j.Name == name {
			ran, err := scheduler.New(ta.store.Pool(), nil, testLogger(ta.t), func() time.Time { return now }).RunTick(context.Background(), j, now)
			if err != nil {
				ta.t.Fatal(err)
			}
			return ran
		}
	}
	ta.t.Fatalf("no job %s", name)
	return false
}

func (ta *testApp) createManager(name string) crm.Manager {
	ta.t.Helper()
	var m crm.Manager
	if s := ta.api("POST", "/api/v1/managers", map[string]any{"name": name}, &m); s != 201 {
		ta.t.Fatalf("create manager: %d", s)
	}
	return m
}

func (ta *testApp) newLead(phone string) crm.Lead {
	ta.t.Helper()
	if res := ta.postForm("contact", url.Values{"phone": {phone}}); res.Status != 202 {
		ta.t.Fatalf("post: %d %s", res.Status, res.Body)
	}
	ta.waitProcessed()
	leads := ta.leadsByPhone(phone)
	if len(leads) == 0 {
		ta.t.Fatalf("no lead for %s", phone)
	}
	return ta.lead(leads[0].ID)
}

func TestALeadNotTakenWithinTheSLAMovesOnTwiceThenWaitsInTheQueue(t *testing.T) {
	t.Parallel()
	ta := startApp(t, nil)
	ta.createManager("Вера")
	l := ta.newLead("+7 916 700 00 01")
	first := *l.ManagerID
	deadline := l.Activities[0].DueAt

	// Before the deadline nothing moves.
	ta.runJob("sla", deadline.Add(-time.Second))
	if got := ta.lead(l.ID); *got.ManagerID != first {
		t.Fatalf("moved before its SLA ran out")
	}

	seen := map[int64]bool{first: true}
	at := deadline
	for hop := 1; hop <= 2; hop++ {
		at = at.Add(time.Second)
		if !ta.runJob("sla", at) {
			t.Fatal("the job did not run")
		}
		got := ta.lead(l.ID)
		if got.ManagerID == nil || seen[*got.ManagerID] {
			t.Fatalf("hop %d went to %v, want a manager who has not had it (had %v)", hop, got.ManagerID, seen)
		}
		seen[*got.ManagerID] = true
		open := 0
		for _, a := range got.Activities {
			if a.DoneAt == nil {
				open++
				if a.ManagerID != *got.ManagerID {
					t.Errorf("hop %d: the call stayed with manager %d", hop, a.ManagerID)
				}
				at = a.DueAt
			}
		}
		if open != 1 {
			t.Errorf("hop %d: %d open calls, want the one that moved", hop, open)
		}
	}
	ta.runJob("sla", at.Add(time.Second))
	queued := ta.lead(l.ID)
	if queued.ManagerID != nil || queued.Status != "new" {
		t.Fatalf("after two hops: manager %v, status %s; want it queued", queued.ManagerID, queued.Status)
	}
	var q leadList
	ta.api("GET", "/api/v1/leads?queue=true", nil, &q)
	if len(q.Items) != 1 || q.Items[0].ID != l.ID {
		t.Errorf("the queue shows %d leads", len(q.Items))
	}
	if n := ta.db.Count(t, `SELECT count(*) FROM outbox WHERE kind = 'supervisor.sla_missed'`); n != 3 {
		t.Errorf("supervisors were told %d times, want 3", n)
	}

	// A manager takes it from the queue; the clock stops.
	var taken crm.Lead
	if s := ta.api("POST", fmt.Sprint("/api/v1/leads/", l.ID, "/assign"), map[string]int64{"manager_id": first}, &taken); s != 200 {
		t.Fatalf("take from the queue: %d", s)
	}
	if *taken.ManagerID != first {
		t.Errorf("taken by %v", taken.ManagerID)
	}
	ta.runJob("sla", at.Add(time.Hour))
	if got := ta.lead(l.ID); got.ManagerID == nil || *got.ManagerID != first {
		t.Errorf("a lead taken by hand moved on by the SLA")
	}

	var hops struct {
		Items []struct {
			Rule      string `json:"rule"`
			Strategy  string `json:"strategy"`
			ManagerID *int64 `json:"manager_id"`
			At        string `json:"at"`
			Reason    string `json:"reason"`
		} `json:"items"`
	}
	ta.api("GET", fmt.Sprint("/api/v1/leads/", l.ID, "/assignments"), nil, &hops)
	var strategies []string
	for _, h := range hops.Items {
		strategies = append(strategies, h.Strategy)
		if h.Rule == "" || h.At == "" || h.Reason == "" {
			t.Errorf("a hop without rule, time or reason: %+v", h)
		}
	}
	if got := strings.Join(strategies, ","); got != "round_robin,round_robin,round_robin,queue,manual" {
		t.Errorf("hops %s", got)
	}
	if !strings.HasPrefix(hops.Items[1].Reason, "SLA: not taken in time") {
		t.Errorf("hop reason %q", hops.Items[1].Reason)
	}
}

func TestTakingALeadStopsTheSLAClock(t *testing.T) {
	t.Parallel()
	ta := startApp(t, nil)
	l := ta.newLead("+7 916 700 00 02")
	if s := ta.api("POST", fmt.Sprint("/api/v1/leads/", l.ID, "/status"), map[string]string{"status": "in_progress"}, nil); s != 200 {
		t.Fatal(s)
	}
	ta.runJob("sla", time.Now().Add(time.Hour))
	if got := ta.lead(l.ID); *got.ManagerID != *l.ManagerID {
		t.Errorf("a taken lead moved to %d", *got.ManagerID)
	}
}

func TestNoAnswerFollowsTheCadenceThenTheLeadIsUnreachable(t *testing.T) {
	t.Parallel()
	ta := startApp(t, nil)
	l := ta.newLead("+7 916 700 00 03")
	call := l.Activities[0].ID
	for i, want := range []time.Duration{15 * time.Minute, 2 * time.Hour} {
		var res crm.CompleteResult
		before := time.Now()
		if s := ta.api("POST", fmt.Sprint("/api/v1/activities/", call, "/complete"), map[string]string{"outcome": "no_answer"}, &res); s != 200 {
			t.Fatalf("attempt %d: %d", i+1, s)
		}
		if res.Next == nil {
			t.Fatalf("attempt %d: no next call", i+1)
		}
		if d := res.Next.DueAt.Sub(before); d < want || d > want+time.Minute {
			t.Errorf("after attempt %d the next call is due in %v, want %v", i+1, d, want)
		}
		call = res.Next.ID
	}
	var res crm.CompleteResult
	ta.api("POST", fmt.Sprint("/api/v1/activities/", call, "/complete"), map[string]string{"outcome": "no_answer"}, &res)
	if res.Next == nil {
		t.Fatal("no third call")
	}
	// The demo managers work around the clock: "next day 10:00" is tomorrow
	// at 10:00 in their time zone.
	msk, _ := time.LoadLocation("Europe/Moscow")
	tomorrow := time.Now().In(msk).AddDate(0, 0, 1)
	if want := time.Date(tomorrow.Year(), tomorrow.Month(), tomorrow.Day(), 10, 0, 0, 0, msk); !res.Next.DueAt.Equal(want) {
		t.Errorf("third call due %v, want %v", res.Next.DueAt, want)
	}
	ta.api("POST", fmt.Sprint("/api/v1/activities/", res.Next.ID, "/complete"), map[string]string{"outcome": "no_answer"}, &res)
	if !res.LeadJunk || res.Next != nil {
		t.Errorf("after the last attempt: %+v", res)
	}
	got := ta.lead(l.ID)
	if got.Status != "junk" || *got.JunkReason != "unreachable" {
		t.Errorf("lead is %s %v, want junk unreachable", got.Status, got.JunkReason)
	}
	if n := ta.db.Count(t, `SELECT count(*) FROM activities WHERE lead_id = $1 AND outcome = 'no_answer'`, l.ID); n != 4 {
		t.Errorf("%d attempts recorded, want 4", n)
	}
	var e map[string]any
	if s := ta.api("POST", fmt.Sprint("/api/v1/activities/", call, "/complete"), map[string]string{"outcome": "done"}, &e); s != 409 {
		t.Errorf("completing a done activity again: %d", s)
	}
}

func TestActivitiesCanBeRescheduledAndListedByDue(t *testing.T) {
	t.Parallel()
	ta := startApp(t, nil)
	l := ta.newLead("+7 916 700 00 04")
	m := *l.ManagerID
	var today, overdue struct{ Items []crm.Activity }
	ta.api("GET", fmt.Sprint("/api/v1/activities?due=today&manager_id=", m), nil, &today)
	ta.api("GET", fmt.Sprint("/api/v1/activities?due=overdue&manager_id=", m), nil, &overdue)
	// Around local midnight the call may already be due tomorrow.
	if len(today.Items)+len(overdue.Items) > 1 || len(overdue.Items) != 0 {
		t.Errorf("today %d, overdue %d", len(today.Items), len(overdue.Items))
	}
	past := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	if s := ta.api("POST", fmt.Sprint("/api/v1/activities/", l.Activities[0].ID, "/complete"),
		map[string]any{"outcome": "rescheduled", "at": past}, nil); s != 200 {
		t.Fatal(s)
	}
	ta.api("GET", fmt.Sprint("/api/v1/activities?due=overdue&manager_id=", m), nil, &overdue)
	if len(overdue.Items) != 1 || !overdue.Items[0].DueAt.Equal(past) {
		t.Errorf("overdue: %+v", overdue.Items)
	}
	var c crm.Counters
	ta.api("GET", fmt.Sprint("/api/v1/counters?manager_id=", m), nil, &c)
	if c.Overdue != 1 {
		t.Errorf("counters %+v", c)
	}
	if s := ta.api("POST", fmt.Sprint("/api/v1/activities/", l.Activities[0].ID, "/complete"), map[string]any{"outcome": "rescheduled"}, nil); s != 422 {
		t.Errorf("rescheduling without a time: %d", s)
	}
	if s := ta.api("GET", "/api/v1/activities?due=someday&manager_id=1", nil, nil); s != 422 {
		t.Errorf("due=someday: %d", s)
	}
}

func TestOverdueRemindersAndMorningDigestsGoOutOnce(t *testing.T) {
	t.Parallel()
	ta := startApp(t, nil)
	l := ta.newLead("+7 916 700 00 05")
	due := l.Activities[0].DueAt
	ta.runJob("overdue", due.Add(-time.Second))
	if n := ta.db.Count(t, `SELECT count(*) FROM outbox WHERE kind = 'activity.overdue'`); n != 0 {
		t.Fatalf("reminded before it was due")
	}
	ta.runJob("overdue", due.Add(time.Second))
	ta.runJob("overdue", due.Add(time.Minute))
	if n := ta.db.Count(t, `SELECT count(*) FROM outbox WHERE kind = 'activity.overdue'`); n != 1 {
		t.Errorf("%d reminders, want 1", n)
	}

	// 05:59 UTC is 08:59 in Moscow: no digest yet; 06:00 is 09:00.
	day := time.Date(2030, 3, 4, 5, 59, 0, 0, time.UTC)
	ta.runJob("digest", day)
	if n := ta.db.Count(t, `SELECT count(*) FROM outbox WHERE kind = 'manager.digest' AND payload->>'date' = '2030-03-04'`); n != 0 {
		t.Errorf("%d digests before 9:00", n)
	}
	ta.runJob("digest", day.Add(time.Minute))
	ta.runJob("digest", day.Add(2*time.Hour))
	if n := ta.db.Count(t, `SELECT count(*) FROM outbox WHERE kind = 'manager.digest' AND payload->>'date' = '2030-03-04'`); n != 2 {
		t.Errorf("%d digests, want one per demo manager", n)
	}
	// Started late in the morning (or a tick run late): no digest that
	// day, nor before 9:00.
	next := day.Add(24 * time.Hour)
	ta.runJob("digest", next.Add(-2*time.Hour)) // 6:59 in Moscow
	ta.runJob("digest", next.Add(3*time.Hour))  // 11:59
	if n := ta.db.Count(t, `SELECT count(*) FROM outbox WHERE kind = 'manager.digest' AND payload->>'date' = '2030-03-05'`); n != 0 {
		t.Errorf("%d digests outside the digest hour", n)
	}
	// The daemon's own scheduler ran on the real clock all along: it sent
	// a digest only if this is the digest hour in Moscow now.
	moscow, _ := time.LoadLocation("Europe/Moscow")
	real := ta.db.Count(t, `SELECT count(*) FROM outbox WHERE kind = 'manager.digest' AND payload->>'date' NOT IN ('2030-03-04', '2030-03-05')`)
	if h := time.Now().In(moscow).Hour(); real != 0 && h != 9 && h != 10 {
		t.Errorf("%d digests at %d:xx Moscow time, outside the digest hour", real, h)
	}
}

func TestRoundRobinStaysFairAcrossARestartAndTwoReplicas(t *testing.T) {
	t.Parallel()
	first := startApp(t, nil)
	post := func(ta *testApp, from, n int) {
		for i := from; i < from+n; i++ {
			ta.postForm("contact", url.Values{"phone": {fmt.Sprintf("+7 916 800 %02d %02d", i/100, i%100)}})
		}
		ta.waitProcessed()
	}
	post(first, 0, 5)
	// A restart: the same database and Redis, a new process.
	restarted := startAppOn(t, first.db, first.rds, nil)
	post(restarted, 5, 5)
	// A second replica beside it, both taking posts.
	second := startAppOn(t, first.db, first.rds, nil)
	for i := 10; i < 30; i++ {
		ta := restarted
		if i%2 == 1 {
			ta = second
		}
		ta.postForm("contact", url.Values{"phone": {fmt.Sprintf("+7 916 800 %02d %02d", i/100, i%100)}})
	}
	restarted.waitProcessed()
	var rows []int
	for _, m := range []int{1, 2} {
		rows = append(rows, first.db.Count(t, `SELECT count(*) FROM leads WHERE manager_id = $1`, m))
	}
	if rows[0] != 15 || rows[1] != 15 {
		t.Errorf("30 leads over two managers across a restart and two replicas: %v", rows)
	}
}

func TestRouteExplainAgreesWithWhatServeDoes(t *testing.T) {
	t.Parallel()
	ta := startApp(t, nil)
	ta.createManager("Вера")
	explain := func(phone string) explanation {
		var out bytes.Buffer
		in := strings.NewReader(fmt.Sprintf(`{"channel": "form", "source": "contact", "phone": %q}`, phone))
		if err := route(context.Background(), ta.cfg, in, &out, testLogger(t)); err != nil {
			t.Fatal(err)
		}
		var x explanation
		if err := json.Unmarshal(out.Bytes(), &x); err != nil {
			t.Fatal(err)
		}
		return x
	}
	for i := range 4 {
		phone := fmt.Sprintf("+7 916 900 00 %02d", i+10)
		x := explain(phone)
		if again := explain(phone); *again.ManagerID != *x.ManagerID {
			t.Fatalf("explaining twice changed the answer: the dry run took a turn")
		}
		l := ta.newLead(phone)
		if *l.ManagerID != *x.ManagerID || l.Assignment.Rule != x.Rule || l.Assignment.Strategy != x.Strategy {
			t.Errorf("explain said %d by %s/%s, serve did %d by %s/%s", *x.ManagerID, x.Rule, x.Strategy,
				*l.ManagerID, l.Assignment.Rule, l.Assignment.Strategy)
		}
		if len(x.Candidates) != 3 || x.Reason == "" || x.ManagerName == "" {
			t.Errorf("explanation %+v", x)
		}
	}
	if n := ta.db.Count(t, `SELECT count(*) FROM assignments`); n != 4 {
		t.Errorf("explain wrote assignments: %d", n)
	}
}

func TestReloadSwapsTheRulesAndABrokenFileKeepsTheRunningOnes(t *testing.T) {
	t.Parallel()
	ta := startApp(t, nil)
	vera := ta.createManager("Вера")
	dir := t.TempDir()
	demo, _ := os.ReadFile("../../configs/leadd.yaml")
	write := func(name, routingYAML string) string {
		p := filepath.Join(dir, name)
		s := strings.Replace(string(demo), "  rules: []\n", routingYAML, 1)
		s = demoTemplatesHere(s)
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	broken := write("broken.yaml", "  rules:\n    - {name: parts, when: {words: [запчасти]}, pool: parts}\n")
	err := ta.reload(broken)
	if err == nil || !strings.Contains(err.Error(), `routing.rules[0].pool: unknown pool "parts"`) {
		t.Fatalf("a broken file: %v", err)
	}
	if len(ta.router.Engine().Config().Rules) != 0 {
		t.Fatal("the broken rules were loaded")
	}
	good := write("good.yaml", "  rules:\n    - {name: parts, when: {words: [запчасти]}, manager: Вера}\n")
	if err := ta.reload(good); err != nil {
		t.Fatal(err)
	}
	ta.postForm("contact", url.Values{"phone": {"+7 916 901 00 01"}, "comment": {"Нужны запчасти к станку"}})
	ta.waitProcessed()
	l := ta.lead(ta.leadsByPhone("+79169010001")[0].ID)
	if *l.ManagerID != vera.ID || l.Assignment.Rule != "parts" {
		t.Errorf("after the reload: manager %d by rule %q, want Вера by parts", *l.ManagerID, l.Assignment.Rule)
	}
}

func TestManagersAvailabilityIsSetThroughTheAPI(t *testing.T) {
	t.Parallel()
	ta := startApp(t, nil)
	var m crm.Manager
	patch := map[string]any{"time_zone": "Asia/Vladivostok", "hours": map[string]string{"mon": "09:00-18:00"},
		"away": true, "capacity": 3, "weight": 2, "time_off": []map[string]string{{"from": "2030-01-01", "to": "2030-01-10"}}}
	if s := ta.api("PATCH", "/api/v1/managers/1", patch, &m); s != 200 {
		t.Fatalf("patch: %d", s)
	}
	if m.TimeZone != "Asia/Vladivostok" || !m.Away || *m.Capacity != 3 || m.Weight != 2 || m.Hours["mon"] != "09:00-18:00" || len(m.TimeOff) != 1 {
		t.Errorf("patched %+v", m)
	}
	// Away, manager 1 gets nothing.
	for i := range 4 {
		if l := ta.newLead(fmt.Sprintf("+7 916 902 00 %02d", i+10)); *l.ManagerID == 1 {
			t.Errorf("an away manager got lead %d", l.ID)
		}
	}
	ta.api("PATCH", "/api/v1/managers/1", map[string]any{"hours": nil, "capacity": 0}, &m)
	if m.Hours != nil || m.Capacity != nil {
		t.Errorf("clearing hours and capacity: %+v", m)
	}
	var e struct{ Error struct{ Field string } }
	if s := ta.api("PATCH", "/api/v1/managers/1", map[string]any{"hours": map[string]string{"monday": "9-18"}}, &e); s != 422 || e.Error.Field != "hours.monday" {
		t.Errorf("bad hours: %d %+v", s, e)
	}
	if s := ta.api("PATCH", "/api/v1/managers/99", map[string]any{"away": false}, nil); s != 404 {
		t.Errorf("unknown manager: %d", s)
	}
}

func TestAnEmptyPoolFallsBackToTheQueue(t *testing.T) {
	t.Parallel()
	ta := startApp(t, func(c *configs.Config) {
		c.Routing.Pools["night"] = routing.Pool{Strategy: routing.RoundRobin, Members: []string{"Никто"}}
		c.Routing.Default = routing.Target{Pool: "night", Fallback: &routing.Target{Queue: true}}
	})
	l := ta.newLead("+7 916 903 00 01")
	if l.ManagerID != nil || l.Assignment.Strategy != "queue" || len(l.Activities) != 0 {
		t.Errorf("lead %+v: want queued without a call", l.Assignment)
	}
}
