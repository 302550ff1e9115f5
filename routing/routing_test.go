package routing

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"

	"github.com/leadd/leadd/crm"
)

func ptr(v int64) *int64 { return &v }

func TestDecideWalksThePoolInTurn(t *testing.T) {
	pool := []int64{3, 5, 8}
	got := []int64{}
	for turn := range uint64(7) {
		a := Decide(pool, nil, turn)
		got = append(got, *a.ManagerID)
		if a.Strategy != RoundRobin || a.Rule != DefaultRule || len(a.Candidates) != 3 {
			t.Fatalf("turn %d: %+v", turn, a)
		}
	}
	if want := []int64{3, 5, 8, 3, 5, 8, 3}; !equal(got, want) {
		t.Errorf("turns gave %v, want %v", got, want)
	}
	a := Decide(pool, nil, 1)
	for _, c := range a.Candidates {
		if (c.ManagerID == 5) != (c.Skipped == "") {
			t.Errorf("candidate %d skipped %q", c.ManagerID, c.Skipped)
		}
	}
}

func TestDecideGivesAReturningCustomerToTheirManager(t *testing.T) {
	a := Decide([]int64{3, 5, 8}, ptr(8), 0)
	if *a.ManagerID != 8 || a.Strategy != OwnerFirst {
		t.Errorf("owner active: %+v", a)
	}
	a = Decide([]int64{3, 5}, ptr(8), 1)
	if *a.ManagerID != 5 || a.Strategy != RoundRobin || a.Reason == "" {
		t.Errorf("owner gone: %+v", a)
	}
}

func TestDecideQueuesWhenNobodyIsActive(t *testing.T) {
	a := Decide(nil, nil, 4)
	if a.ManagerID != nil || a.Strategy != Queue {
		t.Errorf("empty pool: %+v", a)
	}
}

type dir []int64

func (d dir) ActiveManagers(context.Context) ([]int64, error) { return d, nil }

type brokenCursors struct{}

func (brokenCursors) Next(context.Context, string) (uint64, error) { return 0, errors.New("redis: connection refused") }

func TestRouterKeepsAssigningWhenTheSharedCursorIsGone(t *testing.T) {
	r := NewRouter(dir{1, 2}, brokenCursors{}, 0, slog.New(slog.NewTextHandler(io.Discard, nil)))
	seen := map[int64]int{}
	for range 4 {
		a, err := r.Assign(context.Background(), crm.AssignRequest{})
		if err != nil {
			t.Fatal(err)
		}
		seen[*a.ManagerID]++
	}
	if seen[1] != 2 || seen[2] != 2 {
		t.Errorf("without the shared cursor: %v, want 2 each", seen)
	}
}

func TestRouterSharesOneRotationAcrossInstances(t *testing.T) {
	cursors := &MemoryCursors{}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	a, b := NewRouter(dir{1, 2, 3}, cursors, 0, quiet), NewRouter(dir{1, 2, 3}, cursors, 0, quiet)
	seen := map[int64]int{}
	for i := range 9 {
		r := a
		if i%3 == 0 {
			r = b
		}
		d, _ := r.Assign(context.Background(), crm.AssignRequest{})
		seen[*d.ManagerID]++
	}
	if seen[1] != 3 || seen[2] != 3 || seen[3] != 3 {
		t.Errorf("two routers on one rotation: %v, want 3 each", seen)
	}
}

func equal(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
