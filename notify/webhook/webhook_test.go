package webhook_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/crm/crmtest"
	"github.com/leadd/leadd/notify/webhook"
	"github.com/leadd/leadd/notify/webhook/webhooktest"
)

// clock is a faked time the sender signs and schedules by.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type fixture struct {
	t     *testing.T
	db    *crmtest.DB
	clock *clock
	svc   *webhook.Service
	recv  *webhooktest.Receiver
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	db := crmtest.MustOpenDB(t)
	c := &clock{t: time.Now()}
	recv := webhooktest.NewReceiver()
	t.Cleanup(recv.Close)
	return &fixture{t: t, db: db, clock: c, recv: recv,
		svc: &webhook.Service{Store: db.Store, Now: c.Now, AllowPrivate: true, Timeout: 5 * time.Second}}
}

// subscribe makes an endpoint at the receiver for events and tells the
// receiver its secret.
func (f *fixture) subscribe(events ...string) crm.WebhookEndpoint {
	f.t.Helper()
	u := f.recv.URL + "/hook"
	w, err := f.db.Store.CreateWebhook(context.Background(), crm.WebhookInput{URL: &u, Events: &events})
	if err != nil {
		f.t.Fatal(err)
	}
	if err := f.recv.SetSecrets(w.Secret); err != nil {
		f.t.Fatal(err)
	}
	return w
}

