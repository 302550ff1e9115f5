package console

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/leadd/leadd/crm"
)

// live is the one poller of a console process. Every open incoming page
// used to ask the database for its new leads every two seconds, and for
// its counters too (50 managers: 25 statements a second finding nothing);
// now one statement a tick reads the new leads of every open page, and
// each page gets those in its scope. Counters are read when a page's
// leads change and otherwise every counterEvery, shared by the pages
// showing the same ones. It runs while a page is open, and ends with the
// last one or with Server.Stop.
type live struct {
	s  *Server
	mu sync.Mutex
	// subs are the open pages; running is whether the poller runs.
	subs    map[*liveSub]struct{}
	running bool
	// counters read within the last tick, by scope: several pages showing
	// the same ones (a supervisor's tabs, the department's) share a read.
	counters map[string]liveCounters
}

type liveCounters struct {
	c  crm.Counters
	at time.Time
}

// liveSub is an open page: whose leads it shows and the last it has.
type liveSub struct {
	scope *int64 // nil: the department's
	after int64  // guarded by live.mu
	leads chan []crm.QueueLead
}

// liveBatch is how many new leads a tick reads at most (a store page at
// most); a page that saw a full batch without its own moves past it.
const liveBatch = crm.MaxPage

func newLive(s *Server) *live {
	return &live{s: s, subs: map[*liveSub]struct{}{}, counters: map[string]liveCounters{}}
}

// subscribe opens a page's feed of its new leads after after.
func (l *live) subscribe(scope *int64, after int64) *liveSub {
	sub := &liveSub{scope: scope, after: after, leads: make(chan []crm.QueueLead, 1)}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.subs[sub] = struct{}{}
	if !l.running {
		l.running = true
		go l.run()
	}
	return sub
}

func (l *live) unsubscribe(sub *liveSub) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.subs, sub)
}

// run polls each Options.Live while a page is open.
func (l *live) run() {
	t := time.NewTicker(l.s.opts.Live)
	defer t.Stop()
	for {
		if !l.tick() {
			return
		}
		select {
		case <-l.s.stop:
			l.mu.Lock()
			l.running = false
			l.mu.Unlock()
			return
		case <-t.C:
		}
	}
}

// tick reads the leads still new after the oldest page's last and hands
// each page its own; it reports false (and stops) with no page open.
func (l *live) tick() bool {
	l.mu.Lock()
	if len(l.subs) == 0 {
		l.running = false
		l.mu.Unlock()
		return false
	}
	from := int64(-1)
	for sub := range l.subs {
		if from < 0 || sub.after < from {
			from = sub.after
		}
	}
	l.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	leads, err := l.s.store.NewLeads(ctx, nil, from, liveBatch)
	cancel()
	if err != nil {
		l.s.log.Warn("console live", "err", err)
		return true
	}
	if len(leads) == 0 {
		return true
	}
	last := leads[len(leads)-1].ID
	l.mu.Lock()
	defer l.mu.Unlock()
	for sub := range l.subs {
		var mine []crm.QueueLead
		for _, ld := range leads {
			if ld.ID > sub.after && (sub.scope == nil || (ld.ManagerID != nil && *ld.ManagerID == *sub.scope)) {
				mine = append(mine, ld)
			}
		}
		if len(mine) > 0 {
			sub.after = mine[len(mine)-1].ID
			select {
			case pending := <-sub.leads: // the page has not taken the last batch yet
				mine = append(pending, mine...)
			default:
			}
			sub.leads <- mine // the buffer is free: only tick sends, under mu
		}
		if len(leads) == liveBatch && len(mine) == 0 && sub.after < last {
			sub.after = last
		}
	}
	return true
}

// countersOf returns a page's counters, read at most once a tick for all
// the pages showing the same.
func (l *live) countersOf(ctx context.Context, v *viewer) (crm.Counters, error) {
	key := "d:" + v.Loc.String()
	if id := l.s.scope(v); id != nil {
		key = "m:" + strconv.FormatInt(*id, 10)
	}
	now := time.Now()
	l.mu.Lock()
	c, ok := l.counters[key]
	l.mu.Unlock()
	if ok && now.Sub(c.at) < l.s.opts.Live {
		return c.c, nil
	}
	var err error
	if id := l.s.scope(v); id != nil {
		c.c, err = l.s.store.Counters(ctx, *id)
	} else {
		c.c, err = l.s.store.DepartmentCounters(ctx, v.Loc)
	}
	if err != nil {
		return c.c, err
	}
	l.mu.Lock()
	for k, old := range l.counters { // forget what no page asked for lately
		if now.Sub(old.at) > time.Minute {
			delete(l.counters, k)
		}
	}
	l.counters[key] = liveCounters{c: c.c, at: now}
	l.mu.Unlock()
	return c.c, nil
}
