package crm_test

import (
	"context"
	"testing"
	"time"

	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/crm/crmtest"
)

func TestCountersUseTheManagersOwnDay(t *testing.T) {
	t.Parallel()
	db := crmtest.MustOpenDB(t)
	ctx := context.Background()
	// 13:30 UTC is 16:30 in Moscow and 23:30 in Vladivostok.
	now := time.Date(2026, 11, 26, 13, 30, 0, 0, time.UTC)
	store := crm.NewStore(db.Pool, func() time.Time { return now })
	moscow, _ := store.CreateManager(ctx, crm.Manager{Name: "Москва", TimeZone: "Europe/Moscow", Active: true})
	vlad, _ := store.CreateManager(ctx, crm.Manager{Name: "Владивосток", TimeZone: "Asia/Vladivostok", Active: true})
	due := []time.Time{
		now.Add(-30 * time.Minute),   // overdue for both
		now.Add(20 * time.Minute),    // 23:50 in Vladivostok: today for both
		now.Add(45 * time.Minute),    // 00:15 tomorrow in Vladivostok, 17:15 today in Moscow
		now.Add(10 * time.Hour),      // 02:30 tomorrow in Moscow
		now.Add(-2 * 24 * time.Hour), // long overdue
	}
	for _, m := range []crm.Manager{moscow, vlad} {
		for _, d := range due {
			db.Exec(t, `INSERT INTO activities (type, manager_id, due_at) VALUES ('call', $1, $2)`, m.ID, d)
		}
		// Done work does not count.
		db.Exec(t, `INSERT INTO activities (type, manager_id, due_at, done_at) VALUES ('call', $1, $2, $2)`, m.ID, now)
	}
	for _, tc := range []struct {
		m    crm.Manager
		want crm.Counters
	}{
		{moscow, crm.Counters{Today: 2, Overdue: 2}},
		{vlad, crm.Counters{Today: 1, Overdue: 2}},
	} {
		got, err := store.Counters(ctx, tc.m.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.m.Name, got, tc.want)
		}
	}
	// The day Москва moves to Vladivostok, its "today" ends at its new
	// midnight: the 00:15 call is tomorrow's now.
	tz := "Asia/Vladivostok"
	if _, err := store.UpdateManager(ctx, moscow.ID, crm.ManagerPatch{TimeZone: &tz}); err != nil {
		t.Fatal(err)
	}
	if got, _ := store.Counters(ctx, moscow.ID); got.Today != 1 || got.Overdue != 2 {
		t.Errorf("after the time zone change: %+v, want today 1, overdue 2", got)
	}
	// Around midnight: at 23:59 local the 23:50 call is overdue and the
	// 00:15 one is tomorrow's.
	late := crm.NewStore(db.Pool, func() time.Time { return time.Date(2026, 11, 26, 13, 59, 0, 0, time.UTC) })
	if got, _ := late.Counters(ctx, vlad.ID); got.Today != 0 || got.Overdue != 3 {
		t.Errorf("at 23:59 in Vladivostok: %+v, want today 0, overdue 3", got)
	}
	if _, err := store.Counters(ctx, 999); crm.ErrorCode(err) != crm.ENOTFOUND {
		t.Errorf("an unknown manager: %v", err)
	}
}

func TestSeedManagersOnlyOnAnEmptyDatabase(t *testing.T) {
	t.Parallel()
	db := crmtest.MustOpenDB(t)
	ctx := context.Background()
	seed := []crm.Manager{{Name: "Анна"}, {Name: "Борис", TimeZone: "Europe/Moscow"}}
	if n, err := db.Store.SeedManagers(ctx, seed); err != nil || n != 2 {
		t.Fatalf("first start seeded %d: %v", n, err)
	}
	db.Exec(t, `UPDATE managers SET active = false WHERE name = 'Анна'`)
	if n, err := db.Store.SeedManagers(ctx, seed); err != nil || n != 0 {
		t.Fatalf("second start seeded %d: %v", n, err)
	}
	if n := db.Count(t, `SELECT count(*) FROM managers WHERE active`); n != 1 {
		t.Errorf("the database is the truth after the first start: %d active, want 1", n)
	}
}

func TestMigrateIsIdempotent(t *testing.T) {
	t.Parallel()
	db := crmtest.MustOpenDB(t)
	applied, err := db.Store.Migrate(context.Background())
	if err != nil || len(applied) != 0 {
		t.Errorf("migrating a migrated database applied %v: %v", applied, err)
	}
}
