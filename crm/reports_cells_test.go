package crm_test

import (
	"context"
	"math/big"
	"net/url"
	"strings"
	"testing"

	"github.com/leadd/leadd/crm"
)

// Figures a table shows without a list behind them: shares, times,
// targets, entries and figures of activities and calls rather than of
// leads or deals. Every other number in a table links to its list.
var derivedColumns = map[string]bool{
	"rep.c.conv_next": true, "rep.c.conv_won": true, "rep.c.median_h": true, "rep.c.p90_h": true, "rep.c.share": true,
	"rep.c.won_pct": true, "rep.c.probability": true, "rep.c.weighted_in": true, "rep.c.junk_pct": true, "rep.c.average_in": true,
	"rep.c.lead_to_won": true, "rep.c.spend_in": true, "rep.c.cpl_in": true, "rep.c.median_m": true, "rep.c.p90_m": true,
	"rep.c.within_sla_pct": true, "rep.c.hops": true, "rep.c.reached_pct": true, "rep.c.converted_pct": true,
	"rep.c.due_today": true, "rep.c.overdue": true, "rep.c.completed": true, "rep.c.calls_made": true, "rep.c.calls_missed": true,
	"rep.c.target_in": true, "rep.c.revenue_pct": true, "rep.c.target_won": true, "rep.c.won_pct_plan": true,
}

// TestEveryNumberInEveryTableIsItsList opens the list behind every linked
// cell of every table of every report — over a department with deals in
// two currencies and records nobody is responsible for — and counts or
// sums it; and checks that no number a list can stand behind is left
// without one.
func TestEveryNumberInEveryTableIsItsList(t *testing.T) {
	t.Parallel()
	s := newSim(t, 11)
	s.clock = s.now
	ctx := context.Background()
	// Every fifth deal in dollars, every seventh lead and deal nobody's.
	s.db.Exec(t, `UPDATE deals SET currency = 'USD' WHERE id % 5 = 0`)
	s.db.Exec(t, `UPDATE deals SET manager_id = NULL WHERE id % 7 = 0`)
	s.db.Exec(t, `UPDATE leads SET manager_id = NULL WHERE id % 7 = 3`)
	checked := 0
	for _, p := range simPeriods {
		rq := s.query(t, p.tz, p.from, p.to)
		for _, manager := range []*int64{nil, &s.managers[1]} {
			rq.Filter.ManagerID = manager
			for _, name := range crm.ReportNames {
				rep := runReport(t, s.store, name, rq).(crm.Tabular)
				for _, tb := range rep.Tables() {
					if len(tb.Links) != len(tb.Rows) || len(tb.Heads) != len(tb.Columns) {
						t.Fatalf("%s %q: %d rows, %d rows of links; %d columns, %d keys", name, tb.Title, len(tb.Rows), len(tb.Links), len(tb.Columns), len(tb.Heads))
					}
					for i, row := range tb.Rows {
						for j, c := range row {
							l := tb.Links[i][j]
							switch v := c.(type) {
							case int:
								if l == "" {
									if !derivedColumns[tb.Heads[j].Key] {
										t.Errorf("%s %q row %v: %s = %d has no list", name, tb.Title, row[0], tb.Columns[j], v)
									}
									continue
								}
								if n, _ := s.listOf(t, ctx, rq, l); n != v {
									t.Errorf("%s %q row %v: %s = %d, but its list has %d: %s", name, tb.Title, row[0], tb.Columns[j], v, n, l)
								}
								checked++
							case crm.Decimal:
								if l == "" {
									if !derivedColumns[tb.Heads[j].Key] {
										t.Errorf("%s %q row %v: %s = %s has no list", name, tb.Title, row[0], tb.Columns[j], v)
									}
									continue
								}
								if _, sum := s.listOf(t, ctx, rq, l); sum != string(v) {
									t.Errorf("%s %q row %v: %s = %s, but its list sums to %s: %s", name, tb.Title, row[0], tb.Columns[j], v, sum, l)
								}
								checked++
							default:
								if l != "" {
									t.Errorf("%s %q row %v: %s links %s from a cell that is no figure (%T)", name, tb.Title, row[0], tb.Columns[j], l, c)
								}
							}
						}
					}
				}
			}
		}
	}
	if checked < 500 {
		t.Errorf("only %d linked cells checked", checked)
	}
	// The dollars are summed apart, never into the roubles.
	rq := s.query(t, simPeriods[2].tz, simPeriods[2].from, simPeriods[2].to)
	rep, err := s.store.Sources(ctx, rq)
	if err != nil {
		t.Fatal(err)
	}
	var rub, usd string
	if err := s.db.Pool.QueryRow(ctx, `SELECT coalesce(sum(d.amount) FILTER (WHERE d.currency = 'RUB'), 0)::numeric(18,2)::text,
			coalesce(sum(d.amount) FILTER (WHERE d.currency = 'USD'), 0)::numeric(18,2)::text
		FROM deals d JOIN stages s ON s.id = d.stage_id JOIN leads l ON l.id = d.lead_id
		WHERE s.semantic = 'won' AND d.source_deal_id IS NULL AND l.created_at >= $1 AND l.created_at < $2`, rq.Filter.From, rq.Filter.To).Scan(&rub, &usd); err != nil {
		t.Fatal(err)
	}
	if rep.Total.Revenue != rub {
		t.Errorf("revenue %s ₽, want the roubles alone: %s", rep.Total.Revenue, rub)
	}
	if len(rep.OtherCurrencies) != 1 || rep.OtherCurrencies[0].Currency != "USD" || rep.OtherCurrencies[0].Sum != usd {
		t.Errorf("other currencies %+v, want USD %s", rep.OtherCurrencies, usd)
	}
}

// listOf is the length and the sum of the list a figure links to.
func (s *sim) listOf(t *testing.T, ctx context.Context, rq crm.ReportQuery, link string) (int, string) {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	d, err := crm.ParseDrill(u.Query(), rq.Loc, s.now)
	if err != nil {
		t.Fatalf("%s: %v", link, err)
	}
	count, sum, cursor := 0, new(big.Rat), ""
	for {
		var next string
		if strings.HasSuffix(u.Path, "/deals") {
			var page []crm.Deal
			page, next, err = s.store.Deals(ctx, crm.DealFilter{Drill: d, Limit: 500, Cursor: cursor})
			for _, x := range page {
				if d.Filter.Currency != "" && x.Currency != d.Filter.Currency {
					t.Errorf("%s lists a deal in %s", link, x.Currency)
				}
				sum.Add(sum, mustRat(x.Amount))
			}
			count += len(page)
		} else {
			var page []crm.Lead
			page, next, err = s.store.Leads(ctx, crm.LeadFilter{Drill: d, Limit: 500, Cursor: cursor})
			count += len(page)
		}
		if err != nil {
			t.Fatalf("%s: %v", link, err)
		}
		if cursor = next; cursor == "" {
			return count, sum.FloatString(2)
		}
	}
}
