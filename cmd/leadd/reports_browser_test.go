package main

import (
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/leadd/leadd/crm"
)

// TestReportFormsAndTablesInBrowser: a supervisor sets each manager's
// monthly targets on the plan page and the spend per utm_source on the
// sources page — wrong input is refused in Russian and nothing is half
// written —; a manager is refused (403); every number in a table opens
// its list; the tables follow the viewer's language.
func TestReportFormsAndTablesInBrowser(t *testing.T) {
	browser := startBrowserFor(t, 4*time.Minute)
	ta := startApp(t, nil)
	dir := screenshots(t)
	base := ta.srv.URL
	for i, m := range []int64{1, 1, 2} {
		var d crm.Deal
		if s := ta.api("POST", "/api/v1/deals", map[string]any{"title": fmt.Sprint("Станок ", i), "manager_id": m, "amount": "125000.50"}, &d); s != 201 {
			t.Fatalf("deal: %d", s)
		}
		if i == 0 {
			ta.api("POST", fmt.Sprint("/api/v1/deals/", d.ID, "/stage"), map[string]any{"stage": "won"}, nil)
		}
	}
	for i, src := range []string{"yandex", "yandex", "vk"} {
		if res := ta.postForm("contact", map[string][]string{"name": {fmt.Sprint("Клиент ", i)}, "phone": {fmt.Sprintf("+7 917 600 00 0%d", i)},
			"utm_source": {src}}); res.Status/100 != 2 {
			t.Fatalf("form: %d", res.Status)
		}
	}
	// Intake lands the leads in the background: wait for all three, so
	// no figure changes between a report and its list.
	waitFor(t, "three leads", func() bool {
		var page struct {
			Items []crm.Lead `json:"items"`
		}
		ta.api("GET", "/api/v1/leads?limit=50", nil, &page)
		return len(page.Items) >= 3
	})
	// The workload's calls and activities: a call missed from a new
	// number, one made to the first client, and one activity done.
	ta.call(event("m1", "ringing"))
	ta.call(event("m1", "ended", "disposition", "no_answer"))
	for _, st := range []string{"ringing", "answered", "ended"} {
		e := event("o1", st, "extension", "101", "disposition", "answered", "duration", 95)
		e["direction"], e["from"], e["to"] = "out", "+7 495 100-00-00", "+7 917 600 00 00"
		ta.call(e)
	}
	ta.waitProcessed()
	var acts struct {
		Items []crm.Activity `json:"items"`
	}
	ta.api("GET", "/api/v1/activities?manager_id=1", nil, &acts)
	if len(acts.Items) == 0 {
		t.Fatal("manager 1 has no activity to complete")
	}
	if st := ta.api("POST", fmt.Sprint("/api/v1/activities/", acts.Items[0].ID, "/complete"), map[string]any{"outcome": "done"}, nil); st != 200 {
		t.Fatalf("complete: %d", st)
	}
	var sup crm.Manager
	if st := ta.api("POST", "/api/v1/managers", map[string]any{"name": "Вера Руководитель", "role": "supervisor"}, &sup); st != 201 {
		t.Fatalf("supervisor: %d", st)
	}
	month := time.Now().Format("2006-01")
	plan := func(id int64) *crm.Plan {
		var ps struct {
			Items []crm.Plan `json:"items"`
		}
		ta.api("GET", "/api/v1/plans?month="+month, nil, &ps)
		for _, p := range ps.Items {
			if p.ManagerID == id {
				return &p
			}
		}
		return nil
	}

	t.Run("a supervisor sets the month's targets; a wrong one is refused in Russian and nothing is written", func(t *testing.T) {
		tab := personTab(t, browser)
		if err := chromedp.Do(tab, chromedp.Navigate(base+ta.loginLink(sup.ID)), chromedp.Navigate(base+"/reports/plan"),
			chromedp.WaitVisible(chromedp.CSS(`#targets-h`))); err != nil {
			t.Fatalf("open the plan: %v", err)
		}
		// Boris's row is right, Anna's is not: neither is saved.
		if err := chromedp.Do(tab,
			chromedp.SendKeys(chromedp.CSS(`input[name="revenue_2"]`), "500 000"),
			chromedp.SendKeys(chromedp.CSS(`input[name="revenue_1"]`), "много"),
			chromedp.Click(chromedp.CSS(`form[action="/reports/plan/targets"] button`)),
			chromedp.WaitVisible(chromedp.CSS(`.flash.err`)),
		); err != nil {
			t.Fatalf("send a wrong target: %v", err)
		}
		// The form comes back as it was typed: the wrong row to fix, the
		// right one not to type again.
		if v, _ := chromedp.Run(tab, chromedp.Evaluate[[]string](`[document.querySelector('input[name="revenue_1"]').value,
			document.querySelector('input[name="revenue_2"]').value]`)); len(v) != 2 || v[0] != "много" || v[1] != "500 000" {
			t.Errorf("after the refusal the targets read %q, want what was typed", v)
		}
		if msg := text(t, tab, `.flash`); !strings.Contains(msg, "Проверьте поле «Выручка»") || !strings.Contains(msg, "введите число") {
			t.Errorf("the refusal reads %q", msg)
		}
		if p := plan(2); p != nil {
			t.Errorf("a form with a wrong row saved another: %+v", p)
		}
		shoot(t, tab, dir, "report-plan-refused")
		if err := chromedp.Do(tab,
			chromedp.SetValue(chromedp.CSS(`input[name="revenue_1"]`), "1 200 000,50"),
			chromedp.SetValue(chromedp.CSS(`input[name="won_1"]`), "3"),
			chromedp.SetValue(chromedp.CSS(`input[name="revenue_2"]`), "500000"),
			chromedp.SetValue(chromedp.CSS(`input[name="won_2"]`), "2"),
			chromedp.Submit(chromedp.CSS(`input[name="revenue_1"]`)),
			chromedp.WaitVisible(chromedp.CSS(`.flash.ok`)),
		); err != nil {
			t.Fatalf("set the targets: %v", err)
		}
		if p := plan(1); p == nil || p.Revenue != "1200000.50" || p.Won != 3 || p.UpdatedBy != "Вера Руководитель" {
			t.Errorf("Anna's target is %+v, want 1200000.50 and 3 by Вера", p)
		}
		if p := plan(2); p == nil || p.Revenue != "500000.00" || p.Won != 2 {
			t.Errorf("Boris's target is %+v", p)
		}
		if body := text(t, tab, `main`); !strings.Contains(body, "1\u00a0200\u00a0000,50") {
			t.Errorf("the plan table does not show the target: %q", body)
		}
		shoot(t, tab, dir, "report-plan-form")
	})

	t.Run("a supervisor enters the month's spend on a utm_source and the cost per lead appears", func(t *testing.T) {
		tab := personTab(t, browser)
		if err := chromedp.Do(tab, chromedp.Navigate(base+ta.loginLink(sup.ID)), chromedp.Navigate(base+"/reports/sources"),
			chromedp.WaitVisible(chromedp.CSS(`#spend-h`))); err != nil {
			t.Fatalf("open the sources: %v", err)
		}
		if err := chromedp.Do(tab,
			chromedp.SendKeys(chromedp.CSS(`#s-source`), "yandex"),
			chromedp.SendKeys(chromedp.CSS(`#s-amount`), "-5"),
			chromedp.Submit(chromedp.CSS(`#s-amount`)),
			chromedp.WaitVisible(chromedp.CSS(`.flash`)),
		); err != nil {
			t.Fatalf("send a wrong spend: %v", err)
		}
		if msg := text(t, tab, `.flash`); !strings.Contains(msg, "Проверьте поле «Сумма»") {
			t.Errorf("the refusal reads %q", msg)
		}
		if err := chromedp.Do(tab,
			chromedp.SendKeys(chromedp.CSS(`#s-source`), "yandex"),
			chromedp.SendKeys(chromedp.CSS(`#s-amount`), "150 000"),
			chromedp.Submit(chromedp.CSS(`#s-amount`)),
			chromedp.WaitVisible(chromedp.CSS(`.flash.ok`)),
		); err != nil {
			t.Fatalf("enter the spend: %v", err)
		}
		var spends struct {
			Items []crm.AdSpend `json:"items"`
		}
		ta.api("GET", "/api/v1/ad-spend", nil, &spends)
		if len(spends.Items) != 1 || spends.Items[0].Amount != "150000.00" || spends.Items[0].Month != month {
			t.Errorf("spend stored: %+v", spends.Items)
		}
		if body := text(t, tab, `section[aria-labelledby="spend-h"]`); !strings.Contains(body, "150\u00a0000,00") {
			t.Errorf("the spend list reads %q", body)
		}
		shoot(t, tab, dir, "report-sources-form")
	})

	t.Run("a manager sees no forms and is refused when sending one", func(t *testing.T) {
		tab := personTab(t, browser)
		if err := chromedp.Do(tab, chromedp.Navigate(base+ta.loginLink(1)), chromedp.Navigate(base+"/reports/plan"),
			chromedp.WaitVisible(chromedp.CSS(`table.list`))); err != nil {
			t.Fatalf("open the plan: %v", err)
		}
		if n, _ := chromedp.Run(tab, chromedp.Evaluate[int](`document.querySelectorAll('form[action^="/reports/"]').length`)); n != 0 {
			t.Errorf("a manager is shown %d target forms", n)
		}
		for _, f := range []struct{ action, body string }{
			{"/reports/plan/targets", "month=" + month + "&manager=1&revenue_1=99999999&won_1=50"},
			{"/reports/sources/spend", "month=" + month + "&utm_source=yandex&amount=1"},
		} {
			got, err := chromedp.Run(tab, chromedp.Evaluate[string](fmt.Sprintf(`fetch(%q, {method: 'POST', headers: {'Content-Type': 'application/x-www-form-urlencoded'},
				body: %q + '&csrf=' + encodeURIComponent(document.querySelector('input[name=csrf]').value)}).then(async r => r.status + ' ' + (await r.text()))`, f.action, f.body),
				chromedp.EvalAwaitPromise))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(got, strconv.Itoa(http.StatusForbidden)+" ") || !strings.Contains(got, "Нет доступа") {
				t.Errorf("a manager's %s answered %.200q", f.action, got)
			}
		}
		if p := plan(1); p == nil || p.Revenue != "1200000.50" {
			t.Errorf("a manager changed their own target: %+v", p)
		}
	})

	t.Run("every number in the tables opens its list, and the tables speak the viewer's language", func(t *testing.T) {
		tab := personTab(t, browser)
		if err := chromedp.Do(tab, chromedp.Navigate(base+ta.loginLink(sup.ID))); err != nil {
			t.Fatal(err)
		}
		shot := map[string]bool{}
		for _, name := range crm.ReportNames {
			if err := chromedp.Do(tab, chromedp.Navigate(base+"/reports/"+name+"?period=this_month"), chromedp.WaitVisible(chromedp.CSS(`main h1`))); err != nil {
				t.Fatal(err)
			}
			links, err := chromedp.Run(tab, chromedp.Evaluate[[]struct{ Text, Href string }](
				`[...document.querySelectorAll('table.list td.num a')].map(a => ({Text: a.textContent, Href: a.getAttribute('href')}))`))
			if err != nil {
				t.Fatal(err)
			}
			if len(links) == 0 {
				t.Errorf("%s: no number in its tables links anywhere", name)
			}
			// Follow each count (a sum's list is checked by the crm tests).
			for _, l := range links {
				n, err := strconv.Atoi(strings.ReplaceAll(l.Text, "\u00a0", ""))
				if err != nil || n > 100 || !strings.HasPrefix(l.Href, "/reports/list?") {
					continue
				}
				if err := chromedp.Do(tab, chromedp.Navigate(base+l.Href), chromedp.WaitVisible(chromedp.CSS(`main h1`))); err != nil {
					t.Fatal(err)
				}
				rows, _ := chromedp.Run(tab, chromedp.Evaluate[int](`document.querySelectorAll('main table.list tbody tr').length`))
				if rows != n {
					t.Errorf("%s: %s shows %d, its list has %d rows", name, l.Href, n, rows)
				}
				// The workload's lists of calls and activities, as they look.
				for _, fig := range []string{"calls_missed", "calls_made", "due_today", "overdue", "completed"} {
					if n > 0 && !shot[fig] && strings.Contains(l.Href, "drill="+fig+"&") {
						shot[fig] = true
						shoot(t, tab, dir, "report-list-"+fig)
					}
				}
			}
		}
		for _, fig := range []string{"calls_missed", "calls_made", "completed"} {
			if !shot[fig] {
				t.Errorf("the workload links no list of %s with anything in it", fig)
			}
		}
		cyrillic := regexp.MustCompile(`[А-Яа-яЁё]`)
		for _, name := range crm.ReportNames {
			if err := chromedp.Do(tab, chromedp.Navigate(base+"/reports/"+name+"?period=this_month&lang=en"), chromedp.WaitVisible(chromedp.CSS(`main h1`))); err != nil {
				t.Fatal(err)
			}
			heads, err := chromedp.Run(tab, chromedp.Evaluate[string](`[...document.querySelectorAll('main section h2, main table.list thead th')].map(e => e.textContent).join(' | ')`))
			if err != nil {
				t.Fatal(err)
			}
			// Stage names come from the configuration, as written there.
			heads = strings.NewReplacer("Продажи станков", "").Replace(heads)
			if cyrillic.MatchString(heads) {
				t.Errorf("%s in English still reads: %s", name, heads)
			}
			if name == "speed" {
				if body := text(t, tab, `main`); !strings.Contains(body, "under 5 min") || !strings.Contains(body, "Total") {
					t.Errorf("the speed report in English does not name its buckets and totals")
				}
			}
			shoot(t, tab, dir, "report-"+name+"-en")
		}
		chromedp.Do(tab, chromedp.Navigate(base+"/?lang=ru"))
	})
}
