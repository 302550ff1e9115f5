package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/leadd/leadd/configs"
	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/web/api"
)

// TestReportsOverTheAPI: the reports as a supervisor and as a manager, in
// every format, each figure's link followed over HTTP to a list of that
// length or sum; plans and spend set by supervisors only; bad requests 4xx.
func TestReportsOverTheAPI(t *testing.T) {
	t.Parallel()
	anna, boris := int64(1), int64(2)
	ta := startApp(t, func(c *configs.Config) {
		c.API.Tokens = append(c.API.Tokens,
			api.Token{Name: "anna", Token: "anna-token-123", Role: api.RoleManager, ManagerID: &anna},
			api.Token{Name: "boss", Token: "boss-token-123", Role: api.RoleSupervisor})
	})
	as := func(token, method, path string, body any) response {
		var rd *strings.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			rd = strings.NewReader(string(b))
		} else {
			rd = strings.NewReader("")
		}
		return ta.do(method, path, "application/json", rd, "Authorization: Bearer "+token)
	}
	deal := func(manager int64, amount, stage string) {
		var d crm.Deal
		if s := ta.api("POST", "/api/v1/deals", map[string]any{"title": "Станок", "manager_id": manager, "amount": amount}, &d); s != 201 {
			t.Fatalf("create deal: %d", s)
		}
		if stage != "" {
			body := map[string]any{"stage": stage}
			if stage == "lost" {
				body["loss_reason"] = "price"
			}
			if s := ta.api("POST", fmt.Sprint("/api/v1/deals/", d.ID, "/stage"), body, nil); s != 200 {
				t.Fatalf("move deal: %d", s)
			}
		}
	}
	deal(anna, "100000.00", "")
	deal(anna, "250000.50", "proposal")
	deal(anna, "90000.00", "won")
	deal(boris, "40000.00", "invoice")
	deal(boris, "10000.00", "lost")
	// The won deal goes on into delivery (the demo's stage automation) on
	// its own time: the figures are read once it has.
	waitFor(t, "the won deal's copy in delivery", func() bool {
		return ta.db.Count(t, `SELECT count(*) FROM deals WHERE source_deal_id IS NOT NULL`) == 1
	})

	follow := func(token, link string) (int, string) {
		n, sum, cursor := 0, new(big.Rat), ""
		for {
			u := link + "&limit=2"
			if cursor != "" {
				u += "&cursor=" + url.QueryEscape(cursor)
			}
			res := as(token, "GET", u, nil)
			if res.Status != 200 {
				t.Fatalf("%s: %d %s", u, res.Status, res.Body)
			}
			var page struct {
				Items []struct {
					Amount string `json:"amount"`
				} `json:"items"`
				NextCursor string `json:"next_cursor"`
			}
			jsonInto(t, res.Body, &page)
			n += len(page.Items)
			for _, it := range page.Items {
				if r, ok := new(big.Rat).SetString(it.Amount); ok {
					sum.Add(sum, r)
				}
			}
			if cursor = page.NextCursor; cursor == "" {
				return n, sum.FloatString(2)
			}
		}
	}
	check := func(token, report string) map[string]any {
		res := as(token, "GET", "/api/v1/reports/"+report+"?period=this_month&tz=Europe/Moscow", nil)
		if res.Status != 200 {
			t.Fatalf("%s: %d %s", report, res.Status, res.Body)
		}
		doc := res.JSON(t)
		var walk func(v any)
		walk = func(v any) {
			switch x := v.(type) {
			case map[string]any:
				if links, ok := x["links"].(map[string]any); ok {
					for fig, l := range links {
						n, sum := follow(token, l.(string))
						switch want := x[fig].(type) {
						case float64:
							if int(want) != n {
								t.Errorf("%s %s %s = %v, its list has %d", token, report, fig, want, n)
							}
						case string:
							if want != sum {
								t.Errorf("%s %s %s = %s, its list sums to %s", token, report, fig, want, sum)
							}
						}
					}
				}
				for k, c := range x {
					if k != "links" {
						walk(c)
					}
				}
			case []any:
				for _, c := range x {
					walk(c)
				}
			}
		}
		walk(doc)
		return doc
	}
	p := check("boss-token-123", "pipeline")
	total := p["total"].(map[string]any)
	if total["open"].(float64) != 3 || total["sum"] != "390000.50" {
		t.Errorf("the department's open pipeline: %v", total)
	}
	// new 100000 × 10% + proposal 250000.50 × 40% + invoice 40000 × 70%
	if total["weighted"] != "138000.20" {
		t.Errorf("weighted pipeline %v, want 138000.20", total["weighted"])
	}
	if n := len(p["managers"].([]any)); n != 2 {
		t.Errorf("a supervisor sees %d managers, want 2", n)
	}
	mine := check("anna-token-123", "pipeline")
	if tot := mine["total"].(map[string]any); tot["open"].(float64) != 2 || tot["sum"] != "350000.50" {
		t.Errorf("a manager's own pipeline: %v", tot)
	}
	if ms := mine["managers"].([]any); len(ms) != 1 || ms[0].(map[string]any)["manager_id"].(float64) != float64(anna) {
		t.Errorf("a manager sees others: %v", ms)
	}
	f := check("boss-token-123", "funnel")
	if st := f["stages"].([]any)[0].(map[string]any); st["key"] != "new" || st["entered"].(float64) != 5 {
		t.Errorf("funnel's first stage: %v", st)
	}
	for _, name := range []string{"sources", "speed", "workload", "plan"} {
		check("boss-token-123", name)
		check("anna-token-123", name)
	}
	if s := as("anna-token-123", "GET", "/api/v1/reports/pipeline?manager_id=2", nil).Status; s != 403 {
		t.Errorf("a manager asking for another's figures: %d, want 403", s)
	}

	res := as("boss-token-123", "GET", "/api/v1/reports/funnel?period=this_month&format=csv", nil)
	if res.Status != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") || !bytes.HasPrefix(res.Body, []byte("\ufeff")) {
		t.Errorf("funnel CSV: %d %s %q", res.Status, res.Header.Get("Content-Type"), excerpt(res.Body))
	}
	if !strings.Contains(string(res.Body), "Новая сделка;5;") {
		t.Errorf("the CSV lacks the first stage with 5 deals:\n%s", res.Body)
	}
	res = as("boss-token-123", "GET", "/api/v1/reports/pipeline?format=xlsx", nil)
	x, err := excelize.OpenReader(bytes.NewReader(res.Body))
	if err != nil {
		t.Fatalf("pipeline XLSX: %v", err)
	}
	rows, _ := x.GetRows(x.GetSheetList()[0])
	if len(rows) < 3 || rows[2][0] != "Новая сделка" || rows[2][3] != "100,000.00" && rows[2][3] != "100000" {
		t.Errorf("pipeline XLSX rows: %v", rows)
	}

	// Targets and spend: supervisors set them, managers do not.
	if r := as("boss-token-123", "PUT", "/api/v1/plans", map[string]any{"manager_id": anna, "month": "2026-12", "revenue": "500000", "won": 3}); r.Status != 200 {
		t.Errorf("a supervisor setting a plan: %d %s", r.Status, r.Body)
	}
	if r := as("anna-token-123", "PUT", "/api/v1/plans", map[string]any{"manager_id": anna, "month": "2026-12", "revenue": "1"}); r.Status != 403 {
		t.Errorf("a manager setting her own plan: %d, want 403", r.Status)
	}
	if r := as("boss-token-123", "PUT", "/api/v1/plans", map[string]any{"manager_id": anna, "month": "декабрь"}); r.Status != 422 {
		t.Errorf("a plan for a month that is not one: %d, want 422", r.Status)
	}
	if r := as("boss-token-123", "PUT", "/api/v1/ad-spend", map[string]any{"utm_source": "yandex", "month": "2026-12", "amount": "15000"}); r.Status != 200 || r.JSON(t)["amount"] != "15000.00" {
		t.Errorf("spend: %d %s", r.Status, r.Body)
	}
	if r := as("anna-token-123", "GET", "/api/v1/plans", nil); r.Status != 200 {
		t.Errorf("a manager reading plans: %d", r.Status)
	}
	for path, want := range map[string]int{
		"/api/v1/reports/nothing":                              404,
		"/api/v1/reports/funnel?format=pdf":                    422,
		"/api/v1/reports/funnel?period=fortnight":              422,
		"/api/v1/reports/funnel?from=2026-12-31&to=2026-12-01": 422,
		"/api/v1/reports/funnel?pipeline=nope":                 422,
		"/api/v1/reports/funnel?tz=Mars/Olympus":               422,
		"/api/v1/deals?drill=nothing":                          422,
		"/api/v1/leads?drill=entered":                          422,
		"/api/v1/leads?drill=bucket&key=soon":                  422,
	} {
		if s := as("boss-token-123", "GET", path, nil).Status; s != want {
			t.Errorf("%s: %d, want %d", path, s, want)
		}
	}
}

