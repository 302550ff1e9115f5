package crm_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/crm/crmtest"
)

// Two transactions that lock two rows in opposite orders deadlock;
// Postgres rolls one back, and run through InTxRetrying both end done,
// each change made once.
func TestADeadlockedTransactionIsRunAgain(t *testing.T) {
	t.Parallel()
	db := crmtest.MustOpenDB(t)
	ctx := context.Background()
	db.Exec(t, `CREATE TABLE deadlock_probe (id int PRIMARY KEY, n int NOT NULL DEFAULT 0)`)
	db.Exec(t, `INSERT INTO deadlock_probe (id) VALUES (1), (2)`)
	var wg sync.WaitGroup
	var both sync.WaitGroup // both hold their first row before either asks for the second
	both.Add(2)
	runs := [2]int{}
	errs := [2]error{}
	for i, order := range [2][2]int{{1, 2}, {2, 1}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			first := true
			errs[i] = crm.InTxRetrying(ctx, db.Pool, func(tx pgx.Tx) error {
				runs[i]++
				if _, err := tx.Exec(ctx, `UPDATE deadlock_probe SET n = n + 1 WHERE id = $1`, order[0]); err != nil {
					return err
				}
				if first {
					first = false
					both.Done()
					both.Wait()
				}
				_, err := tx.Exec(ctx, `UPDATE deadlock_probe SET n = n + 1 WHERE id = $1`, order[1])
				return err
			})
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the transactions never finished")
	}
	for i, err := range errs {
		if err != nil {
			t.Errorf("transaction %d: %v", i, err)
		}
	}
	if runs[0]+runs[1] != 3 {
		t.Errorf("runs %v, want one of them run twice (the deadlock happened and was retried)", runs)
	}
	if n := db.Count(t, `SELECT sum(n) FROM deadlock_probe`); n != 4 {
		t.Errorf("the rows were changed %d times, want 4 (each transaction's two once)", n)
	}
}
