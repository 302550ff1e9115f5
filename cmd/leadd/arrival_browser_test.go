package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/ingest"
)

// A request that waited two hours in the inbox (the processors were down)
// shows on its card as created when the client wrote, and says when it
// reached the CRM and how long after: the manager sees why a lead that
// just appeared is two hours old.
func TestBrowserALateLeadsCardSaysWhenItReachedTheCRM(t *testing.T) {
	browser := startBrowser(t)
	ta := startApp(t, nil)
	wrote := time.Now().Add(-2 * time.Hour).Truncate(time.Second)
	ev := ingest.Event{ID: ingest.NewID(wrote), Source: "form:contact", ExternalID: "late-1",
		Touch: crm.Inbound{Channel: crm.ChannelForm, Source: "contact", At: wrote, Name: "Ольга Петрова", Phones: []string{"+79175551234"}}}
	body, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	ta.db.Exec(t, `INSERT INTO inbox (id, source, external_id, event, received_at, next_attempt_at) VALUES ($1, $2, $3, $4, $5, $5)`,
		ev.ID, ev.Source, ev.ExternalID, body, wrote)
	ta.waitProcessed()
	var leadID int64
	var created time.Time
	if err := ta.db.Pool.QueryRow(t.Context(), `SELECT lead_id, (SELECT created_at FROM leads WHERE id = lead_id) FROM inbox WHERE id = $1`, ev.ID).
		Scan(&leadID, &created); err != nil {
		t.Fatal(err)
	}
	if !created.Equal(wrote) {
		t.Errorf("lead created %s, want when the client wrote, %s", created, wrote)
	}
	tab := personTab(t, browser)
	if err := chromedp.Do(tab, chromedp.Navigate(ta.srv.URL+ta.loginLink(1)), chromedp.Navigate(fmt.Sprintf("%s/leads/%d", ta.srv.URL, leadID)),
		chromedp.WaitVisible(chromedp.CSS(`main`))); err != nil {
		t.Fatal(err)
	}
	card := text(t, tab, `main`)
	for _, want := range []string{"В CRM", "через 2\u00a0ч после обращения"} {
		if !strings.Contains(card, want) {
			t.Errorf("the card does not say %q:\n%s", want, card)
		}
	}
	shoot(t, tab, screenshots(t), "lead-late")
}
