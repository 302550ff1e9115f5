package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"

	"github.com/leadd/leadd/crm"
)

// screenshots is where the console's tests leave a picture of each page
// at 1280 and 360 px: $LEADD_SCREENSHOTS, or the test's temporary folder.
func screenshots(t *testing.T) string {
	dir := os.Getenv("LEADD_SCREENSHOTS")
	if dir == "" {
		return t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// shoot saves the page in tab at both widths as <name>-1280.png and
// <name>-360.png, and leaves the tab at 1280.
func shoot(t *testing.T, tab context.Context, dir, name string) {
	t.Helper()
	for _, width := range []int64{360, 1280} {
		if err := chromedp.Do(tab, chromedp.EmulateViewport(width, 900), chromedp.Sleep(150*time.Millisecond)); err != nil {
			t.Fatalf("viewport %d: %v", width, err)
		}
		png, err := chromedp.Run(tab, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot %s at %d: %v", name, width, err)
		}
		// A page usable at 360 px does not scroll sideways.
		if width == 360 {
			wide, err := chromedp.Run(tab, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth + 1`))
			if err != nil {
				t.Fatal(err)
			}
			if wide {
				t.Errorf("%s scrolls sideways at 360 px", name)
			}
			// Every section of the console is in sight, not scrolled away
			// inside the top bar.
			hidden, err := chromedp.Run(tab, chromedp.Evaluate[[]string](`[...document.querySelectorAll('.top nav a')].filter(a => {
				const r = a.getBoundingClientRect(); return r.left < 0 || r.right > window.innerWidth + 1 }).map(a => a.textContent)`))
			if err != nil {
				t.Fatal(err)
			}
			if len(hidden) > 0 {
				t.Errorf("%s: at 360 px the menu hides %q", name, hidden)
			}
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%s-%d.png", name, width)), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// personTab is a browser context of its own (own cookies) for one person.
func personTab(t *testing.T, browser context.Context) context.Context {
	t.Helper()
	tab, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(tab, chromedp.EmulateViewport(1280, 900)); err != nil {
		t.Fatal(err)
	}
	return tab
}

func text(t *testing.T, tab context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(tab, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("read %s: %v", sel, err)
	}
	return s
}

// TestConsoleInBrowser works the console as its people do, in Chromium.
func TestConsoleInBrowser(t *testing.T) {
	browser := startBrowserFor(t, 8*time.Minute)
	ta := startApp(t, withDocuments)
	dir := screenshots(t)
	t.Logf("screenshots in %s", dir)

	// Manager 2 is away: every new lead goes to manager 1.
	if st := ta.api("PATCH", "/api/v1/managers/2", map[string]any{"away": true}, nil); st != 200 {
		t.Fatalf("away: %d", st)
	}
	for _, p := range []map[string]any{
		{"name": "Станок ЧПУ 1000", "sku": "CNC-1000", "unit": "шт", "price": "1250000.00", "vat": "vat20"},
		{"name": "Пусконаладка", "sku": "SRV-1", "unit": "усл", "price": "25833.33", "vat": "vat20"},
	} {
		if st := ta.api("POST", "/api/v1/products", p, nil); st != 201 {
			t.Fatalf("product: %d", st)
		}
	}
	base := ta.srv.URL
	var dealID int64

	t.Run("a manager signs in by link, takes a live lead, converts it for a company and invoices", func(t *testing.T) {
		tab := personTab(t, browser)
		if err := chromedp.Do(tab, chromedp.Navigate(base+"/login")); err != nil {
			t.Fatal(err)
		}
		shoot(t, tab, dir, "login")
		if err := chromedp.Do(tab, chromedp.Navigate(base+ta.loginLink(1)), chromedp.WaitVisible(chromedp.CSS(`#queue-table`))); err != nil {
			t.Fatalf("sign in by link: %v", err)
		}
		shoot(t, tab, dir, "incoming-empty")

		// The lead arrives while the page is open.
		if res := ta.postForm("contact", url.Values{"name": {"Ольга Петрова"}, "phone": {"+7 917 555-12-34"}, "comment": {"Нужен станок с ЧПУ"}}); res.Status/100 != 2 {
			t.Fatalf("form: %d", res.Status)
		}
		if err := chromedp.Do(tab, chromedp.WaitVisible(chromedp.JSPath(`[...document.querySelectorAll("tr[data-lead] a")].filter(a => a.textContent.includes("Ольга Петрова"))`))); err != nil {
			t.Fatalf("the new lead did not appear without a reload: %v", err)
		}
		if n := text(t, tab, `[data-counter="new_leads"]`); n != "1" {
			t.Errorf("the new-leads counter says %q, want 1", n)
		}
		shoot(t, tab, dir, "incoming")

		if err := chromedp.Do(tab, chromedp.Click(chromedp.JSPath(`[...document.querySelectorAll("tr[data-lead] a")].filter(a => a.textContent.includes("Ольга Петрова"))`)), chromedp.WaitVisible(chromedp.CSS(`#take`))); err != nil {
			t.Fatalf("open the lead: %v", err)
		}
		if !strings.Contains(text(t, tab, `main`), "Нужен станок с ЧПУ") {
			t.Error("the lead card does not show the form's comment")
		}
		if !strings.Contains(text(t, tab, `main`), "Обратная связь") {
			t.Error("the lead card does not name the form by its title")
		}
		if tel, err := chromedp.Run(tab, chromedp.AttributeValue(chromedp.CSS(`a[href^="tel:"]`), "href")); err != nil || tel.Value != "tel:+79175551234" {
			t.Errorf("the phone link is %q (%v)", tel.Value, err)
		}
		shoot(t, tab, dir, "lead")
		if err := chromedp.Do(tab, chromedp.Click(chromedp.CSS(`#take`)), chromedp.WaitVisible(chromedp.CSS(`.flash.ok`))); err != nil {
			t.Fatalf("take: %v", err)
		}
		if s := text(t, tab, `h1 .tag`); s != "в работе" {
			t.Errorf("after taking, the lead's status reads %q", s)
		}

		if err := chromedp.Do(tab,
			chromedp.Click(chromedp.CSS(`#convert-box summary`)),
			chromedp.Click(chromedp.CSS(`#for-company`)),
			chromedp.SendKeys(chromedp.CSS(`#company`), "ООО «Вектор»"),
			chromedp.SendKeys(chromedp.CSS(`#inn`), "7701234560"),
			chromedp.Submit(chromedp.CSS(`#convert`)),
			chromedp.WaitVisible(chromedp.CSS(`#add-line`)),
		); err != nil {
			t.Fatalf("convert: %v", err)
		}
		loc, err := chromedp.Run(tab, chromedp.Location())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fmt.Sscanf(loc, base+"/deals/%d", &dealID); err != nil {
			t.Fatalf("after converting the browser is at %s, want the deal", loc)
		}
		if !strings.Contains(text(t, tab, `main`), "ООО «Вектор»") {
			t.Error("the deal card does not name the company")
		}

		for i, product := range []string{"Станок ЧПУ 1000", "Пусконаладка"} {
			value, err := chromedp.Run(tab, chromedp.Evaluate[string](fmt.Sprintf(`[...document.querySelectorAll('#product option')].find(o => o.textContent.startsWith(%q)).value`, product)))
			if err != nil {
				t.Fatal(err)
			}
			if err := chromedp.Do(tab,
				chromedp.SetValue(chromedp.CSS(`#product`), value),
				chromedp.SetValue(chromedp.CSS(`#qty`), "1"),
				chromedp.Submit(chromedp.CSS(`#add-line`)),
				chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#lines tbody tr:nth-child(%d)`, i+1))),
			); err != nil {
				t.Fatalf("add %s: %v", product, err)
			}
		}
		// 1 250 000 + 25 833,33: the deal's amount in Russian money format.
		if s := text(t, tab, `#lines .totals strong`); !strings.Contains(s, "1\u00a0275\u00a0833,33\u00a0₽") {
			t.Errorf("the total reads %q, want 1 275 833,33 ₽", s)
		}
		// Typing a line's quantity shows its total and the deal's totals
		// as saving would, before anything is saved; a bad number says
		// what is wrong; leaving without saving changes nothing.
		line, err := chromedp.Run(tab, chromedp.Evaluate[string](`document.querySelector('#lines tbody form[data-line]').dataset.line`))
		if err != nil {
			t.Fatal(err)
		}
		qty := chromedp.CSS("#q-" + line)
		if err := chromedp.Do(tab,
			chromedp.Click(chromedp.CSS(`#lines tbody details summary`)),
			chromedp.Clear(qty), chromedp.SendKeys(qty, "2"),
			chromedp.Poll[chromedp.Void](`document.querySelector('#totals strong').textContent.includes("2\u00a0525\u00a0833,33")`, chromedp.WithPollingTimeout(10*time.Second)),
		); err != nil {
			t.Fatalf("the totals do not follow a typed quantity: %v (they read %q)", err, text(t, tab, `#totals`))
		}
		if s := text(t, tab, `[data-line-total="`+line+`"]`); s != "2\u00a0500\u00a0000,00\u00a0₽" {
			t.Errorf("the edited line's total reads %q, want 2 500 000,00 ₽", s)
		}
		if !strings.Contains(text(t, tab, `#totals`), "несохранённых") {
			t.Error("the totals do not say they include unsaved changes")
		}
		if err := chromedp.Do(tab,
			chromedp.Clear(qty), chromedp.SendKeys(qty, "два"),
			chromedp.WaitVisible(chromedp.CSS(`#lines tbody output.line-preview.error`)),
		); err != nil {
			t.Fatalf("a quantity of words shows no error: %v", err)
		}
		if s := text(t, tab, `#lines tbody output.line-preview`); !strings.Contains(s, "числ") {
			t.Errorf("the error for a quantity of words reads %q, want it to ask for a number in Russian", s)
		}
		shoot(t, tab, dir, "deal-line-preview")
		if err := chromedp.Do(tab, chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`#totals`))); err != nil {
			t.Fatal(err)
		}
		if s := text(t, tab, `#lines .totals strong`); !strings.Contains(s, "1\u00a0275\u00a0833,33\u00a0₽") {
			t.Errorf("after typing without saving the total reads %q, want it unchanged at 1 275 833,33 ₽", s)
		}
		if err := chromedp.Do(tab, chromedp.Click(chromedp.CSS(`button[data-doc="invoice"]`)), chromedp.WaitVisible(chromedp.CSS(`a[data-pdf="invoice"]`))); err != nil {
			t.Fatalf("make the invoice: %v", err)
		}
		shoot(t, tab, dir, "deal")
		pdf, err := chromedp.Run(tab, chromedp.Evaluate[string](`fetch(document.querySelector('a[data-pdf="invoice"]').href).then(r => r.status + " " + r.headers.get("content-type") + " " + r.headers.get("content-length"))`, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(pdf, "200 application/pdf ") || strings.HasSuffix(pdf, " 0") {
			t.Errorf("opening the invoice's PDF: %q", pdf)
		}

		// The client signed their own contract on paper: it is recorded,
		// listed, and the next invoice names it as its basis.
		if err := chromedp.Do(tab,
			chromedp.Click(chromedp.CSS(`#documents details.action summary`)),
			chromedp.SendKeys(chromedp.CSS(`#ext-number`), "17/2026"),
			chromedp.SetValue(chromedp.CSS(`#ext-date`), "2026-11-20"),
			chromedp.Submit(chromedp.CSS(`#ext-number`)),
			chromedp.WaitVisible(chromedp.CSS(`#documents .tag`)),
		); err != nil {
			t.Fatalf("record the paper contract: %v", err)
		}
		if s := text(t, tab, `#documents`); !strings.Contains(s, "Договор № 17/2026 от 20.11.2026") || !strings.Contains(s, "подписан вне Leadd") {
			t.Errorf("the documents read %q, want the paper contract listed", s)
		}
		shoot(t, tab, dir, "deal-contract")
	})
	if dealID == 0 {
		t.Fatal("no deal to go on with")
	}

	t.Run("a supervisor drags the deal to the next stage and the history names them", func(t *testing.T) {
		var sup crm.Manager
		if st := ta.api("POST", "/api/v1/managers", map[string]any{"name": "Вера Руководитель", "role": "supervisor"}, &sup); st != 201 {
			t.Fatalf("supervisor: %d", st)
		}
		tab := personTab(t, browser)
		card := fmt.Sprintf(`.deal-card[data-deal="%d"]`, dealID)
		if err := chromedp.Do(tab, chromedp.Navigate(base+ta.loginLink(sup.ID)), chromedp.Navigate(base+"/deals"), chromedp.WaitVisible(chromedp.CSS(card))); err != nil {
			t.Fatalf("open the board: %v", err)
		}
		shoot(t, tab, dir, "board")
		from := ta.dealStage(dealID)
		box, err := chromedp.Run(tab, chromedp.Evaluate[struct{ X, Y, TX, TY float64 }](fmt.Sprintf(`(() => {
			const c = document.querySelector('%s'), col = c.closest('.column').nextElementSibling;
			col.scrollIntoView({inline: 'center'}); c.scrollIntoView({inline: 'nearest', block: 'center'});
			const a = c.getBoundingClientRect(), b = col.getBoundingClientRect();
			return {X: a.x + 30, Y: a.y + 10, TX: b.x + b.width / 2, TY: b.y + 40};
		})()`, card)))
		if err != nil {
			t.Fatal(err)
		}
		left := chromedp.ButtonType(input.MouseButtonLeft)
		steps := []chromedp.Action[chromedp.Void]{chromedp.MouseEvent(chromedp.MouseMoved, box.X, box.Y), chromedp.MouseEvent(chromedp.MousePressed, box.X, box.Y, left)}
		for i := 1; i <= 10; i++ {
			x, y := box.X+(box.TX-box.X)*float64(i)/10, box.Y+(box.TY-box.Y)*float64(i)/10
			steps = append(steps, chromedp.MouseEvent(chromedp.MouseMoved, x, y, left))
		}
		steps = append(steps, chromedp.MouseEvent(chromedp.MouseReleased, box.TX, box.TY, left))
		if err := chromedp.Do(tab, steps...); err != nil {
			t.Fatalf("drag: %v", err)
		}
		waitFor(t, "the deal to leave "+from, func() bool { return ta.dealStage(dealID) != from })
		waitFor(t, "the board to reload", func() bool {
			done, err := chromedp.Run(tab, chromedp.Evaluate[bool](`performance.getEntriesByType("navigation")[0].type === "reload" && document.readyState === "complete"`))
			return err == nil && done
		})
		shoot(t, tab, dir, "board-moved")
		var hist []crm.StageMove
		if st := ta.api("GET", fmt.Sprintf("/api/v1/deals/%d/history", dealID), nil, &struct {
			Items *[]crm.StageMove `json:"items"`
		}{&hist}); st != 200 || len(hist) == 0 {
			t.Fatalf("history: %d, %d moves", st, len(hist))
		}
		last := hist[len(hist)-1]
		if last.ByManagerID == nil || *last.ByManagerID != sup.ID || last.From == nil || *last.From != from {
			t.Errorf("the last move %+v, want from %s by manager %d", last, from, sup.ID)
		}
		if err := chromedp.Do(tab, chromedp.Navigate(fmt.Sprintf("%s/deals/%d", base, dealID)), chromedp.WaitVisible(chromedp.CSS(`#history`))); err != nil {
			t.Fatal(err)
		}
		if h := text(t, tab, `#history li:last-child .by`); h != "Вера Руководитель" {
			t.Errorf("the deal card's history says the last move was by %q", h)
		}
		if err := chromedp.Do(tab, chromedp.Navigate(base+"/deals/list")); err != nil {
			t.Fatal(err)
		}
		shoot(t, tab, dir, "deals-list")
	})

	t.Run("an admin signs in by token and every other page opens and fits a phone", func(t *testing.T) {
		tab := personTab(t, browser)
		if err := chromedp.Do(tab, chromedp.Navigate(base+"/login"), chromedp.SendKeys(chromedp.CSS(`#token`), adminToken),
			chromedp.Submit(chromedp.CSS(`#token`)), chromedp.WaitVisible(chromedp.CSS(`#queue-table`))); err != nil {
			t.Fatalf("sign in by token: %v", err)
		}
		var d crm.Deal
		ta.api("GET", fmt.Sprintf("/api/v1/deals/%d", dealID), nil, &d)
		if d.ContactID == nil || d.CompanyID == nil {
			t.Fatalf("the deal has no contact or company: %+v", d)
		}
		for _, p := range []struct{ name, path, want string }{
			{"clients", "/clients?q=" + url.QueryEscape("8 (917) 555-12-34"), "Ольга Петрова"},
			{"clients-inn", "/clients?q=7701234560", "ООО «Вектор»"},
			{"contact", fmt.Sprintf("/contacts/%d", *d.ContactID), "Ольга Петрова"},
			{"company", fmt.Sprintf("/companies/%d", *d.CompanyID), "7701234560"},
			{"work", "/work", "Календарь недели"},
			{"team", "/team", "Анна Смирнова"},
			{"import", "/clients/import", "Проверить файл"},
			{"report-funnel", "/reports/funnel?period=year", "Воронка «Продажи станков»"},
			{"report-pipeline", "/reports/pipeline", "Новая сделка"},
			{"report-sources", "/reports/sources?period=this_month", "Источник"},
			{"report-speed", "/reports/speed?period=this_month", "до 5 мин"},
			{"report-workload", "/reports/workload", "Анна Смирнова"},
			{"report-plan", "/reports/plan", "Итого"},
			{"report-list", "/reports/list?drill=leads&period=year", "Ольга Петрова"},
			{"deals-en", "/deals/list?lang=en", "Deals"},
		} {
			res, err := chromedp.Run(tab, chromedp.NavigateResponse(base+p.path))
			if err != nil || res.Status != 200 {
				t.Errorf("%s: %v %v", p.path, res, err)
				continue
			}
			if body := text(t, tab, `main`); !strings.Contains(body, p.want) {
				t.Errorf("%s does not show %q", p.path, p.want)
			}
			shoot(t, tab, dir, p.name)
		}
		chromedp.Do(tab, chromedp.Navigate(base+"/?lang=ru"))
	})

	t.Run("a manager cannot open another manager's lead", func(t *testing.T) {
		var leads struct {
			Items []crm.Lead `json:"items"`
		}
		ta.api("GET", "/api/v1/leads?manager_id=1", nil, &leads)
		if len(leads.Items) == 0 {
			t.Fatal("manager 1 has no lead")
		}
		lead := leads.Items[0]
		tab := personTab(t, browser)
		var status int64
		if err := chromedp.Do(tab, chromedp.Navigate(base+ta.loginLink(2))); err != nil {
			t.Fatalf("sign in: %v", err)
		}
		res, err := chromedp.Run(tab, chromedp.NavigateResponse(fmt.Sprintf("%s/leads/%d", base, lead.ID)))
		if err != nil {
			t.Fatal(err)
		}
		status = res.Status
		body := text(t, tab, `main`)
		if status != http.StatusForbidden || !strings.Contains(body, "Нет доступа") {
			t.Errorf("another manager's lead answered %d: %q", status, body)
		}
		if strings.Contains(body, lead.Name) || strings.Contains(body, "917") {
			t.Errorf("the refusal shows the lead: %q", body)
		}
		shoot(t, tab, dir, "forbidden")
		res, err = chromedp.Run(tab, chromedp.NavigateResponse(base+"/leads/999999"))
		if err != nil || res.Status != http.StatusNotFound || !strings.Contains(text(t, tab, `main`), "Не найдено") {
			t.Errorf("a missing lead answered %v (%v)", res, err)
		}
	})
}

// dealStage is a deal's stage key, read through the API.
func (ta *testApp) dealStage(id int64) string {
	var d crm.Deal
	ta.api("GET", fmt.Sprintf("/api/v1/deals/%d", id), nil, &d)
	return d.Stage
}