// emit writes outbox rows as a producer would, in one transaction.
func (f *fixture) emit(rows ...crm.OutboxKind) {
	f.t.Helper()
	err := pgx.BeginFunc(context.Background(), f.db.Pool, func(tx pgx.Tx) error {
		for i, r := range rows {
			if err := crm.Enqueue(context.Background(), tx, fmt.Sprintf("test:%d:%d", time.Now().UnixNano(), i), r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		f.t.Fatal(err)
	}
}

// work fans out and sends whatever is due now, until nothing is.
func (f *fixture) work() {
	f.t.Helper()
	ctx := context.Background()
	for range 100 {
		n, err := f.svc.FanOutDue(ctx)
		if err != nil {
			f.t.Fatal(err)
		}
		m, err := f.svc.SendDue(ctx)
		if err != nil {
			f.t.Fatal(err)
		}
		if n == 0 && m == 0 {
			return
		}
	}
	f.t.Fatal("still working after 100 rounds")
}

func TestRetryAfterA500SendsTheSameMessageAgain(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	w := f.subscribe(crm.EventLeadCreated)
	f.recv.Answer(func(n int) int {
		if n == 1 {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	f.emit(crm.LeadCreated{LeadID: 9999, Status: crm.StatusNew})
	f.work()
	if got := f.recv.Deliveries(); len(got) != 1 {
		t.Fatalf("%d deliveries before the retry is due, want 1", len(got))
	}
	f.clock.Add(6 * time.Second) // the first retry waits 5 s (and a little jitter)
	f.work()
	got := f.recv.Deliveries()
	if len(got) != 2 {
		t.Fatalf("%d deliveries, want 2 (a 500, then the retry)", len(got))
	}
	if got[0].ID != got[1].ID || got[0].ID == "" {
		t.Errorf("the retry has webhook-id %q, the first attempt %q: want one id", got[1].ID, got[0].ID)
	}
	if string(got[0].Body) != string(got[1].Body) {
		t.Errorf("the retry's body differs:\n%s\n%s", got[0].Body, got[1].Body)
	}
	if p := f.recv.Problems(); len(p) > 0 {
		t.Errorf("deliveries the reference library refused: %v", p)
	}
	attempts, err := f.db.Store.WebhookAttempts(context.Background(), w.ID, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(attempts) != 2 || attempts[1].Status != "failed" || deref(attempts[1].ResponseCode) != 500 ||
		attempts[0].Status != "succeeded" || deref(attempts[0].ResponseCode) != 200 || attempts[0].MessageStatus != "delivered" {
		t.Errorf("the attempts as the API lists them: %+v", attempts)
	}
}

func deref(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

func TestReceiverDownForAnHourGetsEverythingWhenBack(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.recv.IgnoreTimestamp() // the sender's clock runs ahead of the receiver's
	w := f.subscribe(crm.EventLeadCreated, crm.EventDealWon, crm.EventCallMissed)
	down := true
	var mu sync.Mutex
	f.recv.Answer(func(int) int {
		mu.Lock()
		defer mu.Unlock()
		if down {
			return http.StatusServiceUnavailable
		}
		return http.StatusNoContent
	})
	// Events keep coming while it is down.
	for i := range 6 {
		f.emit(crm.LeadCreated{LeadID: int64(100 + i), Status: crm.StatusNew})
		if i%2 == 0 {
			f.emit(crm.DealStageChanged{DealID: int64(200 + i), Pipeline: "sales", To: "won", Semantic: crm.StageWon},
				crm.CallMissed{CallID: fmt.Sprintf("c%d", i), Phone: "+79161234567", At: f.clock.Now()})
		}
		f.work()
		f.clock.Add(10 * time.Minute)
		f.work()
	}
	want := 6 + 3 + 3 // leads; won deals; missed calls
	// An hour down, then up again: everything arrives on the schedule.
	mu.Lock()
	down = false
	mu.Unlock()
	for range 24 {
		f.clock.Add(15 * time.Minute)
		f.work()
	}
	delivered := map[string]int{}
	types := map[string]int{}
	for _, d := range f.recv.Deliveries() {
		if d.Answered/100 == 2 {
			delivered[d.ID]++
			types[d.Type]++
		}
	}
	if len(delivered) != want {
		t.Errorf("%d messages delivered after the receiver came back, want %d (by type %v)", len(delivered), want, types)
	}
	for id, n := range delivered {
		if n != 1 {
			t.Errorf("message %s delivered %d times once the receiver was up", id, n)
		}
	}
	if types[crm.EventDealStageChanged] != 0 || types[crm.EventDealWon] != 3 {
		t.Errorf("types delivered %v: the endpoint subscribed deal.won, not deal.stage_changed", types)
	}
	if p := f.recv.Problems(); len(p) > 0 {
		t.Errorf("deliveries the reference library refused: %v", p[:min(3, len(p))])
	}
	got, err := f.db.Store.Webhook(context.Background(), w.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Enabled || got.FailingSince != nil {
		t.Errorf("after an hour down and back: enabled %v, failing since %v; want enabled and not failing", got.Enabled, got.FailingSince)
	}
}

func TestEndpointFailingForDaysIsDisabledAndAdminsAreTold(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.recv.IgnoreTimestamp()
	f.recv.Answer(func(int) int { return http.StatusBadGateway })
	w := f.subscribe(crm.EventLeadCreated)
	f.emit(crm.LeadCreated{LeadID: 1, Status: crm.StatusNew})
	f.work()
	for range 4 * 24 { // four days, an hour at a time
		f.clock.Add(time.Hour)
		f.emit(crm.LeadCreated{LeadID: 2, Status: crm.StatusNew})
		f.work()
	}
	got, err := f.db.Store.Webhook(context.Background(), w.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Enabled || got.DisabledAt == nil || got.DisabledReason == nil {
		t.Fatalf("an endpoint failing for days: enabled %v, disabled at %v (%v)", got.Enabled, got.DisabledAt, got.DisabledReason)
	}
	if n := f.db.Count(t, `SELECT count(*) FROM outbox WHERE kind = 'admin.webhook_disabled' AND (payload->>'endpoint_id')::bigint = $1`, w.ID); n != 1 {
		t.Errorf("%d admin notices of the disabled endpoint, want 1", n)
	}
	if n := f.db.Count(t, `SELECT count(*) FROM webhook_messages WHERE endpoint_id = $1 AND status = 'pending'`, w.ID); n != 0 {
		t.Errorf("%d messages still pending for a disabled endpoint", n)
	}
	// Disabled, it gets nothing more; the events are kept, skipped.
	before := len(f.recv.Deliveries())
	f.emit(crm.LeadCreated{LeadID: 3, Status: crm.StatusNew})
	f.work()
	if n := len(f.recv.Deliveries()); n != before {
		t.Errorf("a disabled endpoint got %d more deliveries", n-before)
	}
	if _, err := f.db.Store.ReplayWebhook(context.Background(), w.ID, f.clock.Now().Add(-time.Hour), f.clock.Now()); crm.ErrorCode(err) != crm.ECONFLICT {
		t.Errorf("replaying to a disabled endpoint: %v, want a conflict", err)
	}
	// Fixed and enabled again, the admin replays the whole time.
	f.recv.Answer(func(int) int { return http.StatusOK })
	yes := true
	if _, err := f.db.Store.UpdateWebhook(context.Background(), w.ID, crm.WebhookInput{Enabled: &yes}); err != nil {
		t.Fatal(err)
	}
	n, err := f.db.Store.ReplayWebhook(context.Background(), w.ID, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	total := f.db.Count(t, `SELECT count(*) FROM webhook_messages WHERE endpoint_id = $1`, w.ID)
	if n != total {
		t.Errorf("replay queued %d of %d messages", n, total)
	}
	before = len(f.recv.Deliveries())
	f.work()
	ok := 0
	for _, d := range f.recv.Deliveries()[before:] {
		if d.Answered == http.StatusOK {
			ok++
		}
	}
	if ok != total {
		t.Errorf("%d messages delivered by the replay, want %d", ok, total)
	}
}

// TestAnEndpointAnAdminDisablesIsSentNothingUntilEnabled: the retry it is
// owed when disabled fails, and what falls due meanwhile is skipped, as
// when it is disabled for failing; enabled again, it gets what comes next.
func TestAnEndpointAnAdminDisablesIsSentNothingUntilEnabled(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	w := f.subscribe(crm.EventLeadCreated)
	f.recv.Answer(func(n int) int {
		if n == 1 {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	f.emit(crm.LeadCreated{LeadID: 1, Status: crm.StatusNew})
	f.work() // the first attempt fails: a retry is owed
	off, on := false, true
	if _, err := f.db.Store.UpdateWebhook(ctx, w.ID, crm.WebhookInput{Enabled: &off}); err != nil {
		t.Fatal(err)
	}
	f.emit(crm.LeadCreated{LeadID: 2, Status: crm.StatusNew})
	f.clock.Add(time.Hour)
	f.work()
	if got := f.recv.Deliveries(); len(got) != 1 {
		t.Fatalf("%d deliveries to a disabled endpoint's receiver, want only the first attempt", len(got))
	}
	if n := f.db.Count(t, `SELECT count(*) FROM webhook_messages WHERE endpoint_id = $1 AND (status, last_error) = ('failed', 'the endpoint was disabled')`, w.ID); n != 1 {
		t.Errorf("%d messages failed for the endpoint's being disabled, want 1 (the retry owed)", n)
	}
	if n := f.db.Count(t, `SELECT count(*) FROM webhook_messages WHERE endpoint_id = $1 AND status = 'skipped'`, w.ID); n != 1 {
		t.Errorf("%d messages skipped, want 1 (the one that fell due meanwhile)", n)
	}
	if _, err := f.db.Store.UpdateWebhook(ctx, w.ID, crm.WebhookInput{Enabled: &on}); err != nil {
		t.Fatal(err)
	}
	f.emit(crm.LeadCreated{LeadID: 3, Status: crm.StatusNew})
	f.work()
	if got := f.recv.Deliveries(); len(got) != 2 || !strings.Contains(string(got[1].Body), `"lead_id":3`) {
		t.Fatalf("after enabling: %d deliveries, want the next event's", len(got))
	}
}

func TestRotationSignsWithBothSecretsForADay(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	w := f.subscribe(crm.EventLeadCreated)
	old := w.Secret
	rotated, err := f.db.Store.RotateWebhookSecret(context.Background(), w.ID)
	if err != nil {
		t.Fatal(err)
	}
	if rotated.Secret == old || rotated.PreviousSecretExpiresAt == nil {
		t.Fatalf("rotation: %+v", rotated)
	}
	if err := f.recv.SetSecrets(old, rotated.Secret); err != nil {
		t.Fatal(err)
	}
	f.emit(crm.LeadCreated{LeadID: 1, Status: crm.StatusNew})
	f.work()
	d := f.recv.Deliveries()
	if len(d) != 1 || !slices.Equal(d[0].Verified, []int{0, 1}) {
		t.Fatalf("after a rotation the delivery verifies with secrets %v, want both (old and new)", verified(d))
	}
	// A day later only the new one signs.
	f.clock.Add(25 * time.Hour)
	f.recv.IgnoreTimestamp()
	f.emit(crm.LeadCreated{LeadID: 2, Status: crm.StatusNew})
	f.work()
	d = f.recv.Deliveries()
	if len(d) != 2 || !slices.Equal(d[1].Verified, []int{1}) {
		t.Errorf("a day after the rotation the delivery verifies with secrets %v, want the new one only", verified(d))
	}
}

func verified(ds []webhooktest.Delivery) [][]int {
	var out [][]int
	for _, d := range ds {
		out = append(out, d.Verified)
	}
	return out
}

func TestEndpointsWithoutSubscriptionsCostIntakeNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.emit(crm.LeadCreated{LeadID: 1, Status: crm.StatusNew})
	if n := f.db.Count(t, `SELECT count(*) FROM outbox_deliveries WHERE consumer = 'webhooks'`); n != 0 {
		t.Errorf("%d webhook deliveries with no endpoint, want none", n)
	}
	w := f.subscribe(crm.EventDealWon)
	f.emit(crm.LeadCreated{LeadID: 2, Status: crm.StatusNew}, crm.DealStageChanged{DealID: 1, To: "won", Semantic: crm.StageWon})
	if n := f.db.Count(t, `SELECT count(*) FROM outbox_deliveries WHERE consumer = 'webhooks'`); n != 1 {
		t.Errorf("%d webhook deliveries for one deal.stage_changed and one lead.created, want 1 (deal.won's kind only)", n)
	}
	if err := f.db.Store.DeleteWebhook(context.Background(), w.ID); err != nil {
		t.Fatal(err)
	}
	f.emit(crm.DealStageChanged{DealID: 2, To: "won", Semantic: crm.StageWon})
	if n := f.db.Count(t, `SELECT count(*) FROM outbox_deliveries WHERE consumer = 'webhooks'`); n != 1 {
		t.Errorf("%d webhook deliveries after the endpoint is gone, want still 1", n)
	}
}

func TestCheckURL(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		url          string
		allowPrivate bool
		ok           bool
	}{
		{"https://93.184.216.34/hook", false, true},
		{"http://93.184.216.34:8080/x?y=1", false, true},
		{"ftp://93.184.216.34/", false, false},
		{"javascript:alert(1)", false, false},
		{"https:///nohost", false, false},
		{"http://127.0.0.1:9000/", false, false},
		{"http://127.0.0.1:9000/", true, true},
		{"http://10.1.2.3/", false, false},
		{"http://192.168.0.10/", false, false},
		{"http://172.16.5.5/", false, false},
		{"http://169.254.169.254/latest/meta-data", false, false},
		{"http://100.64.0.1/", false, false},
		{"http://[::1]/", false, false},
		{"http://[fd00::1]/", false, false},
		{"http://[::ffff:127.0.0.1]/", false, false},
		{"http://0.0.0.0/", false, false},
		{"http://localhost/", false, false},
		{"http://localhost/", true, true},
	} {
		err := webhook.CheckURL(context.Background(), c.url, c.allowPrivate)
		if (err == nil) != c.ok {
			t.Errorf("CheckURL(%q, allow_private %v) = %v, want ok %v", c.url, c.allowPrivate, err, c.ok)
		}
		if err != nil && crm.ErrorCode(err) != crm.EINVALID {
			t.Errorf("CheckURL(%q): %v is not an invalid-input error", c.url, err)
		}
	}
}

func TestSenderRefusesPrivateAddressesAtConnectTime(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.svc.AllowPrivate = false // the endpoint was made while allowed; now it is not
	w := f.subscribe(crm.EventLeadCreated)
	f.emit(crm.LeadCreated{LeadID: 1, Status: crm.StatusNew})
	f.work()
	if n := len(f.recv.Deliveries()); n != 0 {
		t.Errorf("a private address got %d deliveries with allow_private off", n)
	}
	attempts, err := f.db.Store.WebhookAttempts(context.Background(), w.ID, 0, 10)
	if err != nil || len(attempts) != 1 || attempts[0].Status != "failed" || attempts[0].ResponseCode != nil {
		t.Errorf("attempts: %+v, %v; want one failed without an answer", attempts, err)
	}
}
