package crm_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/leadd/leadd/crm"
)

// The week of 2 March 2026: Monday 2 … Friday 6, Saturday 7, Sunday 8,
// Monday 9. Moscow is UTC+3, Yekaterinburg UTC+5, Vladivostok UTC+10, none
// with daylight saving time.
var (
	moscow        = mustLoad("Europe/Moscow")
	vladivostok   = mustLoad("Asia/Vladivostok")
	yekaterinburg = mustLoad("Asia/Yekaterinburg")
)

func mustLoad(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return l
}

func at(loc *time.Location, day, hour, min int) time.Time {
	return time.Date(2026, 3, day, hour, min, 0, 0, loc)
}

var officeHours = crm.Hours{"mon": "09:00-18:00", "tue": "09:00-18:00", "wed": "09:00-18:00", "thu": "09:00-18:00", "fri": "09:00-18:00"}

func schedule(t *testing.T, tz string, hours crm.Hours, off ...crm.TimeOff) *crm.Schedule {
	t.Helper()
	s, err := crm.ParseSchedule(tz, hours, off)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func wantInvalid(t *testing.T, err error, field string) {
	t.Helper()
	var e *crm.Error
	if !errors.As(err, &e) || e.Code != crm.EINVALID || e.Field != field {
		t.Errorf("error %v, want EINVALID naming %q", err, field)
	}
}

func TestParseScheduleNamesTheField(t *testing.T) {
	for _, tc := range []struct {
		name  string
		tz    string
		hours crm.Hours
		off   []crm.TimeOff
		field string
	}{
		{"no time zone", "", officeHours, nil, "time_zone"},
		{"a time zone that does not exist", "Moscow", officeHours, nil, "time_zone"},
		{"not a weekday", "Europe/Moscow", crm.Hours{"xyz": "09:00-18:00"}, nil, "hours.xyz"},
		{"a weekday in Russian", "Europe/Moscow", crm.Hours{"пн": "09:00-18:00"}, nil, "hours.пн"},
		{"hours without minutes", "Europe/Moscow", crm.Hours{"mon": "9-18"}, nil, "hours.mon"},
		{"hours backwards", "Europe/Moscow", crm.Hours{"tue": "18:00-09:00"}, nil, "hours.tue"},
		{"a zero-length span", "Europe/Moscow", crm.Hours{"tue": "09:00-09:00"}, nil, "hours.tue"},
		{"past midnight", "Europe/Moscow", crm.Hours{"wed": "09:00-24:30"}, nil, "hours.wed"},
		{"the second span is wrong", "Europe/Moscow", crm.Hours{"thu": "09:00-13:00,14:00-1800"}, nil, "hours.thu"},
		{"time off backwards", "Europe/Moscow", officeHours, []crm.TimeOff{{From: "2026-03-10", To: "2026-03-01"}}, "time_off[0]"},
		{"time off in another format", "Europe/Moscow", officeHours, []crm.TimeOff{{From: "2026-03-01", To: "2026-03-02"}, {From: "10.03.2026", To: "20.03.2026"}}, "time_off[1]"},
		{"time off without an end", "Europe/Moscow", officeHours, []crm.TimeOff{{From: "2026-03-01"}}, "time_off[0]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := crm.ParseSchedule(tc.tz, tc.hours, tc.off)
			wantInvalid(t, err, tc.field)
		})
	}
}

