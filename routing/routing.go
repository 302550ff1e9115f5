// Package routing chooses the manager for a new lead. Decisions are pure:
// they take the candidates and a cursor position and return who gets the
// lead and why; the Router around them fetches those inputs.
package routing

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/leadd/leadd/crm"
)

// Strategies.
const (
	RoundRobin = "round_robin"
	OwnerFirst = "owner_first"
	Queue      = "queue"
)

// DefaultRule names the rule that takes every event no other rule matches.
const DefaultRule = "default"

// Decide picks from the active candidates (in the order round-robin walks):
// the known contact's manager when they are among them, else the candidate
// at turn (mod the pool's size), else nobody (queue).
func Decide(active []int64, owner *int64, turn uint64) crm.Assignment {
	a := crm.Assignment{Rule: DefaultRule, Strategy: RoundRobin, Candidates: make([]crm.Candidate, 0, len(active))}
	for _, id := range active {
		a.Candidates = append(a.Candidates, crm.Candidate{ManagerID: id})
	}
	if owner != nil {
		if slices.Contains(active, *owner) {
			id := *owner
			a.ManagerID, a.Strategy = &id, OwnerFirst
			a.Reason = fmt.Sprintf("returning customer: their manager %d", id)
			return a
		}
		a.Reason = fmt.Sprintf("their manager %d is not active; ", *owner)
	}
	if len(active) == 0 {
		a.Strategy = Queue
		a.Reason += "no active manager: queued"
		return a
	}
	i := int(turn % uint64(len(active)))
	id := active[i]
	a.ManagerID = &id
	for j := range a.Candidates {
		if j != i {
			a.Candidates[j].Skipped = "not their turn"
		}
	}
	a.Reason += fmt.Sprintf("round-robin turn %d of %d", i+1, len(active))
	return a
}

// Directory lists the managers who may take leads, in a stable order.
type Directory interface {
	ActiveManagers(ctx context.Context) ([]int64, error)
}

// Cursors hands out the next turn of a named round-robin, shared by every
// replica (Redis, in production).
type Cursors interface {
	Next(ctx context.Context, key string) (uint64, error)
}

// Router assigns new leads. It is safe for concurrent use.
type Router struct {
	dir      Directory
	cursors  Cursors
	cacheTTL time.Duration
	log      *slog.Logger
	now      func() time.Time

	mu      sync.Mutex
	active  []int64
	fetched time.Time
	local   atomic.Uint64 // the turn when the shared cursor is unreachable
}

var _ crm.Assigner = (*Router)(nil)

// NewRouter returns a router that re-reads the directory at most every
// cacheTTL (0 reads it for every lead).
func NewRouter(dir Directory, cursors Cursors, cacheTTL time.Duration, log *slog.Logger) *Router {
	return &Router{dir: dir, cursors: cursors, cacheTTL: cacheTTL, log: log, now: time.Now}
}

// Assign chooses the manager for a new lead. Errors: those of the
// directory; an unreachable cursor store is not an error (a local cursor
// takes over, and the reason says so).
func (r *Router) Assign(ctx context.Context, req crm.AssignRequest) (crm.Assignment, error) {
	active, err := r.candidates(ctx)
	if err != nil {
		return crm.Assignment{}, err
	}
	var turn uint64
	note := ""
	if req.OwnerID == nil || !slices.Contains(active, *req.OwnerID) {
		turn, err = r.cursors.Next(ctx, "rr:"+DefaultRule)
		if err != nil {
			r.log.Warn("round-robin cursor unavailable, using a local one", "err", err)
			turn, note = r.local.Add(1), " (shared cursor unavailable: local turn)"
		}
	}
	a := Decide(active, req.OwnerID, turn)
	a.Reason += note
	a.At = r.now()
	return a, nil
}

func (r *Router) candidates(ctx context.Context) ([]int64, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.active != nil && r.now().Sub(r.fetched) < r.cacheTTL {
		return r.active, nil
	}
	active, err := r.dir.ActiveManagers(ctx)
	if err != nil {
		return nil, fmt.Errorf("routing candidates: %w", err)
	}
	r.active, r.fetched = active, r.now()
	return active, nil
}