// TestATokenWithoutAZoneReadsPeriodsInTheCompanys: an admin's or a
// supervisor's token names no manager, so its periods are the company's
// (console.time_zone), as the console reads them — not UTC; a manager's
// are their own zone's, and tz overrides both.
func TestATokenWithoutAZoneReadsPeriodsInTheCompanys(t *testing.T) {
	t.Parallel()
	ta := startApp(t, func(c *configs.Config) { c.Console.TimeZone = "Asia/Novosibirsk" })
	for _, c := range []struct{ query, zone string }{
		{"", "Asia/Novosibirsk"},
		{"&tz=Europe/Kaliningrad", "Europe/Kaliningrad"},
	} {
		var rep struct {
			From     string `json:"from"`
			TimeZone string `json:"time_zone"`
		}
		if st := ta.api("GET", "/api/v1/reports/funnel?period=this_month"+c.query, nil, &rep); st != 200 {
			t.Fatalf("funnel: %d", st)
		}
		if rep.TimeZone != c.zone {
			t.Errorf("tz %q: the period is read in %s, want %s", c.query, rep.TimeZone, c.zone)
		}
		loc, _ := time.LoadLocation(c.zone)
		from, err := time.Parse(time.RFC3339, rep.From)
		if now := time.Now().In(loc); err != nil || !from.Equal(time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, loc)) {
			t.Errorf("tz %q: this month begins %s, want the 1st at midnight in %s", c.query, rep.From, c.zone)
		}
	}
}
