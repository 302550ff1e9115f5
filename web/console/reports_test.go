package console

import (
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/leadd/leadd/crm"
)

// The language switch is the same page: every parameter kept, only lang
// changed — a drill list keeps its figure, a report its filters.
func TestLangLinkKeepsThePage(t *testing.T) {
	for _, c := range []struct{ lang, path, query, want string }{
		{"ru", "/reports/sources", "period=last_month&utm_source=yandex", "en"},
		{"en", "/reports/list", "drill=leads&from=2026-12-01T00%3A00%3A00Z&lang=en", "ru"},
		{"ru", "/", "", "en"},
	} {
		q, _ := url.ParseQuery(c.query)
		v := &viewer{Lang: c.lang, Path: c.path, q: q}
		u, err := url.Parse(v.LangLink())
		if err != nil {
			t.Fatal(err)
		}
		if u.Path != c.path || u.Query().Get("lang") != c.want {
			t.Errorf("%s?%s in %s switches to %s", c.path, c.query, c.lang, u)
		}
		for k := range q {
			if k != "lang" && u.Query().Get(k) != q.Get(k) {
				t.Errorf("%s?%s: the switch loses %s: %s", c.path, c.query, k, u)
			}
		}
	}
}

// A drill list's way back is a report page of this console and nothing
// else, whatever the link says.
func TestDrillBackStaysOnTheReports(t *testing.T) {
	for back, want := range map[string]string{
		"/reports/funnel?period=last_month&pipeline=default": "/reports/funnel?period=last_month&pipeline=default",
		"/reports":                     "/reports",
		"":                             "/reports",
		"https://evil.example/reports": "/reports",
		"//evil.example/reports":       "/reports",
		"/reports/../login":            "/reports/../login", // a path of this site: harmless
		"/reports\\@evil":              "/reports",
		"/reports/list?drill=leads":    "/reports",
		"/reportsx//evil":              "/reportsx//evil",
	} {
		got := safeBack(back)
		if got != want {
			t.Errorf("back %q goes to %q, want %q", back, got, want)
		}
		if u, err := url.Parse(got); err != nil || u.Host != "" || !strings.HasPrefix(got, "/") || strings.HasPrefix(got, "//") {
			t.Errorf("back %q leaves the site: %q", back, got)
		}
	}
}

// One format per language: the tables' figures group and separate as the
// page's money does.
func TestFiguresFollowTheLanguage(t *testing.T) {
	ru, en := &viewer{Lang: "ru"}, &viewer{Lang: "en"}
	for _, c := range []struct {
		x      float64
		places int
		ru, en string
	}{
		{1959833.333, 2, "1\u00a0959\u00a0833,33", "1,959,833.33"},
		{83.33, 1, "83,3", "83.3"},
		{0, 0, "0", "0"},
		{-1234, 0, "−1\u00a0234", "−1,234"},
	} {
		if got := ru.Decimal(c.x, c.places); got != c.ru {
			t.Errorf("ru %v = %q, want %q", c.x, got, c.ru)
		}
		if got := en.Decimal(c.x, c.places); got != c.en {
			t.Errorf("en %v = %q, want %q", c.x, got, c.en)
		}
		// The money of the same figure is written the same way.
		if c.places == 2 {
			if m := en.Money("1959833.33", "RUB"); !strings.HasPrefix(m, c.en) {
				t.Errorf("en money %q, figure %q", m, c.en)
			}
		}
	}
	if got := ru.Month("2026-11"); got != "ноябрь 2026" {
		t.Errorf("ru month %q", got)
	}
	if got := en.Month("2026-11"); got != "November 2026" {
		t.Errorf("en month %q", got)
	}
}

// A one-day period reads as one date.
func TestPeriodInWords(t *testing.T) {
	v := &viewer{Lang: "ru", Loc: time.UTC}
	day := time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)
	if got := v.Period(day, day.AddDate(0, 0, 1)); got != "6 декабря 2026 г." {
		t.Errorf("one day reads %q", got)
	}
	if got := v.Period(day, day.AddDate(0, 0, 2)); got != "6 декабря 2026 г. — 7 декабря 2026 г." {
		t.Errorf("two days read %q", got)
	}
}

// Each report's filter names parameters the console knows; a report that
// takes a filter also gets it from the form.
func TestReportTakesNamesEveryReport(t *testing.T) {
	for _, name := range crm.ReportNames {
		takes, ok := reportTakes[name]
		if !ok {
			t.Errorf("report %s has no line in reportTakes", name)
		}
		for _, f := range takes {
			if _, ok := filterParams[f]; !ok {
				t.Errorf("report %s takes %q, which has no parameters", name, f)
			}
		}
	}
}

// The plan's amounts are read as people type them and as the report
// prints them.
func TestFormAmountReadsMoneyAsTheReportPrintsIt(t *testing.T) {
	for in, want := range map[string]string{
		"2 000 000 ₽":                   "2000000",
		"2\u00a0000\u00a0000,00\u00a0₽": "2000000.00",
		"1 200 000,50":                  "1200000.50",
		"1200000.50":                    "1200000.50",
		"2,000,000.00 ₽":                "2000000.00",
		"500 000 руб.":                  "500000",
		"500000 руб":                    "500000",
		"150 000":                       "150000",
	} {
		if got := formAmount(in); got != want {
			t.Errorf("formAmount(%q) = %q, want %q", in, got, want)
		}
	}
}

// The month picker opens on the current month when the period holds
// today, else on the period's first month.
func TestFormMonthIsTheCurrentMonthOfAPeriodHoldingToday(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	v := &viewer{Now: now, Loc: time.UTC}
	q := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	if got := formMonth(v, q, q.AddDate(0, 3, 0)); got != "2026-12" {
		t.Errorf("this quarter opens on %s", got)
	}
	if got := formMonth(v, q.AddDate(0, -3, 0), q); got != "2026-07" {
		t.Errorf("last quarter opens on %s", got)
	}
}

// The API's documentation and the console's form say the same of which
// filter each report honours: the table in openapi.yaml is reportTakes.
func TestReportTakesIsTheDocumentedTable(t *testing.T) {
	b, err := os.ReadFile("../api/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cols := []string{"period", "pipeline", "manager", "origin"}
	rows := 0
	for _, line := range strings.Split(string(b), "\n") {
		cells := strings.Split(strings.Trim(strings.TrimSpace(line), "|"), "|")
		if len(cells) != 5 {
			continue
		}
		name := strings.TrimSpace(cells[0])
		if _, ok := reportTakes[name]; !ok {
			continue
		}
		rows++
		for i, c := range cols {
			documented := strings.HasPrefix(strings.TrimSpace(cells[i+1]), "yes")
			if documented != reportTakesFilter(name, c) {
				t.Errorf("%s: the API docs say %s is %q, the console's form says %v", name, c, strings.TrimSpace(cells[i+1]), reportTakesFilter(name, c))
			}
		}
	}
	if rows != len(crm.ReportNames) {
		t.Errorf("the API docs' table has %d reports, want %d", rows, len(crm.ReportNames))
	}
}
