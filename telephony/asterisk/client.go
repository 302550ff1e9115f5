// Package asterisk reads calls from a self-hosted Asterisk or FreePBX over
// the Asterisk Manager Interface (AMI), since such a PBX posts no
// webhooks: a long-running Client logs in to the manager port, follows
// the call events and hands each call state to Accept.
//
// The protocol and fields, as documented by the Asterisk project:
//   - AMI is "Key: Value" lines ended by CRLF, a packet ended by a blank
//     line; the server greets with "Asterisk Call Manager/x.y"; a Login
//     action (Username, Secret, Events) is answered "Response: Success" or
//     "Response: Error" / "Message: Authentication failed", after which
//     Asterisk closes the socket
//     (docs.asterisk.org/Configuration/Interfaces/Asterisk-Manager-Interface-AMI/The-Asterisk-Manager-TCP-IP-API;
//     a recorded login: gist.github.com/marrold/652ca6afc0a1d551332cdbff6cae2099;
//     asterisk-java's LoginAction documents the failure).
//   - DialBegin, DialEnd, Hangup, Newchannel and their fields
//     (docs.asterisk.org/Asterisk_20_Documentation/API_Documentation/AMI_Events/DialBegin,
//     …/DialEnd, …/Hangup; asterisk/asterisk main/manager_channels.c,
//     which prints them): the calling channel's snapshot (Channel,
//     CallerIDNum, Context, Exten, Uniqueid, Linkedid…), the dialled one's
//     with a Dest prefix, DialString; DialEnd's DialStatus is one of
//     ANSWER, BUSY, CANCEL, CHANUNAVAIL, CONGESTION, NOANSWER (app_dial's
//     DIALSTATUS adds DONTCALL, TORTURE, INVALIDARGS); Hangup carries
//     Cause and Cause-txt. Intermediate states (RINGING, PROGRESS) come as
//     DialState, which is not needed here.
//   - Linkedid: "Uniqueid of the oldest channel associated with this
//     channel" (the same pages; MASTER_CHANNEL's page calls that channel
//     the master channel), hence one call = one Linkedid and its
//     originating channel is the one whose Uniqueid equals it.
//   - Timestamp: added to events (not responses) by timestampevents = yes
//     in manager.conf (configs/samples/manager.conf.sample).
//
// testdata/README.md lists the same sources next to the sessions the
// tests replay.
package asterisk

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/telephony"
)

// Defaults of the Client's optional fields.
const (
	DefaultBackoffMin      = time.Second
	DefaultBackoffMax      = 30 * time.Second
	DefaultPing            = 30 * time.Second
	DefaultExtensionDigits = 5
)

// reconcileID marks the CoreShowChannels sent after each login.
const reconcileID = "leadd-reconcile"

// handshakeTimeout bounds connecting, the banner and the login.
const handshakeTimeout = 10 * time.Second

// acceptAttempts is how often a call state is offered to Accept when it
// fails for a reason that may pass (the database away).
const acceptAttempts = 3

// Backoff is the wait between connection attempts: Min after a session
// that had logged in, doubling on each failure up to Max.
type Backoff struct {
	Min, Max time.Duration
}

// Client follows one Asterisk's calls over AMI.
type Client struct {
	Addr     string // host:port of the manager interface (port 5038 by default)
	Username string // a manager.conf user with read = call
	Secret   string
	// Lines are the company's external numbers (DIDs); optional, they
	// help tell inbound from outbound calls where contexts do not.
	Lines []string
	// ExtensionDigits is the longest internal extension number; longer
	// numbers are outside ones. 0: DefaultExtensionDigits.
	ExtensionDigits int
	// Accept receives each call state once, in order.
	Accept  func(ctx context.Context, c telephony.Call) error
	Log     *slog.Logger  // nil: slog.Default()
	Backoff Backoff       // zero fields: DefaultBackoffMin, DefaultBackoffMax
	Ping    time.Duration // how often to ping Asterisk to notice a dead link; 0: DefaultPing, negative: never
	Now     func() time.Time
}