func TestParseScheduleAccepts(t *testing.T) {
	for _, tc := range []struct {
		name  string
		hours crm.Hours
		off   []crm.TimeOff
	}{
		{"office hours", officeHours, nil},
		{"around the clock", nil, nil},
		{"never", crm.Hours{}, nil},
		{"a lunch break, spaces, capitals", crm.Hours{"Mon": " 09:00-13:00 , 14:00-18:00 "}, nil},
		{"until midnight", crm.Hours{"fri": "18:00-24:00", "sat": "00:00-06:00"}, nil},
		{"a day off", officeHours, []crm.TimeOff{{From: "2026-03-09", To: "2026-03-09"}}},
	} {
		if _, err := crm.ParseSchedule("Europe/Moscow", tc.hours, tc.off); err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}

func TestScheduleWorking(t *testing.T) {
	office := schedule(t, "Europe/Moscow", officeHours)
	farEast := schedule(t, "Asia/Vladivostok", officeHours)
	lunch := schedule(t, "Europe/Moscow", crm.Hours{"mon": "09:00-13:00,14:00-18:00"})
	night := schedule(t, "Asia/Yekaterinburg", crm.Hours{"mon": "22:00-24:00", "tue": "00:00-06:00"})
	always := schedule(t, "Asia/Vladivostok", nil, crm.TimeOff{From: "2026-03-02", To: "2026-03-02"})
	never := schedule(t, "Europe/Moscow", crm.Hours{})
	vacation := schedule(t, "Europe/Moscow", officeHours, crm.TimeOff{From: "2026-03-03", To: "2026-03-04"})
	for _, tc := range []struct {
		name string
		s    *crm.Schedule
		t    time.Time
		want bool
	}{
		{"09:00 Monday", office, at(moscow, 2, 9, 0), true},
		{"08:59 Monday", office, at(moscow, 2, 8, 59), false},
		{"17:59:59 Monday", office, at(moscow, 2, 17, 59).Add(59 * time.Second), true},
		{"18:00 Monday", office, at(moscow, 2, 18, 0), false},
		{"Saturday noon", office, at(moscow, 7, 12, 0), false},
		{"the instant in UTC: 06:00 UTC is 09:00 in Moscow", office, at(time.UTC, 2, 6, 0), true},
		{"Sunday 23:00 UTC is Monday 09:00 in Vladivostok", farEast, at(time.UTC, 1, 23, 0), true},
		{"Friday 09:00 UTC is 19:00 in Vladivostok", farEast, at(time.UTC, 6, 9, 0), false},
		{"Friday 23:30 UTC is Saturday in Vladivostok", farEast, at(time.UTC, 6, 23, 30), false},
		{"lunch", lunch, at(moscow, 2, 13, 30), false},
		{"after lunch", lunch, at(moscow, 2, 14, 0), true},
		{"a day not listed", lunch, at(moscow, 3, 10, 0), false},
		{"night shift: Monday 21:59", night, at(yekaterinburg, 2, 21, 59), false},
		{"night shift: Monday 23:59", night, at(yekaterinburg, 2, 23, 59), true},
		{"night shift: Tuesday 00:00", night, at(yekaterinburg, 3, 0, 0), true},
		{"night shift: Tuesday 05:59", night, at(yekaterinburg, 3, 5, 59), true},
		{"night shift: Tuesday 06:00", night, at(yekaterinburg, 3, 6, 0), false},
		{"around the clock: Sunday 03:00", always, at(vladivostok, 1, 3, 0), true},
		{"around the clock, on the day off", always, at(vladivostok, 2, 12, 0), false},
		{"the day off by local date: Sunday 14:00 UTC is Monday in Vladivostok", always, at(time.UTC, 1, 14, 0), false},
		{"the day off by local date: Sunday 13:59 UTC is still Sunday there", always, at(time.UTC, 1, 13, 59), true},
		{"the day off ends at local midnight", always, at(vladivostok, 3, 0, 0), true},
		{"no hours at all", never, at(moscow, 2, 12, 0), false},
		{"on vacation in office hours", vacation, at(moscow, 4, 12, 0), false},
		{"back from vacation", vacation, at(moscow, 5, 9, 0), true},
	} {
		if got := tc.s.Working(tc.t); got != tc.want {
			t.Errorf("%s: working %v, want %v", tc.name, got, tc.want)
		}
	}
}

// whenCase is a schedule, an instant and the time a function should give
// (ok false: none); bug, when set, is a known defect that skips the case.
type whenCase struct {
	name string
	s    *crm.Schedule
	t    time.Time
	want time.Time
	ok   bool
}

func runWhen(t *testing.T, cases []whenCase, f func(*crm.Schedule, time.Time) (time.Time, bool)) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := f(tc.s, tc.t)
			if ok != tc.ok || !got.Equal(tc.want) {
				t.Errorf("got %s (%v), want %s (%v)", got.UTC().Format(time.RFC3339), ok, tc.want.UTC().Format(time.RFC3339), tc.ok)
			}
		})
	}
}

