package asterisk

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/telephony"
)

// arrival is the test clock: events without a Timestamp field happen then.
var arrival = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

func ts(s string) time.Time {
	t, ok := eventTime(message{"timestamp": s})
	if !ok {
		panic("bad timestamp " + s)
	}
	return t
}

// The calls the recorded sessions in testdata hold.
var (
	inboundAnswered = []telephony.Call{
		{ID: "1714560000.101", State: "ringing", Direction: "in", From: "79161234567", To: "74951234567", Extension: "201", At: ts("1714560000.5")},
		{ID: "1714560000.101", State: "answered", Direction: "in", From: "79161234567", To: "74951234567", Extension: "201", At: ts("1714560008.25")},
		{ID: "1714560000.101", State: "ended", Direction: "in", From: "79161234567", To: "74951234567", Extension: "201",
			Duration: 67, Disposition: "answered", At: ts("1714560075.4")},
	}
	inboundMissed = []telephony.Call{
		{ID: "1714560100.201", State: "ringing", Direction: "in", From: "+79031112233", To: "74951234567", Extension: "202", At: ts("1714560100.2")},
		{ID: "1714560100.201", State: "ended", Direction: "in", From: "+79031112233", To: "74951234567", Extension: "202",
			Disposition: "no_answer", At: ts("1714560121")},
	}
	outbound = []telephony.Call{
		{ID: "1714560200.301", State: "ringing", Direction: "out", From: "74951234567", To: "89161234567", Extension: "201", At: ts("1714560200.7")},
		{ID: "1714560200.301", State: "answered", Direction: "out", From: "74951234567", To: "89161234567", Extension: "201", At: ts("1714560212")},
		{ID: "1714560200.301", State: "ended", Direction: "out", From: "74951234567", To: "89161234567", Extension: "201",
			Duration: 30, Disposition: "answered", At: ts("1714560242")},
	}
	// busy has no Timestamp fields: its events happen when they arrive.
	busy = []telephony.Call{
		{ID: "1714560300.401", State: "ringing", Direction: "in", From: "79261112233", To: "74951234567", Extension: "203", At: arrival},
		{ID: "1714560300.401", State: "ended", Direction: "in", From: "79261112233", To: "74951234567", Extension: "203",
			Disposition: "busy", At: arrival},
	}
)

// testClient is a Client wired to a channel of accepted calls and a log
// the test can read.
type testClient struct {
	*Client
	calls chan telephony.Call
	logs  *syncBuffer
}

