package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/leadd/leadd/crm"
)

// The weekly summary's "Подробнее" link opens the console's funnel report
// for the summary's week: a supervisor who taps it in Telegram lands on
// the page, not on «Не найдено».
func TestTheWeeklySummaryLinksToItsReportPage(t *testing.T) {
	t.Parallel()
	ta := startApp(t, nil)
	ctx := context.Background()
	var sup int64
	if err := ta.db.Pool.QueryRow(ctx, `INSERT INTO managers (name, role, time_zone, telegram_chat_id)
		VALUES ('Руководитель', 'supervisor', 'Europe/Moscow', 990001) RETURNING id`).Scan(&sup); err != nil {
		t.Fatal(err)
	}
	msk, _ := time.LoadLocation("Europe/Moscow")
	monday := time.Date(2026, 11, 30, 9, 30, 0, 0, msk)
	if err := pgx.BeginFunc(ctx, ta.db.Pool, func(tx pgx.Tx) error {
		_, err := ta.store.EnqueueWeeklySummaries(ctx, tx, monday, crm.WeeklyOptions{Hour: 9, SLA: 5 * time.Minute,
			BaseURL: "https://crm.example.ru"})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	var payload []byte
	if err := ta.db.Pool.QueryRow(ctx, `SELECT payload FROM outbox WHERE kind = $1`, crm.KindWeeklySummary).Scan(&payload); err != nil {
		t.Fatal(err)
	}
	var sum crm.WeeklySummary
	if err := json.Unmarshal(payload, &sum); err != nil {
		t.Fatal(err)
	}
	link, err := url.Parse(sum.URL)
	if err != nil || link.Host != "crm.example.ru" || sum.Figures == nil {
		t.Fatalf("the summary's link %q (%v) is not the console's address, or the summary has no figures", sum.URL, err)
	}
	b := ta.browserClient()
	if res, _ := b.get(ta.loginLink(sup)); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("the sign-in link answered %d", res.StatusCode)
	}
	res, body := b.get(link.RequestURI())
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "Воронка") {
		t.Fatalf("the summary's link %s answered %d:\n%s", link.RequestURI(), res.StatusCode, excerpt([]byte(body)))
	}
	for _, day := range []string{"23 ноября 2026", "29 ноября 2026"} {
		if !strings.Contains(body, day) {
			t.Errorf("the report page does not show the summary's week (%s missing)", day)
		}
	}
}

var escapedQuery = regexp.MustCompile(`href="[^"]*\?[^"]*%(3[dD]|26)`)

// Every console page opened with filters in its address keeps them in its
// own links (tabs, exports, "more", sorting, list ↔ board): no link whose
// query's = and & were escaped into %3D and %26, which drops the filters.
// The pages come from the console's routes, so a page added later is
// checked the day it appears.
func TestConsoleLinksKeepTheirFilters(t *testing.T) {
	t.Parallel()
	ta := startApp(t, nil)
	ta.newLead("+7 917 400 00 09")
	b := ta.browserClient()
	if res, _ := b.post("/login", url.Values{"token": {adminToken}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in answered %d", res.StatusCode)
	}
	filters := "period=month&from=2026-11-01&to=2026-11-30&manager_id=1&pipeline=sales&channel=form&sort=amount&q=%D0%98%D0%B2%D0%B0%D0%BD&report=funnel&stage=new"
	tried := 0
	for _, route := range ta.console.Routes() {
		method, path, _ := strings.Cut(route, " ")
		if method != "GET" || strings.Contains(path, "{") || strings.Contains(path, "export") || path == "/events" || strings.HasPrefix(path, "/log") {
			continue
		}
		path = strings.TrimSuffix(path, "{$}")
		res, body := b.get(path + "?" + filters)
		tried++
		if res.StatusCode >= 500 {
			t.Errorf("GET %s?… answered %d", path, res.StatusCode)
		}
		if m := escapedQuery.FindString(body); m != "" {
			t.Errorf("GET %s?…: a link lost its filters: %s", path, m)
		}
	}
	if tried < 8 {
		t.Errorf("only %d pages tried", tried)
	}
}
