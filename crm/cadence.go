package crm

import (
	"fmt"
	"strings"
	"time"
)

// Cadence is when to call again after each unanswered call: a step is
// either a delay ("15m", "2h") or "next_day HH:MM" (the manager's next
// working day at that time). After the last step the lead is closed as
// junk "unreachable".
type Cadence []CadenceStep

// CadenceStep is one step of a cadence.
type CadenceStep struct {
	After   time.Duration
	NextDay int // minutes since midnight; -1 when the step is a delay
}

// DefaultCadence is +15 minutes, +2 hours, the next working day at 10:00.
var DefaultCadence = []string{"15m", "2h", "next_day 10:00"}

// ParseCadence reads steps like "15m", "2h", "next_day 10:00". Errors:
// EINVALID naming the step.
func ParseCadence(steps []string) (Cadence, error) {
	c := make(Cadence, 0, len(steps))
	for i, s := range steps {
		field := fmt.Sprintf("[%d]", i)
		if at, ok := strings.CutPrefix(strings.TrimSpace(s), "next_day"); ok {
			m, err := clock(at)
			if err != nil {
				return nil, Invalid(field, "next_day needs a time of day: %v", err)
			}
			c = append(c, CadenceStep{NextDay: m})
			continue
		}
		d, err := time.ParseDuration(strings.TrimSpace(s))
		if err != nil || d <= 0 {
			return nil, Invalid(field, "%q is neither a positive duration like 15m nor next_day HH:MM", s)
		}
		c = append(c, CadenceStep{After: d, NextDay: -1})
	}
	return c, nil
}

// Next returns when to make call attempt+1 after call number attempt went
// unanswered at now, inside the manager's working time; false after the
// last step.
func (c Cadence) Next(attempt int, s *Schedule, now time.Time) (time.Time, bool) {
	if attempt < 1 || attempt > len(c) {
		return time.Time{}, false
	}
	step := c[attempt-1]
	if step.NextDay >= 0 {
		return s.NextWorkingDayAt(now, step.NextDay)
	}
	return s.NextWorking(now.Add(step.After))
}
