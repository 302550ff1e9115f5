package mail

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/leadd/leadd/crm/crmtest"
	"github.com/leadd/leadd/dedupe"
	"github.com/leadd/leadd/ingest"
	"github.com/leadd/leadd/ingest/mail/dovecottest"
)

// rig is one test's Dovecot, database, inbox and log.
type rig struct {
	t     *testing.T
	d     *dovecottest.Server
	db    *crmtest.DB
	inbox *ingest.Inbox
	logs  *syncBuffer
	log   *slog.Logger
}

func newRig(t *testing.T) *rig {
	t.Parallel()
	r := &rig{t: t, d: dovecottest.Start(t), db: crmtest.MustOpenDB(t), logs: &syncBuffer{}}
	r.inbox = ingest.NewInbox(r.db.Pool, nil, 1)
	t.Cleanup(r.inbox.Close)
	r.log = slog.New(slog.NewTextHandler(r.logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("leadd log:\n%s\ndovecot log:\n%s", r.logs.String(), r.d.Logs())
		}
	})
	return r
}

// mailbox returns the declaration of a mailbox on d.
func mailbox(d *dovecottest.Server, name, user, password string) Mailbox {
	mb := Mailbox{Name: name, Host: d.Host(), Port: d.Port(), TLS: TLSNone, Username: user, Password: password}
	mb.Defaults()
	return mb
}

// client returns a client of mb that stores letters in the inbox, and the
// number of letters it has handed over so far.
func (r *rig) client(mb Mailbox) (*Client, *atomic.Int64) {
	var handed atomic.Int64
	store := InboxAccept(r.inbox)
	c := New(mb, r.db.Store, func(ctx context.Context, ev *ingest.Event) error {
		handed.Add(1)
		return store(ctx, ev)
	}, dedupe.Normalizer{Region: "RU"}, r.log, time.Now)
	return c, &handed
}

// run runs the client until the returned stop is called; stop waits for
// Run to return and checks it returned nil.
func (r *rig) run(c *Client) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					r.t.Errorf("Run returned %v, want nil when its context ends", err)
				}
			case <-time.After(10 * time.Second):
				r.t.Error("Run did not return within 10s of its context ending")
			}
		})
	}
	r.t.Cleanup(stop)
	return stop
}

// events counts the events a mailbox stored in the inbox.
func (r *rig) events(mailbox string) int {
	return r.db.Count(r.t, `SELECT count(*) FROM inbox WHERE source = $1`, "mail:"+mailbox)
}

// stored returns the stored events of a mailbox by external id.
func (r *rig) stored(mailbox string) map[string]ingest.Event {
	rows, err := r.db.Pool.Query(context.Background(), `SELECT event FROM inbox WHERE source = $1`, "mail:"+mailbox)
	if err != nil {
		r.t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]ingest.Event{}
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			r.t.Fatal(err)
		}
		var ev ingest.Event
		if err := json.Unmarshal(b, &ev); err != nil {
			r.t.Fatal(err)
		}
		out[ev.ExternalID] = ev
	}
	return out
}

// waitFor waits until cond holds, failing the test after a deadline.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

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

// plainLetter is a simple letter from a person.
func plainLetter(messageID, from, subject, body string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "From: %s\r\nTo: sales@example.com\r\nSubject: %s\r\nDate: %s\r\n", from, subject, time.Now().Format(time.RFC1123Z))
	if messageID != "" {
		fmt.Fprintf(&b, "Message-ID: <%s>\r\n", messageID)
	}
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
	b.WriteString(strings.ReplaceAll(body, "\n", "\r\n"))
	return []byte(b.String())
}

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func gauge(name, mailbox string) float64 {
	families, _ := prometheus.DefaultGatherer.Gather()
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "mailbox" && l.GetValue() == mailbox {
					return m.GetGauge().GetValue()
				}
			}
		}
	}
	return -1
}

