package ingest

import (
	"context"
	"fmt"
	"math/rand"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/leadd/leadd/crm"
)

// However long events waited in the inbox (up to six hours: an outage, a
// restart) and whatever time their adapters gave them (none, a clock
// ahead, a plausible PBX or mailbox time, a month-old date), four
// processors land each as a lead created at crm.ArrivedAt of that time and
// the inbox's receipt (its touch keeps what the adapter said); and the backlog
// fires no re-assignment when it lands: every SLA deadline is still ahead.
func TestEveryLeadOfABacklogIsCreatedWhenItsTouchArrived(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	rng := rand.New(rand.NewSource(time.Now().UnixNano()))
	const n = 120
	kinds := []string{"none", "ahead", "plausible", "ancient"}
	for i := range n {
		wait := time.Duration(rng.Int63n(int64(6 * time.Hour)))
		received := time.Now().Add(-wait)
		var at time.Time
		switch kinds[i%len(kinds)] {
		case "ahead":
			at = received.Add(time.Second + time.Duration(rng.Int63n(int64(time.Hour))))
		case "plausible":
			at = received.Add(-time.Second - time.Duration(rng.Int63n(int64(6*24*time.Hour))))
		case "ancient":
			at = received.Add(-crm.MaxArrivalAge - time.Hour - time.Duration(rng.Int63n(int64(30*24*time.Hour))))
		}
		at = at.Truncate(time.Microsecond) // as Postgres keeps it
		in := crm.Inbound{Channel: crm.ChannelForm, Source: "contact", At: at, Name: "Иван", Phones: []string{fmt.Sprintf("+7916%07d", i)}}
		if i%3 == 0 {
			in.Channel, in.Source = crm.ChannelCall, "+74950000001"
			in.Call = &crm.CallInfo{Provider: "test", ID: fmt.Sprint("call-", i), State: "ringing", Direction: "in", Line: "+74950000001"}
		}
		ev := &Event{ID: NewID(time.Now()), Source: "test", ExternalID: fmt.Sprint(i), Touch: in}
		id, _, err := f.inbox.Accept(ctx, ev, nil)
		if err != nil {
			t.Fatal(err)
		}
		// It waited: received then, and due for processing since then.
		f.db.Exec(t, `UPDATE inbox SET received_at = received_at - make_interval(secs => $2),
			next_attempt_at = next_attempt_at - make_interval(secs => $2) WHERE id = $1`, id, wait.Seconds())
	}
	start := time.Now()
	ps := []*Processor{f.processor("a", true), f.processor("b", true), f.processor("c", true), f.processor("d", true)}
	// Four processors, as the demo runs, on a pool of their own: each
	// holds a connection for its batch while routing reads the managers.
	pool, err := pgxpool.New(ctx, f.db.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	for _, p := range ps {
		p.Pool = pool
	}
	drain(t, ps...)

	rows, err := f.db.Pool.Query(ctx, `SELECT i.received_at, i.event->'touch'->>'at', i.outcome, l.created_at, t.at, l.sla_due_at
		FROM inbox i LEFT JOIN leads l ON l.id = i.lead_id LEFT JOIN touches t ON t.event_id = i.id`)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		received             time.Time
		at, outcome          string
		created, touch, slaD *time.Time
	}
	got, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
		var x row
		err := r.Scan(&x.received, &x.at, &x.outcome, &x.created, &x.touch, &x.slaD)
		return x, err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n {
		t.Fatalf("%d events, want %d", len(got), n)
	}
	for _, x := range got {
		at, err := time.Parse(time.RFC3339Nano, x.at)
		if err != nil {
			t.Fatal(err)
		}
		want := crm.ArrivedAt(at, x.received)
		switch {
		case x.outcome != crm.LandedNewLead || x.created == nil || x.touch == nil || x.slaD == nil:
			t.Errorf("event received %s (at %s): outcome %s, lead %v, touch %v, SLA deadline %v", x.received, at, x.outcome,
				x.created, x.touch, x.slaD)
		case !x.created.Equal(want) || !x.touch.Equal(at):
			t.Errorf("event received %s, adapter's time %s: lead created %s, touch at %s; want %s and the adapter's time",
				x.received.UTC(), at.UTC(), x.created.UTC(), x.touch.UTC(), want.UTC())
		case x.slaD.Before(start):
			t.Errorf("event received %s: SLA deadline %s already past when the backlog was processed", x.received.UTC(), x.slaD.UTC())
		}
	}
	var moved int
	if err := pgx.BeginFunc(ctx, f.db.Pool, func(tx pgx.Tx) error {
		moved, err = crm.ReassignOverdue(ctx, tx, time.Now(), f.lander.Assigner, 2, 1000)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if moved != 0 {
		t.Errorf("%d leads of the backlog re-assigned as it landed, want none", moved)
	}
}
