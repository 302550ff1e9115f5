package crm

import (
	"context"
	"math/big"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"
)

// SourcesReport is what each source brought in the period: the leads that
// arrived from it, what became of them, and the money their deals won.
type SourcesReport struct {
	From     time.Time    `json:"from"`
	To       time.Time    `json:"to"`
	TimeZone string       `json:"time_zone"`
	Items    []SourceItem `json:"items"`
	Total    SourceItem   `json:"total"`
	// Revenue, the average deal, spend and cost per lead are in Currency;
	// won deals in other currencies are counted in Won but summed apart.
	Currency        string          `json:"currency"`
	OtherCurrencies []OtherCurrency `json:"other_currencies"`
}

// SourceItem is one source: its utm_source, else channel:form/line/mailbox.
// Money is in decimal strings. Won counts the won deals of these leads
// (tunnelled follow-up deals excluded), revenue sums them.
type SourceItem struct {
	Source       string            `json:"source"`
	Name         string            `json:"name"` // the source as a person reads it: «Форма «Обратная связь»», «Звонок на +7 495 000-00-00»
	Kind         string            `json:"kind"` // utm_source or channel
	Leads        int               `json:"leads"`
	Junk         int               `json:"junk"`
	JunkPct      *float64          `json:"junk_pct"`
	Converted    int               `json:"converted"`
	Won          int               `json:"won"`
	Revenue      string            `json:"revenue"`
	AverageDeal  *string           `json:"average_deal"`
	LeadToWonPct *float64          `json:"lead_to_won_pct"`
	Spend        *string           `json:"spend"`         // ad spend for the period, prorated by day (see adSpend)
	CostPerLead  *string           `json:"cost_per_lead"` // spend / leads of the row (the total's: of all leads)
	Links        map[string]string `json:"links"`
	wonIn        int               // won deals in the report's currency
	label        Label             // Name, with its catalogue key
}

