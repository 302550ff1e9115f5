package crm_test

import (
	"context"
	"testing"

	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/crm/crmtest"
)

// BenchmarkManagersFirstPage is a manager's first page of leads and of
// deals with 1,000,000 leads, 500,000 contacts and 100,000 deals in the
// tables. The target: 50 ms.
//
//	go test ./crm -run x -bench ManagersFirstPage -benchtime 200x
func BenchmarkManagersFirstPage(b *testing.B) {
	db := crmtest.MustOpenDB(b)
	ctx := context.Background()
	if err := db.Store.ReconcilePipelines(ctx, []crm.Pipeline{{Key: "sales", Default: true, Stages: []crm.Stage{
		{Key: "new", Semantic: "progress", Position: 0}, {Key: "won", Semantic: "won", Position: 1}, {Key: "lost", Semantic: "lost", Position: 2}}}}); err != nil {
		b.Fatal(err)
	}
	db.Exec(b, `INSERT INTO managers (name) SELECT 'm' || i FROM generate_series(1, 50) i`)
	db.Exec(b, `INSERT INTO contacts (name, manager_id, phones) SELECT 'c' || i, 1 + i % 50, ARRAY['+7916' || lpad(i::text, 7, '0')]
		FROM generate_series(1, 500000) i`)
	db.Exec(b, `INSERT INTO leads (status, junk_reason, channel, name, manager_id, phones, contact_id)
		SELECT (ARRAY['new', 'in_progress', 'converted', 'junk'])[1 + i % 4], CASE WHEN i % 4 = 3 THEN 'other' END,
			'form', 'l' || i, 1 + i % 50, ARRAY['+7926' || lpad(i::text, 7, '0')], CASE WHEN i % 2 = 0 THEN 1 + i % 500000 END
		FROM generate_series(1, 1000000) i`)
	db.Exec(b, `INSERT INTO deals (title, pipeline_id, stage_id, contact_id, manager_id, amount)
		SELECT 'd' || i, (SELECT id FROM pipelines), (SELECT min(id) FROM stages), 1 + i % 500000, 1 + i % 50, i
		FROM generate_series(1, 100000) i`)
	db.Exec(b, `VACUUM ANALYZE`)
	m := int64(7)
	b.Run("leads", func(b *testing.B) {
		for b.Loop() {
			if items, _, err := db.Store.Leads(ctx, crm.LeadFilter{ManagerID: &m}); err != nil || len(items) != 50 {
				b.Fatal(err, len(items))
			}
		}
	})
	b.Run("new leads", func(b *testing.B) {
		for b.Loop() {
			if items, _, err := db.Store.Leads(ctx, crm.LeadFilter{ManagerID: &m, Status: "new"}); err != nil || len(items) != 50 {
				b.Fatal(err, len(items))
			}
		}
	})
	b.Run("deals", func(b *testing.B) {
		for b.Loop() {
			if items, _, err := db.Store.Deals(ctx, crm.DealFilter{ManagerID: &m}); err != nil || len(items) != 50 {
				b.Fatal(err, len(items))
			}
		}
	})
	b.Run("open deals", func(b *testing.B) {
		for b.Loop() {
			if items, _, err := db.Store.Deals(ctx, crm.DealFilter{ManagerID: &m, Status: "open"}); err != nil || len(items) != 50 {
				b.Fatal(err, len(items))
			}
		}
	})
}
