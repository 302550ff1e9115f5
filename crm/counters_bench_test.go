package crm_test

import (
	"context"
	"testing"

	"github.com/leadd/leadd/crm/crmtest"
)

// BenchmarkCounters is one manager's counters (today, overdue, incoming)
// with 1,000,000 activities in the table, 20,000 of them the manager's,
// half done. The target: 20 ms.
//
//	go test ./crm -run x -bench Counters -benchtime 200x
func BenchmarkCounters(b *testing.B) {
	db := crmtest.MustOpenDB(b)
	ctx := context.Background()
	db.Exec(b, `INSERT INTO managers (name, time_zone) SELECT 'm' || i, 'Asia/Yekaterinburg' FROM generate_series(1, 50) i`)
	db.Exec(b, `INSERT INTO activities (type, subject, manager_id, due_at, done_at)
		SELECT (ARRAY['call', 'meeting', 'task', 'email'])[1 + i % 4], CASE WHEN i % 7 = 0 THEN 'Missed call: call back' ELSE '' END,
			1 + i % 50, now() + ((i % 2000) - 1000) * interval '1 hour', CASE WHEN i % 3 = 0 THEN now() END
		FROM generate_series(1, 1000000) i`)
	db.Exec(b, `INSERT INTO leads (status, channel, manager_id) SELECT 'new', 'form', 1 + i % 50 FROM generate_series(1, 100000) i`)
	db.Exec(b, `VACUUM ANALYZE`)
	for b.Loop() {
		c, err := db.Store.Counters(ctx, 7)
		if err != nil || c.Overdue == 0 || c.NewLeads != 2000 {
			b.Fatal(err, c)
		}
	}
}
