package console

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/web/chart"
)

const nbsp = "\u00a0"

// Money formats a decimal string in the viewer's locale: "1 275 833,33 ₽"
// in Russian, "1,275,833.33 ₽" in English.
func (v *viewer) Money(amount, currency string) string {
	return formatMoney(amount, currency, v.Lang)
}

// Rub formats an amount in roubles.
func (v *viewer) Rub(amount string) string { return formatMoney(amount, "RUB", v.Lang) }

func formatMoney(amount, currency, lang string) string {
	return crm.FormatMoney(amount, currency, lang)
}

// Number formats a decimal quantity without trailing zeros: "1,5".
func (v *viewer) Number(s string) string {
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if v.Lang != "en" {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s
}

var ruMonths = []string{"января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября", "октября", "ноября", "декабря"}

// Time formats a moment in the viewer's zone: "06.12.2026 14:05".
func (v *viewer) Time(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	t = t.In(v.Loc)
	if v.Lang == "en" {
		return t.Format("Jan 2, 2006 15:04")
	}
	return t.Format("02.01.2006 15:04")
}

// TimeP formats an optional moment.
func (v *viewer) TimeP(t *time.Time) string {
	if t == nil {
		return ""
	}
	return v.Time(*t)
}

// Clock is the time of day only: "14:05".
func (v *viewer) Clock(t time.Time) string { return t.In(v.Loc).Format("15:04") }

// Date formats a day: «6 декабря 2026 г.» in Russian.
func (v *viewer) Date(t time.Time) string {
	t = t.In(v.Loc)
	if v.Lang == "en" {
		return t.Format("January 2, 2006")
	}
	return fmt.Sprintf("%d %s %d г.", t.Day(), ruMonths[t.Month()-1], t.Year())
}

// DateISO formats a YYYY-MM-DD day as 06.12.2026.
func (v *viewer) DateISO(s string) string {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return s
	}
	if v.Lang == "en" {
		return d.Format("Jan 2, 2006")
	}
	return d.Format("02.01.2006")
}

// ISO is a moment for <time datetime> and the script.
func (v *viewer) ISO(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// Local is a moment for <input type=datetime-local> in the viewer's zone.
func (v *viewer) Local(t time.Time) string { return t.In(v.Loc).Format("2006-01-02T15:04") }

// Ago is how long ago t was, shortly: "12 мин", "3 ч 5 мин", "2 дн".
func (v *viewer) Ago(t time.Time) string { return v.Duration(v.Now.Sub(t)) }

// Duration formats a span shortly.
func (v *viewer) Duration(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	m := int(d.Minutes())
	unit := func(ru, en string) string {
		if v.Lang == "en" {
			return en
		}
		return ru
	}
	switch {
	case d < time.Minute:
		return strconv.Itoa(int(d.Seconds())) + nbsp + unit("с", "s")
	case m < 60:
		return strconv.Itoa(m) + nbsp + unit("мин", "min")
	case m < 24*60:
		s := strconv.Itoa(m/60) + nbsp + unit("ч", "h")
		if m%60 != 0 {
			s += " " + strconv.Itoa(m%60) + nbsp + unit("мин", "min")
		}
		return s
	}
	return strconv.Itoa(m/(24*60)) + nbsp + unit("дн", "d")
}

// Seconds formats a call's length: "2:05".
func (v *viewer) Seconds(n int) string { return fmt.Sprintf("%d:%02d", n/60, n%60) }

// Overdue reports whether a moment has passed.
func (v *viewer) Overdue(t time.Time) bool { return t.Before(v.Now) }

// Late reports whether a queued lead waited past its SLA.
func (v *viewer) Late(l crm.QueueLead) bool { return l.SLADueAt != nil && l.SLADueAt.Before(v.Now) }

// Phone formats an E.164 Russian number for reading: +7 917 400-00-01.
func (v *viewer) Phone(p string) string {
	if len(p) == 12 && strings.HasPrefix(p, "+7") {
		return "+7" + nbsp + p[2:5] + nbsp + p[5:8] + "-" + p[8:10] + "-" + p[10:12]
	}
	return p
}

// ManagerName names a manager by id ("—" for none).
func (v *viewer) ManagerName(id *int64) string {
	if id == nil {
		return v.T("nobody")
	}
	if v.names == nil {
		v.names = map[int64]string{}
		if ms, err := v.s.store.Managers(v.ctx); err == nil {
			for _, m := range ms {
				v.names[m.ID] = m.Name
			}
		}
	}
	if n, ok := v.names[*id]; ok {
		return n
	}
	return "#" + strconv.FormatInt(*id, 10)
}

var ruWeekdays = []string{"Вс", "Пн", "Вт", "Ср", "Чт", "Пт", "Сб"}

// Weekday names a calendar day: «Пн, 7 дек.».
func (v *viewer) Weekday(t time.Time) string {
	t = t.In(v.Loc)
	if v.Lang == "en" {
		return t.Format("Mon, Jan 2")
	}
	return fmt.Sprintf("%s, %d %s", ruWeekdays[t.Weekday()], t.Day(), ruMonths[t.Month()-1])
}

var weekdayKeys = []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}

