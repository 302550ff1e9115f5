package crm_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/crm/crmtest"
	"github.com/leadd/leadd/routing"
)

// ownerWorld is two managers, a returning customer of the second, and the
// real routing engine with owner_first, on a clock the test moves.
type ownerWorld struct {
	t        *testing.T
	db       *crmtest.DB
	now      time.Time
	router   *routing.Router
	lander   *crm.Lander
	owner    int64
	customer string
}

func newOwnerWorld(t *testing.T, reassign bool) *ownerWorld {
	ctx := context.Background()
	w := &ownerWorld{t: t, db: crmtest.MustOpenDB(t), now: time.Date(2026, 12, 7, 7, 0, 0, 0, time.UTC), customer: "+79177000001"} // Monday 10:00 MSK
	clock := func() time.Time { return w.now }
	var ids []int64
	for _, name := range []string{"Анна", "Борис"} {
		m, err := w.db.Store.CreateManager(ctx, crm.Manager{Name: name, Active: true, TimeZone: "Europe/Moscow",
			Hours: crm.Hours{"mon": "09:00-18:00", "tue": "09:00-18:00"}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, m.ID)
	}
	w.owner = ids[1]
	name := "Постоянный клиент"
	if _, err := w.db.Store.CreateContact(ctx, crm.ContactInput{Name: &name, ManagerID: &w.owner, Phones: &[]string{w.customer}}); err != nil {
		t.Fatal(err)
	}
	cfg := routing.Config{Pools: map[string]routing.Pool{"sales": {Strategy: routing.OwnerFirst, Then: routing.RoundRobin}},
		Default: routing.Target{Pool: "sales", ReassignOwner: reassign, Fallback: &routing.Target{Queue: true}}, MaxHops: 2}
	if errs := cfg.Validate("routing"); len(errs) > 0 {
		t.Fatal(errs)
	}
	w.router = routing.NewRouter(routing.NewEngine(cfg, 5*time.Minute), w.db.Store, &routing.MemoryCursors{}, 0,
		slog.New(slog.NewTextHandler(io.Discard, nil)), clock)
	w.lander = &crm.Lander{Assigner: w.router, SLA: 5 * time.Minute, Now: clock}
	return w
}

func (w *ownerWorld) tick() {
	w.t.Helper()
	ctx := context.Background()
	if err := pgx.BeginFunc(ctx, w.db.Pool, func(tx pgx.Tx) error {
		_, err := crm.ReassignOverdue(ctx, tx, w.now, w.router, 2, 100)
		return err
	}); err != nil {
		w.t.Fatal(err)
	}
}

func (w *ownerWorld) manager(leadID int64) int64 {
	w.t.Helper()
	l, err := w.db.Store.Lead(context.Background(), leadID)
	if err != nil || l.ManagerID == nil {
		w.t.Fatalf("lead %d: %v %+v", leadID, err, l)
	}
	return *l.ManagerID
}

func TestAnOwnersLeadSurvivesTheNewLeadSLAAndASupervisorIsToldAfterTheOwnersSLA(t *testing.T) {
	t.Parallel()
	w := newOwnerWorld(t, false)
	var landing crm.Landing
	if err := pgx.BeginFunc(context.Background(), w.db.Pool, func(tx pgx.Tx) error {
		var err error
		landing, err = w.lander.Land(context.Background(), tx, "", &crm.Inbound{Channel: crm.ChannelForm, Phones: []string{w.customer}, At: w.now})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if w.manager(landing.LeadID) != w.owner {
		t.Fatalf("the returning customer went to %d, not their manager %d", w.manager(landing.LeadID), w.owner)
	}
	w.now = w.now.Add(10 * time.Minute) // past the new-lead SLA
	w.tick()
	if got := w.manager(landing.LeadID); got != w.owner {
		t.Errorf("after the new-lead SLA the lead moved to %d", got)
	}
	told := func() int {
		return w.db.Count(t, `SELECT count(*) FROM outbox WHERE kind = 'supervisor.sla_missed' AND (payload->>'lead_id')::bigint = $1`, landing.LeadID)
	}
	w.now = w.now.Add(3*time.Hour + 40*time.Minute) // 13:50 MSK: 3h50m of working time
	w.tick()
	if told() != 0 {
		t.Error("a supervisor was told before the owner's 4 working hours")
	}
	w.now = w.now.Add(15 * time.Minute) // 14:05 MSK
	w.tick()
	if told() != 1 || w.manager(landing.LeadID) != w.owner {
		t.Errorf("after the owner's SLA: %d notices, manager %d; want 1 and the owner still", told(), w.manager(landing.LeadID))
	}
	w.now = w.now.Add(24 * time.Hour)
	w.tick()
	if told() != 1 {
		t.Errorf("the supervisor was told %d times, want once", told())
	}
}

func TestAnOwnersLeadMovesOnAfterTheOwnersSLAWhereTheRuleSaysSo(t *testing.T) {
	t.Parallel()
	w := newOwnerWorld(t, true)
	var landing crm.Landing
	if err := pgx.BeginFunc(context.Background(), w.db.Pool, func(tx pgx.Tx) error {
		var err error
		landing, err = w.lander.Land(context.Background(), tx, "", &crm.Inbound{Channel: crm.ChannelForm, Phones: []string{w.customer}, At: w.now})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	w.now = w.now.Add(10 * time.Minute)
	w.tick()
	if got := w.manager(landing.LeadID); got != w.owner {
		t.Errorf("after the new-lead SLA the lead moved to %d", got)
	}
	w.now = w.now.Add(4 * time.Hour)
	w.tick()
	if got := w.manager(landing.LeadID); got == w.owner {
		t.Error("after the owner's SLA with reassign_owner the lead stayed with the owner")
	}
}
