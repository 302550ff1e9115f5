package crm

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// KindWeeklySummary is the outbox kind of a supervisor's weekly summary.
const KindWeeklySummary = "report.weekly"

// WeeklySummary is the payload of a report.weekly outbox row: the
// supervisor it goes to, the week (its Monday) and the text, in Russian,
// with the link to the console's report page.
type WeeklySummary struct {
	ManagerID int64  `json:"manager_id"`
	Week      string `json:"week"`
	Text      string `json:"text"`
	URL       string `json:"url"`
}

// OutboxKind names the kind.
func (WeeklySummary) OutboxKind() string { return KindWeeklySummary }

// WeeklyOptions are the summary's rules from the configuration.
type WeeklyOptions struct {
	Hour    int           // local hour on Monday, 9
	SLA     time.Duration // for the share answered in time
	BaseURL string        // the console's address (public_url); "" leaves the link relative
}

// EnqueueWeeklySummaries writes, once per supervisor per week, the
// summary of the week before — on Monday from opts.Hour in the
// supervisor's own time zone — to supervisors and admins linked to
// Telegram. The figures come from the reports, read outside tx; the rows
// go in tx. It returns how many it wrote.
func (s *Store) EnqueueWeeklySummaries(ctx context.Context, tx pgx.Tx, now time.Time, opts WeeklyOptions) (int, error) {
	rows, err := tx.Query(ctx, `SELECT id, time_zone FROM managers
		WHERE active AND role IN ('supervisor', 'admin') AND telegram_chat_id IS NOT NULL`)
	if err != nil {
		return 0, translate(err, "supervisors")
	}
	type sup struct {
		id int64
		tz string
	}
	sups, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (sup, error) {
		var x sup
		return x, r.Scan(&x.id, &x.tz)
	})
	if err != nil {
		return 0, translate(err, "supervisors")
	}
	n := 0
	for _, x := range sups {
		loc, err := LoadLocation(x.tz)
		if err != nil {
			loc = time.UTC
		}
		local := now.In(loc)
		if local.Weekday() != time.Monday || local.Hour() < opts.Hour {
			continue
		}
		monday := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, loc)
		key := fmt.Sprintf("weekly:%d:%s", x.id, monday.Format(time.DateOnly))
		var sent bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM outbox WHERE idempotency_key = $1)`, key).Scan(&sent); err != nil {
			return n, translate(err, "outbox")
		}
		if sent {
			continue
		}
		sum, err := s.WeeklySummaryFor(ctx, x.id, monday.AddDate(0, 0, -7), monday, loc, opts)
		if err != nil {
			return n, err
		}
		if err := Enqueue(ctx, tx, key, sum); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// WeeklySummaryFor writes the department's summary of [from, to) in loc
// for the supervisor managerID.
func (s *Store) WeeklySummaryFor(ctx context.Context, managerID int64, from, to time.Time, loc *time.Location, opts WeeklyOptions) (WeeklySummary, error) {
	rq := ReportQuery{Filter: ReportFilter{From: from, To: to}, Loc: loc, SLA: opts.SLA}
	if rq.SLA <= 0 {
		rq.SLA = 15 * time.Minute
	}
	ps, err := s.Pipelines(ctx)
	if err != nil {
		return WeeklySummary{}, err
	}
	for _, p := range ps {
		if p.Default {
			rq.Filter.Pipeline = p.Key
		}
	}
	funnel, err := s.Funnel(ctx, rq)
	if err != nil {
		return WeeklySummary{}, err
	}
	speed, err := s.Speed(ctx, rq)
	if err != nil {
		return WeeklySummary{}, err
	}
	sources, err := s.Sources(ctx, rq)
	if err != nil {
		return WeeklySummary{}, err
	}
	plan, err := s.PlanFact(ctx, ReportQuery{Filter: ReportFilter{From: from, To: to}, Loc: loc})
	if err != nil {
		return WeeklySummary{}, err
	}
	work, err := s.Workload(ctx, rq)
	if err != nil {
		return WeeklySummary{}, err
	}
	var b strings.Builder
	last := to.Add(-time.Second).In(loc)
	fmt.Fprintf(&b, "📊 Итоги недели %s–%s\n\n", from.In(loc).Format("02.01"), last.Format("02.01.2006"))
	l := funnel.Leads
	fmt.Fprintf(&b, "Лиды: %d — взято в работу %d, в сделки %d, некачественных %d\n", l.Leads, l.Taken, l.Converted, l.Junk)
	// The week's wins by when they closed, whatever month they fall in;
	// a sum per currency, roubles first: ₽ and $ are never added.
	wq := newListQuery("s.semantic = 'won'")
	wq.add("d.closed_at >= ?", from)
	wq.add("d.closed_at < ?", to)
	rows, err := s.pool.Query(ctx, `SELECT d.currency, count(*), sum(d.amount)::text FROM deals d JOIN stages s ON s.id = d.stage_id
		WHERE `+wq.where+` GROUP BY 1 ORDER BY d.currency <> 'RUB', 1`, wq.args...)
	if err != nil {
		return WeeklySummary{}, translate(err, "weekly wins")
	}
	won, sums := 0, []string{}
	for rows.Next() {
		var cur, sum string
		var n int
		if err := rows.Scan(&cur, &n, &sum); err != nil {
			rows.Close()
			return WeeklySummary{}, err
		}
		won += n
		sums = append(sums, MoneyIn(sumDecimal(sum), cur))
	}
	if err := rows.Err(); err != nil {
		return WeeklySummary{}, translate(err, "weekly wins")
	}
	if len(sums) == 0 {
		sums = append(sums, RussianMoney("0"))
	}
	fmt.Fprintf(&b, "Выиграно сделок: %d на %s\n", won, strings.Join(sums, " + "))
	if t := speed.Total; t.Leads > 0 {
		med := "—"
		if t.MedianSeconds != nil {
			med = RussianDuration(*t.MedianSeconds)
		}
		fmt.Fprintf(&b, "Первый ответ: медиана %s, в срок %s, нарушений SLA %d\n", med, russianPct(t.WithinSLAPct), t.SLAMissed)
	}
	for _, c := range speed.Curve {
		if c.Key == "lt5m" && c.Leads > 0 {
			fmt.Fprintf(&b, "Ответ до 5 минут: %d лидов, в сделки %s\n", c.Leads, russianPct(c.ConvertedPct))
		}
	}
	if len(sources.Items) > 0 {
		best := sources.Items[0]
		for _, it := range sources.Items {
			if cmpDecimal(it.Revenue, best.Revenue) > 0 {
				best = it
			}
		}
		fmt.Fprintf(&b, "Лучший источник: %s — %d лидов, выручка %s\n", best.Source, best.Leads, RussianMoney(best.Revenue))
	}
	fmt.Fprintf(&b, "Просрочено дел сейчас: %d\n", work.Total.Overdue)
	for _, t := range plan.Total {
		if t.TargetRevenue != nil {
			fmt.Fprintf(&b, "План %s: %s из %s (%s)\n", t.Month, RussianMoney(t.Revenue), RussianMoney(*t.TargetRevenue), russianPct(t.RevenuePct))
		}
	}
	v := url.Values{}
	v.Set("from", from.In(loc).Format(time.DateOnly))
	v.Set("to", last.Format(time.DateOnly))
	v.Set("tz", loc.String())
	link := strings.TrimRight(opts.BaseURL, "/") + "/reports/funnel?" + v.Encode()
	fmt.Fprintf(&b, "\nПодробнее: %s", link)
	return WeeklySummary{ManagerID: managerID, Week: from.In(loc).Format(time.DateOnly), Text: b.String(), URL: link}, nil
}

func cmpDecimal(a, b string) int {
	x, _ := parseRat(a)
	y, _ := parseRat(b)
	if x == nil || y == nil {
		return 0
	}
	return x.Cmp(y)
}

func russianPct(p *float64) string {
	if p == nil {
		return "—"
	}
	return strings.Replace(fmt.Sprintf("%.1f %%", *p), ".", ",", 1)
}

// RussianMoney writes a decimal string as Russians read a sum:
// "1 275 833,33 ₽".
func RussianMoney(dec string) string {
	neg := strings.HasPrefix(dec, "-")
	dec = strings.TrimPrefix(dec, "-")
	whole, frac, _ := strings.Cut(dec, ".")
	frac = (frac + "00")[:2]
	var b strings.Builder
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteRune('\u00a0')
		}
		b.WriteRune(r)
	}
	s := b.String() + "," + frac + "\u00a0₽"
	if neg {
		s = "−" + s
	}
	return s
}

// MoneyIn writes an amount in a currency as Russians do: "1 200,50 ₽",
// "300,00 $", "15,00 CNY".
func MoneyIn(dec, currency string) string {
	s := RussianMoney(dec)
	if currency == BaseCurrency {
		return s
	}
	return strings.TrimSuffix(s, "₽") + CurrencySign(currency)
}

// CurrencySign is a currency as a table heading names it: ₽, $, €, or
// its ISO code.
func CurrencySign(currency string) string {
	switch currency {
	case "", "RUB":
		return "₽"
	case "USD":
		return "$"
	case "EUR":
		return "€"
	}
	return currency
}

// RussianDuration writes seconds as "4 мин", "2 ч 5 мин", "3 дн".
func RussianDuration(sec int64) string {
	switch {
	case sec < 60:
		return fmt.Sprintf("%d с", sec)
	case sec < 3600:
		return fmt.Sprintf("%d мин", sec/60)
	case sec < 86400:
		if m := sec % 3600 / 60; m > 0 {
			return fmt.Sprintf("%d ч %d мин", sec/3600, m)
		}
		return fmt.Sprintf("%d ч", sec/3600)
	}
	return fmt.Sprintf("%d дн", sec/86400)
}
