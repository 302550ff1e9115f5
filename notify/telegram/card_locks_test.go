package telegram

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// A lead's redraws take turns, and a lead's turn never waits for another
// lead's: a redraw that holds its lead's lock through its chat's pacing
// holds up no other lead (64 shared stripes did, across the daemons of one
// test binary too). The locks are forgotten once nobody holds or wants them.
func TestCardRedrawsTakeTurnsPerLeadAndOnlyPerLead(t *testing.T) {
	var l cardLocks
	unlock := l.lock(1)
	other := make(chan struct{})
	go func() {
		defer close(other)
		l.lock(65)() // 65 shared lead 1's stripe before
	}()
	select {
	case <-other:
	case <-time.After(5 * time.Second):
		t.Fatal("lead 65's redraw waited for lead 1's")
	}
	var inside, most atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer l.lock(1)()
			n := inside.Add(1)
			if n > most.Load() {
				most.Store(n)
			}
			time.Sleep(time.Millisecond)
			inside.Add(-1)
		}()
	}
	time.Sleep(20 * time.Millisecond)
	if inside.Load() != 0 {
		t.Fatal("a redraw of lead 1 ran while another held its lock")
	}
	unlock()
	wg.Wait()
	if most.Load() != 1 {
		t.Errorf("%d redraws of one lead at once", most.Load())
	}
	if len(l.leads) != 0 {
		t.Errorf("%d locks kept after every redraw ended", len(l.leads))
	}
}
