package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/leadd/leadd/crm"
)

// TestConsoleCardsShowAndEditCustomFields opens a deal, its contact and
// company in Chromium: the custom fields read as people write them (money
// «1 275 833,33 ₽», a date 06.12.2026, Да/Нет, an enum's label), a bad
// value typed into the card's form is refused naming the field by its
// label, a good one is kept.
func TestConsoleCardsShowAndEditCustomFields(t *testing.T) {
	browser := startBrowserFor(t, 4*time.Minute)
	ta := startApp(t, nil)
	dir := screenshots(t)
	var co crm.Company
	if s := ta.api("POST", "/api/v1/companies", map[string]any{"name": "ООО «Поле»", "manager_id": 1, "fields": map[string]any{
		"segment": "wholesale", "employees": 1200, "site": "https://pole.example", "accountant_phone": "+7 495 123-45-67 доб. 205"}}, &co); s != 201 {
		t.Fatalf("company: %d", s)
	}
	var ct crm.Contact
	if s := ta.api("POST", "/api/v1/contacts", map[string]any{"name": "Ольга Полевая", "manager_id": 1, "company_id": co.ID,
		"phones": []string{"+7 916 500-00-09"}, "fields": map[string]any{"birthday": "1980-12-06"}}, &ct); s != 201 {
		t.Fatalf("contact: %d", s)
	}
	var deal crm.Deal
	if s := ta.api("POST", "/api/v1/deals", map[string]any{"title": "Поставка на поле", "manager_id": 1, "contact_id": ct.ID, "company_id": co.ID,
		"fields": map[string]any{"budget": "1275833.33", "delivery_date": "2026-12-06", "tender": true, "payment_terms": "prepay"}}, &deal); s != 201 {
		t.Fatalf("deal: %d", s)
	}
	tab := personTab(t, browser)
	base := ta.srv.URL
	if err := chromedp.Do(tab, chromedp.Navigate(base+ta.loginLink(1)), chromedp.WaitVisible(chromedp.CSS(`#queue-table`))); err != nil {
		t.Fatalf("sign in: %v", err)
	}
	field := func(key string) string { return text(t, tab, fmt.Sprintf(`#fields-deal [data-field=%q]`, key)) }
	if err := chromedp.Do(tab, chromedp.Navigate(fmt.Sprint(base, "/deals/", deal.ID)), chromedp.WaitVisible(chromedp.CSS(`#fields-deal`))); err != nil {
		t.Fatalf("the deal card: %v", err)
	}
	for key, want := range map[string]string{"budget": "1\u00a0275\u00a0833,33\u00a0₽", "delivery_date": "06.12.2026", "tender": "Да",
		"payment_terms": "Предоплата"} {
		if got := field(key); got != want {
			t.Errorf("the card shows %s as %q, want %q", key, got, want)
		}
	}
	shoot(t, tab, dir, "deal-fields")

	// A bad amount is refused by the field's label; nothing changes.
	openForm(t, tab)
	if err := chromedp.Do(tab,
		chromedp.SetValue(chromedp.CSS(`#f-budget`), "много денег"),
		chromedp.Click(chromedp.CSS(`.fields-form button`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash.err`))); err != nil {
		t.Fatalf("post a bad budget: %v", err)
	}
	if msg := text(t, tab, `.flash.err`); !strings.Contains(msg, "Бюджет") || !strings.Contains(msg, "сумма") {
		t.Errorf("the error reads %q", msg)
	}
	if got := field("budget"); got != "1\u00a0275\u00a0833,33\u00a0₽" {
		t.Errorf("a refused value changed the budget: %q", got)
	}
	shoot(t, tab, dir, "deal-fields-error")
	openForm(t, tab)
	if err := chromedp.Do(tab,
		chromedp.SetValue(chromedp.CSS(`#f-budget`), "2 000 000,5"),
		chromedp.SetValue(chromedp.CSS(`#f-delivery_date`), "2027-01-15"),
		chromedp.SetValue(chromedp.CSS(`#f-tender`), "false"),
		chromedp.Click(chromedp.CSS(`.fields-form button`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash.ok`))); err != nil {
		t.Fatalf("post good values: %v", err)
	}
	for key, want := range map[string]string{"budget": "2\u00a0000\u00a0000,50\u00a0₽", "delivery_date": "15.01.2027", "tender": "Нет"} {
		if got := field(key); got != want {
			t.Errorf("after saving, %s reads %q, want %q", key, got, want)
		}
	}
	if d := ta.deal(deal.ID); d.Fields["budget"] != "2000000.50" || d.Fields["delivery_date"] != "2027-01-15" || d.Fields["payment_terms"] != "prepay" {
		t.Errorf("the deal's fields %v", d.Fields)
	}

	for _, page := range []struct{ path, box, key, want, shot string }{
		{fmt.Sprint("/companies/", co.ID), "#fields-company", "segment", "Опт", "company-fields"},
		{fmt.Sprint("/companies/", co.ID), "#fields-company", "accountant_phone", "+7\u00a0495\u00a0123-45-67 доб. 205", ""},
		{fmt.Sprint("/contacts/", ct.ID), "#fields-contact", "birthday", "06.12.1980", "contact-fields"},
	} {
		if err := chromedp.Do(tab, chromedp.Navigate(base+page.path), chromedp.WaitVisible(chromedp.CSS(page.box))); err != nil {
			t.Fatalf("%s: %v", page.path, err)
		}
		if got := text(t, tab, fmt.Sprintf(`%s [data-field=%q]`, page.box, page.key)); got != page.want {
			t.Errorf("%s shows %s as %q, want %q", page.path, page.key, got, page.want)
		}
		if page.shot != "" {
			shoot(t, tab, dir, page.shot)
		}
	}
}

// openForm opens the card's fields form (inside its <details>).
func openForm(t *testing.T, tab context.Context) {
	t.Helper()
	if _, err := chromedp.Run(tab, chromedp.Evaluate[bool](`document.querySelector("details:has(.fields-form)").open = true`)); err != nil {
		t.Fatalf("open the fields form: %v", err)
	}
}