func TestNextWorking(t *testing.T) {
	office := schedule(t, "Europe/Moscow", officeHours)
	lunch := schedule(t, "Europe/Moscow", crm.Hours{"mon": "09:00-13:00,14:00-18:00"})
	night := schedule(t, "Asia/Yekaterinburg", crm.Hours{"mon": "22:00-24:00", "tue": "00:00-06:00"})
	farEast := schedule(t, "Asia/Vladivostok", officeHours)
	runWhen(t, []whenCase{
		{name: "working now: now", s: office, t: at(moscow, 3, 11, 17), want: at(moscow, 3, 11, 17), ok: true},
		{name: "Friday 18:30: Monday 09:00", s: office, t: at(moscow, 6, 18, 30), want: at(time.UTC, 9, 6, 0), ok: true},
		{name: "Friday 18:00: Monday 09:00", s: office, t: at(moscow, 6, 18, 0), want: at(moscow, 9, 9, 0), ok: true},
		{name: "Saturday: Monday 09:00", s: office, t: at(moscow, 7, 12, 0), want: at(moscow, 9, 9, 0), ok: true},
		{name: "early Monday: that morning", s: office, t: at(moscow, 2, 7, 0), want: at(moscow, 2, 9, 0), ok: true},
		{name: "Tuesday evening: Wednesday morning", s: office, t: at(moscow, 3, 20, 0), want: at(moscow, 4, 9, 0), ok: true},
		{name: "at lunch: after lunch", s: lunch, t: at(moscow, 2, 13, 30), want: at(moscow, 2, 14, 0), ok: true},
		{name: "spans listed out of order: the earliest", s: schedule(t, "Europe/Moscow", crm.Hours{"mon": "14:00-18:00,09:00-13:00"}),
			t: at(moscow, 2, 7, 0), want: at(moscow, 2, 9, 0), ok: true},
		{name: "vacation next week: the Monday after", s: schedule(t, "Europe/Moscow", officeHours, crm.TimeOff{From: "2026-03-09", To: "2026-03-13"}),
			t: at(moscow, 6, 18, 30), want: at(moscow, 16, 9, 0), ok: true},
		{name: "on vacation today: the day after it", s: schedule(t, "Europe/Moscow", officeHours, crm.TimeOff{From: "2026-03-03", To: "2026-03-04"}),
			t: at(moscow, 3, 11, 0), want: at(moscow, 5, 9, 0), ok: true},
		{name: "vacation until Friday: Monday", s: schedule(t, "Europe/Moscow", officeHours, crm.TimeOff{From: "2026-03-02", To: "2026-03-06"}),
			t: at(moscow, 4, 11, 0), want: at(moscow, 9, 9, 0), ok: true},
		{name: "Vladivostok: Sunday 22:00 UTC is 08:00 Monday there", s: farEast, t: at(time.UTC, 1, 22, 0), want: at(time.UTC, 1, 23, 0), ok: true},
		{name: "Vladivostok: Friday 12:00 UTC is 22:00 there", s: farEast, t: at(time.UTC, 6, 12, 0), want: at(vladivostok, 9, 9, 0), ok: true},
		{name: "night shift: Monday evening", s: night, t: at(yekaterinburg, 2, 21, 0), want: at(yekaterinburg, 2, 22, 0), ok: true},
		{name: "night shift: after it ends, next week", s: night, t: at(yekaterinburg, 3, 6, 30), want: at(yekaterinburg, 9, 22, 0), ok: true},
		{name: "around the clock", s: schedule(t, "Europe/Moscow", nil), t: at(moscow, 7, 3, 0), want: at(moscow, 7, 3, 0), ok: true},
		{name: "around the clock, on vacation: midnight after it", s: schedule(t, "Europe/Moscow", nil, crm.TimeOff{From: "2026-03-03", To: "2026-03-04"}),
			t: at(moscow, 3, 12, 0), want: at(moscow, 5, 0, 0), ok: true},
		{name: "no hours at all: never", s: schedule(t, "Europe/Moscow", crm.Hours{}), t: at(moscow, 2, 12, 0)},
		{name: "a vacation past the horizon: none", s: schedule(t, "Europe/Moscow", officeHours, crm.TimeOff{From: "2026-03-01", To: "2026-06-30"}),
			t: at(moscow, 2, 12, 0)},
	}, (*crm.Schedule).NextWorking)
}

