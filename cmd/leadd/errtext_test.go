package main

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

var flashErrRe = regexp.MustCompile(`<p class="flash err" role="alert">([^<]*)</p>`)

// Refusals the core makes, met through the console's forms, read in
// Russian: the field by its name, then what to fix, with no English word
// around what was typed. The same refusals with the English switched on
// read in English, and the API's JSON keeps its English message.
func TestConsoleRefusalsReadInRussian(t *testing.T) {
	t.Parallel()
	ta := startApp(t, withDocuments)
	own := ta.makeFixtures(attackerID, "Отказы", false)
	b := ta.browserClient()
	if res, _ := b.get(ta.loginLink(attackerID)); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("the sign-in link answered %d", res.StatusCode)
	}
	csrf := b.csrf()
	refusal := func(path string, form url.Values) string {
		t.Helper()
		form.Set("csrf", csrf)
		res, body := b.post(path, form)
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("POST %s %v answered %d: %s", path, form, res.StatusCode, excerpt([]byte(body)))
		}
		_, page := b.get(res.Header.Get("Location"))
		m := flashErrRe.FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("POST %s %v: the page it went back to shows no error", path, form)
		}
		return html.UnescapeString(m[1])
	}
	deal := fmt.Sprint("/deals/", own.deal)
	line := fmt.Sprint(deal, "/lines/", own.line)
	cases := []struct {
		path     string
		form     url.Values
		ru, en   string
		apiField string
	}{
		{line, url.Values{"quantity": {"1"}, "price": {"100"}, "discount": {"101"}},
			"Проверьте поле «Скидка»: скидка — процент от 0 до 100",
			"Check “Discount”: a discount is a percent from 0 to 100", "discount"},
		{line, url.Values{"vat": {"vat99"}},
			`Проверьте поле «НДС»: ставки НДС "vat99" нет в настройках: выберите ставку из списка`,
			`Check “VAT”: unknown VAT rate "vat99"; the configured ones are `, "vat"},
		{line, url.Values{"quantity": {"0"}},
			"Проверьте поле «Количество»: должно быть больше нуля", "Check “Quantity”: must be more than 0", "quantity"},
		{deal + "/contract", url.Values{"number": {""}, "date": {"2026-12-01"}},
			"Проверьте поле «Номер договора»: номер, как он напечатан в договоре, от 1 до 64 знаков",
			"Check “Contract number”: the contract's number as printed on it, 1 to 64 characters", "external.number"},
		{deal + "/stage", url.Values{"stage": {"lost"}},
			"Проверьте поле «Причина проигрыша»: укажите причину проигрыша",
			"Check “Loss reason”: a lost deal needs the reason", "loss_reason"},
		{deal + "/stage", url.Values{"stage": {"nowhere"}},
			`Проверьте поле «Стадия»: в воронке нет стадии "nowhere"`,
			`Check “Stage”: pipeline sales has no stage "nowhere"`, "stage"},
		{deal + "/documents", url.Values{"type": {"bill"}},
			`Проверьте поле «Тип»: тип документа — КП, счёт, договор, акт, а не "bill"`,
			`Check “Type”: must be one of [quote invoice contract act], not "bill"`, "type"},
	}
	for _, tc := range cases {
		got := refusal(tc.path, tc.form)
		if got != tc.ru {
			t.Errorf("POST %s %v shows\n %q\nwant\n %q", tc.path, tc.form, got, tc.ru)
		}
		if latin := regexp.MustCompile(`[A-Za-z]{3,}`).FindString(quoted.ReplaceAllString(got, "")); latin != "" {
			t.Errorf("POST %s %v: %q is not all Russian (%q)", tc.path, tc.form, got, latin)
		}
	}

	// English switched on: the same refusals in English.
	if _, body := b.get(deal + "?lang=en"); !flashFree(body) {
		t.Fatal("the deal page in English shows an error before anything was sent")
	}
	for _, tc := range cases {
		got := refusal(tc.path, tc.form)
		if len(got) < len(tc.en) || got[:len(tc.en)] != tc.en {
			t.Errorf("in English POST %s %v shows %q, want %q", tc.path, tc.form, got, tc.en)
		}
	}
	if _, body := b.get(deal + "?lang=ru"); !flashFree(body) {
		t.Fatal("the deal page shows an error before anything was sent")
	}

	// A deal with nothing sold makes no document: said in Russian.
	if r := ta.api("DELETE", fmt.Sprint("/api/v1/deals/", own.deal, "/lines/", own.line), nil, nil); r/100 != 2 {
		t.Fatalf("deleting the line answered %d", r)
	}
	want := fmt.Sprintf("Проверьте поле «Позиции»: в сделке №%d нет позиций: добавьте товар или услугу, затем сделайте документ", own.deal)
	if got := refusal(deal+"/documents", url.Values{"type": {"invoice"}}); got != want {
		t.Errorf("a document of a deal without lines shows %q, want %q", got, want)
	}

	// The API keeps its English message and names the field.
	var out struct {
		Error struct{ Code, Message, Field string } `json:"error"`
	}
	st := ta.api("POST", fmt.Sprint("/api/v1/deals/", own.deal, "/stage"), map[string]any{"stage": "lost"}, &out)
	if st == http.StatusOK || out.Error.Message != "a lost deal needs the reason" || out.Error.Field != "loss_reason" {
		t.Errorf("the API answered %d %+v, want its English refusal", st, out.Error)
	}
}

