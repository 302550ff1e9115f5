package crm

import (
	"sync"
	"time"
)

// A consumer claims its new rows in outbox_id order. Every row it claims
// leaves a dead entry at the head of the "due" index until vacuum passes,
// so a claim that scanned from the head walked, in a burst, past every
// row claimed since the last vacuum to reach the first new one. The scan
// starts instead after a watermark below which no new row of the
// consumer can be waiting.
//
// The watermark is safe, not hopeful: a row's id is taken after its
// transaction has an xid (migration 175), so a row not yet visible to a
// claim's snapshot with an id below the highest visible one belongs to a
// transaction in progress at that snapshot (xid below its xmax). A
// claim's progress point (the last id its scan reached) becomes the
// watermark only once a later snapshot's xmin has passed that xmax — every
// such late row then committed or rolled back, and the later claim, which
// scanned from the old watermark, saw it. It is kept per process
// (replicas each keep their own; a start walks the head once) and is
// forgotten every freshRescan, so that a row skipped while another
// claimer held it, and left new when that claimer failed, is found
// again within a minute.

const freshRescan = time.Minute

// freshHints are the consumers' watermarks in this process.
type freshHints struct {
	mu sync.Mutex
	m  map[string]*freshHint
}

type freshHint struct {
	from     int64     // no new row at or below it waits (but see freshRescan)
	cand     int64     // the progress point waiting to become from...
	candXmax uint64    // ...once every transaction below this xid is over
	reset    time.Time // when from was last forgotten
}

// get returns consumer's watermark and candidate.
func (h *freshHints) get(consumer string, now time.Time) freshHint {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.m == nil {
		h.m = map[string]*freshHint{}
	}
	f := h.m[consumer]
	if f == nil || now.Sub(f.reset) >= freshRescan || now.Before(f.reset) {
		f = &freshHint{reset: now}
		h.m[consumer] = f
	}
	return *f
}

// advance records a claim that scanned new rows from seen.from with the
// snapshot (xmin, xmax) and reached progress: every new row visible to
// it up to progress was claimed (by it or a claimer holding it).
func (h *freshHints) advance(consumer string, seen freshHint, xmin, xmax uint64, progress int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	f := h.m[consumer]
	if f == nil || f.reset != seen.reset {
		return // forgotten meanwhile: start over from the head
	}
	if seen.candXmax != 0 && xmin >= seen.candXmax {
		// The candidate's late rows were visible to this claim, which
		// scanned from below them.
		f.from = max(f.from, min(seen.cand, progress))
		f.cand, f.candXmax = 0, 0
	}
	if f.candXmax == 0 {
		f.cand, f.candXmax = progress, xmax
	}
}