func TestNextWorkingDayAt(t *testing.T) {
	ten := 10 * 60
	office := schedule(t, "Europe/Moscow", officeHours)
	at10 := func(s *crm.Schedule, t time.Time) (time.Time, bool) { return s.NextWorkingDayAt(t, ten) }
	runWhen(t, []whenCase{
		{name: "Tuesday: Wednesday 10:00", s: office, t: at(moscow, 3, 11, 0), want: at(moscow, 4, 10, 0), ok: true},
		{name: "Tuesday just after midnight: Wednesday, not Tuesday", s: office, t: at(moscow, 3, 0, 30), want: at(moscow, 4, 10, 0), ok: true},
		{name: "Friday: Monday 10:00", s: office, t: at(moscow, 6, 12, 0), want: at(time.UTC, 9, 7, 0), ok: true},
		{name: "Saturday: Monday 10:00", s: office, t: at(moscow, 7, 12, 0), want: at(moscow, 9, 10, 0), ok: true},
		{name: "Sunday: Monday 10:00", s: office, t: at(moscow, 8, 23, 0), want: at(moscow, 9, 10, 0), ok: true},
		{name: "by local date: Monday 20:00 UTC is Tuesday in Vladivostok", s: schedule(t, "Asia/Vladivostok", officeHours),
			t: at(time.UTC, 2, 20, 0), want: at(vladivostok, 4, 10, 0), ok: true},
		{name: "vacation Monday and Tuesday: Wednesday", s: schedule(t, "Europe/Moscow", officeHours, crm.TimeOff{From: "2026-03-09", To: "2026-03-10"}),
			t: at(moscow, 6, 12, 0), want: at(moscow, 11, 10, 0), ok: true},
		{name: "a shift starting at 11:00: 11:00", s: schedule(t, "Europe/Moscow", crm.Hours{"mon": "11:00-20:00", "tue": "11:00-20:00"}),
			t: at(moscow, 2, 12, 0), want: at(moscow, 3, 11, 0), ok: true},
		{name: "around the clock: the next day, weekend or not", s: schedule(t, "Europe/Moscow", nil),
			t: at(moscow, 6, 12, 0), want: at(moscow, 7, 10, 0), ok: true},
		{name: "around the clock, vacation tomorrow", s: schedule(t, "Europe/Moscow", nil, crm.TimeOff{From: "2026-03-07", To: "2026-03-08"}),
			t: at(moscow, 6, 12, 0), want: at(moscow, 9, 10, 0), ok: true},
		{name: "a shift that ends before 10:00: that day's first shift start", s: schedule(t, "Europe/Moscow", crm.Hours{"mon": "06:00-09:00", "fri": "06:00-09:00"}),
			t: at(moscow, 6, 12, 0), want: at(moscow, 9, 6, 0), ok: true},
		{name: "spans listed out of order: the earliest after 10:00", s: schedule(t, "Europe/Moscow", crm.Hours{"mon": "14:00-18:00,11:00-13:00"}),
			t: at(moscow, 6, 12, 0), want: at(moscow, 9, 11, 0), ok: true},
	}, at10)

	lunch := schedule(t, "Europe/Moscow", crm.Hours{"tue": "09:00-13:00,14:00-18:00"})
	if got, ok := lunch.NextWorkingDayAt(at(moscow, 2, 12, 0), 13*60+30); !ok || !got.Equal(at(moscow, 3, 14, 0)) {
		t.Errorf("13:30 falls at lunch: got %s (%v), want Tuesday 14:00", got, ok)
	}
}

func TestParseCadence(t *testing.T) {
	c, err := crm.ParseCadence(crm.DefaultCadence)
	if err != nil {
		t.Fatal(err)
	}
	want := crm.Cadence{{After: 15 * time.Minute, NextDay: -1}, {After: 2 * time.Hour, NextDay: -1}, {NextDay: 10 * 60}}
	if !slices.Equal(c, want) {
		t.Errorf("the default cadence: %+v, want %+v", c, want)
	}
	if c, err := crm.ParseCadence([]string{" 30m ", "next_day 9:30", "next_day14:00"}); err != nil ||
		!slices.Equal(c, crm.Cadence{{After: 30 * time.Minute, NextDay: -1}, {NextDay: 9*60 + 30}, {NextDay: 14 * 60}}) {
		t.Errorf("spaces and single-digit hours: %+v, %v", c, err)
	}

	for _, tc := range []struct {
		steps []string
		field string
	}{
		{[]string{"15m", "soon"}, "[1]"},
		{[]string{"1d"}, "[0]"},
		{[]string{"-5m"}, "[0]"},
		{[]string{"0s"}, "[0]"},
		{[]string{""}, "[0]"},
		{[]string{"next_day"}, "[0]"},
		{[]string{"next_day 25:00"}, "[0]"},
		{[]string{"15m", "2h", "next_day 10"}, "[2]"},
	} {
		_, err := crm.ParseCadence(tc.steps)
		wantInvalid(t, err, tc.field)
	}
}