// Run connects, logs in and reports calls until ctx ends, then returns
// nil. A refused login, a lost connection or a silent peer are logged and
// retried with backoff. Errors: EINVALID naming the setting for a
// configuration it cannot run with.
func (c *Client) Run(ctx context.Context) error {
	if err := c.validate(); err != nil {
		return err
	}
	log := c.Log
	if log == nil {
		log = slog.Default()
	}
	log = log.With("provider", "asterisk", "addr", c.Addr)
	t := newTracker(numbers{lines: c.Lines, extLen: c.extensionDigits()})
	bmin, bmax := c.backoff()
	wait := bmin
	for {
		loggedIn, err := c.session(ctx, log, t)
		if ctx.Err() != nil {
			return nil
		}
		if loggedIn {
			wait = bmin
		}
		switch {
		case crm.ErrorCode(err) == crm.EUNAUTHORIZED:
			log.Error("asterisk manager login failed: check the username and secret against manager.conf",
				"username", c.Username, "err", err, "retry_in", wait)
		case loggedIn:
			log.Warn("asterisk manager connection lost", "err", err, "retry_in", wait)
		default:
			log.Warn("cannot reach the asterisk manager", "err", err, "retry_in", wait)
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil
		case <-timer.C:
		}
		wait = min(2*wait, bmax)
	}
}

func (c *Client) validate() error {
	switch {
	case strings.TrimSpace(c.Addr) == "":
		return crm.Invalid("asterisk.addr", "is required (host:port of the manager interface)")
	case strings.TrimSpace(c.Username) == "":
		return crm.Invalid("asterisk.username", "is required")
	case strings.ContainsAny(c.Username, "\r\n"):
		return crm.Invalid("asterisk.username", "must be one line")
	case strings.ContainsAny(c.Secret, "\r\n"):
		return crm.Invalid("asterisk.secret", "must be one line")
	case c.ExtensionDigits < 0:
		return crm.Invalid("asterisk.extension_digits", "must not be negative")
	case c.Accept == nil:
		return errors.New("asterisk: Client.Accept is nil")
	}
	if bmin, bmax := c.backoff(); bmin > bmax {
		return crm.Invalid("asterisk.backoff", "min %s is above max %s", bmin, bmax)
	}
	return nil
}

func (c *Client) backoff() (time.Duration, time.Duration) {
	bmin, bmax := c.Backoff.Min, c.Backoff.Max
	if bmin <= 0 {
		bmin = DefaultBackoffMin
	}
	if bmax <= 0 {
		bmax = max(DefaultBackoffMax, bmin)
	}
	return bmin, bmax
}

func (c *Client) extensionDigits() int {
	if c.ExtensionDigits == 0 {
		return DefaultExtensionDigits
	}
	return c.ExtensionDigits
}

func (c *Client) ping() time.Duration {
	if c.Ping == 0 {
		return DefaultPing
	}
	return c.Ping
}