// flashFree says a page shows no error.
func flashFree(body string) bool { return !flashErrRe.MatchString(body) }

// A manager who types a discount over 100 reads, in Chromium, what to
// fix while typing (the line's preview) and after saving (the page's
// error), in Russian; the pages are shot at 1280 and 360 px.
func TestConsoleRefusalInBrowser(t *testing.T) {
	browser := startBrowserFor(t, 3*time.Minute)
	ta := startApp(t, nil)
	own := ta.makeFixtures(attackerID, "Скидка", false)
	dir := screenshots(t)
	tab := personTab(t, browser)
	base := ta.srv.URL
	deal := fmt.Sprint(base, "/deals/", own.deal)
	if err := chromedp.Do(tab, chromedp.Navigate(base+ta.loginLink(attackerID)), chromedp.WaitVisible(chromedp.CSS(`main`)),
		chromedp.Navigate(deal+"#lines"), chromedp.WaitVisible(chromedp.CSS(`#lines`))); err != nil {
		t.Fatalf("open the deal: %v", err)
	}
	form := fmt.Sprintf(`form[data-line="%d"]`, own.line)
	want := "Проверьте поле «Скидка»: скидка — процент от 0 до 100"
	if err := chromedp.Do(tab, chromedp.Click(chromedp.CSS(`details:has(`+form+`) > summary`)),
		chromedp.WaitVisible(chromedp.CSS(form+` input[name=discount]`)),
		chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.querySelector('%s input[name=discount]').value = ""`, form)),
		chromedp.SendKeys(chromedp.CSS(form+` input[name=discount]`), "101"),
		chromedp.Poll[chromedp.Void](fmt.Sprintf(`(document.querySelector('%s output.line-preview') || {}).textContent === %q`, form, want),
			chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		got, _ := chromedp.Run(tab, chromedp.Text(chromedp.CSS(form+` output.line-preview`)))
		t.Fatalf("typing a discount of 101: the preview says %q, want %q (%v)", got, want, err)
	}
	shoot(t, tab, dir, "refusal-preview")
	if err := chromedp.Do(tab, chromedp.Click(chromedp.CSS(form+` button`)), chromedp.WaitVisible(chromedp.CSS(`.flash.err`))); err != nil {
		t.Fatalf("save: %v", err)
	}
	if got := text(t, tab, `.flash.err`); got != want {
		t.Errorf("after saving the page says %q, want %q", got, want)
	}
	// The refused form is back as it was typed, open, to fix the one field.
	kept, err := chromedp.Run(tab, chromedp.Evaluate[[]any](fmt.Sprintf(`[document.querySelector('%[1]s input[name=discount]').value,
		document.querySelector('%[1]s').closest('details').open]`, form)))
	if err != nil {
		t.Fatal(err)
	}
	if len(kept) != 2 || kept[0] != "101" || kept[1] != true {
		t.Errorf("after the refusal the line's form shows [discount, open] = %v, want [101 true]", kept)
	}
	shoot(t, tab, dir, "refusal-flash")
	// Once saved, nothing typed before comes back.
	if err := chromedp.Do(tab,
		chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.querySelector('%s input[name=discount]').value = "10"`, form)),
		chromedp.Click(chromedp.CSS(form+` button`)), chromedp.WaitVisible(chromedp.CSS(`.flash.ok`))); err != nil {
		t.Fatalf("save a good discount: %v", err)
	}
	if d, _ := chromedp.Run(tab, chromedp.Evaluate[string](fmt.Sprintf(`document.querySelector('%s input[name=discount]').value`, form))); d != "10" {
		t.Errorf("after saving the form shows discount %q, want the saved 10", d)
	}
}