// HoursText shows working hours: "пн 09:00-18:00, вт …", or around the clock.
func (v *viewer) HoursText(h crm.Hours) string {
	if len(h) == 0 {
		return v.T("team.always")
	}
	var parts []string
	for i, k := range weekdayKeys {
		if span, ok := h[k]; ok && span != "" {
			day := ruWeekdays[(i+1)%7]
			if v.Lang == "en" {
				day = k
			}
			parts = append(parts, day+" "+span)
		}
	}
	return strings.Join(parts, ", ")
}

// Source names where a lead or touch came from: a website form by its
// title, anything else (a PBX line, a mailbox, a utm_source) as it is.
func (v *viewer) Source(channel, source string) string {
	if channel == "form" {
		if t := v.s.opts.Forms[source]; t != "" {
			return t
		}
	}
	return source
}

// Period is a report's period (to exclusive) in words: one day as one
// date, else «1 ноября 2026 г. — 30 ноября 2026 г.».
func (v *viewer) Period(from, to time.Time) string {
	first, last := v.Date(from), v.Date(to.Add(-time.Nanosecond))
	if first == last {
		return first
	}
	return first + " — " + last
}

var ruMonthNames = [12]string{"январь", "февраль", "март", "апрель", "май", "июнь", "июль", "август", "сентябрь", "октябрь", "ноябрь", "декабрь"}

// Month names a month given as YYYY-MM: «ноябрь 2026», "November 2026";
// anything else is shown as it is.
func (v *viewer) Month(ym string) string {
	t, err := time.Parse("2006-01", ym)
	if err != nil {
		return ym
	}
	if v.Lang == "en" {
		return t.Format("January 2006")
	}
	return fmt.Sprintf("%s %d", ruMonthNames[t.Month()-1], t.Year())
}

// Decimal writes a figure with places fraction digits in the viewer's
// format — «1 959 833,33» in Russian, "1,959,833.33" in English — the
// same grouping and decimal sign as Money, so a page has one format.
func (v *viewer) Decimal(x float64, places int) string {
	s := chart.Decimal(x, places)
	if v.Lang != "en" {
		return s
	}
	return strings.NewReplacer(nbsp, ",", ",", ".").Replace(s)
}

// Count writes a whole number in the viewer's format: «12 345», "12,345".
func (v *viewer) Count(n int) string { return v.Decimal(float64(n), 0) }

// Pct writes a percent in the viewer's format: «27,3 %», "27.3%".
func (v *viewer) Pct(p float64) string {
	if v.Lang == "en" {
		return v.Decimal(p, 1) + "%"
	}
	return v.Decimal(p, 1) + nbsp + "%"
}
