package main

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
)

var (
	cyrillicWord = regexp.MustCompile(`[А-Яа-яЁё][А-Яа-яЁё-]*`)
	tagOrScript  = regexp.MustCompile(`(?s)<script.*?</script>|<style.*?</style>|<[^>]*>`)
	uiAttribute  = regexp.MustCompile(`(?:aria-label|title|placeholder|alt)="([^"]*)"`)
)

// A person who switched the console to English reads it in English on
// every page: no Russian word of the console's own. Russian that is the
// department's data — names, the configured pipelines, stages, products,
// fields and reasons — stays as it is written, so a Cyrillic word is a
// fault only when no record and no configuration value holds it. The
// pages come from the console's routes, each record page opened on a
// record of its kind, so a page added later is read the day it appears.
func TestTheConsoleInEnglishHasNoRussianOfItsOwn(t *testing.T) {
	t.Parallel()
	ta := startApp(t, withDocuments)
	f := ta.makeFixtures(1, "Образец", true)
	b := ta.browserClient()
	if res, _ := b.post("/login", url.Values{"token": {adminToken}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in answered %d", res.StatusCode)
	}
	if res, _ := b.get("/?lang=en"); res.StatusCode != http.StatusOK {
		t.Fatalf("switching to English answered %d", res.StatusCode)
	}
	data := strings.ToLower(ta.allData(t) + fmt.Sprintf("%+v", ta.cfg))
	leaks := map[string][]string{}
	pages := ta.consolePages(t, b, f)
	for _, pg := range pages {
		text := tagOrScript.ReplaceAllString(pg.body, " ")
		for _, m := range uiAttribute.FindAllStringSubmatch(pg.body, -1) {
			text += " " + m[1]
		}
		for _, w := range cyrillicWord.FindAllString(html.UnescapeString(text), -1) {
			if !strings.Contains(data, strings.ToLower(w)) {
				leaks[w] = append(leaks[w], pg.path)
			}
		}
	}
	tried := len(pages)
	if tried < 12 {
		t.Errorf("only %d pages read", tried)
	}
	words := make([]string, 0, len(leaks))
	for w := range leaks {
		words = append(words, w)
	}
	sort.Strings(words)
	for _, w := range words {
		pages := leaks[w]
		sort.Strings(pages)
		t.Errorf("%q in English on %s", w, strings.Join(slices.Compact(pages), ", "))
	}
}

type consolePage struct{ path, body string }

// consolePages reads every page the console serves by GET, as b: its
// routes, each record page opened on f's record of its kind, a board
// column and a report's figure list as their own links ask for them.
func (ta *testApp) consolePages(t *testing.T, b *browserClient, f *fixtures) []consolePage {
	t.Helper()
	records := map[string]int64{"leads": f.lead, "deals": f.deal, "contacts": f.contact, "companies": f.company}
	var out []consolePage
	for _, route := range ta.console.Routes() {
		method, path, _ := strings.Cut(route, " ")
		if method != "GET" || path == "/events" || strings.HasPrefix(path, "/login") || strings.HasPrefix(path, "/logout") ||
			strings.Contains(path, "export") || strings.Contains(path, "/pdf") || strings.Contains(path, "/recording") {
			continue
		}
		if strings.Contains(path, "{") {
			id, ok := records[strings.Split(path, "/")[1]]
			if !ok || strings.Count(path, "{") > 1 {
				continue
			}
			path = regexp.MustCompile(`\{[a-z]+\}`).ReplaceAllString(path, fmt.Sprint(id))
		}
		path = strings.TrimSuffix(path, "{$}")
		switch path {
		case "/deals/column": // a column of the board, as its "more" link asks for it
			p := ta.cfg.Pipelines[0]
			path = fmt.Sprintf("/deals/column?pipeline=%s&stage=%s", p.Key, p.Stages[0].Key)
		case "/reports/list": // a figure's list: a report's table links to it
			path = firstLink(t, b, "/reports/funnel?period=this_month", `/reports/list?`)
		}
		res, body := b.get(path)
		switch res.StatusCode {
		case http.StatusOK:
			out = append(out, consolePage{path, body})
		case http.StatusForbidden: // not this person's page (a manager on the team page)
		default:
			t.Errorf("GET %s answered %d", path, res.StatusCode)
		}
	}
	return out
}

// firstLink is the first link on page whose address starts with prefix.
func firstLink(t *testing.T, b *browserClient, page, prefix string) string {
	t.Helper()
	_, body := b.get(page)
	m := regexp.MustCompile(`href="(` + regexp.QuoteMeta(prefix) + `[^"]*)"`).FindStringSubmatch(body)
	if m == nil {
		t.Errorf("%s has no link to %s…", page, prefix)
		return prefix
	}
	return html.UnescapeString(m[1])
}

// allData is every row of every table as text: what the department typed
// or configured, which a page may show in any language.
func (ta *testApp) allData(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	rows, err := ta.db.Pool.Query(ctx, `SELECT quote_ident(table_name) FROM information_schema.tables
		WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		_ = rows.Scan(&n)
		tables = append(tables, n)
	}
	rows.Close()
	var sb strings.Builder
	for _, tbl := range tables {
		var s *string
		if err := ta.db.Pool.QueryRow(ctx, `SELECT string_agg(t::text, ' ') FROM `+tbl+` t`).Scan(&s); err != nil {
			t.Fatal(err)
		}
		if s != nil {
			sb.WriteString(*s)
			sb.WriteByte(' ')
		}
	}
	return sb.String()
}
