package ingest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/leadd/leadd/crm"
)

func TestConcurrentDeliveriesOfOneEventAreOneRowWhateverTheGrouping(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var wg sync.WaitGroup
	ids := make([]string, 40)
	dups := make([]bool, 40)
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			key := fmt.Sprintf("key-%d", i%4) // four events, each delivered ten times at once
			ev := &Event{ID: NewID(time.Now()), Source: "form:contact", ExternalID: key,
				Touch: crm.Inbound{Channel: crm.ChannelForm, Phones: []string{fmt.Sprintf("+7916123450%d", i%4)}, At: time.Now()}}
			var err error
			ids[i], dups[i], err = f.inbox.Accept(context.Background(), ev, []byte(key))
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n := f.db.Count(t, `SELECT count(*) FROM inbox`); n != 4 {
		t.Fatalf("%d rows for four events", n)
	}
	firsts := 0
	for i := range 40 {
		if ids[i] != ids[i%4] {
			t.Errorf("delivery %d got %s, the first of its key %s", i, ids[i], ids[i%4])
		}
		if !dups[i] {
			firsts++
		}
	}
	if firsts != 4 {
		t.Errorf("%d deliveries were told they were first, want 4", firsts)
	}
}

func TestAcceptAfterCloseIsRefusedNotLost(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.inbox.Close()
	_, _, err := f.inbox.Accept(context.Background(), &Event{ID: NewID(time.Now()), Source: "form:x", ExternalID: "k"}, nil)
	if crm.ErrorCode(err) != crm.EUNAVAILABLE {
		t.Errorf("accept after close: %v", err)
	}
}

// Intake counts as busy only in a sustained burst — a crowd queued
// behind every commit for a while — not after one slow commit, and stops
// being busy as soon as the crowds stop.
func TestIntakeIsBusyOnlyInASustainedBurst(t *testing.T) {
	t.Parallel()
	b := &Inbox{}
	t0 := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	if b.busyAt(t0) {
		t.Fatal("busy before any commit")
	}
	b.crowded(t0)
	if b.busyAt(at(time.Millisecond)) {
		t.Error("one crowded commit made intake busy")
	}
	// Crowded commits every 20 ms: busy once the streak is long enough.
	var d time.Duration
	for d = 0; d < busyAfter; d += 20 * time.Millisecond {
		b.crowded(at(d))
		if b.busyAt(at(d)) {
			t.Fatalf("busy after a streak of %s, before %s", d, busyAfter)
		}
	}
	b.crowded(at(d))
	if !b.busyAt(at(d + time.Millisecond)) {
		t.Fatalf("not busy after a streak of %s", d)
	}
	// The crowds stop: not busy once the gap passes.
	if b.busyAt(at(d + busyGap + time.Millisecond)) {
		t.Error("still busy after the crowds stopped")
	}
	// A gap ends the streak: the next crowd starts a new one.
	restart := d + busyGap + 10*time.Millisecond
	b.crowded(at(restart))
	if b.busyAt(at(restart + time.Millisecond)) {
		t.Error("a crowd after a gap continued the old streak")
	}
}
