package crm_test

import (
	"context"
	"testing"
	"time"

	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/crm/crmtest"
)

// TestWorkloadCountsOverdueAsTheCountersDo: a missed call's call-back is
// due at once but overdue only after its grace; the workload report, the
// manager's counters, the department's counters and the manager's list of
// overdue activities agree on every activity.
func TestWorkloadCountsOverdueAsTheCountersDo(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := crmtest.MustOpenDB(t)
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC) // 12:00 in Moscow
	st := crm.NewStore(db.Pool, func() time.Time { return now })
	m, err := st.CreateManager(ctx, crm.Manager{Name: "Анна", TimeZone: "Europe/Moscow", Active: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []struct {
		due   time.Duration // from now
		grace string
	}{
		{-time.Hour, "0"},                             // overdue
		{-10 * time.Minute, "30 minutes"},             // a missed call in its grace: due today
		{-40 * time.Minute, "30 minutes"},             // its grace passed: overdue
		{-10 * time.Minute, "5 minutes"},              // overdue
		{3 * time.Hour, "0"},                          // due today
		{3 * time.Hour, "30 minutes"},                 // due today
		{20 * time.Hour, "0"},                         // tomorrow in Moscow
		{-30 * time.Hour, "0"},                        // overdue since yesterday
		{-10 * time.Second, "15 minutes"},             // due today
		{-15*time.Minute - time.Second, "15 minutes"}, // overdue by a second
	} {
		db.Exec(t, `INSERT INTO activities (type, subject, manager_id, due_at, grace, created_at) VALUES ('call', 'Missed call: call back', $1, $2, $3::interval, $4)`,
			m.ID, now.Add(a.due), a.grace, now.Add(-48*time.Hour))
	}
	c, err := st.Counters(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if c.Overdue != 5 || c.Today != 4 {
		t.Errorf("counters: overdue %d, today %d; want 5 and 4", c.Overdue, c.Today)
	}
	dept, err := st.DepartmentCounters(ctx, time.FixedZone("MSK", 3*3600))
	if err != nil {
		t.Fatal(err)
	}
	if dept.Overdue != c.Overdue || dept.Today != c.Today {
		t.Errorf("department counters: overdue %d, today %d; the manager's: %d, %d", dept.Overdue, dept.Today, c.Overdue, c.Today)
	}
	list, err := st.Activities(ctx, m.ID, "overdue")
	if err != nil {
		t.Fatal(err)
	}
	today, err := st.Activities(ctx, m.ID, "today")
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range list {
		if !a.Overdue(now) || !a.OverdueAt.Before(now) {
			t.Errorf("activity %d is listed overdue but says it is not (overdue at %s)", a.ID, a.OverdueAt)
		}
	}
	for _, a := range today {
		if a.Overdue(now) {
			t.Errorf("activity %d is listed for today but says it is overdue (overdue at %s)", a.ID, a.OverdueAt)
		}
	}
	if len(list) != c.Overdue || len(today) != c.Today {
		t.Errorf("lists: %d overdue, %d today; counters %d, %d", len(list), len(today), c.Overdue, c.Today)
	}
	msk, _ := time.LoadLocation("Europe/Moscow")
	rep, err := st.Workload(ctx, crm.ReportQuery{Filter: crm.ReportFilter{From: now.Add(-24 * time.Hour), To: now}, Loc: msk})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Managers) != 1 {
		t.Fatalf("workload has %d managers", len(rep.Managers))
	}
	r := rep.Managers[0]
	if r.Overdue != c.Overdue || r.DueToday != c.Today {
		t.Errorf("workload: overdue %d, due today %d; counters %d, %d", r.Overdue, r.DueToday, c.Overdue, c.Today)
	}
	if want := now.Add(-30 * time.Hour); r.OldestOverdue == nil || !r.OldestOverdue.Equal(want) {
		t.Errorf("oldest overdue %v, want %v", r.OldestOverdue, want)
	}
}
