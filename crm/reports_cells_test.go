package crm_test

import (
	"context"
	"math/big"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/leadd/leadd/crm"
)

// Figures a table shows without a list behind them: shares, times,
// targets and entries. Every other number in a table links to its list.
var derivedColumns = map[string]bool{
	"rep.c.conv_next": true, "rep.c.conv_won": true, "rep.c.median_h": true, "rep.c.p90_h": true, "rep.c.share": true,
	"rep.c.won_pct": true, "rep.c.probability": true, "rep.c.weighted_in": true, "rep.c.junk_pct": true, "rep.c.average_in": true,
	"rep.c.lead_to_won": true, "rep.c.spend_in": true, "rep.c.cpl_in": true, "rep.c.median_m": true, "rep.c.p90_m": true,
	"rep.c.within_sla_pct": true, "rep.c.hops": true, "rep.c.reached_pct": true, "rep.c.converted_pct": true,
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
	// Activities around the end of the day, which is each manager's own
	// (Moscow's at 21:00 UTC, Yekaterinburg's at 19:00): due in two hours,
	// in eight (Moscow's today, Yekaterinburg's tomorrow), in ten, and one
	// due ten minutes ago still in its half-hour's grace.
	for _, m := range s.managers {
		s.db.Exec(t, `INSERT INTO activities (type, subject, manager_id, due_at, grace, created_at)
			SELECT 'task', 'Подготовить КП', $1, $2::timestamptz + d * interval '1 hour', CASE WHEN d < 0 THEN interval '30 minutes' ELSE '0' END, $2
			FROM unnest(ARRAY[2, 8, 10, -1.0/6]) AS d`, m, s.now)
	}
	w, err := s.store.Workload(ctx, s.query(t, "Europe/Moscow", "2026-12-01", "2026-12-31"))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range w.Managers[:len(s.managers)] {
		if want := map[bool]int{true: 2, false: 3}[r.ID == s.managers[2]]; r.DueToday != want {
			t.Errorf("%s: %d due today, want %d (their own day)", r.Name, r.DueToday, want)
		}
	}
	checked, seen := 0, map[string]int{}
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
								if n, _ := s.listOf(t, ctx, rq.Loc, l); n != v {
									t.Errorf("%s %q row %v: %s = %d, but its list has %d: %s", name, tb.Title, row[0], tb.Columns[j], v, n, l)
								}
								checked, seen[tb.Heads[j].Key] = checked+1, seen[tb.Heads[j].Key]+v
							case crm.Decimal:
								if l == "" {
									if !derivedColumns[tb.Heads[j].Key] {
										t.Errorf("%s %q row %v: %s = %s has no list", name, tb.Title, row[0], tb.Columns[j], v)
									}
									continue
								}
								if _, sum := s.listOf(t, ctx, rq.Loc, l); sum != string(v) {
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
	// The workload's lists of activities and calls were not all empty.
	for _, k := range []string{"rep.c.due_today", "rep.c.overdue", "rep.c.completed", "rep.c.calls_made", "rep.c.calls_missed"} {
		if seen[k] == 0 {
			t.Errorf("no %s figure above 0 was checked", k)
		}
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
func (s *sim) listOf(t *testing.T, ctx context.Context, loc *time.Location, link string) (int, string) {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	d, err := crm.ParseDrill(u.Query(), loc, s.now)
	if err != nil {
		t.Fatalf("%s: %v", link, err)
	}
	count, sum, cursor := 0, new(big.Rat), ""
	for {
		var next string
		switch {
		case strings.HasSuffix(u.Path, "/deals"):
			var page []crm.Deal
			page, next, err = s.store.Deals(ctx, crm.DealFilter{Drill: d, Limit: 500, Cursor: cursor})
			for _, x := range page {
				if d.Filter.Currency != "" && x.Currency != d.Filter.Currency {
					t.Errorf("%s lists a deal in %s", link, x.Currency)
				}
				sum.Add(sum, mustRat(x.Amount))
			}
			count += len(page)
		case strings.HasSuffix(u.Path, "/activities"):
			var page []crm.Activity
			page, next, err = s.store.ActivityList(ctx, crm.ActivityFilter{Drill: d, Limit: 7, Cursor: cursor})
			count += len(page)
		case strings.HasSuffix(u.Path, "/calls"):
			var page []crm.Call
			page, next, err = s.store.Calls(ctx, crm.CallFilter{Drill: d, Limit: 7, Cursor: cursor})
			count += len(page)
		case strings.HasSuffix(u.Path, "/leads"):
			var page []crm.Lead
			page, next, err = s.store.Leads(ctx, crm.LeadFilter{Drill: d, Limit: 500, Cursor: cursor})
			count += len(page)
		default:
			t.Fatalf("%s is no list of a figure", link)
		}
		if err != nil {
			t.Fatalf("%s: %v", link, err)
		}
		if cursor = next; cursor == "" {
			return count, sum.FloatString(2)
		}
	}
}