func newTestClient(addr, secret string) *testClient {
	tc := &testClient{calls: make(chan telephony.Call, 100), logs: &syncBuffer{}}
	tc.Client = &Client{
		Addr: addr, Username: "leadd", Secret: secret,
		Lines: []string{"+7 495 123-45-67"},
		Accept: func(ctx context.Context, c telephony.Call) error {
			tc.calls <- c
			return nil
		},
		Log:     slog.New(slog.NewTextHandler(tc.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Backoff: Backoff{Min: 5 * time.Millisecond, Max: 40 * time.Millisecond},
		Now:     func() time.Time { return arrival },
	}
	return tc
}

// run starts Run and returns a stop that ends its context and checks that
// Run returns nil; the test's cleanup stops it too.
func (tc *testClient) run(t *testing.T) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- tc.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run returned %v when its context ended, want nil", err)
				}
			case <-time.After(5 * time.Second):
				t.Error("Run did not return when its context ended")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// collect waits for n accepted calls.
func (tc *testClient) collect(t *testing.T, n int) []telephony.Call {
	t.Helper()
	var got []telephony.Call
	deadline := time.After(5 * time.Second)
	for len(got) < n {
		select {
		case c := <-tc.calls:
			got = append(got, c)
		case <-deadline:
			t.Fatalf("got %d calls, want %d: %+v\nlog:\n%s", len(got), n, got, tc.logs)
		}
	}
	return got
}

// waitLogins waits for n Login actions at the peer and returns whether
// each was accepted.
func waitLogins(t *testing.T, p *amiPeer, n int) []bool {
	t.Helper()
	var got []bool
	deadline := time.After(5 * time.Second)
	for len(got) < n {
		select {
		case ok := <-p.logins:
			got = append(got, ok)
		case <-deadline:
			t.Fatalf("the peer saw %d logins, want %d", len(got), n)
		}
	}
	return got
}

func concat(lists ...[]telephony.Call) []telephony.Call {
	var all []telephony.Call
	for _, l := range lists {
		all = append(all, l...)
	}
	return all
}

func TestClientReportsTheCallsOfARecordedSession(t *testing.T) {
	p := startPeer(t, "leadd", "s3cret", func(n int, s *amiSession) {
		if s.login() && s.replay("inbound_answered.ami", "internal.ami", "inbound_missed.ami", "outbound.ami") {
			s.hold(true)
		}
	})
	tc := newTestClient(p.addr(), "s3cret")
	stop := tc.run(t)

	want := concat(inboundAnswered, inboundMissed, outbound)
	got := tc.collect(t, len(want))
	if diff := diffCalls(want, got); diff != "" {
		t.Errorf("calls:\n%s", diff)
	}
	for _, c := range got {
		if err := c.Validate(); err != nil {
			t.Errorf("call %s %s does not validate: %v", c.ID, c.State, err)
		}
	}
	stop()
	if n := len(tc.calls); n != 0 {
		t.Errorf("%d calls more than the session holds (the internal call must not be reported)", n)
	}
	if logins := waitLogins(t, p, 1); !logins[0] {
		t.Error("the login was refused")
	}
}

func TestClientReconnectsAndLogsInAgainWhenTheConnectionDrops(t *testing.T) {
	p := startPeer(t, "leadd", "s3cret", func(n int, s *amiSession) {
		if !s.login() {
			return
		}
		if n == 1 {
			s.replay("busy_before_drop.ami")
			return // the peer closes the socket in the middle of a call
		}
		if s.replay("busy_after_drop.ami", "outbound.ami") {
			s.hold(true)
		}
	})
	tc := newTestClient(p.addr(), "s3cret")
	stop := tc.run(t)

	want := concat(busy, outbound)
	got := tc.collect(t, len(want))
	if diff := diffCalls(want, got); diff != "" {
		t.Errorf("calls:\n%s", diff)
	}
	stop()
	if got := waitLogins(t, p, 2); !reflect.DeepEqual(got, []bool{true, true}) {
		t.Errorf("logins accepted %v, want [true true]", got)
	}
	if n := len(p.logins); n != 0 {
		t.Errorf("%d logins more than the two connections", n)
	}
	if !strings.Contains(tc.logs.String(), "asterisk manager connection lost") {
		t.Errorf("the drop is not logged:\n%s", tc.logs)
	}
}

func TestClientLogsAWrongSecretAndTriesAgain(t *testing.T) {
	p := startPeer(t, "leadd", "s3cret", func(n int, s *amiSession) { s.login() })
	tc := newTestClient(p.addr(), "wrong")
	stop := tc.run(t)

	if got := waitLogins(t, p, 3); !reflect.DeepEqual(got, []bool{false, false, false}) {
		t.Errorf("logins accepted %v, want three refused", got)
	}
	stop()
	logs := tc.logs.String()
	if !strings.Contains(logs, `level=ERROR msg="asterisk manager login failed`) || !strings.Contains(logs, "Authentication failed") {
		t.Errorf("the refused login is not logged as an error with Asterisk's message:\n%s", logs)
	}
	if strings.Contains(logs, "wrong") {
		t.Errorf("the secret is in the log:\n%s", logs)
	}
	if n := len(tc.calls); n != 0 {
		t.Errorf("%d calls without a login", n)
	}
}

func TestClientNoticesAConnectionThatFallsSilent(t *testing.T) {
	p := startPeer(t, "leadd", "s3cret", func(n int, s *amiSession) {
		if !s.login() {
			return
		}
		if n == 1 {
			s.hold(false) // never answers a Ping, never closes
			return
		}
		if s.replay("outbound.ami") {
			s.hold(true)
		}
	})
	tc := newTestClient(p.addr(), "s3cret")
	tc.Ping = 50 * time.Millisecond
	stop := tc.run(t)

	got := tc.collect(t, len(outbound))
	if diff := diffCalls(outbound, got); diff != "" {
		t.Errorf("calls:\n%s", diff)
	}
	stop()
	if logins := waitLogins(t, p, 2); !logins[0] || !logins[1] {
		t.Errorf("logins %v, want two accepted", logins)
	}
	if !strings.Contains(tc.logs.String(), "no word from asterisk") {
		t.Errorf("the silent connection is not logged:\n%s", tc.logs)
	}
}

func TestClientRetriesAcceptOnlyForErrorsThatMayPass(t *testing.T) {
	p := startPeer(t, "leadd", "s3cret", func(n int, s *amiSession) {
		if s.login() && s.replay("inbound_missed.ami") {
			s.hold(true)
		}
	})
	tc := newTestClient(p.addr(), "s3cret")
	attempts := make(chan string, 10)
	failed := false
	tc.Accept = func(ctx context.Context, c telephony.Call) error {
		attempts <- c.State
		switch {
		case c.State == telephony.Ringing && !failed:
			failed = true
			return errors.New("the database is away")
		case c.State == telephony.Ended:
			return crm.Invalid("from", "the client's number is missing")
		}
		return nil
	}
	stop := tc.run(t)

	var got []string
	deadline := time.After(5 * time.Second)
	for len(got) < 3 {
		select {
		case s := <-attempts:
			got = append(got, s)
		case <-deadline:
			t.Fatalf("Accept was called for %v, want 3 attempts", got)
		}
	}
	stop()
	if want := []string{"ringing", "ringing", "ended"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Accept was called for %v, want %v", got, want)
	}
	if n := len(attempts); n != 0 {
		t.Errorf("%d attempts more: an invalid call is retried", n)
	}
	if logs := tc.logs.String(); !strings.Contains(logs, `msg="call event dropped" provider=asterisk`) || !strings.Contains(logs, "code=invalid") {
		t.Errorf("the invalid call is not logged as dropped:\n%s", logs)
	}
}

func TestRunRefusesAnIncompleteConfiguration(t *testing.T) {
	accept := func(context.Context, telephony.Call) error { return nil }
	tests := []struct {
		name  string
		c     Client
		field string
	}{
		{"no address", Client{Username: "leadd", Accept: accept}, "asterisk.addr"},
		{"no username", Client{Addr: "pbx:5038", Accept: accept}, "asterisk.username"},
		{"a secret of two lines", Client{Addr: "pbx:5038", Username: "leadd", Secret: "a\r\nAction: Originate", Accept: accept}, "asterisk.secret"},
		{"a backoff upside down", Client{Addr: "pbx:5038", Username: "leadd", Accept: accept,
			Backoff: Backoff{Min: time.Minute, Max: time.Second}}, "asterisk.backoff"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.c.Run(t.Context())
			var e *crm.Error
			if !errors.As(err, &e) || e.Code != crm.EINVALID || e.Field != tt.field {
				t.Errorf("Run = %v, want invalid %s", err, tt.field)
			}
		})
	}
	if err := (&Client{Addr: "pbx:5038", Username: "leadd"}).Run(t.Context()); err == nil {
		t.Error("Run without Accept returned nil")
	}
}

