package crm_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/crm/crmtest"
)

// The adapter's own time of a touch is believed when it is before the
// inbox received the touch and at most a week before; otherwise the touch
// counts from its receipt. Whatever it is, the arrival is never after the
// receipt and never more than a week before it.
func TestArrivalIsTheAdaptersTimeOnlyWithinAWeekBeforeReceipt(t *testing.T) {
	t.Parallel()
	received := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name   string
		at     time.Time
		arrive time.Time
	}{
		{"no time of its own", time.Time{}, received},
		{"the PBX's start of a call two hours before", received.Add(-2 * time.Hour), received.Add(-2 * time.Hour)},
		{"six days before", received.Add(-6 * 24 * time.Hour), received.Add(-6 * 24 * time.Hour)},
		{"a clock a minute ahead", received.Add(time.Minute), received},
		{"a letter dated next year", received.AddDate(1, 0, 0), received},
		{"a letter from last month", received.AddDate(0, -1, 0), received},
	} {
		if got := crm.ArrivedAt(c.at, received); !got.Equal(c.arrive) {
			t.Errorf("%s: arrived %s, want %s", c.name, got, c.arrive)
		}
	}
	rng := rand.New(rand.NewSource(1))
	for range 10000 {
		at := received.Add(time.Duration(rng.Int63n(int64(20*24*time.Hour))) - 10*24*time.Hour)
		got := crm.ArrivedAt(at, received)
		if got.After(received) || received.Sub(got) > crm.MaxArrivalAge || !got.Equal(at) && !got.Equal(received) {
			t.Fatalf("at %s received %s: arrived %s", at, received, got)
		}
		if plausible := !at.After(received) && received.Sub(at) <= crm.MaxArrivalAge; plausible != got.Equal(at) {
			t.Fatalf("at %s received %s: arrived %s, plausible %v", at, received, got, plausible)
		}
	}
}

// lateWorld lands touches on a clock the test sets: the moment the
// processor gets round to them, hours after they arrived.
type lateWorld struct {
	t       *testing.T
	db      *crmtest.DB
	store   *crm.Store
	lander  *crm.Lander
	now     time.Time
	manager int64
}

const lateSLA = 15 * time.Minute

func newLateWorld(t *testing.T, now time.Time) *lateWorld {
	w := &lateWorld{t: t, db: crmtest.MustOpenDB(t), now: now}
	clock := func() time.Time { return w.now }
	w.store = crm.NewStore(w.db.Pool, clock)
	m, err := w.store.CreateManager(context.Background(), crm.Manager{Name: "Анна", Active: true})
	if err != nil {
		t.Fatal(err)
	}
	w.manager = m.ID
	w.lander = &crm.Lander{Assigner: dueIn{id: m.ID, sla: lateSLA, now: clock}, SLA: lateSLA, Now: clock}
	return w
}

// dueIn gives every lead to one manager, due within the SLA of the
// moment it is asked (as routing does).
type dueIn struct {
	id  int64
	sla time.Duration
	now func() time.Time
}

func (d dueIn) Assign(context.Context, crm.AssignRequest) (crm.Assignment, error) {
	id := d.id
	due := d.now().Add(d.sla)
	return crm.Assignment{ManagerID: &id, Rule: "default", Strategy: "round_robin", Candidates: []crm.Candidate{{ManagerID: id}},
		DueAt: due, Deadline: due}, nil
}

// landMany lands the batch as the processor does, in one transaction.
func (w *lateWorld) landMany(ins ...crm.Inbound) []crm.Landing {
	w.t.Helper()
	batch := make([]crm.Incoming, len(ins))
	for i := range ins {
		batch[i] = crm.Incoming{In: &ins[i]}
	}
	var out []crm.Landing
	if err := pgx.BeginFunc(context.Background(), w.db.Pool, func(tx pgx.Tx) error {
		var err error
		out, err = w.lander.LandMany(context.Background(), tx, batch)
		return err
	}); err != nil {
		w.t.Fatal(err)
	}
	return out
}

