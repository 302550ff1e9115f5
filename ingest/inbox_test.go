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
