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
// supervisor it goes to, the week (its Monday to its Sunday), the week's
// figures and the link to the console's report page. The bot words it in
// its language; Text is what rows written before figures carry instead.
type WeeklySummary struct {
	ManagerID int64          `json:"manager_id"`
	Week      string         `json:"week"`
	Last      string         `json:"last,omitempty"`
	Figures   *WeeklyFigures `json:"figures,omitempty"`
	Text      string         `json:"text,omitempty"`
	URL       string         `json:"url"`
}

// WeeklyFigures are the headline figures of a week for the department.
type WeeklyFigures struct {
	Leads     int `json:"leads"`
	Taken     int `json:"taken"`
	Converted int `json:"converted"`
	Junk      int `json:"junk"`
	// Won deals by when they closed, and their sums, one per currency,
	// roubles first: ₽ and $ are never added.
	Won     int           `json:"won"`
	WonSums []CurrencySum `json:"won_sums"`
	// First response: how many leads, the median, the share within the
	// SLA and the misses; nil median when none was answered.
	Responded     int      `json:"responded"`
	MedianSeconds *int64   `json:"median_seconds"`
	WithinSLAPct  *float64 `json:"within_sla_pct"`
	SLAMissed     int      `json:"sla_missed"`
	// Leads answered within 5 minutes and the share converted.
	Fast *WeeklyFast `json:"fast,omitempty"`
	// The source with the most revenue.
	Best    *WeeklySource `json:"best,omitempty"`
	Overdue int           `json:"overdue"`
	Plans   []WeeklyPlan  `json:"plans,omitempty"`
}

// CurrencySum is a sum in one currency.
type CurrencySum struct {
	Amount   string `json:"amount"`
	Currency string `json:"currency"`
}

// WeeklyFast are the leads first answered within five minutes.
type WeeklyFast struct {
	Leads        int      `json:"leads"`
	ConvertedPct *float64 `json:"converted_pct"`
}

// WeeklySource is a source's line in the summary.
type WeeklySource struct {
	Source  string `json:"source"`
	Name    string `json:"name,omitempty"` // as a person reads it (SourceItem.Name); empty in summaries queued before it
	Leads   int    `json:"leads"`
	Revenue string `json:"revenue"`
}

// WeeklyPlan is a month's revenue target against the fact.
type WeeklyPlan struct {
	Month   string   `json:"month"`
	Revenue string   `json:"revenue"`
	Target  string   `json:"target"`
	Pct     *float64 `json:"pct"`
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
	last := to.Add(-time.Second).In(loc)
	l := funnel.Leads
	f := &WeeklyFigures{Leads: l.Leads, Taken: l.Taken, Converted: l.Converted, Junk: l.Junk, Overdue: work.Total.Overdue}
	// The week's wins by when they closed, whatever month they fall in;
	// a sum per currency, roubles first.
	wq := newListQuery("s.semantic = 'won' AND " + originalDeal)
	wq.add("d.closed_at >= ?", from)
	wq.add("d.closed_at < ?", to)
	rows, err := s.pool.Query(ctx, `SELECT d.currency, count(*), sum(d.amount)::text FROM deals d JOIN stages s ON s.id = d.stage_id
		WHERE `+wq.where+` GROUP BY 1 ORDER BY d.currency <> 'RUB', 1`, wq.args...)
	if err != nil {
		return WeeklySummary{}, translate(err, "weekly wins")
	}
	for rows.Next() {
		var cur, sum string
		var n int
		if err := rows.Scan(&cur, &n, &sum); err != nil {
			rows.Close()
			return WeeklySummary{}, err
		}
		f.Won += n
		f.WonSums = append(f.WonSums, CurrencySum{Amount: sumDecimal(sum), Currency: cur})
	}
	if err := rows.Err(); err != nil {
		return WeeklySummary{}, translate(err, "weekly wins")
	}
	if t := speed.Total; t.Leads > 0 {
		f.Responded, f.MedianSeconds, f.WithinSLAPct, f.SLAMissed = t.Leads, t.MedianSeconds, t.WithinSLAPct, t.SLAMissed
	}
	for _, c := range speed.Curve {
		if c.Key == "lt5m" && c.Leads > 0 {
			f.Fast = &WeeklyFast{Leads: c.Leads, ConvertedPct: c.ConvertedPct}
		}
	}
	if len(sources.Items) > 0 {
		best := sources.Items[0]
		for _, it := range sources.Items {
			if cmpDecimal(it.Revenue, best.Revenue) > 0 {
				best = it
			}
		}
		f.Best = &WeeklySource{Source: best.Source, Name: best.Name, Leads: best.Leads, Revenue: best.Revenue}
	}
	for _, t := range plan.Total {
		if t.TargetRevenue != nil {
			f.Plans = append(f.Plans, WeeklyPlan{Month: t.Month, Revenue: t.Revenue, Target: *t.TargetRevenue, Pct: t.RevenuePct})
		}
	}
	v := url.Values{}
	v.Set("from", from.In(loc).Format(time.DateOnly))
	v.Set("to", last.Format(time.DateOnly))
	v.Set("tz", loc.String())
	link := strings.TrimRight(opts.BaseURL, "/") + "/reports/funnel?" + v.Encode()
	return WeeklySummary{ManagerID: managerID, Week: from.In(loc).Format(time.DateOnly), Last: last.Format(time.DateOnly),
		Figures: f, URL: link}, nil
}

func cmpDecimal(a, b string) int {
	x, _ := parseRat(a)
	y, _ := parseRat(b)
	if x == nil || y == nil {
		return 0
	}
	return x.Cmp(y)
}

// CurrencySign is a currency as people write it after a sum: ₽, $, €, ₸,
// Br, ¥, or its ISO code.
func CurrencySign(currency string) string {
	if s, ok := currencySigns[currency]; ok {
		return s
	}
	return currency
}

var currencySigns = map[string]string{"": "₽", "RUB": "₽", "USD": "$", "EUR": "€", "KZT": "₸", "BYN": "Br", "CNY": "¥"}

// FormatMoney writes a decimal string as a reader of lang writes a sum:
// «1 275 833,33 ₽» in Russian, "1,275,833.33 ₽" in English; the
// currency by its sign (CurrencySign), none when currency is "".
func FormatMoney(amount, currency, lang string) string {
	if amount == "" {
		amount = "0"
	}
	neg := strings.HasPrefix(amount, "-")
	amount = strings.TrimPrefix(amount, "-")
	whole, frac, _ := strings.Cut(amount, ".")
	frac = (frac + "00")[:2]
	if whole == "" {
		whole = "0"
	}
	sep, dec := "\u00a0", ","
	if lang == "en" {
		sep, dec = ",", "."
	}
	var b strings.Builder
	if neg {
		b.WriteString("−")
	}
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteRune(c)
	}
	b.WriteString(dec + frac)
	if currency != "" {
		b.WriteString("\u00a0" + CurrencySign(currency))
	}
	return b.String()
}
