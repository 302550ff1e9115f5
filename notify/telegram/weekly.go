package telegram

import (
	"fmt"
	"strings"
	"time"

	"github.com/leadd/leadd/crm"
)

// weeklyText is a supervisor's weekly summary in the bot's language: the
// week's leads and wins, first-response speed, the best source, what is
// overdue now and the month's plan, with the link to the report page.
func weeklyText(tx *Texts, s crm.WeeklySummary) string {
	f := s.Figures
	if f == nil {
		return s.Text // a row written before the figures: its Russian text
	}
	var b strings.Builder
	b.WriteString(tx.T("📊 Итоги недели %s–%s\n\n", tx.ShortDay(s.Week), tx.FullDay(s.Last)))
	b.WriteString(tx.T("Лиды: %d — взято в работу %d, в сделки %d, некачественных %d\n", f.Leads, f.Taken, f.Converted, f.Junk))
	sums := make([]string, 0, len(f.WonSums))
	for _, m := range f.WonSums {
		sums = append(sums, tx.Money(m.Amount, m.Currency))
	}
	if len(sums) == 0 {
		sums = append(sums, tx.Money("0", crm.BaseCurrency))
	}
	b.WriteString(tx.T("Выиграно сделок: %d на %s\n", f.Won, strings.Join(sums, " + ")))
	if f.Responded > 0 {
		med := "—"
		if f.MedianSeconds != nil {
			med = tx.Duration(time.Duration(*f.MedianSeconds) * time.Second)
		}
		b.WriteString(tx.T("Первый ответ: медиана %s, в срок %s, нарушений SLA %d\n", med, tx.Pct(f.WithinSLAPct), f.SLAMissed))
	}
	if f.Fast != nil {
		b.WriteString(tx.T("Ответ до 5 минут: %d %s, в сделки %s\n", f.Fast.Leads, tx.leads(f.Fast.Leads), tx.Pct(f.Fast.ConvertedPct)))
	}
	if f.Best != nil {
		name := f.Best.Name
		if name == "" {
			name = f.Best.Source
		}
		b.WriteString(tx.T("Лучший источник: %s — %d %s, выручка %s\n", name, f.Best.Leads, tx.leads(f.Best.Leads),
			tx.Money(f.Best.Revenue, crm.BaseCurrency)))
	}
	b.WriteString(tx.T("Просрочено дел сейчас: %d\n", f.Overdue))
	for _, p := range f.Plans {
		b.WriteString(tx.T("План %s: %s из %s (%s)\n", tx.Month(p.Month), tx.Money(p.Revenue, crm.BaseCurrency),
			tx.Money(p.Target, crm.BaseCurrency), tx.Pct(p.Pct)))
	}
	b.WriteString(tx.T("\nПодробнее: %s", s.URL))
	return b.String()
}

func (t *Texts) leads(n int) string {
	return t.Plural(n, t.T("лид"), t.T("лида"), t.T("лидов"))
}

// Money is an amount as a reader of the language writes it: «1 275 833,33 ₽»,
// "1,275,833.33 ₽"; a currency other than roubles by its sign or code.
func (t *Texts) Money(dec, currency string) string {
	lang := "ru"
	if t != nil {
		lang = t.lang
	}
	return crm.FormatMoney(dec, currency, lang)
}

// Pct is a share in percent, one decimal: «12,5 %», "12.5%"; "—" for none.
func (t *Texts) Pct(p *float64) string {
	if p == nil {
		return "—"
	}
	if t != nil && t.lang == "en" {
		return fmt.Sprintf("%.1f%%", *p)
	}
	return strings.Replace(fmt.Sprintf("%.1f %%", *p), ".", ",", 1)
}

// Duration is a length as short as a summary says it: «42 с», «4 мин»,
// «2 ч 5 мин», «3 дн».
func (t *Texts) Duration(d time.Duration) string {
	sec := int64(d / time.Second)
	switch {
	case sec < 60:
		return t.T("%d с", sec)
	case sec < 3600:
		return t.T("%d мин", sec/60)
	case sec < 86400:
		if m := sec % 3600 / 60; m > 0 {
			return t.T("%d ч %d мин", sec/3600, m)
		}
		return t.T("%d ч", sec/3600)
	}
	return t.T("%d дн", sec/86400)
}

// ShortDay is a date (YYYY-MM-DD) as «23.11» or "23 Nov".
func (t *Texts) ShortDay(date string) string {
	x, err := time.Parse(time.DateOnly, date)
	if err != nil {
		return date
	}
	if t != nil && t.lang == "en" {
		return x.Format("2 Jan")
	}
	return x.Format("02.01")
}

// FullDay is a date (YYYY-MM-DD) as «29.11.2026» or "29 Nov 2026".
func (t *Texts) FullDay(date string) string {
	x, err := time.Parse(time.DateOnly, date)
	if err != nil {
		return date
	}
	if t != nil && t.lang == "en" {
		return x.Format("2 Jan 2006")
	}
	return x.Format("02.01.2006")
}

// Month is a month (YYYY-MM) as «ноябрь 2026», "November 2026".
func (t *Texts) Month(month string) string {
	x, err := time.Parse("2006-01", month)
	if err != nil {
		return month
	}
	if t != nil && t.lang == "en" {
		return x.Format("January 2006")
	}
	return ruMonthNames[x.Month()-1] + " " + x.Format("2006")
}