// Sources computes the sources report.
func (s *Store) Sources(ctx context.Context, rq ReportQuery) (SourcesReport, error) {
	f := rq.Filter
	cur := rq.currency()
	out := SourcesReport{From: f.From, To: f.To, TimeZone: rq.Loc.String(), Items: []SourceItem{}, Currency: cur}
	err := s.readTx(ctx, func(tx pgx.Tx) error {
		q := newListQuery("TRUE")
		f.leadCond(q, true)
		rows, err := tx.Query(ctx, `SELECT l.rep_source, bool_or(l.rep_utm_source IS NOT NULL), count(*),
				count(*) FILTER (WHERE l.status = 'junk'), count(*) FILTER (WHERE l.status = 'converted')
			FROM leads l WHERE `+q.where+` GROUP BY 1`, q.args...)
		if err != nil {
			return translate(err, "sources")
		}
		items := map[string]*SourceItem{}
		for rows.Next() {
			it := &SourceItem{Revenue: "0.00", Kind: "channel"}
			var utm bool
			if err := rows.Scan(&it.Source, &utm, &it.Leads, &it.Junk, &it.Converted); err != nil {
				rows.Close()
				return err
			}
			if utm {
				it.Kind = "utm_source"
			}
			items[it.Source] = it
		}
		if err := rows.Err(); err != nil {
			return translate(err, "sources")
		}
		// Won deals of these leads, as the drill-down "lead_won" lists them.
		w := newListQuery("s.semantic = 'won' AND " + originalDeal)
		f.dealCond(w)
		if f.Pipeline != "" {
			w.add("p.key = ?", f.Pipeline)
		}
		f.leadCond(w, true)
		rows, err = tx.Query(ctx, `SELECT l.rep_source, d.currency, count(*), sum(d.amount)::text
			FROM deals d JOIN pipelines p ON p.id = d.pipeline_id JOIN stages s ON s.id = d.stage_id JOIN leads l ON l.id = d.lead_id
			WHERE `+w.where+` GROUP BY 1, 2`, w.args...)
		if err != nil {
			return translate(err, "sources")
		}
		other := otherCurrencies{}
		for rows.Next() {
			var src, currency, sum string
			var n int
			if err := rows.Scan(&src, &currency, &n, &sum); err != nil {
				rows.Close()
				return err
			}
			it, ok := items[src]
			if !ok {
				continue
			}
			it.Won += n
			if currency != cur {
				other.add(currency, n, sum)
				continue
			}
			it.wonIn, it.Revenue = it.wonIn+n, sumDecimal(it.Revenue, sum)
		}
		if err := rows.Err(); err != nil {
			return translate(err, "sources")
		}
		spend := map[string]*big.Rat{}
		if f.spendable() && cur == BaseCurrency { // spend is entered in roubles
			if spend, err = adSpend(ctx, tx, f, rq.Loc); err != nil {
				return err
			}
		}
		// A source with spend in the period has its row even when it
		// brought no lead: the money went, and the total counts it.
		for src := range spend {
			if _, ok := items[src]; !ok {
				items[src] = &SourceItem{Source: src, Kind: "utm_source", Revenue: "0.00"}
			}
		}
		names := s.names()
		for _, it := range items {
			it.label = names.Name(it.Source)
			it.Name = it.label.Text
		}
		total := SourceItem{Source: "Итого", Name: "Итого", Kind: "total", Revenue: "0.00", label: totalLabel}
		var spendTotal *big.Rat
		for _, it := range items {
			sf := f
			sf.Source = it.Source
			it.Links = map[string]string{"leads": Drill{Figure: "leads", Filter: sf}.URL(), "junk": Drill{Figure: "junk", Filter: sf}.URL(),
				"converted": Drill{Figure: "converted", Filter: sf}.URL(), "won": Drill{Figure: "lead_won", Filter: sf}.URL()}
			it.Links["revenue"] = Drill{Figure: "lead_won", Filter: sf.money(cur)}.URL()
			if sp, ok := spend[it.Source]; ok && it.Kind == "utm_source" {
				v := formatKopecks(sp)
				it.Spend, it.CostPerLead = &v, divDecimal(v, it.Leads)
				if spendTotal == nil {
					spendTotal = new(big.Rat)
				}
				spendTotal.Add(spendTotal, mustKopecks(v)) // the total is the sum of the rows as shown
			}
			it.finish()
			total.Leads, total.Junk, total.Converted, total.Won = total.Leads+it.Leads, total.Junk+it.Junk, total.Converted+it.Converted, total.Won+it.Won
			total.wonIn += it.wonIn
			total.Revenue = sumDecimal(total.Revenue, it.Revenue)
			out.Items = append(out.Items, *it)
		}
		// The total's cost per lead is its spend over all its leads, as
		// every row's is (a row is a source; the total, all of them).
		if spendTotal != nil {
			v := formatKopecks(spendTotal)
			total.Spend, total.CostPerLead = &v, divDecimal(v, total.Leads)
		}
		total.Links = map[string]string{"leads": Drill{Figure: "leads", Filter: f}.URL(), "junk": Drill{Figure: "junk", Filter: f}.URL(),
			"converted": Drill{Figure: "converted", Filter: f}.URL(), "won": Drill{Figure: "lead_won", Filter: f}.URL()}
		total.Links["revenue"] = Drill{Figure: "lead_won", Filter: f.money(cur)}.URL()
		total.finish()
		out.OtherCurrencies = other.list(func(c string) string { return Drill{Figure: "lead_won", Filter: f.money(c)}.URL() })
		out.Total = total
		sort.Slice(out.Items, func(i, j int) bool {
			a, b := out.Items[i], out.Items[j]
			return a.Leads > b.Leads || a.Leads == b.Leads && a.Source < b.Source
		})
		return nil
	})
	return out, err
}

// spendable says whether a report over filter f shows ad spend. Spend is
// entered per utm_source and month for the whole department: a report
// narrowed to a manager, a channel, a form, line or mailbox, or a campaign
// has no share of it to show (its spend and cost per lead are null).
func (f ReportFilter) spendable() bool {
	return f.ManagerID == nil && !f.Unassigned && f.Channel == "" && f.Origin == "" && f.UTMCampaign == ""
}

func mustKopecks(s string) *big.Rat {
	r, _ := new(big.Rat).SetString(s)
	return r
}

func (it *SourceItem) finish() {
	it.JunkPct = Percent(it.Junk, it.Leads)
	it.AverageDeal = divDecimal(it.Revenue, it.wonIn)
	it.LeadToWonPct = Percent(it.Won, it.Leads)
}