func TestEveryLetterOfTheCorpusBecomesItsEventThroughDovecot(t *testing.T) {
	r := newRig(t)
	r.d.AddUser("sales", "s3cret")
	// Each letter reached the mailbox three minutes after its sender
	// dated it: its time is its arrival, as the server keeps it.
	const transit = 3 * time.Minute
	for _, tc := range corpus {
		r.d.DeliverAt("sales", "s3cret", "INBOX", readFile(t, tc.file), tc.want.at.Add(transit))
	}
	mb := mailbox(r.d, "sales", "sales", "s3cret")
	mb.FormNotifications = true
	mb.MaxAttachment = 1024
	c, _ := r.client(mb)
	r.run(c)

	waitFor(t, "every letter in the inbox", func() bool { return r.events("sales") == len(corpus) })
	stored := r.stored("sales")
	for _, tc := range corpus {
		t.Run(tc.file, func(t *testing.T) {
			ev, ok := stored[tc.want.messageID]
			if !ok {
				t.Fatalf("no event with external id %q", tc.want.messageID)
			}
			want := tc.want
			want.at = want.at.Add(transit)
			want.check(t, &ev)
			var raw rawLetter
			if err := json.Unmarshal(ev.Raw, &raw); err != nil || raw.UID == 0 || raw.UIDValidity == 0 || raw.Folder != "INBOX" {
				t.Errorf("raw = %s (%v), want the letter's folder, UIDVALIDITY and UID", ev.Raw, err)
			}
		})
	}
	waitFor(t, "every letter flagged seen", func() bool {
		for _, flags := range r.d.Folder("sales", "s3cret", "INBOX") {
			if !slices.Contains(flags, imap.FlagSeen) {
				return false
			}
		}
		return true
	})
	if st := c.Status(); !st.Connected || st.LastSync.IsZero() || st.LastError != "" {
		t.Errorf("status = %+v, want connected, synced, no error", st)
	}
}

func TestALetterArrivingWhileTheClientIdlesIsTakenAtOnce(t *testing.T) {
	r := newRig(t)
	r.d.AddUser("sales", "s3cret")
	mb := mailbox(r.d, "sales", "sales", "s3cret")
	mb.Poll = time.Hour // only IDLE can bring it within the deadline
	c, _ := r.client(mb)
	r.run(c)
	waitFor(t, "the client connected", func() bool { return c.Status().Connected })

	r.d.Deliver("sales", "s3cret", "INBOX", plainLetter("idle-1@example.com", "Пётр <petr@example.com>", "Вопрос", "Есть ли в наличии?"))
	waitFor(t, "the letter in the inbox", func() bool { return r.events("sales") == 1 })
	if got := gauge("leadd_mailbox_connected", "sales"); got != 1 {
		t.Errorf("leadd_mailbox_connected{mailbox=sales} = %v, want 1", got)
	}
}

func TestWithoutIdleTheFolderIsPolled(t *testing.T) {
	r := newRig(t)
	r.d.AddUser("sales", "s3cret")
	mb := mailbox(r.d, "sales", "sales", "s3cret")
	mb.Poll = 100 * time.Millisecond
	c, _ := r.client(mb)
	c.noIdle = true
	r.run(c)
	waitFor(t, "the client connected", func() bool { return c.Status().Connected })

	r.d.Deliver("sales", "s3cret", "INBOX", plainLetter("poll-1@example.com", "petr@example.com", "Вопрос", "Есть ли в наличии?"))
	waitFor(t, "the letter in the inbox", func() bool { return r.events("sales") == 1 })
}