func TestCadenceNext(t *testing.T) {
	c, err := crm.ParseCadence(crm.DefaultCadence)
	if err != nil {
		t.Fatal(err)
	}
	office := schedule(t, "Europe/Moscow", officeHours)
	for _, tc := range []struct {
		name    string
		attempt int
		now     time.Time
		want    time.Time
		ok      bool
	}{
		{"1st unanswered at 11:00: 11:15", 1, at(moscow, 3, 11, 0), at(moscow, 3, 11, 15), true},
		{"1st unanswered Friday 17:40: 17:55", 1, at(moscow, 6, 17, 40), at(moscow, 6, 17, 55), true},
		{"1st unanswered Friday 17:50: 18:05 is after hours, Monday 09:00", 1, at(moscow, 6, 17, 50), at(time.UTC, 9, 6, 0), true},
		{"2nd unanswered at 11:00: 13:00", 2, at(moscow, 3, 11, 0), at(moscow, 3, 13, 0), true},
		{"2nd unanswered at 16:30: 18:30 is after hours, Wednesday 09:00", 2, at(moscow, 3, 16, 30), at(moscow, 4, 9, 0), true},
		{"2nd unanswered Friday 17:00: Monday 09:00", 2, at(moscow, 6, 17, 0), at(moscow, 9, 9, 0), true},
		{"3rd unanswered Tuesday: Wednesday 10:00", 3, at(moscow, 3, 11, 0), at(moscow, 4, 10, 0), true},
		{"3rd unanswered Friday: Monday 10:00", 3, at(moscow, 6, 11, 0), at(time.UTC, 9, 7, 0), true},
		{"4th unanswered: no more calls", 4, at(moscow, 3, 11, 0), time.Time{}, false},
		{"no call made yet", 0, at(moscow, 3, 11, 0), time.Time{}, false},
	} {
		got, ok := c.Next(tc.attempt, office, tc.now)
		if ok != tc.ok || !got.Equal(tc.want) {
			t.Errorf("%s: got %s (%v), want %s (%v)", tc.name, got.UTC().Format(time.RFC3339), ok, tc.want.UTC().Format(time.RFC3339), tc.ok)
		}
	}
	if _, ok := (crm.Cadence{}).Next(1, office, at(moscow, 3, 11, 0)); ok {
		t.Error("an empty cadence calls again")
	}
}

func TestOwnerSLAIsCountedInWorkingHours(t *testing.T) {
	s, err := crm.ParseSchedule("Europe/Moscow", crm.Hours{"mon": "09:00-18:00", "tue": "09:00-13:00,14:00-18:00", "wed": "09:00-18:00"},
		[]crm.TimeOff{{From: "2026-12-09", To: "2026-12-09"}})
	if err != nil {
		t.Fatal(err)
	}
	msk := time.FixedZone("MSK", 3*3600)
	for _, tc := range []struct {
		from time.Time
		d    time.Duration
		want time.Time
	}{
		{time.Date(2026, 12, 7, 10, 0, 0, 0, msk), 4 * time.Hour, time.Date(2026, 12, 7, 14, 0, 0, 0, msk)},  // Monday, within the day
		{time.Date(2026, 12, 7, 16, 0, 0, 0, msk), 4 * time.Hour, time.Date(2026, 12, 8, 11, 0, 0, 0, msk)},  // over the night
		{time.Date(2026, 12, 8, 11, 0, 0, 0, msk), 4 * time.Hour, time.Date(2026, 12, 8, 16, 0, 0, 0, msk)},  // over lunch
		{time.Date(2026, 12, 8, 17, 0, 0, 0, msk), 4 * time.Hour, time.Date(2026, 12, 14, 12, 0, 0, 0, msk)}, // Wednesday off, then the weekend
		{time.Date(2026, 12, 6, 20, 0, 0, 0, msk), time.Hour, time.Date(2026, 12, 7, 10, 0, 0, 0, msk)},      // Sunday evening
	} {
		if got := s.AddWorking(tc.from, tc.d); !got.Equal(tc.want) {
			t.Errorf("%s + %s working = %s, want %s", tc.from, tc.d, got.In(msk), tc.want)
		}
	}
}
