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

// Directory lists every manager with their load.
type Directory interface {
	Managers(ctx context.Context) ([]crm.Manager, error)
}

// Cursors hand out turns of named rotations shared by every replica
// (Redis, in production). Peek tells the next turn without taking it.
type Cursors interface {
	Next(ctx context.Context, key string) (uint64, error)
	Peek(ctx context.Context, key string) (uint64, error)
}

// Router assigns leads with the current engine. It is safe for concurrent
// use; SetEngine swaps the rules (SIGHUP) without stopping anything.
type Router struct {
	engine   atomic.Pointer[Engine]
	dir      Directory
	cursors  Cursors
	cacheTTL time.Duration
	log      *slog.Logger
	now      func() time.Time

	mu         sync.Mutex
	cached     []crm.Manager
	fetched    time.Time
	refreshing bool
	local      sync.Map // key → *atomic.Uint64: turns when the shared cursors are unreachable
	// localTurns is set while the shared cursors are unreachable: the
	// outage is logged when it begins and when it ends, not once a lead.
	localTurns atomic.Bool
}

var _ crm.Assigner = (*Router)(nil)

// NewRouter returns a router that re-reads the directory at most every
// cacheTTL (0: for every lead); now is the clock (time.Now if nil).
func NewRouter(e *Engine, dir Directory, cursors Cursors, cacheTTL time.Duration, log *slog.Logger, now func() time.Time) *Router {
	if now == nil {
		now = time.Now
	}
	r := &Router{dir: dir, cursors: cursors, cacheTTL: cacheTTL, log: log, now: now}
	r.engine.Store(e)
	return r
}

// SetEngine replaces the rules for every decision from now on.
func (r *Router) SetEngine(e *Engine) { r.engine.Store(e) }

// Engine is the engine in use.
func (r *Router) Engine() *Engine { return r.engine.Load() }

// Assign chooses the manager for a lead. Errors: those of the directory;
// an unreachable cursor store is not an error (a local rotation takes
// over).
func (r *Router) Assign(ctx context.Context, req crm.AssignRequest) (crm.Assignment, error) {
	return r.decide(ctx, req, false)
}

// Explain decides as Assign would, without taking a turn of any rotation
// or writing anything.
func (r *Router) Explain(ctx context.Context, req crm.AssignRequest) (crm.Assignment, error) {
	return r.decide(ctx, req, true)
}

func (r *Router) decide(ctx context.Context, req crm.AssignRequest, dry bool) (crm.Assignment, error) {
	managers, err := r.managers(ctx)
	if err != nil {
		return crm.Assignment{}, err
	}
	shared := true
	turn := func(key string) uint64 {
		var n uint64
		var err error
		if dry {
			n, err = r.cursors.Peek(ctx, key)
		} else {
			n, err = r.cursors.Next(ctx, key)
		}
		if err == nil && r.localTurns.CompareAndSwap(true, false) {
			r.log.Info("round-robin cursors shared again")
		}
		if err != nil {
			shared = false
			if r.localTurns.CompareAndSwap(false, true) {
				r.log.Warn("round-robin cursors unavailable, using local ones until they answer", "key", key, "err", err)
			}
			c, _ := r.local.LoadOrStore(key, new(atomic.Uint64))
			if dry {
				return c.(*atomic.Uint64).Load()
			}
			return c.(*atomic.Uint64).Add(1) - 1
		}
		return n
	}
	a := r.Engine().Decide(Input{Facts: FactsOf(req), Now: r.now(), Managers: managers, Rule: req.Rule, Exclude: req.Exclude, Turn: turn})
	if !shared {
		a.Reason += " (shared cursor unavailable: local turn)"
	}
	if a.ManagerID != nil && !dry {
		r.counted(*a.ManagerID)
	}
	return a, nil
}

// managers returns a copy of the directory, fresh within cacheTTL. One
// caller refreshes it while the others go on with the copy they have: the
// refresh counts every open lead and must not hold up decisions.
func (r *Router) managers(ctx context.Context) ([]crm.Manager, error) {
	r.mu.Lock()
	stale := r.cached == nil || r.now().Sub(r.fetched) >= r.cacheTTL
	if !stale || (r.refreshing && r.cached != nil) {
		defer r.mu.Unlock()
		return slices.Clone(r.cached), nil
	}
	r.refreshing = true
	r.mu.Unlock()

	ms, err := r.dir.Managers(ctx)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.refreshing = false
	if err != nil {
		if r.cached != nil {
			r.log.Warn("routing candidates: using the last known", "err", err)
			return slices.Clone(r.cached), nil
		}
		return nil, fmt.Errorf("routing candidates: %w", err)
	}
	r.cached, r.fetched = ms, r.now()
	return slices.Clone(ms), nil
}

// counted adds a just-assigned lead to the cached load, so a burst within
// one cache period does not all go to the same least-loaded manager.
func (r *Router) counted(id int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := range r.cached {
		if r.cached[i].ID == id {
			r.cached[i].OpenLeads++
			r.cached[i].OpenNewLeads++
		}
	}
}
