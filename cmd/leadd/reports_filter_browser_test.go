package main

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/leadd/leadd/crm"
)

// TestReportFiltersInBrowser: the report pages' filter as a head of sales
// uses it — typed dates are the period whatever the select says, a wrong
// period comes back as a filled-in form saying what to fix, the language
// switch and the drill list's way back keep every filter, a ?utm_source=
// in the address is honoured and kept by the tabs and the exports, each
// report offers only the filters it honours, and a drill list says which
// figure, period and filters it is and how many records it holds.
func TestReportFiltersInBrowser(t *testing.T) {
	browser := startBrowserFor(t, 3*time.Minute)
	ta := startApp(t, nil)
	dir := screenshots(t)
	base := ta.srv.URL
	for i, src := range []string{"yandex", "yandex", "vk"} {
		if res := ta.postForm("contact", map[string][]string{"name": {fmt.Sprint("Клиент ", i)}, "phone": {fmt.Sprintf("+7 917 700 00 0%d", i)},
			"utm_source": {src}, "utm_campaign": {"zima-" + src}}); res.Status/100 != 2 {
			t.Fatalf("form: %d", res.Status)
		}
	}
	waitFor(t, "three leads", func() bool {
		var page struct {
			Items []crm.Lead `json:"items"`
		}
		ta.api("GET", "/api/v1/leads?limit=50", nil, &page)
		return len(page.Items) >= 3
	})
	// A deal lost for its price: the funnel's losses by reason.
	var lost crm.Deal
	if st := ta.api("POST", "/api/v1/deals", map[string]any{"title": "Станок дорогой", "manager_id": 1, "amount": "90000"}, &lost); st != 201 {
		t.Fatalf("deal: %d", st)
	}
	if st := ta.api("POST", fmt.Sprint("/api/v1/deals/", lost.ID, "/stage"), map[string]any{"stage": "lost", "loss_reason": "price"}, nil); st != 200 {
		t.Fatalf("lose the deal: %d", st)
	}
	var sup crm.Manager
	if st := ta.api("POST", "/api/v1/managers", map[string]any{"name": "Вера Руководитель", "role": "supervisor"}, &sup); st != 201 {
		t.Fatalf("supervisor: %d", st)
	}
	tab := personTab(t, browser)
	if err := chromedp.Do(tab, chromedp.Navigate(base+ta.loginLink(sup.ID))); err != nil {
		t.Fatal(err)
	}
	open := func(t *testing.T, path string) {
		t.Helper()
		if err := chromedp.Do(tab, chromedp.Navigate(base+path), chromedp.WaitVisible(chromedp.CSS(`main h1`))); err != nil {
			t.Fatalf("open %s: %v", path, err)
		}
	}
	attr := func(t *testing.T, js string) string {
		t.Helper()
		v, err := chromedp.Run(tab, chromedp.Evaluate[string](js))
		if err != nil {
			t.Fatalf("%s: %v", js, err)
		}
		return v
	}
	now := time.Now()
	today := now.Format(time.DateOnly)
	weekAgo := now.AddDate(0, 0, -7).Format(time.DateOnly)

	t.Run("dates typed beside a preset are the period", func(t *testing.T) {
		open(t, "/reports/funnel")
		if got := attr(t, `document.querySelector('#r-period').value`); got != "this_month" {
			t.Fatalf("the period starts as %q", got)
		}
		// As a person leaves it: the select untouched, the dates typed.
		if err := chromedp.Do(tab, chromedp.SetValue(chromedp.CSS(`#r-from`), weekAgo), chromedp.SetValue(chromedp.CSS(`#r-to`), today),
			chromedp.Click(chromedp.CSS(`form[data-report-filter] button`)),
			// The next page: its select says «Свои даты» in its markup.
			chromedp.WaitReady(chromedp.CSS(`#r-period option[value=custom][selected]`))); err != nil {
			t.Fatal(err)
		}
		if n := attr(t, `String(document.querySelectorAll('.flash.err').length)`); n != "0" {
			t.Errorf("typed dates are refused: %s", text(t, tab, `.flash.err`))
		}
		if got := attr(t, `document.querySelector('#r-period').value + ' ' + document.querySelector('#r-from').value`); got != "custom "+weekAgo {
			t.Errorf("after typed dates the form reads %q, want «Свои даты» and the dates", got)
		}
		if shown := text(t, tab, `main p.muted`); !strings.Contains(shown, "—") {
			t.Errorf("the period shown is %q", shown)
		}
		shoot(t, tab, dir, "report-custom-dates")
	})

	t.Run("reversed dates: the form comes back filled in, saying what is wrong", func(t *testing.T) {
		open(t, "/reports/sources?from="+today+"&to="+weekAgo+"&utm_source=yandex")
		msg := text(t, tab, `.flash.err`)
		if !strings.Contains(msg, "должен быть позже начала") {
			t.Errorf("the refusal reads %q", msg)
		}
		if got := attr(t, `document.querySelector('#r-from').value + ' ' + document.querySelector('#r-to').value + ' ' + document.querySelector('#r-utm-source').value`); got != today+" "+weekAgo+" yandex" {
			t.Errorf("the refused form reads %q, want what was sent", got)
		}
		shoot(t, tab, dir, "report-reversed-dates")
	})

	t.Run("the language switch keeps the page and its filters", func(t *testing.T) {
		open(t, "/reports/sources?period=this_month&utm_source=yandex")
		if err := chromedp.Do(tab, chromedp.Click(chromedp.CSS(`a.lang`)), chromedp.WaitVisible(chromedp.CSS(`html[lang=en] main h1`))); err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(attr(t, `location.href`))
		if u.Path != "/reports/sources" || u.Query().Get("utm_source") != "yandex" || u.Query().Get("period") != "this_month" {
			t.Errorf("after the switch the page is %s", u)
		}
		// A drill list switched keeps its figure.
		href := attr(t, `document.querySelector('table.list td.num a').getAttribute('href')`)
		open(t, href)
		if err := chromedp.Do(tab, chromedp.Click(chromedp.CSS(`a.lang`)), chromedp.WaitVisible(chromedp.CSS(`html[lang=ru] main h1`))); err != nil {
			t.Fatal(err)
		}
		if n := attr(t, `String(document.querySelectorAll('main table.list tbody tr').length)`); n == "0" {
			t.Errorf("the list switched to Russian lost its figure: %s", text(t, tab, `main`))
		}
	})

	t.Run("?utm_source= is honoured and kept by the tabs, the exports and the way back from a list", func(t *testing.T) {
		open(t, "/reports/sources?period=this_month&utm_source=yandex")
		if got := attr(t, `document.querySelector('#r-utm-source').value`); got != "yandex" {
			t.Errorf("the utm_source select reads %q", got)
		}
		opts := attr(t, `[...document.querySelectorAll('#r-utm-source option, #r-utm-campaign option')].map(o => o.value).join(',')`)
		for _, want := range []string{"vk", "zima-yandex"} {
			if !strings.Contains(opts, want) {
				t.Errorf("the utm selects offer %q, not the period's %q", opts, want)
			}
		}
		links := attr(t, `[...document.querySelectorAll('nav.tabs a, a[download]')].map(a => a.getAttribute('href')).join(' ')`)
		for _, l := range strings.Fields(links) {
			if !strings.Contains(l, "utm_source=yandex") {
				t.Errorf("%s drops utm_source", l)
			}
		}
		// The figure counts yandex's two leads only; the list behind says so.
		href := attr(t, `[...document.querySelectorAll('table.list td.num a')].find(a => a.textContent === '2').getAttribute('href')`)
		open(t, href)
		if n := attr(t, `String(document.querySelectorAll('main table.list tbody tr').length)`); n != "2" {
			t.Errorf("the list has %s rows, want 2", n)
		}
		about := text(t, tab, `.drill-about`)
		for _, want := range []string{"Записей: 2", "utm_source: yandex", "За период"} {
			if !strings.Contains(about, want) {
				t.Errorf("the list's header %q does not say %q", about, want)
			}
		}
		if h := text(t, tab, `main h1`); h == "Записи за цифрой отчёта" {
			t.Errorf("the list does not name its figure: %q", h)
		}
		shoot(t, tab, dir, "report-list-utm")
		back := attr(t, `document.querySelector('a.back').getAttribute('href')`)
		if !strings.HasPrefix(back, "/reports/sources?") || !strings.Contains(back, "utm_source=yandex") {
			t.Errorf("the way back is %q", back)
		}
	})

	t.Run("each report offers only the filters it honours", func(t *testing.T) {
		for name, want := range map[string]string{
			"funnel":   "period from to pipeline manager_id channel origin utm_source utm_campaign",
			"pipeline": "pipeline manager_id channel origin utm_source utm_campaign",
			"workload": "period from to manager_id",
		} {
			open(t, "/reports/"+name)
			got := attr(t, `[...document.querySelectorAll('form[data-report-filter] select, form[data-report-filter] input:not([type=hidden])')].map(e => e.name).join(' ')`)
			if got != want {
				t.Errorf("%s offers %q, want %q", name, got, want)
			}
		}
		// A filter the workload does not take is kept for the next tab.
		open(t, "/reports/workload?utm_source=yandex&pipeline=default")
		if got := attr(t, `document.querySelector('nav.tabs a').getAttribute('href')`); !strings.Contains(got, "utm_source=yandex") {
			t.Errorf("the funnel tab from the workload is %q", got)
		}
	})

	t.Run("losses by reason are in the funnel's table and its files, in words", func(t *testing.T) {
		open(t, "/reports/funnel?period=this_month")
		body := text(t, tab, `section[aria-label="Проигранные сделки по причинам"]`)
		if !strings.Contains(body, "цена") || strings.Contains(body, "price") {
			t.Errorf("the losses read %q", body)
		}
		csv, err := chromedp.Run(tab, chromedp.Evaluate[string](`fetch(document.querySelector('a[download]').getAttribute('href')).then(r => r.text())`, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"Отчёт;Воронка", "Период;", "Проигранные сделки по причинам", ";цена;1"} {
			if !strings.Contains(csv, want) {
				t.Errorf("the funnel's CSV lacks %q:\n%.600s", want, csv)
			}
		}
	})

	t.Run("an empty period says so instead of zeros", func(t *testing.T) {
		for lang, want := range map[string]string{"ru": "За период нет лидов и сделок", "en": "No leads and no deals in the period"} {
			open(t, "/reports/sources?from=2020-01-01&to=2020-01-31&lang="+lang)
			if got := text(t, tab, `.report-empty`); !strings.Contains(got, want) {
				t.Errorf("%s: an empty period reads %q", lang, got)
			}
			if n := attr(t, `String(document.querySelectorAll('.chart svg, table.list').length)`); n != "0" {
				t.Errorf("%s: an empty period still draws %s charts and tables", lang, n)
			}
		}
		shoot(t, tab, dir, "report-empty-period")
		open(t, "/reports/funnel?lang=ru")
	})

	t.Run("on a phone the chart's words are at least 11 px and say what they count", func(t *testing.T) {
		for _, name := range []string{"funnel", "sources", "speed", "workload"} {
			open(t, "/reports/"+name+"?period=this_month")
			if err := chromedp.Do(tab, chromedp.EmulateViewport(360, 800)); err != nil {
				t.Fatal(err)
			}
			px, err := chromedp.Run(tab, chromedp.Evaluate[float64](`(() => { const svg = [...document.querySelectorAll('.chart svg')].find(s => s.getBoundingClientRect().width > 0);
				if (!svg) return 0; const vb = svg.viewBox.baseVal.width, w = svg.getBoundingClientRect().width;
				return Math.min(...[...svg.querySelectorAll('text')].map(t => +t.getAttribute('font-size') * w / vb)); })()`))
			if err != nil {
				t.Fatal(err)
			}
			if px < 11 {
				t.Errorf("%s at 360 px: the chart's smallest text is %.1f px", name, px)
			}
			words := attr(t, `[...document.querySelectorAll('.chart-narrow text')].map(t => t.textContent).join(' | ')`)
			want := map[string]string{"funnel": "сделок: ", "sources": "лидов: ", "speed": "лидов: ", "workload": "открытых лидов: "}[name]
			if !strings.Contains(words, want) {
				t.Errorf("%s: the chart's numbers do not say what they count: %s", name, words)
			}
			shoot(t, tab, dir, "report-chart-"+name)
		}
	})
}
