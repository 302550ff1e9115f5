package main

import (
	"crypto/rand"
	"fmt"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/leadd/leadd/configs"
	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/web/api"
)

// An event that still fails after its retries is never silent: it is
// listed in GET /api/v1/inbox/failed (admins and supervisors), counted in
// leadd_inbox_failed_total, told to the supervisors through the outbox,
// and POST /api/v1/inbox/{id}/retry puts it back.
func TestAnEventThatFailsForGoodIsListedCountedToldAndRetried(t *testing.T) {
	anna := int64(1)
	ta := startApp(t, func(c *configs.Config) {
		c.Processor.MaxAttempts = 2
		c.API.Tokens = append(c.API.Tokens,
			api.Token{Name: "anna", Token: "anna-token-123", Role: api.RoleManager, ManagerID: &anna},
			api.Token{Name: "boss", Token: "boss-token-123", Role: api.RoleSupervisor})
	})
	before := failedCount(t)
	id := ta.failForGood()
	ta.db.Exec(t, `UPDATE inbox SET next_attempt_at = now() WHERE id = $1`, id) // the backoff, skipped

	var page struct {
		Items      []crm.FailedEvent `json:"items"`
		NextCursor *string           `json:"next_cursor"`
	}
	if st := ta.api("GET", "/api/v1/inbox/failed", nil, &page); st != 200 || len(page.Items) != 1 || page.Items[0].ID != id {
		t.Fatalf("GET /inbox/failed: %d %+v", st, page)
	}
	if f := page.Items[0]; f.Attempts != 2 || !strings.Contains(f.LastError, "index row") || f.Source != "form:contact" {
		t.Errorf("failed event = %+v, want 2 attempts and the index error", f)
	}
	if got := failedCount(t) - before; got < 1 {
		t.Errorf("leadd_inbox_failed_total grew by %v", got)
	}
	if n := ta.db.Count(t, `SELECT count(*) FROM outbox WHERE kind = $1 AND payload->>'event_id' = $2`, crm.KindInboxFailed, id); n != 1 {
		t.Errorf("%d supervisor notices of the failure, want 1", n)
	}
	for _, c := range []struct{ token, method, path string }{
		{"anna-token-123", "GET", "/api/v1/inbox/failed"}, {"anna-token-123", "POST", "/api/v1/inbox/" + id + "/retry"},
	} {
		if res := ta.do(c.method, c.path, "", nil, "Authorization: Bearer "+c.token); res.Status != 403 {
			t.Errorf("a manager: %s %s answered %d, want 403", c.method, c.path, res.Status)
		}
	}
	// Someone fixes what was wrong and retries it as a supervisor.
	ta.db.Exec(t, `UPDATE inbox SET event = jsonb_set(event, '{touch,emails}', '["fixed@example.ru"]') WHERE id = $1`, id)
	if res := ta.do("POST", "/api/v1/inbox/"+id+"/retry", "", nil, "Authorization: Bearer boss-token-123"); res.Status != 202 {
		t.Fatalf("retry answered %d: %s", res.Status, res.Body)
	}
	ta.waitProcessed()
	if n := ta.db.Count(t, `SELECT count(*) FROM inbox WHERE id = $1 AND lead_id IS NOT NULL AND outcome <> 'failed'`, id); n != 1 {
		t.Errorf("the retried event did not land")
	}
	if st := ta.api("GET", "/api/v1/inbox/failed", nil, &page); st != 200 || len(page.Items) != 0 {
		t.Errorf("after the retry the list holds %d", len(page.Items))
	}
	if res := ta.do("POST", "/api/v1/inbox/"+id+"/retry", "", nil, "Authorization: Bearer "+adminToken); res.Status != 409 {
		t.Errorf("retrying an event that has not failed answered %d, want 409", res.Status)
	}
	if res := ta.do("POST", "/api/v1/inbox/not-an-id/retry", "", nil, "Authorization: Bearer "+adminToken); res.Status != 404 {
		t.Errorf("retrying no event answered %d, want 404", res.Status)
	}
}

// failForGood puts in, by hand, an event the processor cannot land (an
// identity past the index's row limit: past the door nothing like it gets
// in) and waits until it has failed for good. It returns its id.
func (ta *testApp) failForGood() string {
	ta.t.Helper()
	long := rand.Text() // not compressible: an index keeps it whole
	for len(long) < 3000 {
		long += rand.Text()
	}
	long += "@example.ru"
	id := "01a24ac1-0000-7000-8000-000000000001"
	ta.db.Exec(ta.t, `INSERT INTO inbox (id, source, external_id, event) VALUES ($1, 'form:contact', 'by-hand', $2)`, id,
		fmt.Sprintf(`{"id":%q,"source":"form:contact","external_id":"by-hand","touch":{"channel":"form","source":"contact","at":"2026-12-06T09:00:00Z","emails":[%q]}}`, id, long))
	waitFor(ta.t, "the event to fail for good", func() bool {
		return ta.db.Count(ta.t, `SELECT count(*) FROM inbox WHERE id = $1 AND outcome = 'failed'`, id) == 1
	})
	return id
}

func failedCount(t *testing.T) float64 {
	t.Helper()
	families, err := prometheus.DefaultGatherer.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == "leadd_inbox_failed_total" {
			return f.GetMetric()[0].GetCounter().GetValue()
		}
	}
	return 0
}