// jobs runs the scheduler's SLA re-assignment and overdue reminders at
// the world's now and returns how many leads moved and how many
// reminders went.
func (w *lateWorld) jobs() (moved, reminded int) {
	w.t.Helper()
	ctx := context.Background()
	if err := pgx.BeginFunc(ctx, w.db.Pool, func(tx pgx.Tx) error {
		var err error
		if moved, err = crm.ReassignOverdue(ctx, tx, w.now, w.lander.Assigner, 2, 1000); err != nil {
			return err
		}
		reminded, err = crm.RemindOverdue(ctx, tx, w.now, 1000)
		return err
	}); err != nil {
		w.t.Fatal(err)
	}
	return moved, reminded
}

func (w *lateWorld) speed(day string) crm.SpeedReport {
	w.t.Helper()
	msk, _ := time.LoadLocation("Europe/Moscow")
	from, to, err := crm.ParsePeriod("", day, day, msk, w.now)
	if err != nil {
		w.t.Fatal(err)
	}
	rep, err := w.store.Speed(context.Background(), crm.ReportQuery{Filter: crm.ReportFilter{From: from, To: to}, Loc: msk, SLA: lateSLA})
	if err != nil {
		w.t.Fatal(err)
	}
	return rep
}

func form(phone string, at time.Time) crm.Inbound {
	return crm.Inbound{Channel: crm.ChannelForm, Source: "site", At: at, Name: "Иван", Phones: []string{phone}}
}