func TestLettersDeliveredWhileStoppedAreTakenOnceAfterARestart(t *testing.T) {
	r := newRig(t)
	r.d.AddUser("sales", "s3cret")
	mb := mailbox(r.d, "sales", "sales", "s3cret")

	c, handed := r.client(mb)
	stop := r.run(c)
	waitFor(t, "the first start read the empty folder", func() bool { return c.Status().Connected })
	stop()

	for i := 1; i <= 3; i++ {
		r.d.Deliver("sales", "s3cret", "INBOX", plainLetter(fmt.Sprintf("stopped-%d@example.com", i),
			"ivan@example.com", fmt.Sprintf("Письмо %d", i), "Текст"))
	}
	c, handed2 := r.client(mb)
	stop = r.run(c)
	waitFor(t, "three events", func() bool { return r.events("sales") == 3 })
	stop()

	c, handed3 := r.client(mb)
	stop = r.run(c)
	waitFor(t, "the third start read the folder", func() bool { return !c.Status().LastSync.IsZero() })
	stop()

	if n := r.events("sales"); n != 3 {
		t.Errorf("%d events after starting again, want still 3", n)
	}
	if got := handed.Load() + handed2.Load() + handed3.Load(); got != 3 {
		t.Errorf("letters handed to the inbox = %d over three starts, want 3: the position resumes exactly", got)
	}
}

func TestTheFirstStartTakesUnreadLettersNotReadHistory(t *testing.T) {
	r := newRig(t)
	r.d.AddUser("sales", "s3cret")
	r.d.Deliver("sales", "s3cret", "INBOX", plainLetter("old-1@example.com", "a@example.com", "Старое", "прочитано"), imap.FlagSeen)
	r.d.Deliver("sales", "s3cret", "INBOX", plainLetter("unread@example.com", "b@example.com", "Новое", "не прочитано"))
	r.d.Deliver("sales", "s3cret", "INBOX", plainLetter("old-2@example.com", "c@example.com", "Старое", "прочитано"), imap.FlagSeen)

	c, _ := r.client(mailbox(r.d, "sales", "sales", "s3cret"))
	r.run(c)
	waitFor(t, "the first read through", func() bool { return !c.Status().LastSync.IsZero() })
	if got := r.stored("sales"); len(got) != 1 || got["unread@example.com"].ID == "" {
		t.Fatalf("stored %v, want only the unread letter", keys(got))
	}
	r.d.Deliver("sales", "s3cret", "INBOX", plainLetter("after@example.com", "d@example.com", "Ещё", "новое"), imap.FlagSeen)
	waitFor(t, "a letter arriving later, even one read already in webmail", func() bool { return r.events("sales") == 2 })
}

func TestAChangedUIDValidityRereadsTheFolderWithoutDuplicates(t *testing.T) {
	r := newRig(t)
	r.d.AddUser("sales", "s3cret")
	mb := mailbox(r.d, "sales", "sales", "s3cret")
	r.d.Deliver("sales", "s3cret", "INBOX", plainLetter("v-1@example.com", "a@example.com", "Один", "текст"))
	r.d.Deliver("sales", "s3cret", "INBOX", plainLetter("", "b@example.com", "Без Message-ID", "текст"))

	c, handed := r.client(mb)
	stop := r.run(c)
	waitFor(t, "two events", func() bool { return r.events("sales") == 2 })
	stop()
	var validity int64
	if err := r.db.Pool.QueryRow(context.Background(), `SELECT uid_validity FROM mailbox_state WHERE mailbox = 'sales'`).Scan(&validity); err != nil {
		t.Fatal(err)
	}
	// What a server that renumbered the folder looks like from here: the
	// UIDVALIDITY it reports is not the one the position was kept under.
	r.db.Exec(t, `UPDATE mailbox_state SET uid_validity = uid_validity + 1 WHERE mailbox = 'sales'`)

	c, handed2 := r.client(mb)
	r.run(c)
	waitFor(t, "the folder read again", func() bool { return handed2.Load() == 2 })
	r.d.Deliver("sales", "s3cret", "INBOX", plainLetter("v-3@example.com", "c@example.com", "Три", "текст"))
	waitFor(t, "the new letter", func() bool { return r.events("sales") == 3 })

	if got := handed.Load() + handed2.Load(); got != 5 {
		t.Errorf("letters handed over = %d, want 2 + 2 read again + 1 new", got)
	}
	var now int64
	if err := r.db.Pool.QueryRow(context.Background(), `SELECT uid_validity FROM mailbox_state WHERE mailbox = 'sales'`).Scan(&now); err != nil {
		t.Fatal(err)
	}
	if now != validity {
		t.Errorf("uid_validity = %d, want the server's %d again", now, validity)
	}
	if !strings.Contains(r.logs.String(), "UIDVALIDITY changed") {
		t.Errorf("the log does not tell of the UIDVALIDITY change")
	}
}

