package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// A site on another origin with Leadd's embed script: the visitor lands
// on a page with UTM tags, goes on to the contacts page (no tags in its
// address) and sends the form there. The browser's cross-site Referer is
// only the origin, yet the lead has the page, the tags of the visit and
// where the visitor came from. A bad phone first gets the Russian error
// page, whose link leads back to the form. LEADD_SCREENSHOTS=dir keeps
// the pages as PNG files to look at.
func TestBrowserEmbedScriptCarriesThePageAndUTMAndErrorsAreRussian(t *testing.T) {
	browser := startBrowserFor(t, 3*time.Minute)
	ta := startApp(t, nil)
	action := ta.srv.URL + "/hooks/forms/contact"
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		script := `<script src="` + ta.srv.URL + `/hooks/forms/contact/embed.js" async></script>`
		switch r.URL.Path {
		case "/landing":
			w.Write([]byte(`<!doctype html><html lang="ru"><meta charset="utf-8"><title>Станки</title>` + script +
				`<body><h1>Станки с ЧПУ</h1><a id="next" href="/kontakty">Контакты</a></body></html>`))
		case "/kontakty":
			w.Write([]byte(`<!doctype html><html lang="ru"><meta charset="utf-8"><title>Контакты</title>` + script + `<body>
<form method="post" action="` + action + `">
<label>Имя <input name="name"></label>
<label>Телефон <input type="tel" name="phone"></label>
<input type="text" name="website" value="" tabindex="-1" autocomplete="off" style="display:none">
<button type="submit">Перезвоните мне</button>
</form></body></html>`))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(site.Close)
	shots := os.Getenv("LEADD_SCREENSHOTS")

	tab, closeTab := chromedp.NewContext(browser)
	defer closeTab()
	save := func(name string) {
		t.Helper()
		if shots == "" {
			return
		}
		png, err := chromedp.Run(tab, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(shots, name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := chromedp.Do(tab,
		chromedp.Navigate(site.URL+"/landing?utm_source=yandex&utm_campaign=cnc"),
		chromedp.WaitVisible(chromedp.CSS(`#next`)),
		chromedp.Click(chromedp.CSS(`#next`)),
		chromedp.WaitVisible(chromedp.CSS(`input[name=phone]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=name]`), "Мария"),
		chromedp.SendKeys(chromedp.CSS(`input[name=phone]`), "12345"),
	); err != nil {
		t.Fatalf("fill in the form: %v", err)
	}
	res, err := chromedp.RunResponse(tab, chromedp.Click(chromedp.CSS(`button[type=submit]`)))
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	if res.Status != http.StatusUnprocessableEntity {
		t.Errorf("a bad phone answered %d, want 422", res.Status)
	}
	if err := chromedp.Do(tab, chromedp.WaitVisible(chromedp.CSS(`h1`))); err != nil {
		t.Fatal(err)
	}
	save("form-error")
	text, err := chromedp.Run(tab, chromedp.Text(chromedp.CSS(`main`)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text, "Заявка не отправлена") || !strings.Contains(text, "Проверьте номер телефона") {
		t.Errorf("the error page says %q", text)
	}
	back, err := chromedp.Run(tab, chromedp.Evaluate[string](`document.querySelector("a.back").href`))
	if err != nil {
		t.Fatal(err)
	}
	if back != site.URL+"/kontakty" {
		t.Errorf("the error page leads back to %q, want the form's page", back)
	}

	// Back to the form, this time right.
	if err := chromedp.Do(tab,
		chromedp.Click(chromedp.CSS(`a.back`)),
		chromedp.WaitVisible(chromedp.CSS(`input[name=phone]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=name]`), "Мария"),
		chromedp.SendKeys(chromedp.CSS(`input[name=phone]`), "8 903 123-45-68 доб. 12"),
	); err != nil {
		t.Fatalf("back to the form: %v", err)
	}
	if _, err := chromedp.RunResponse(tab, chromedp.Click(chromedp.CSS(`button[type=submit]`))); err != nil {
		t.Fatalf("submit: %v", err)
	}
	if err := chromedp.Do(tab, chromedp.WaitVisible(chromedp.CSS(`h1`))); err != nil {
		t.Fatal(err)
	}
	save("form-thanks")
	heading, err := chromedp.Run(tab, chromedp.Text(chromedp.CSS(`h1`)))
	if err != nil {
		t.Fatal(err)
	}
	if heading != "Спасибо! Заявка принята." {
		t.Errorf("the thank-you page says %q", heading)
	}
	thanksBack, err := chromedp.Run(tab, chromedp.Evaluate[string](`document.querySelector("a.back").href`))
	if err != nil {
		t.Fatal(err)
	}
	if thanksBack != site.URL+"/kontakty" {
		t.Errorf("the thank-you page leads back to %q", thanksBack)
	}

	ta.waitProcessed()
	leads := ta.leadsByPhone("+79031234568")
	if len(leads) != 1 {
		t.Fatalf("%d leads", len(leads))
	}
	l := leads[0]
	if l.PageURL != site.URL+"/kontakty" {
		t.Errorf("page_url = %q, want the contacts page", l.PageURL)
	}
	if l.UTM["utm_source"] != "yandex" || l.UTM["utm_campaign"] != "cnc" {
		t.Errorf("utm = %v, want the visit's tags from the landing page", l.UTM)
	}
	if len(l.Phones) != 1 || l.Phones[0] != "+79031234568;ext=12" {
		t.Errorf("phones = %q", l.Phones)
	}
	if _, ok := l.Fields["website"]; ok {
		t.Errorf("the honeypot is among the fields: %v", l.Fields)
	}
}