// A client writes at 23:30 Moscow time on 3 December; Leadd is down and
// lands the request at 01:30 on the 4th. The lead was created at 23:30
// on the 3rd — in that day's reports — and its first answer, five
// minutes after the manager saw it, counts as 2 h 05 min of the client's
// waiting. The manager's call is due, and the SLA deadline falls, within
// the SLA of the landing: nothing is overdue or escalated the moment the
// lead appears.
func TestALeadThatWaitedTwoHoursCountsFromWhenTheClientReachedOut(t *testing.T) {
	t.Parallel()
	arrived := time.Date(2026, 12, 3, 20, 30, 0, 0, time.UTC) // 23:30 MSK
	landed := arrived.Add(2 * time.Hour)
	w := newLateWorld(t, landed)
	ctx := context.Background()
	id := w.landMany(form("+79161234567", arrived))[0].LeadID

	lead, err := w.store.Lead(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if !lead.CreatedAt.Equal(arrived) {
		t.Errorf("lead created at %s, want the client's %s", lead.CreatedAt.UTC(), arrived)
	}
	if len(lead.Touches) != 1 || !lead.Touches[0].At.Equal(arrived) {
		t.Errorf("touches %+v, want one at %s", lead.Touches, arrived)
	}
	if len(lead.Activities) != 1 || !lead.Activities[0].DueAt.Equal(landed.Add(lateSLA)) {
		t.Fatalf("activities %+v, want the first call due %s (the SLA from landing)", lead.Activities, landed.Add(lateSLA))
	}
	var created, statusAt, slaDue time.Time
	if err := w.db.Pool.QueryRow(ctx, `SELECT a.created_at, l.status_changed_at, l.sla_due_at FROM leads l
		JOIN activities a ON a.lead_id = l.id WHERE l.id = $1`, id).Scan(&created, &statusAt, &slaDue); err != nil {
		t.Fatal(err)
	}
	if !created.Equal(arrived) || !statusAt.Equal(arrived) || !slaDue.Equal(landed.Add(lateSLA)) {
		t.Errorf("call asked for at %s, status since %s, SLA deadline %s; want %s, %s, %s",
			created.UTC(), statusAt.UTC(), slaDue.UTC(), arrived, arrived, landed.Add(lateSLA))
	}
	if moved, reminded := w.jobs(); moved != 0 || reminded != 0 {
		t.Errorf("at landing %d leads re-assigned and %d reminders, want none", moved, reminded)
	}
	w.now = landed.Add(lateSLA - time.Second)
	if moved, reminded := w.jobs(); moved != 0 || reminded != 0 {
		t.Errorf("within the SLA of landing %d leads re-assigned and %d reminders, want none", moved, reminded)
	}

	w.now = landed.Add(5 * time.Minute)
	if _, err := w.store.SetLeadStatus(ctx, id, crm.StatusInProgress, ""); err != nil {
		t.Fatal(err)
	}
	rep := w.speed("2026-12-03")
	waited := int64((2*time.Hour + 5*time.Minute).Seconds())
	if rep.Total.Leads != 1 || rep.Total.MedianSeconds == nil || *rep.Total.MedianSeconds != waited || rep.Total.SLAMissed != 1 {
		t.Errorf("3 December: %d leads, median %v s, %d SLA missed; want 1, %d, 1", rep.Total.Leads, rep.Total.MedianSeconds,
			rep.Total.SLAMissed, waited)
	}
	if rep := w.speed("2026-12-04"); rep.Total.Leads != 0 {
		t.Errorf("4 December, the day it was processed: %d leads, want 0", rep.Total.Leads)
	}
	// The facts the triggers kept are the facts rebuilt from the records.
	before, _ := json.Marshal(rep)
	w.db.Exec(t, `SELECT report_rebuild()`)
	if after, _ := json.Marshal(w.speed("2026-12-03")); string(after) != string(before) {
		t.Errorf("after the rebuild:\n%s\nbefore:\n%s", after, before)
	}
}

// A backlog of three hours lands at once: every lead is created when its
// client wrote; none is
// overdue or re-assigned at landing, and the ones the managers leave
// untaken move on only a full SLA after landing — a burst, not a storm
// at the next tick. The department's SLA misses are in the speed report.
func TestABacklogLandsWithoutAStormOfEscalations(t *testing.T) {
	t.Parallel()
	landed := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	w := newLateWorld(t, landed)
	rng := rand.New(rand.NewSource(7))
	var ins []crm.Inbound
	for i := range 40 {
		ins = append(ins, form(fmt.Sprintf("+7916%07d", i), landed.Add(-time.Duration(rng.Int63n(int64(3*time.Hour)))).Truncate(time.Microsecond)))
	}
	landings := w.landMany(ins...)
	ctx := context.Background()
	late := 0
	for i, l := range landings {
		var created, slaDue time.Time
		if err := w.db.Pool.QueryRow(ctx, `SELECT created_at, sla_due_at FROM leads WHERE id = $1`, l.LeadID).Scan(&created, &slaDue); err != nil {
			t.Fatal(err)
		}
		if !created.Equal(ins[i].At) || !slaDue.Equal(landed.Add(lateSLA)) {
			t.Errorf("lead %d: created %s, SLA deadline %s; want %s, %s", l.LeadID, created.UTC(), slaDue.UTC(), ins[i].At, landed.Add(lateSLA))
		}
		if landed.Sub(ins[i].At) > lateSLA {
			late++
		}
	}
	if moved, reminded := w.jobs(); moved != 0 || reminded != 0 {
		t.Errorf("at landing %d of %d leads re-assigned and %d reminders, want none", moved, len(ins), reminded)
	}
	// A quarter taken in time; the rest move on a full SLA after landing.
	w.now = landed.Add(10 * time.Minute)
	for _, l := range landings[:10] {
		if _, err := w.store.SetLeadStatus(ctx, l.LeadID, crm.StatusInProgress, ""); err != nil {
			t.Fatal(err)
		}
	}
	// (Those taken have their call still to make: that is overdue now.)
	w.now = landed.Add(lateSLA + time.Second)
	if moved, reminded := w.jobs(); moved != len(ins)-10 || reminded != 10 {
		t.Errorf("a full SLA after landing: %d re-assigned and %d reminders, want %d and 10", moved, reminded, len(ins)-10)
	}
	rep := w.speed("2026-12-03")
	if rep.Total.Leads != len(ins) || rep.Total.SLAMissed < late {
		t.Errorf("speed: %d leads, %d SLA missed; want %d leads and at least the %d that waited past the SLA before landing",
			rep.Total.Leads, rep.Total.SLAMissed, len(ins), late)
	}
}

// A call rang at 10:00 by the PBX, was answered ten seconds later and
// ended at 10:01; Leadd processed the three events at noon. The lead
// began at 10:00, was taken at 10:00:10, and the talk is its first
// answer: the speed report counts no two-hour wait that the client never
// had. A missed call of the same morning, its end told before its
// ringing, began when it rang and asks for a call-back from then, due
// now, when the manager can make it.
func TestACallProcessedLateKeepsThePBXsTimes(t *testing.T) {
	t.Parallel()
	rang := time.Date(2026, 12, 3, 7, 0, 0, 0, time.UTC)
	landed := rang.Add(2 * time.Hour)
	w := newLateWorld(t, landed)
	ctx := context.Background()
	call := func(id, phone, state, disposition string, at time.Time, duration int) crm.Inbound {
		return crm.Inbound{Channel: crm.ChannelCall, Source: "+74950000001", At: at, Phones: []string{phone},
			Call: &crm.CallInfo{Provider: "test", ID: id, State: state, Direction: "in", Line: "+74950000001",
				Disposition: disposition, Duration: duration}}
	}
	ans := w.landMany(call("a", "+79160000001", "ringing", "", rang, 0))[0].LeadID
	w.landMany(call("a", "+79160000001", "answered", "", rang.Add(10*time.Second), 0))
	w.landMany(call("a", "+79160000001", "ended", "answered", rang.Add(70*time.Second), 60))
	// The missed call's end came before its ringing (providers deliver out
	// of order): the lead still began when the call rang.
	missed := w.landMany(call("m", "+79160000002", "ended", "no_answer", rang.Add(30*time.Second), 0))[0].LeadID
	w.landMany(call("m", "+79160000002", "ringing", "", rang, 0))
	var began time.Time
	if err := w.db.Pool.QueryRow(ctx, `SELECT created_at FROM leads WHERE id = $1`, missed).Scan(&began); err != nil || !began.Equal(rang) {
		t.Errorf("missed call's lead created %s (%v), want when it rang, %s", began.UTC(), err, rang)
	}

	var created, taken, response time.Time
	if err := w.db.Pool.QueryRow(ctx, `SELECT created_at, taken_at, first_response_at FROM leads WHERE id = $1`, ans).
		Scan(&created, &taken, &response); err != nil {
		t.Fatal(err)
	}
	if !created.Equal(rang) || !taken.Equal(rang.Add(10*time.Second)) || response.After(rang.Add(10*time.Second)) {
		t.Errorf("answered call: created %s, taken %s, first answer %s; want %s, %s, by %s", created.UTC(), taken.UTC(),
			response.UTC(), rang, rang.Add(10*time.Second), rang.Add(10*time.Second))
	}
	var due, asked time.Time
	var missedAt string
	if err := w.db.Pool.QueryRow(ctx, `SELECT a.due_at, a.created_at,
			(SELECT payload->>'at' FROM outbox WHERE kind = 'call.missed' AND (payload->>'lead_id')::bigint = $1)
		FROM activities a WHERE a.lead_id = $1 AND a.done_at IS NULL`, missed).Scan(&due, &asked, &missedAt); err != nil {
		t.Fatal(err)
	}
	if !due.Equal(landed) || !asked.Before(landed) {
		t.Errorf("missed call's call-back asked for at %s, due %s; want asked for when it rang, due %s", asked.UTC(), due.UTC(), landed)
	}
	if at, err := time.Parse(time.RFC3339Nano, missedAt); err != nil || !at.Equal(rang.Add(30*time.Second)) {
		t.Errorf("the missed-call notice says %q, want the call's end %s", missedAt, rang.Add(30*time.Second))
	}
	if moved, reminded := w.jobs(); moved != 0 || reminded != 0 {
		t.Errorf("at landing %d re-assigned and %d reminders, want none", moved, reminded)
	}
}
