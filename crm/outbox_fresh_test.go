package crm_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/sync/errgroup"

	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/crm/crmtest"
)

// A consumer's claim of new rows starts after a watermark (it no longer
// walks the dead entries of every row claimed since the last vacuum). A
// row whose transaction commits after rows with higher ids were claimed
// lies below where the claims have got to: it must still be claimed.
func TestClaimOutboxGetsARowCommittedAfterHigherOnesWereClaimed(t *testing.T) {
	t.Parallel()
	db := crmtest.MustOpenDB(t)
	ctx := context.Background()
	if err := db.Store.RegisterConsumer(ctx, "probe", []string{crm.KindLeadCreated}); err != nil {
		t.Fatal(err)
	}
	emit := func(tx pgx.Tx, lead int64) {
		t.Helper()
		if err := crm.Enqueue(ctx, tx, fmt.Sprint("late:", lead), crm.LeadCreated{LeadID: lead}); err != nil {
			t.Fatal(err)
		}
	}
	// The slow producer takes its id first and commits last.
	slow, err := db.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Rollback(ctx)
	emit(slow, 1)
	claimed := map[int64]int{}
	claimAll := func() {
		t.Helper()
		for range 3 { // a few rounds: the watermark moves on between claims
			rows, err := db.Store.ClaimOutbox(ctx, "probe", 2, time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rows {
				claimed[r.ID]++
				if err := db.Store.SettleOutbox(ctx, "probe", r.ID, ""); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	for lead := int64(2); lead <= 7; lead++ {
		err := pgx.BeginFunc(ctx, db.Pool, func(tx pgx.Tx) error { emit(tx, lead); return nil })
		if err != nil {
			t.Fatal(err)
		}
		claimAll()
	}
	if len(claimed) != 6 {
		t.Fatalf("claimed %d rows of the six committed, want all six", len(claimed))
	}
	if err := slow.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	claimAll()
	var slowID int64
	if err := db.Pool.QueryRow(ctx, `SELECT id FROM outbox WHERE idempotency_key = 'late:1'`).Scan(&slowID); err != nil {
		t.Fatal(err)
	}
	if claimed[slowID] != 1 {
		t.Errorf("the row committed last (id %d, below the six claimed) was claimed %d times, want once", slowID, claimed[slowID])
	}
}

// Producers holding their transactions open for random spells, and two
// claimers settling what they get: every row is claimed, none twice, and
// nothing is left new.
func TestClaimOutboxUnderInterleavedCommitsLosesNothing(t *testing.T) {
	t.Parallel()
	db := crmtest.MustOpenDB(t)
	ctx := context.Background()
	if err := db.Store.RegisterConsumer(ctx, "probe", []string{crm.KindLeadCreated}); err != nil {
		t.Fatal(err)
	}
	const producers, txs, perTx = 4, 40, 3
	var produce errgroup.Group
	for p := range producers {
		produce.Go(func() error {
			for i := range txs {
				err := pgx.BeginFunc(ctx, db.Pool, func(tx pgx.Tx) error {
					for j := range perTx {
						lead := int64((p*txs+i)*perTx + j + 1)
						if err := crm.Enqueue(ctx, tx, fmt.Sprint("r:", lead), crm.LeadCreated{LeadID: lead}); err != nil {
							return err
						}
						time.Sleep(time.Duration(rand.IntN(3)) * time.Millisecond)
					}
					return nil
				})
				if err != nil {
					return err
				}
			}
			return nil
		})
	}
	var mu sync.Mutex
	claimed := map[int64]int{}
	produced := make(chan struct{})
	var claim errgroup.Group
	for range 2 {
		claim.Go(func() error {
			for {
				select {
				case <-produced:
					// One more pass once everything is committed.
					for {
						rows, err := db.Store.ClaimOutbox(ctx, "probe", 5, time.Minute)
						if err != nil || len(rows) == 0 {
							return err
						}
						if err := settle(ctx, db, rows, &mu, claimed); err != nil {
							return err
						}
					}
				default:
				}
				rows, err := db.Store.ClaimOutbox(ctx, "probe", 5, time.Minute)
				if err != nil {
					return err
				}
				if err := settle(ctx, db, rows, &mu, claimed); err != nil {
					return err
				}
			}
		})
	}
	if err := produce.Wait(); err != nil {
		t.Fatal(err)
	}
	close(produced)
	if err := claim.Wait(); err != nil {
		t.Fatal(err)
	}
	const total = producers * txs * perTx
	twice := 0
	for _, n := range claimed {
		if n > 1 {
			twice++
		}
	}
	if len(claimed) != total || twice > 0 {
		t.Errorf("claimed %d distinct rows of %d (%d more than once), want each exactly once", len(claimed), total, twice)
	}
	if n := db.Count(t, `SELECT count(*) FROM outbox_deliveries WHERE consumer = 'probe' AND delivered_at IS NULL`); n != 0 {
		t.Errorf("%d rows left unsettled", n)
	}
}

func settle(ctx context.Context, db *crmtest.DB, rows []crm.OutboxMessage, mu *sync.Mutex, claimed map[int64]int) error {
	for _, r := range rows {
		mu.Lock()
		claimed[r.ID]++
		mu.Unlock()
		if err := db.Store.SettleOutbox(ctx, "probe", r.ID, ""); err != nil {
			return err
		}
	}
	return nil
}