func (c *Client) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// session is one connection: it reports whether it logged in, and why it
// ended.
func (c *Client) session(ctx context.Context, log *slog.Logger, t *tracker) (loggedIn bool, err error) {
	d := net.Dialer{Timeout: handshakeTimeout}
	conn, err := d.DialContext(ctx, "tcp", c.Addr)
	if err != nil {
		return false, err
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() {
		cancel()
		conn.Close()
		wg.Wait() // the pinger has stopped when session returns
	}()
	context.AfterFunc(ctx, func() { conn.Close() }) // unblocks a read when Run's ctx ends

	r := bufio.NewReaderSize(conn, maxLine)
	version, err := c.login(conn, r)
	if err != nil {
		return false, err
	}
	log.Info("asterisk manager connected", "version", version)
	// Hangups missed while the connection was down leave calls open:
	// ask which channels are still up and end the rest.
	t.session++
	if err := writeAction(conn, "CoreShowChannels", "ActionID", reconcileID); err != nil {
		return true, fmt.Errorf("ask for the channels: %w", err)
	}
	live := map[string]bool{}

	ping := c.ping()
	if ping > 0 {
		wg.Go(func() { keepalive(ctx, conn, ping) })
	}
	for {
		if ping > 0 {
			conn.SetReadDeadline(time.Now().Add(2 * ping))
		}
		m, err := readMessage(r)
		if err != nil {
			switch {
			case errors.Is(err, os.ErrDeadlineExceeded):
				err = fmt.Errorf("no word from asterisk in %s: %w", 2*ping, err)
			case errors.Is(err, io.EOF):
				err = fmt.Errorf("asterisk closed the connection: %w", err)
			}
			return true, err
		}
		if m["event"] == "" {
			continue // a response: Pong, CoreShowChannels' "list will follow"
		}
		at, ok := eventTime(m)
		if !ok {
			at = c.now()
		}
		calls := t.handle(m, at)
		if m["actionid"] == reconcileID {
			switch strings.ToLower(m["event"]) {
			case "coreshowchannel":
				live[m["linkedid"]] = true
			case "coreshowchannelscomplete":
				calls = t.reconcile(live, at)
				if len(calls) > 0 {
					log.Info("calls ended while disconnected", "count", len(calls))
				}
			}
		}
		for _, call := range calls {
			c.deliver(ctx, log, call)
		}
	}
}

// login reads the banner and logs in. It returns the protocol version.
// Errors: EUNAUTHORIZED when Asterisk refuses the credentials; others
// for a peer that is not an Asterisk manager or does not answer.
func (c *Client) login(conn net.Conn, r *bufio.Reader) (string, error) {
	conn.SetDeadline(time.Now().Add(handshakeTimeout))
	defer conn.SetDeadline(time.Time{})
	line, err := r.ReadSlice('\n')
	if err != nil {
		return "", fmt.Errorf("read the banner: %w", err)
	}
	banner := strings.TrimSpace(string(line))
	version, ok := strings.CutPrefix(banner, "Asterisk Call Manager/")
	if !ok {
		return "", fmt.Errorf("not an asterisk manager: it greeted %q", truncate(banner, 60))
	}
	err = writeAction(conn, "Login", "ActionID", "leadd-login",
		"Username", c.Username, "Secret", c.Secret, "Events", "on")
	if err != nil {
		return "", fmt.Errorf("send the login: %w", err)
	}
	for {
		m, err := readMessage(r)
		if err != nil {
			return "", fmt.Errorf("read the login response: %w", err)
		}
		resp := m["response"]
		if resp == "" {
			continue
		}
		if !strings.EqualFold(resp, "Success") {
			return "", crm.Errorf(crm.EUNAUTHORIZED, "asterisk refused the login of %q: %s %s", c.Username, resp, m["message"])
		}
		return version, nil
	}
}

// keepalive pings so that a connection that died without a word (a NAT
// that forgot it, a host that vanished) is noticed by the read deadline.
func keepalive(ctx context.Context, conn net.Conn, every time.Duration) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	for n := 1; ; n++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		conn.SetWriteDeadline(time.Now().Add(every))
		if err := writeAction(conn, "Ping", "ActionID", "leadd-ping-"+strconv.Itoa(n)); err != nil {
			conn.Close()
			return
		}
	}
}

// deliver hands one call state to Accept, again for errors that may pass.
// Accept is idempotent per call id and state, so a retry cannot double it.
func (c *Client) deliver(ctx context.Context, log *slog.Logger, call telephony.Call) {
	bmin, _ := c.backoff()
	for attempt := 1; ; attempt++ {
		err := c.Accept(ctx, call)
		if err == nil {
			log.Info("call event accepted", "call_id", call.ID, "state", call.State, "direction", call.Direction,
				"extension", call.Extension, "disposition", call.Disposition, "duration", call.Duration)
			return
		}
		code := crm.ErrorCode(err)
		transient := code == crm.EINTERNAL || code == crm.EUNAVAILABLE || code == crm.ERATELIMITED
		if !transient || attempt == acceptAttempts || ctx.Err() != nil {
			level := slog.LevelWarn
			if transient {
				level = slog.LevelError
			}
			log.Log(ctx, level, "call event dropped", "call_id", call.ID, "state", call.State,
				"code", code, "attempts", attempt, "err", err)
			return
		}
		timer := time.NewTimer(bmin)
		select {
		case <-ctx.Done():
			timer.Stop()
		case <-timer.C:
		}
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
