package crm_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/crm/crmtest"
)

type nobody struct{}

func (nobody) Assign(context.Context, crm.AssignRequest) (crm.Assignment, error) {
	return crm.Assignment{Strategy: "queue"}, nil
}

// BenchmarkSchedulerTick is one tick of every periodic job (SLA, overdue
// reminders, digests) with 1,000,000 future activities and 100,000 new
// leads whose SLA has not run out: due work is found by index, so the
// backlog of future work does not slow a tick. The target: 50 ms.
//
//	go test ./crm -run xxx -bench SchedulerTick -benchtime 50x
func BenchmarkSchedulerTick(b *testing.B) {
	db := crmtest.MustOpenDB(b)
	ctx := context.Background()
	now := time.Now()
	db.Exec(b, `INSERT INTO managers (name, time_zone) SELECT 'm' || i, 'Europe/Moscow' FROM generate_series(1, 50) i`)
	db.Exec(b, `INSERT INTO leads (channel, manager_id, sla_due_at, phones)
		SELECT 'form', 1 + i % 50, $1::timestamptz + (i || ' seconds')::interval, ARRAY['+7916' || lpad(i::text, 7, '0')]
		FROM generate_series(1, 100000) i`, now.Add(time.Hour))
	db.Exec(b, `INSERT INTO activities (type, manager_id, due_at)
		SELECT 'call', 1 + i % 50, $1::timestamptz + (i || ' seconds')::interval FROM generate_series(1, 1000000) i`, now.Add(time.Minute))
	db.Exec(b, `ANALYZE`)
	b.ResetTimer()
	for b.Loop() {
		err := pgx.BeginFunc(ctx, db.Pool, func(tx pgx.Tx) error {
			if _, err := crm.ReassignOverdue(ctx, tx, now, nobody{}, 2, 500); err != nil {
				return err
			}
			if _, err := crm.RemindOverdue(ctx, tx, now, 1000); err != nil {
				return err
			}
			_, err := crm.EnqueueDigests(ctx, tx, now, 9)
			if err != nil {
				return err
			}
			return errRollback
		})
		if err != errRollback {
			b.Fatal(err)
		}
	}
}

var errRollback = &crm.Error{Code: "rollback"}
