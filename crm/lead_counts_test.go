package crm_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/crm/crmtest"
)

// A manager's load and the new-lead counters come from lead_counts, which
// the leads' triggers keep: after every kind of change — one lead and many
// at once, a status, a manager, a delete, a fold — they say what counting
// the leads says.
func TestLeadCountsFollowEveryChange(t *testing.T) {
	t.Parallel()
	db := crmtest.MustOpenDB(t)
	ctx := context.Background()
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	s := crm.NewStore(db.Pool, func() time.Time { return now })
	anna, _ := s.CreateManager(ctx, crm.Manager{Name: "Анна", Active: true})
	oleg, _ := s.CreateManager(ctx, crm.Manager{Name: "Олег", Active: true})
	check := func(step string) {
		t.Helper()
		ms, err := s.Managers(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			open := db.Count(t, `SELECT count(*) FROM leads WHERE manager_id = $1 AND status IN ('new', 'in_progress')`, m.ID)
			fresh := db.Count(t, `SELECT count(*) FROM leads WHERE manager_id = $1 AND status = 'new'`, m.ID)
			if m.OpenLeads != open || m.OpenNewLeads != fresh {
				t.Errorf("%s: %s's load %d open, %d new; the leads say %d, %d", step, m.Name, m.OpenLeads, m.OpenNewLeads, open, fresh)
			}
			one, err := s.Manager(ctx, m.ID)
			if err != nil || one.OpenLeads != open || one.OpenNewLeads != fresh {
				t.Errorf("%s: Manager(%s) %d open, %d new (%v); the leads say %d, %d", step, m.Name, one.OpenLeads, one.OpenNewLeads, err, open, fresh)
			}
			c, err := s.Counters(ctx, m.ID)
			if err != nil || c.NewLeads != fresh {
				t.Errorf("%s: %s's counter of new leads %d (%v), want %d", step, m.Name, c.NewLeads, err, fresh)
			}
		}
		c, err := s.DepartmentCounters(ctx, time.UTC)
		if want := db.Count(t, `SELECT count(*) FROM leads WHERE status = 'new'`); err != nil || c.NewLeads != want {
			t.Errorf("%s: the department's new leads %d (%v), want %d", step, c.NewLeads, err, want)
		}
	}
	check("empty")
	db.Exec(t, `INSERT INTO leads (channel, name, manager_id) VALUES ('form', 'Один', $1)`, anna.ID)
	check("one lead")
	db.Exec(t, `INSERT INTO leads (channel, name, manager_id, status, junk_reason)
		SELECT 'call', 'Лид ' || i, CASE i % 3 WHEN 0 THEN $1::bigint WHEN 1 THEN $2::bigint END, (ARRAY['new', 'in_progress', 'converted', 'junk'])[1 + i % 4],
			CASE WHEN i % 4 = 3 THEN 'other' END
		FROM generate_series(1, 200) i`, anna.ID, oleg.ID)
	check("a batch")
	db.Exec(t, `UPDATE leads SET status = 'in_progress' WHERE id IN (SELECT id FROM leads WHERE status = 'new' AND manager_id = $1 LIMIT 7)`, anna.ID)
	check("taken into work")
	db.Exec(t, `UPDATE leads SET manager_id = $2 WHERE manager_id = $1 AND status = 'new'`, anna.ID, oleg.ID)
	check("re-assigned")
	db.Exec(t, `UPDATE leads SET manager_id = $1 WHERE manager_id IS NULL`, anna.ID)
	check("the queue assigned")
	db.Exec(t, `UPDATE leads SET comment = 'без перемен' WHERE manager_id = $1`, oleg.ID)
	check("a change that moves no count")
	rows := db.Count(t, `SELECT count(*) FROM lead_counts`)
	var folded int
	if err := pgx.BeginFunc(ctx, db.Pool, func(tx pgx.Tx) (err error) {
		folded, err = crm.FoldCounts(ctx, tx)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if after := db.Count(t, `SELECT count(*) FROM lead_counts`); after > 4 || rows-after != folded {
		t.Errorf("fold: %d rows became %d (said %d folded), want at most one per manager and status", rows, after, folded)
	}
	check("folded")
	db.Exec(t, `DELETE FROM leads WHERE id IN (SELECT id FROM leads WHERE status = 'new' LIMIT 10)`)
	check("deleted")
	if _, err := s.SetLeadStatus(ctx, int64(db.Count(t, `SELECT min(id) FROM leads WHERE status = 'new'`)), crm.StatusInProgress, ""); err != nil {
		t.Fatal(err)
	}
	check("taken through the store")
}

// A board's column counts and sums come from deal_counts for the whole
// department and for one manager; after every kind of change they agree
// with counting the deals (what a board filtered by period still does).
func TestDealCountsFollowEveryChange(t *testing.T) {
	t.Parallel()
	db := crmtest.MustOpenDB(t)
	ctx := context.Background()
	s := db.Store
	if err := s.ReconcilePipelines(ctx, []crm.Pipeline{{Key: "sales", Name: "Продажи", Default: true,
		LossReasons: []string{"price"}, Stages: []crm.Stage{
			{Key: "new", Name: "Новая", Semantic: "progress"}, {Key: "invoice", Name: "Счёт", Semantic: "progress"},
			{Key: "won", Name: "Успех", Semantic: "won"}, {Key: "lost", Name: "Провал", Semantic: "lost"}}}}); err != nil {
		t.Fatal(err)
	}
	anna, _ := s.CreateManager(ctx, crm.Manager{Name: "Анна", Active: true})
	oleg, _ := s.CreateManager(ctx, crm.Manager{Name: "Олег", Active: true})
	long := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	check := func(step string) {
		t.Helper()
		for _, m := range []*int64{nil, &anna.ID, &oleg.ID} {
			kept, err := s.Board(ctx, crm.BoardFilter{ManagerID: m})
			if err != nil {
				t.Fatal(err)
			}
			counted, err := s.Board(ctx, crm.BoardFilter{ManagerID: m, From: long})
			if err != nil {
				t.Fatal(err)
			}
			for i := range kept {
				k, c := kept[i], counted[i]
				if k.Count != c.Count || k.Sum != c.Sum {
					t.Errorf("%s: column %s (manager %v): %d deals, %s; counting says %d, %s", step, k.Stage.Key, m, k.Count, k.Sum, c.Count, c.Sum)
				}
			}
		}
	}
	check("empty")
	db.Exec(t, `INSERT INTO deals (title, pipeline_id, stage_id, manager_id, amount)
		SELECT 'Сделка ' || i, p.id, (SELECT id FROM stages WHERE pipeline_id = p.id ORDER BY position OFFSET i % 4 LIMIT 1),
			CASE i % 3 WHEN 0 THEN $1::bigint WHEN 1 THEN $2::bigint END, i * 1000.25
		FROM generate_series(1, 60) i, pipelines p`, anna.ID, oleg.ID)
	check("a batch")
	db.Exec(t, `UPDATE deals SET stage_id = (SELECT id FROM stages WHERE key = 'won') WHERE id % 5 = 0`)
	check("moved")
	db.Exec(t, `UPDATE deals SET amount = amount * 2 WHERE manager_id = $1`, anna.ID)
	check("amounts changed")
	db.Exec(t, `UPDATE deals SET manager_id = $1 WHERE manager_id IS NULL`, oleg.ID)
	check("assigned")
	db.Exec(t, `UPDATE deals SET title = title || '!'`)
	check("a change that moves no count")
	if err := pgx.BeginFunc(ctx, db.Pool, func(tx pgx.Tx) error {
		_, err := crm.FoldCounts(ctx, tx)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if n := db.Count(t, `SELECT count(*) FROM deal_counts`); n > 4*2 {
		t.Errorf("folded deal_counts has %d rows, want at most one per stage and manager", n)
	}
	check("folded")
	db.Exec(t, `DELETE FROM deals WHERE id % 7 = 0`)
	check("deleted")
}
