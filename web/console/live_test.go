package console_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/crm/crmtest"
	"github.com/leadd/leadd/web/console"
)

// statements counts what a pool sends to Postgres.
type statements struct{ n atomic.Int64 }

func (c *statements) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	c.n.Add(1)
	return ctx
}

func (c *statements) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// sseEvent is an event of a stream: its type and data.
type sseEvent struct{ typ, data string }

// openStream opens the incoming page's stream with a session cookie and
// sends its events on the channel returned.
func openStream(t *testing.T, base, cookie string, after int64) <-chan sseEvent {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", fmt.Sprintf("%s/events?after=%d", base, after), nil)
	req.AddCookie(&http.Cookie{Name: "leadd_session", Value: cookie})
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 200 {
		t.Fatalf("events answered %d", res.StatusCode)
	}
	out := make(chan sseEvent, 100)
	go func() {
		defer res.Body.Close()
		sc := bufio.NewScanner(res.Body)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				ev.typ = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				ev.data = strings.TrimPrefix(line, "data: ")
			case line == "" && ev.typ != "":
				out <- ev
				ev = sseEvent{}
			}
		}
	}()
	return out
}

// Open incoming pages share one poller: twenty managers' pages cost one
// statement a tick between them, not two or three each, and each page
// still gets its own new leads — and only its own — within a tick.
func TestLivePagesShareOnePoller(t *testing.T) {
	t.Parallel()
	db := crmtest.MustOpenDB(t)
	ctx := context.Background()
	cfg, err := pgxpool.ParseConfig(db.URL)
	if err != nil {
		t.Fatal(err)
	}
	count := &statements{}
	cfg.ConnConfig.Tracer = count
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	store := crm.NewStore(pool, nil)
	const live = 50 * time.Millisecond
	srv, err := console.New(store, console.Options{Live: live}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	srv.Register(mux)
	web := httptest.NewServer(mux)
	defer web.Close()
	defer srv.Stop() // first: the streams end, so the server can close

	const pages = 20
	var managers []crm.Manager
	var streams []<-chan sseEvent
	for i := range pages {
		m, err := store.CreateManager(ctx, crm.Manager{Name: fmt.Sprintf("Менеджер %d", i+1), Active: true})
		if err != nil {
			t.Fatal(err)
		}
		tok, _, err := store.CreateSession(ctx, crm.Principal{Name: m.Name, Role: crm.RoleManager, ManagerID: &m.ID}, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		managers = append(managers, m)
		streams = append(streams, openStream(t, web.URL, tok, 0))
	}
	tok, _, err := store.CreateSession(ctx, crm.Principal{Name: "Руководитель", Role: crm.RoleSupervisor}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	department := openStream(t, web.URL, tok, 0)
	// Each page's first counters: the streams are open.
	for i, s := range append(streams, department) {
		if ev := next(t, s, "counters"); !strings.Contains(ev.data, `"new_leads":0`) {
			t.Fatalf("page %d: first counters %s", i, ev.data)
		}
	}

	// Quiet: nothing arrives for 40 ticks.
	before, start := count.n.Load(), time.Now()
	time.Sleep(40 * live)
	quiet, ticks := count.n.Load()-before, int64(time.Since(start)/live)+1
	t.Logf("%d open pages, %d ticks: %d statements (one a page a tick would be %d)", pages+1, ticks, quiet, ticks*(pages+1))
	if quiet > ticks+2 {
		t.Errorf("%d statements in %d ticks with %d pages open: more than one a tick", quiet, ticks, pages+1)
	}

	// A lead for the third manager reaches their page and the
	// supervisor's, and no one else's.
	var id int64
	if err := pool.QueryRow(ctx, `INSERT INTO leads (status, channel, source, name, manager_id, phones)
		VALUES ('new', 'form', 'site', 'Ромашка', $1, ARRAY['+79161234567']) RETURNING id`, managers[2].ID).Scan(&id); err != nil {
		t.Fatal(err)
	}
	for _, s := range []<-chan sseEvent{streams[2], department} {
		if ev := next(t, s, "lead"); !strings.Contains(ev.data, fmt.Sprintf(`"id":%d`, id)) || !strings.Contains(ev.data, "Ромашка") {
			t.Errorf("lead event %s, want lead %d", ev.data, id)
		}
		if ev := next(t, s, "counters"); !strings.Contains(ev.data, `"new_leads":1`) {
			t.Errorf("counters after the lead: %s", ev.data)
		}
	}
	time.Sleep(4 * live)
	for i, s := range streams {
		select {
		case ev := <-s:
			if ev.typ == "lead" {
				t.Errorf("manager %d's page got another's lead: %s", i+1, ev.data)
			}
		default:
		}
	}
}

// next waits for the stream's next event of a type.
func next(t *testing.T, s <-chan sseEvent, typ string) sseEvent {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case ev := <-s:
			if ev.typ == typ {
				return ev
			}
		case <-deadline:
			t.Fatalf("no %q event within 10 s", typ)
		}
	}
}

// flushCancels is a response writer whose first flush cancels the
// request: the browser goes away right as the stream opens.
type flushCancels struct {
	*httptest.ResponseRecorder
	cancel context.CancelFunc
}

func (w flushCancels) Flush() {
	w.cancel()
	w.ResponseRecorder.Flush()
}

// A stream whose page closes before its first counters are read ends: it
// did not, and spun a core until the process ended (and a test server's
// Close waited for it forever).
func TestAStreamClosedBeforeItsFirstCountersEnds(t *testing.T) {
	t.Parallel()
	db := crmtest.MustOpenDB(t)
	ctx := context.Background()
	store := crm.NewStore(db.Pool, nil)
	srv, err := console.New(store, console.Options{Live: 50 * time.Millisecond}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	mux := http.NewServeMux()
	srv.Register(mux)
	for _, p := range []crm.Principal{{Name: "Руководитель", Role: crm.RoleSupervisor}, {Name: "Админ", Role: crm.RoleAdmin}} {
		tok, _, err := store.CreateSession(ctx, p, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		rctx, cancel := context.WithCancel(ctx)
		req := httptest.NewRequestWithContext(rctx, "GET", "/events", nil)
		req.AddCookie(&http.Cookie{Name: "leadd_session", Value: tok})
		w := flushCancels{ResponseRecorder: httptest.NewRecorder(), cancel: cancel}
		done := make(chan struct{})
		go func() { defer close(done); mux.ServeHTTP(w, req) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: the stream of a page gone before its first counters still runs after 10 s", p.Role)
		}
		if w.Code != http.StatusOK {
			t.Errorf("%s: the stream answered %d before the page went", p.Role, w.Code)
		}
	}
}