// adSpend is each utm_source's spend for the period. A month's spend is
// spread evenly over its days: the period takes of each month it touches
// the share of that month it covers (in the viewer's zone, to the second),
// so yesterday costs 1/30 of November's spend, a week across a month's end
// takes its days of each month at each month's daily rate, and a quarter
// sums its three months — as Yandex Direct's and amoCRM's statistics
// apportion a budget over days.
func adSpend(ctx context.Context, tx pgx.Tx, f ReportFilter, loc *time.Location) (map[string]*big.Rat, error) {
	out := map[string]*big.Rat{}
	if f.From.IsZero() {
		return out, nil
	}
	rows, err := tx.Query(ctx, `SELECT utm_source, to_char(month, 'YYYY-MM-DD'), amount::text FROM ad_spend
		WHERE month >= $1::date - 31 AND month <= $2::date`, f.From.In(loc).Format(time.DateOnly), f.To.In(loc).Format(time.DateOnly))
	if err != nil {
		return nil, translate(err, "ad spend")
	}
	defer rows.Close()
	for rows.Next() {
		var src, month, amount string
		if err := rows.Scan(&src, &month, &amount); err != nil {
			return nil, err
		}
		if f.UTMSource != "" && src != f.UTMSource || f.Source != "" && src != f.Source {
			continue
		}
		m, _ := time.ParseInLocation(time.DateOnly, month, loc)
		end := m.AddDate(0, 1, 0)
		from, to := maxTime(m, f.From), minTime(end, f.To)
		if !to.After(from) {
			continue
		}
		a, _ := new(big.Rat).SetString(amount)
		part := a.Mul(a, big.NewRat(int64(to.Sub(from)/time.Second), int64(end.Sub(m)/time.Second)))
		if out[src] == nil {
			out[src] = new(big.Rat)
		}
		out[src].Add(out[src], part)
	}
	return out, translate(rows.Err(), "ad spend")
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// SetAdSpend records a utm_source's spend for a month ("2026-12") and
// returns it as stored. Errors: EINVALID.
func (s *Store) SetAdSpend(ctx context.Context, utmSource, month, amount string) (AdSpend, error) {
	m, err := parseMonth(month)
	if err != nil {
		return AdSpend{}, err
	}
	utmSource = NormalizeUTM(utmSource) // as the reports key the leads
	if utmSource == "" || len(utmSource) > 200 {
		return AdSpend{}, Invalid("utm_source", "must be a utm_source of at most 200 characters")
	}
	if err := amountInput(amount, "amount"); err != nil {
		return AdSpend{}, err
	}
	out := AdSpend{UTMSource: utmSource, Month: month}
	err = s.pool.QueryRow(ctx, `INSERT INTO ad_spend (utm_source, month, amount, updated_at) VALUES ($1, $2, $3::numeric, $4)
		ON CONFLICT (utm_source, month) DO UPDATE SET amount = $3::numeric, updated_at = $4 RETURNING amount::text`,
		utmSource, m, amount, s.now()).Scan(&out.Amount)
	return out, translate(err, "ad spend")
}

// AdSpend is one month's spend on a utm_source.
type AdSpend struct {
	UTMSource string `json:"utm_source"`
	Month     string `json:"month"`
	Amount    string `json:"amount"`
}

// AdSpends lists the spend entered, newest month first.
func (s *Store) AdSpends(ctx context.Context) ([]AdSpend, error) {
	rows, err := s.pool.Query(ctx, `SELECT utm_source, to_char(month, 'YYYY-MM'), amount::text FROM ad_spend ORDER BY month DESC, utm_source`)
	if err != nil {
		return nil, translate(err, "ad spend")
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (AdSpend, error) {
		var a AdSpend
		return a, r.Scan(&a.UTMSource, &a.Month, &a.Amount)
	})
	if out == nil {
		out = []AdSpend{}
	}
	return out, translate(err, "ad spend")
}

// parseMonth reads "2026-12" as the first day of that month.
func parseMonth(v string) (string, error) {
	m, err := time.Parse("2006-01", v)
	if err != nil {
		return "", Invalid("month", "must be a month YYYY-MM, not %q", v)
	}
	return m.Format(time.DateOnly), nil
}

// Tables are the sources as rows with a total row.
func (r SourcesReport) Tables() []Table {
	t := newTable(lbl("rep.t.sources", "Источники"), lbl("rep.c.source", "Источник"), lbl("rep.c.leads", "Лиды"),
		lbl("rep.c.junk_pct", "Некачественные, %"), lbl("rep.c.deals", "Сделки"), lbl("rep.c.won", "Выиграно"),
		moneyHead("rep.c.revenue_in", "Выручка", r.Currency), moneyHead("rep.c.average_in", "Средний чек", r.Currency),
		lbl("rep.c.lead_to_won", "Конверсия лид → успех, %"), moneyHead("rep.c.spend_in", "Расход", BaseCurrency),
		moneyHead("rep.c.cpl_in", "Цена лида", BaseCurrency))
	for _, it := range append(append([]SourceItem{}, r.Items...), r.Total) {
		var name any = it.label
		if it.label.Key == "" {
			name = it.Name
		}
		t.row(name, link(it.Leads, it.Links["leads"]), pct(it.JunkPct), link(it.Converted, it.Links["converted"]), link(it.Won, it.Links["won"]),
			link(Decimal(it.Revenue), it.Links["revenue"]), dec(it.AverageDeal), pct(it.LeadToWonPct), dec(it.Spend), dec(it.CostPerLead))
	}
	return append([]Table{t}, otherCurrenciesTable(r.OtherCurrencies)...)
}
