package crm

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Hours is a manager's weekly working hours by weekday ("mon" … "sun"),
// each day one or more "HH:MM-HH:MM" spans separated by commas, in the
// manager's time zone: {"mon": "09:00-13:00,14:00-18:00"}. A day not
// listed is a day off; nil hours mean around the clock.
type Hours map[string]string

// TimeOff is a vacation or a day off: dates in the manager's time zone,
// both inclusive. ID names it among the manager's, to remove it by.
type TimeOff struct {
	ID   int64  `json:"id,omitempty" yaml:"id"`
	From string `json:"from" yaml:"from"`
	To   string `json:"to" yaml:"to"`
}

var weekdays = map[string]time.Weekday{"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday,
	"wed": time.Wednesday, "thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday}

// Weekday parses "mon" … "sun".
func Weekday(s string) (time.Weekday, bool) {
	d, ok := weekdays[strings.ToLower(strings.TrimSpace(s))]
	return d, ok
}

var locations sync.Map // name → *time.Location

// LoadLocation is time.LoadLocation, remembered: it reads the zone
// database each time otherwise, and routing asks for every manager.
func LoadLocation(name string) (*time.Location, error) {
	if l, ok := locations.Load(name); ok {
		return l.(*time.Location), nil
	}
	l, err := time.LoadLocation(name)
	if err == nil {
		locations.Store(name, l)
	}
	return l, err
}

// span is minutes since local midnight, [from, to).
type span struct{ from, to int }

// ParseSpan reads "HH:MM-HH:MM" (to may be 24:00) into minutes of the day.
func ParseSpan(s string) (from, to int, err error) {
	a, b, ok := strings.Cut(strings.TrimSpace(s), "-")
	if !ok {
		return 0, 0, fmt.Errorf("%q is not HH:MM-HH:MM", s)
	}
	if from, err = clock(a); err == nil {
		to, err = clock(b)
	}
	if err == nil && to <= from {
		err = fmt.Errorf("%q ends before it starts", s)
	}
	return from, to, err
}

func clock(s string) (int, error) {
	hh, mm, ok := strings.Cut(strings.TrimSpace(s), ":")
	h, err1 := strconv.Atoi(hh)
	m, err2 := strconv.Atoi(mm)
	if !ok || err1 != nil || err2 != nil || len(mm) != 2 || h < 0 || h > 24 || m < 0 || m > 59 || (h == 24 && m != 0) {
		return 0, fmt.Errorf("%q is not a time of day", s)
	}
	return h*60 + m, nil
}

// Schedule is a manager's working time, parsed.
type Schedule struct {
	loc     *time.Location
	always  bool
	days    [7][]span
	timeOff [][2]string // inclusive date strings, compared as text
}

// ParseSchedule validates hours, time off and the time zone. Errors:
// EINVALID naming the field.
func ParseSchedule(tz string, hours Hours, off []TimeOff) (*Schedule, error) {
	loc, err := LoadLocation(tz)
	if err != nil || tz == "" {
		return nil, Invalid("time_zone", "unknown time zone %q", tz)
	}
	s := &Schedule{loc: loc, always: hours == nil}
	for day, spans := range hours {
		wd, ok := Weekday(day)
		if !ok {
			return nil, Invalid("hours."+day, "not a weekday: use mon, tue, wed, thu, fri, sat, sun")
		}
		for _, part := range strings.Split(spans, ",") {
			if strings.TrimSpace(part) == "" {
				continue
			}
			from, to, err := ParseSpan(part)
			if err != nil {
				return nil, Invalid("hours."+day, "%v", err)
			}
			s.days[wd] = append(s.days[wd], span{from, to})
		}
		// Written in any order, walked in order of the day.
		slices.SortFunc(s.days[wd], func(a, b span) int { return a.from - b.from })
	}
	for i, o := range off {
		f, err1 := time.Parse(time.DateOnly, o.From)
		t, err2 := time.Parse(time.DateOnly, o.To)
		if err1 != nil || err2 != nil || t.Before(f) {
			return nil, Invalid(fmt.Sprintf("time_off[%d]", i), "needs dates from <= to as YYYY-MM-DD, not %q..%q", o.From, o.To)
		}
		s.timeOff = append(s.timeOff, [2]string{o.From, o.To})
	}
	return s, nil
}

// Location is the schedule's time zone.
func (s *Schedule) Location() *time.Location { return s.loc }

// OffOn returns the time off that covers t's local date, if any.
func (s *Schedule) OffOn(t time.Time) (TimeOff, bool) {
	d := t.In(s.loc).Format(time.DateOnly)
	for _, o := range s.timeOff {
		if o[0] <= d && d <= o[1] {
			return TimeOff{From: o[0], To: o[1]}, true
		}
	}
	return TimeOff{}, false
}

// Working reports whether t falls in working hours and not in time off.
func (s *Schedule) Working(t time.Time) bool {
	if _, off := s.OffOn(t); off {
		return false
	}
	if s.always {
		return true
	}
	l := t.In(s.loc)
	m := l.Hour()*60 + l.Minute()
	for _, sp := range s.days[l.Weekday()] {
		if sp.from <= m && m < sp.to {
			return true
		}
	}
	return false
}

// NextWorking returns t itself when it is working time, else the start of
// the next shift, looking up to 60 days ahead (false if none).
func (s *Schedule) NextWorking(t time.Time) (time.Time, bool) {
	if s.Working(t) {
		return t, true
	}
	l := t.In(s.loc)
	day := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, s.loc)
	for i := 0; i <= 60; i++ {
		d := day.AddDate(0, 0, i)
		if _, off := s.OffOn(d.Add(12 * time.Hour)); off {
			continue
		}
		if s.always {
			return d, true // the first minute after time off
		}
		for _, sp := range s.days[d.Weekday()] {
			start := time.Date(d.Year(), d.Month(), d.Day(), 0, sp.from, 0, 0, s.loc)
			if start.After(t) {
				return start, true
			}
		}
	}
	return time.Time{}, false
}