func TestTheClientReconnectsWhenDovecotRestarts(t *testing.T) {
	r := newRig(t)
	r.d.AddUser("sales", "s3cret")
	mb := mailbox(r.d, "sales", "sales", "s3cret")
	mb.Poll = time.Hour
	c, _ := r.client(mb)
	r.run(c)
	waitFor(t, "the client connected", func() bool { return c.Status().Connected })

	r.d.Stop()
	waitFor(t, "the client noticed", func() bool { return !c.Status().Connected })
	if st := c.Status(); st.LastError == "" {
		t.Errorf("status = %+v, want the lost connection in last_error", st)
	}
	r.d.Start()
	waitFor(t, "the client connected again", func() bool { return c.Status().Connected })

	r.d.Deliver("sales", "s3cret", "INBOX", plainLetter("after-restart@example.com", "ivan@example.com", "Снова", "текст"))
	waitFor(t, "the letter after the restart", func() bool { return r.events("sales") == 1 })
	if st := c.Status(); st.LastError != "" {
		t.Errorf("status = %+v, want last_error cleared once reading again", st)
	}
}

func TestAWrongPasswordIsReportedAndOtherMailboxesGoOn(t *testing.T) {
	r := newRig(t)
	r.d.AddUser("sales", "s3cret")
	r.d.AddUser("support", "right")
	good, _ := r.client(mailbox(r.d, "sales", "sales", "s3cret"))
	bad, _ := r.client(mailbox(r.d, "support", "support", "wrong"))
	r.run(good)
	r.run(bad)

	waitFor(t, "the refused login in the status", func() bool { return bad.Status().LastError != "" })
	st := bad.Status()
	if st.Connected || !strings.Contains(st.LastError, "login as support") || !strings.Contains(st.LastError, "AUTHENTICATIONFAILED") {
		t.Errorf("status = %+v, want not connected and the refused login in last_error", st)
	}
	waitFor(t, "the refused login in the log", func() bool {
		return strings.Contains(r.logs.String(), `msg="mailbox login failed; check the mailbox settings" mailbox=support`)
	})
	waitFor(t, "the refused login recorded in mailbox_state", func() bool {
		return r.db.Count(t, `SELECT count(*) FROM mailbox_state WHERE mailbox = 'support' AND NOT connected
			AND last_error LIKE '%AUTHENTICATIONFAILED%'`) == 1
	})

	// Dovecot slows every login from an address that failed one (its auth
	// penalty, 2 s and up): the good mailbox connects, a few seconds late.
	r.d.Deliver("sales", "s3cret", "INBOX", plainLetter("good@example.com", "ivan@example.com", "Заявка", "текст"))
	waitFor(t, "the other mailbox's letter", func() bool { return r.events("sales") == 1 })
	if !good.Status().Connected {
		t.Errorf("the mailbox with the right password is not connected")
	}
	if got := gauge("leadd_mailbox_connected", "support"); got != 0 {
		t.Errorf("leadd_mailbox_connected{mailbox=support} = %v, want 0", got)
	}
}

func TestProcessedLettersAreMovedWhenSoDeclared(t *testing.T) {
	r := newRig(t)
	r.d.AddUser("sales", "s3cret")
	mb := mailbox(r.d, "sales", "sales", "s3cret")
	mb.OnProcessed, mb.MoveTo = ProcessedMove, "Leadd"
	r.d.Deliver("sales", "s3cret", "INBOX", plainLetter("move-1@example.com", "ivan@example.com", "Заявка", "текст"))
	c, _ := r.client(mb)
	r.run(c)

	waitFor(t, "the event", func() bool { return r.events("sales") == 1 })
	waitFor(t, "the letter moved", func() bool {
		return len(r.d.Folder("sales", "s3cret", "INBOX")) == 0 && len(r.d.Folder("sales", "s3cret", "Leadd")) == 1
	})
	r.d.Deliver("sales", "s3cret", "INBOX", plainLetter("move-2@example.com", "ivan@example.com", "Ещё", "текст"))
	waitFor(t, "the second letter moved too", func() bool { return len(r.d.Folder("sales", "s3cret", "Leadd")) == 2 })
	if n := r.events("sales"); n != 2 {
		t.Errorf("%d events, want 2", n)
	}
}