// syncBuffer is a log sink the client's goroutine writes while the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// diffCalls describes how got differs from want, or returns "".
func diffCalls(want, got []telephony.Call) string {
	var b strings.Builder
	for i := range max(len(want), len(got)) {
		var w, g telephony.Call
		if i < len(want) {
			w = want[i]
		}
		if i < len(got) {
			g = got[i]
		}
		wa, ga := w.At, g.At
		w.At, g.At = time.Time{}, time.Time{}
		if w != g || !wa.Equal(ga) {
			fmt.Fprintf(&b, "#%d\n  want %+v at %s\n  got  %+v at %s\n", i, w, wa.Format(time.RFC3339Nano), g, ga.Format(time.RFC3339Nano))
		}
	}
	return b.String()
}

// A call that never reaches Dial() — an unregistered endpoint (only
// DIALSTATUS=CHANUNAVAIL tells) — is an inbound call that failed, on the
// line dialled, though the context is the PBX's own name and no lines are
// configured.
func TestClientReportsACallThatNeverReachedDial(t *testing.T) {
	p := startPeer(t, "leadd", "s3cret", func(n int, s *amiSession) {
		if s.login() && s.replay("unavailable.ami") {
			s.hold(true)
		}
	})
	tc := newTestClient(p.addr(), "s3cret")
	stop := tc.run(t)
	defer stop()
	want := []telephony.Call{{ID: "1714563000.301", State: telephony.Ended, Direction: "in", From: "+79031112244", To: "74951234568",
		Disposition: "failed", At: ts("1714563000.400000")}}
	if diff := diffCalls(want, tc.collect(t, 1)); diff != "" {
		t.Errorf("calls:\n%s", diff)
	}
}

// A Hangup lost while the connection was down does not leave the call open
// for ever: after the reconnect, what CoreShowChannels no longer lists is
// ended, dated by the PBX.
func TestClientEndsWhatWentAwayWhileDisconnected(t *testing.T) {
	asked := make(chan bool, 4)
	p := startPeer(t, "leadd", "s3cret", func(n int, s *amiSession) {
		if !s.login() {
			return
		}
		if n == 1 {
			s.replay("ivr_answered.ami")
			return // dropped before the Hangup
		}
		h, err := s.r.ReadMIMEHeader()
		asked <- err == nil && h.Get("Action") == "CoreShowChannels" && h.Get("ActionID") == "leadd-reconcile"
		if s.replay("ivr_answered_coreshowchannels.ami") {
			s.hold(true)
		}
	})
	tc := newTestClient(p.addr(), "s3cret")
	stop := tc.run(t)
	defer stop()
	want := []telephony.Call{{ID: "1714563100.311", State: telephony.Ended, Direction: "in", From: "89031112255", To: "74951234568",
		Disposition: "cancelled", At: ts("1714563160.000000")}}
	if diff := diffCalls(want, tc.collect(t, 1)); diff != "" {
		t.Errorf("calls:\n%s", diff)
	}
	if !<-asked {
		t.Error("the client did not ask for the channels after the reconnect")
	}
}