// NextWorkingDayAt returns clock (minutes since midnight) on the first
// working day after t's local date, or that day's first shift start if
// clock falls outside its hours.
func (s *Schedule) NextWorkingDayAt(t time.Time, clock int) (time.Time, bool) {
	l := t.In(s.loc)
	day := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, s.loc)
	for i := 1; i <= 60; i++ {
		d := day.AddDate(0, 0, i)
		if _, off := s.OffOn(d.Add(12 * time.Hour)); off {
			continue
		}
		at := time.Date(d.Year(), d.Month(), d.Day(), 0, clock, 0, 0, s.loc)
		if s.always || s.Working(at) {
			return at, true
		}
		spans := s.days[d.Weekday()]
		for _, sp := range spans {
			if sp.from > clock {
				return time.Date(d.Year(), d.Month(), d.Day(), 0, sp.from, 0, 0, s.loc), true
			}
		}
		if len(spans) > 0 { // every shift of the day ends before clock
			return time.Date(d.Year(), d.Month(), d.Day(), 0, spans[0].from, 0, 0, s.loc), true
		}
	}
	return time.Time{}, false
}

// AddWorking returns the moment d of working time after t: hours off and
// time off do not count (around the clock, it is t + d). It looks up to a
// year ahead; past that it returns t + d.
func (s *Schedule) AddWorking(t time.Time, d time.Duration) time.Time {
	if d <= 0 {
		return t
	}
	if s.always && len(s.timeOff) == 0 {
		return t.Add(d)
	}
	l := t.In(s.loc)
	day := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, s.loc)
	left := d
	for i := 0; i <= 366; i++ {
		dd := day.AddDate(0, 0, i)
		if _, off := s.OffOn(dd.Add(12 * time.Hour)); off {
			continue
		}
		spans := s.days[dd.Weekday()]
		if s.always {
			spans = []span{{0, 24 * 60}}
		}
		for _, sp := range spans {
			start := time.Date(dd.Year(), dd.Month(), dd.Day(), 0, sp.from, 0, 0, s.loc)
			end := time.Date(dd.Year(), dd.Month(), dd.Day(), 0, sp.to, 0, 0, s.loc)
			if end.Before(t) || !end.After(t) {
				continue
			}
			if start.Before(t) {
				start = t
			}
			if have := end.Sub(start); have >= left {
				return start.Add(left)
			} else {
				left -= have
			}
		}
	}
	return t.Add(d)
}
