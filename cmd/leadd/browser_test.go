package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserPostsFormAndLandsOnThankYouPage has a real Chromium fill in the
// plain HTML contact form of a site on another origin and press the button:
// the browser lands on the thank-you page, and the lead is in the CRM with
// the page it was sent from.
func TestBrowserPostsFormAndLandsOnThankYouPage(t *testing.T) {
	browser := startBrowser(t)

	for _, tc := range []struct {
		name string
		// referrerPolicy is the page's <meta name="referrer">; empty leaves
		// the browser's default, strict-origin-when-cross-origin.
		referrerPolicy string
		// pageURL is what the lead records, given the page's address.
		pageURL func(page *url.URL) string
		// utmSource is the utm_source the lead takes from that address.
		utmSource string
	}{
		{
			name:           "a page that shares its address is recorded with it",
			referrerPolicy: "no-referrer-when-downgrade",
			pageURL:        func(page *url.URL) string { return page.String() },
			utmSource:      "yandex",
		},
		{
			// A browser tells another origin only where it came from,
			// not the path or the query: the UTM in the address is lost.
			name:    "a page with the default referrer policy is recorded by its origin",
			pageURL: func(page *url.URL) string { return page.Scheme + "://" + page.Host + "/" },
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ta := startApp(t, nil)
			site := httptest.NewServer(contactPage(ta.srv.URL+"/hooks/forms/contact", tc.referrerPolicy))
			t.Cleanup(site.Close)
			page, _ := url.Parse(site.URL + "/kontakty?utm_source=yandex")

			tab, closeTab := chromedp.NewContext(browser)
			defer closeTab()
			if err := chromedp.Do(tab,
				chromedp.Navigate(page.String()),
				chromedp.SendKeys(chromedp.CSS(`input[name=name]`), "Мария Иванова"),
				chromedp.SendKeys(chromedp.CSS(`input[name=phone]`), "8 (903) 123-45-67"),
				chromedp.SendKeys(chromedp.CSS(`input[name=email]`), "maria@example.ru"),
				chromedp.SendKeys(chromedp.CSS(`textarea[name=comment]`), "Перезвоните после обеда"),
			); err != nil {
				t.Fatalf("fill in the form: %v", err)
			}
			res, err := chromedp.RunResponse(tab, chromedp.Click(chromedp.CSS(`button[type=submit]`)))
			if err != nil {
				t.Fatalf("submit the form: %v", err)
			}
			if res.Status != http.StatusOK {
				t.Fatalf("the page after the post answered %d, want 200", res.Status)
			}
			if err := chromedp.Do(tab, chromedp.WaitVisible(chromedp.CSS(`h1`))); err != nil {
				t.Fatalf("wait for the thank-you page: %v", err)
			}
			heading, err := chromedp.Run(tab, chromedp.Text(chromedp.CSS(`h1`)))
			if err != nil {
				t.Fatal(err)
			}
			location, err := chromedp.Run(tab, chromedp.Location())
			if err != nil {
				t.Fatal(err)
			}
			if heading != "Спасибо! Заявка принята." {
				t.Errorf("the thank-you page says %q", heading)
			}
			if want := ta.srv.URL + "/hooks/forms/contact/thanks?"; !strings.HasPrefix(location, want) {
				t.Errorf("the browser is at %s, want %s…", location, want)
			}
			back, err := chromedp.Run(tab, chromedp.Evaluate[string](`document.querySelector("a.back").getAttribute("href")`))
			if err != nil {
				t.Fatal(err)
			}
			if want := tc.pageURL(page); back != want {
				t.Errorf("the thank-you page leads back to %q, want %q", back, want)
			}

			ta.waitProcessed()
			var leads struct {
				Items []struct {
					Status     string            `json:"status"`
					JunkReason *string           `json:"junk_reason"`
					Name       string            `json:"name"`
					Phones     []string          `json:"phones"`
					Emails     []string          `json:"emails"`
					Comment    string            `json:"comment"`
					PageURL    string            `json:"page_url"`
					UTM        map[string]string `json:"utm"`
					ManagerID  *int64            `json:"manager_id"`
				} `json:"items"`
			}
			if st := ta.api("GET", "/api/v1/leads?phone="+url.QueryEscape("+79031234567"), nil, &leads); st != http.StatusOK {
				t.Fatalf("list leads: %d", st)
			}
			if len(leads.Items) != 1 {
				t.Fatalf("leads with the phone: %d, want 1", len(leads.Items))
			}
			l := leads.Items[0]
			if l.JunkReason != nil {
				t.Errorf("the lead is junk (%s), though the honeypot was left empty", *l.JunkReason)
			}
			if l.Status != "new" {
				t.Errorf("status = %q, want new", l.Status)
			}
			if l.Name != "Мария Иванова" {
				t.Errorf("name = %q", l.Name)
			}
			if !slices.Equal(l.Phones, []string{"+79031234567"}) {
				t.Errorf("phones = %v", l.Phones)
			}
			if !slices.Equal(l.Emails, []string{"maria@example.ru"}) {
				t.Errorf("emails = %v", l.Emails)
			}
			if l.Comment != "Перезвоните после обеда" {
				t.Errorf("comment = %q", l.Comment)
			}
			if l.ManagerID == nil {
				t.Error("the lead has no manager")
			}
			if want := tc.pageURL(page); l.PageURL != want {
				t.Errorf("page_url = %q, want %q", l.PageURL, want)
			}
			if l.UTM["utm_source"] != tc.utmSource {
				t.Errorf("utm = %v, want utm_source %q", l.UTM, tc.utmSource)
			}
		})
	}
}

// contactPage serves a site's contact page: a plain HTML form, no script,
// posting to action, with a honeypot field hidden from people.
func contactPage(action, referrerPolicy string) http.Handler {
	meta := ""
	if referrerPolicy != "" {
		meta = fmt.Sprintf(`<meta name="referrer" content=%q>`, referrerPolicy)
	}
	html := `<!doctype html><html lang="ru"><head><meta charset="utf-8">` + meta + `<title>Контакты</title></head><body>
<form method="post" action="` + action + `">
<label>Имя <input name="name" autocomplete="name"></label>
<label>Телефон <input type="tel" name="phone" autocomplete="tel"></label>
<label>E-mail <input type="email" name="email" autocomplete="email"></label>
<label>Комментарий <textarea name="comment"></textarea></label>
<input type="text" name="website" value="" tabindex="-1" autocomplete="off" style="display:none">
<button type="submit">Перезвоните мне</button>
</form></body></html>`
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/kontakty" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(html))
	})
}

// startBrowser starts a headless Chromium for the test, bounded to three minutes,
// and returns its context; tabs are made from it with chromedp.NewContext.
// With no browser installed the test is skipped, except in CI, which
// installs one: there a missing browser must fail, not skip.
func startBrowser(t *testing.T) context.Context {
	t.Helper()
	return startBrowserFor(t, 60*time.Second)
}

// startBrowserFor is startBrowser bounded to d, for longer walks.
func startBrowserFor(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	path := findBrowser()
	if path == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("no chromium, chromium-browser or google-chrome in PATH; CI must install chromium")
		}
		t.Skip("no chromium, chromium-browser or google-chrome in PATH")
	}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	t.Cleanup(cancelBrowser)
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("start %s: %v", path, err)
	}
	return bctx
}

func findBrowser() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}
