package routing_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/routing"
)

// flakyCursors are shared cursors that are unreachable while down is set.
type flakyCursors struct {
	routing.MemoryCursors
	down atomic.Bool
}

func (c *flakyCursors) Next(ctx context.Context, key string) (uint64, error) {
	if c.down.Load() {
		return 0, errors.New("redis is unavailable (circuit open)")
	}
	return c.MemoryCursors.Next(ctx, key)
}

// With the shared cursors unreachable, leads still go round in turn on a
// local rotation, and the outage is one line when it begins and one when
// it ends — not a line a lead.
func TestCursorOutageIsLoggedOnceNotPerLead(t *testing.T) {
	ms := team("a", "b", "c")
	var buf bytes.Buffer
	cursors := &flakyCursors{}
	r := routing.NewRouter(routing.NewEngine(pool(routing.RoundRobin), 15*time.Minute), directory(ms), cursors, 0,
		slog.New(slog.NewTextHandler(&buf, nil)), func() time.Time { return utc(2, 10, 0) })
	assign := func(n int) []string {
		var got []string
		for range n {
			a, err := r.Assign(context.Background(), crm.AssignRequest{Inbound: &crm.Inbound{Channel: crm.ChannelForm}})
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, who(a, ms))
		}
		return got
	}
	assign(3)
	cursors.down.Store(true)
	if n := tally(assign(300)); n["a"] != 100 || n["b"] != 100 || n["c"] != 100 {
		t.Errorf("300 leads without the shared cursors: %v, want 100 each", n)
	}
	cursors.down.Store(false)
	assign(3)
	if warns, infos := strings.Count(buf.String(), "level=WARN"), strings.Count(buf.String(), "level=INFO"); warns != 1 || infos != 1 {
		t.Errorf("an outage over 300 leads logged %d warnings and %d notes, want 1 and 1:\n%s", warns, infos, buf.String())
	}
}