func TestABrokenLetterDoesNotStopTheMailbox(t *testing.T) {
	r := newRig(t)
	r.d.AddUser("sales", "s3cret")
	broken := []byte("From: =?x-unknown?B?AAAA?= <ivan@example.com>\r\nthis line is not a header\r\n" +
		"Subject: \xd1\xf7\xb8\xf2 \xed\xe0 \xee\xef\xeb\xe0\xf2\xf3\r\nContent-Type: text/plain; charset=x-unknown\r\n\r\n" +
		"\xcf\xf0\xe8\xe2\xe5\xf2, \xf2\xe5\xeb. 8 912 345-67-89\r\n")
	// Postgres refuses invalid UTF-8 in text and a NUL in jsonb: an 8-bit
	// Message-ID and a NUL inside a base64 body must still be stored.
	unstorable := []byte("From: petr@example.com\r\nMessage-ID: <\xcf\xf0@example.com>\r\nSubject: nul\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
		base64.StdEncoding.EncodeToString([]byte("до\x00после")) + "\r\n")
	r.d.Deliver("sales", "s3cret", "INBOX", broken)
	r.d.Deliver("sales", "s3cret", "INBOX", unstorable)
	r.d.Deliver("sales", "s3cret", "INBOX", plainLetter("fine@example.com", "petr@example.com", "Заявка", "текст"))
	c, _ := r.client(mailbox(r.d, "sales", "sales", "s3cret"))
	r.run(c)

	waitFor(t, "all three letters", func() bool { return r.events("sales") == 3 })
	stored := r.stored("sales")
	if ev := stored["\uFFFD@example.com"]; ev.Touch.Text != "nul\n\nдопосле" {
		t.Errorf("the letter with a NUL: %q in %v", ev.Touch.Text, keys(stored))
	}
	for id, ev := range stored {
		if id == "fine@example.com" || id == "\uFFFD@example.com" {
			continue
		}
		if !strings.HasPrefix(id, "sha256:") {
			t.Errorf("external id %q, want a hash for a letter without Message-ID", id)
		}
		in := ev.Touch
		if !strings.Contains(in.Text, "Счёт на оплату") || !strings.Contains(in.Text, "Привет, тел. 8 912 345-67-89") {
			t.Errorf("text %q, want the Windows-1251 subject and body read", in.Text)
		}
		if !slices.Equal(in.Phones, []string{"+79123456789"}) || !slices.Equal(in.Emails, []string{"ivan@example.com"}) {
			t.Errorf("phones %v, emails %v", in.Phones, in.Emails)
		}
	}
}

func TestTheLogMasksWhoWrote(t *testing.T) {
	r := newRig(t)
	r.d.AddUser("sales", "s3cret")
	r.d.Deliver("sales", "s3cret", "INBOX", readFile(t, "01-gmail-cyrillic-subject.eml"))
	c, _ := r.client(mailbox(r.d, "sales", "sales", "s3cret"))
	r.run(c)
	waitFor(t, "the letter logged", func() bool { return strings.Contains(r.logs.String(), "letter taken") })

	logs := r.logs.String()
	if !strings.Contains(logs, "from=i***@example.com") || !strings.Contains(logs, "phone=+7********89") {
		t.Errorf("log lacks the masked sender and phone:\n%s", logs)
	}
	for _, secret := range []string{"ivan.petrov@", "9123456789", "s3cret"} {
		if strings.Contains(logs, secret) {
			t.Errorf("log shows %q at info level:\n%s", secret, logs)
		}
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
