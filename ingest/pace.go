package ingest

import (
	"sync/atomic"
	"time"
)

// Pace tells a process's processors whether processing is behind. One
// processor keeps up with a steady intake on its own and makes the fuller
// batches; the others join only while events wait longer than Lag, so at a
// steady rate two processing transactions do not take both cores from the
// accepts (docs/benchmarks.md), and a backlog still gets every processor.
type Pace struct {
	// Lag is how long a fresh event may wait for its claim before
	// processing counts as behind (250 ms when zero).
	Lag time.Duration
	// Hold is how long processing counts as behind after the last claim
	// that was (a second when zero).
	Hold time.Duration

	until atomic.Int64 // behind until then, in Unix nanoseconds
}

// Behind reports whether a recent claim found a fresh event waiting
// longer than Lag.
func (p *Pace) Behind() bool { return p != nil && time.Now().UnixNano() < p.until.Load() }

// claimed records a claim: how long its oldest fresh event had waited.
// Retries are not counted: their wait is their back-off.
func (p *Pace) claimed(batch []claimed, now time.Time) {
	if p == nil {
		return
	}
	lag, hold := p.Lag, p.Hold
	if lag <= 0 {
		lag = 250 * time.Millisecond
	}
	if hold <= 0 {
		hold = time.Second
	}
	for _, c := range batch {
		if c.attempts == 0 && now.Sub(c.receivedAt) > lag {
			p.until.Store(now.Add(hold).UnixNano())
			return
		}
	}
}
