// Package mail is the mailbox adapter: it reads IMAP mailboxes and turns
// every letter into one ingest.Event — the person from the sender (or
// from a form notification's lines), the subject and text, the thread it
// answers, its attachments — and marks machine mail (auto-replies,
// bounces, lists) so it opens no lead.
//
// Each mailbox is one Client with its own connection: one failing never
// stops the others. A letter is handed to Accept (the inbox) before it is
// flagged \Seen or moved and before the reading position advances in
// Postgres, so nothing is missed; the inbox's key (source and Message-ID)
// makes a letter read twice one event, so nothing counts twice.
package mail

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/dedupe"
	"github.com/leadd/leadd/ingest"
)

// Accept stores one letter's event durably; it returns nil only once the
// event is committed (a duplicate included).
type Accept func(ctx context.Context, ev *ingest.Event) error

// Inbox is where InboxAccept stores events.
type Inbox interface {
	Accept(ctx context.Context, ev *ingest.Event, hash []byte) (id string, duplicate bool, err error)
}

var _ Inbox = (*ingest.Inbox)(nil)

// InboxAccept returns the Accept that stores events in inbox and counts
// them in leadd_intake_total like every adapter's.
func InboxAccept(inbox Inbox) Accept {
	return func(ctx context.Context, ev *ingest.Event) error {
		start := time.Now()
		// No body hash: a letter read again is the same letter, and a
		// sender who reuses a Message-ID must not stop the mailbox.
		_, dup, err := inbox.Accept(ctx, ev, nil)
		result := "accepted"
		switch {
		case err != nil:
			result = "rejected_" + crm.ErrorCode(err)
		case dup:
			result = "duplicate"
		}
		ingest.Accepted.WithLabelValues(ev.Source, result).Inc()
		ingest.AcceptSeconds.WithLabelValues(ev.Source).Observe(time.Since(start).Seconds())
		return err
	}
}

// Status is how a mailbox is doing, for /readyz.
type Status struct {
	Mailbox   string    `json:"mailbox"`
	Connected bool      `json:"connected"`
	LastSync  time.Time `json:"last_sync,omitzero"` // when the folder was last read through
	LastError string    `json:"last_error,omitempty"`
}

// Client reads one mailbox.
type Client struct {
	mb     Mailbox
	state  stateStore
	accept Accept
	norm   dedupe.Normalizer
	log    *slog.Logger
	now    func() time.Time

	mu     sync.Mutex
	status Status

	// The company's people, with the managers' addresses as last read
	// (only the session's goroutine uses them).
	co   company
	coAt time.Time

	// Timing, fixed outside tests.
	minBackoff, maxBackoff time.Duration
	idleRecheck            time.Duration // how long one IDLE lasts before a look of our own
	noIdle                 bool          // poll even where the server can IDLE
}

// New returns the client of mailbox mb, which must have passed Validate;
// store keeps its reading position and knows the managers' addresses,
// accept takes each letter's event.
func New(mb Mailbox, store Store, accept Accept, norm dedupe.Normalizer, log *slog.Logger, now func() time.Time) *Client {
	mb.Defaults()
	return &Client{
		mb: mb, state: stateStore{store: store, mailbox: mb.Name}, accept: accept, norm: norm,
		log: log.With("mailbox", mb.Name), now: now,
		status:     Status{Mailbox: mb.Name},
		minBackoff: time.Second, maxBackoff: time.Minute, idleRecheck: 5 * time.Minute,
	}
}

// Status returns how the mailbox is doing now.
func (c *Client) Status() Status {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.status
}

// Run reads the mailbox until ctx ends, then returns nil. It never gives
// up on its own: a lost connection, a refused login or an unavailable
// database is logged, shown in Status and retried with backoff (1s
// doubling to 1 min).
func (c *Client) Run(ctx context.Context) error {
	connectedGauge.WithLabelValues(c.mb.Name).Set(0)
	backoff := c.minBackoff
	for {
		synced, err := c.session(ctx)
		if ctx.Err() != nil {
			c.setStatus(func(s *Status) { s.Connected = false })
			return nil
		}
		if synced {
			backoff = c.minBackoff
		}
		if err == nil {
			err = errors.New("the session ended") // not reached: a session ends by an error
		}
		wait := backoff + time.Duration(rand.Int64N(int64(backoff)/5+1))
		c.failed(err, wait)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			c.setStatus(func(s *Status) { s.Connected = false })
			return nil
		case <-t.C:
		}
		backoff = min(backoff*2, c.maxBackoff)
	}
}

// shutdownGrace is how long a letter being taken may take to be marked
// and recorded once the client is asked to stop.
const shutdownGrace = 5 * time.Second

// stageError names where a session failed.
type stageError struct {
	stage string
	err   error
}

func (e *stageError) Error() string { return e.err.Error() }
func (e *stageError) Unwrap() error { return e.err }

func fail(stage string, err error) error {
	if err == nil {
		return nil
	}
	return &stageError{stage: stage, err: err}
}

func (c *Client) failed(err error, retry time.Duration) {
	stage := "read"
	var se *stageError
	if errors.As(err, &se) {
		stage = se.stage
	}
	errorsTotal.WithLabelValues(c.mb.Name, stage).Inc()
	msg := "mailbox failed; retrying"
	level := slog.LevelWarn
	if stage == "login" || stage == "select" {
		// Not fixed by waiting: someone has to change the configuration
		// or the server.
		msg, level = "mailbox "+stage+" failed; check the mailbox settings", slog.LevelError
	}
	c.log.Log(context.Background(), level, msg, "stage", stage, "err", err, "retry_in", retry.Round(time.Second))
	c.setStatus(func(s *Status) { s.Connected, s.LastError = false, err.Error() })
}

// setStatus changes the status and records it in Postgres for operators
// and other replicas; failing to record it is logged, not fatal.
func (c *Client) setStatus(change func(*Status)) {
	c.mu.Lock()
	change(&c.status)
	st := c.status
	c.mu.Unlock()
	v := 0.0
	if st.Connected {
		v = 1
	}
	connectedGauge.WithLabelValues(c.mb.Name).Set(v)
	if !st.LastSync.IsZero() {
		lastSyncGauge.WithLabelValues(c.mb.Name).Set(float64(st.LastSync.Unix()))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.state.status(ctx, st); err != nil {
		c.log.Warn("mailbox status not recorded", "err", err)
	}
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

// companyRefresh is how often the managers' addresses are read again: a
// manager added in the console is known within a minute.
const companyRefresh = time.Minute

// company returns the company's people, reading the managers' addresses
// again when they are older than companyRefresh. When they cannot be
// read, the ones known are used and the failure is logged.
func (c *Client) company(ctx context.Context) company {
	if !c.coAt.IsZero() && c.now().Sub(c.coAt) < companyRefresh {
		return c.co
	}
	emails, err := c.state.store.ManagerEmails(ctx)
	if err != nil {
		c.log.Warn("managers' addresses not read; using the ones known", "err", err)
		if c.co.addrs == nil {
			return c.mb.company(nil)
		}
		return c.co
	}
	c.co, c.coAt = c.mb.company(emails), c.now()
	return c.co
}
