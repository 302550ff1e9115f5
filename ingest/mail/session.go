package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"mime"
	"net"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-message/charset"
)

// session connects, reads what is new and waits for more until the
// connection fails or ctx ends. synced reports whether it read the folder
// through at least once.
func (c *Client) session(ctx context.Context) (synced bool, err error) {
	newMail := make(chan struct{}, 1)
	conn, err := c.connect(ctx, newMail)
	if err != nil {
		return false, err
	}
	defer conn.Close()
	// Asked to stop, the session takes no further letter, but the one in
	// hand is still stored, marked and recorded (work lasts a grace period
	// longer), so a restart does not read it again. Then the connection is
	// cut, whatever still waits on it.
	work, cancelWork := afterGrace(ctx, shutdownGrace)
	defer cancelWork()
	stop := context.AfterFunc(work, func() { conn.Close() })
	defer stop()

	if c.mb.OnProcessed == ProcessedMove {
		if err := ensureFolder(conn, c.mb.MoveTo); err != nil {
			return false, fail("select", fmt.Errorf("folder %q to move letters to: %w", c.mb.MoveTo, err))
		}
	}
	sel, err := conn.Select(c.mb.Folder, nil).Wait()
	if err != nil {
		return false, fail("select", fmt.Errorf("folder %q: %w", c.mb.Folder, err))
	}
	st, err := c.state.load(work)
	if err != nil {
		return false, fail("state", err)
	}
	r := &reader{c: c, conn: conn, validity: sel.UIDValidity, stopped: ctx.Err}
	switch {
	case st.UIDValidity == 0:
		// Letters read before Leadd was connected are history, not
		// leads: the first time it takes the unread ones.
		c.log.Info("mailbox read for the first time: taking its unread letters", "folder", c.mb.Folder)
		err = r.catchUp(work, &imap.SearchCriteria{NotFlag: []imap.Flag{imap.FlagSeen}}, sel.UIDNext)
	case st.UIDValidity != sel.UIDValidity:
		// The server renumbered the folder (rebuilt, migrated): the
		// position means nothing now. Read again what arrived since the
		// last sync (with two days' margin); the inbox knows the letters
		// already taken by their Message-ID.
		crit := &imap.SearchCriteria{}
		if !st.LastSync.IsZero() {
			crit.Since = st.LastSync.Add(-48 * time.Hour)
		}
		c.log.Warn("mailbox UIDVALIDITY changed: reading the folder again", "folder", c.mb.Folder,
			"was", st.UIDValidity, "now", sel.UIDValidity, "since", crit.Since)
		err = r.catchUp(work, crit, sel.UIDNext)
	default:
		r.last = st.LastUID
	}
	if err != nil {
		return false, err
	}
	idle := !c.noIdle && (conn.Caps().Has(imap.CapIdle) || conn.Caps().Has(imap.CapIMAP4rev2))
	c.log.Info("mailbox connected", "host", c.mb.Host, "folder", c.mb.Folder, "idle", idle,
		"uid_validity", sel.UIDValidity, "last_uid", r.last)
	for {
		if err := r.readNew(work); err != nil {
			return synced, err
		}
		synced = true
		c.setStatus(func(s *Status) { s.Connected, s.LastSync, s.LastError = true, c.now().UTC(), "" })
		if err := c.wait(ctx, conn, newMail, idle); err != nil {
			return synced, err
		}
	}
}

// connect dials, logs in and asks to hear of new letters on newMail.
func (c *Client) connect(ctx context.Context, newMail chan struct{}) (*imapclient.Client, error) {
	password, err := c.mb.secret()
	if err != nil {
		return nil, fail("login", err)
	}
	opts := &imapclient.Options{
		WordDecoder: &mime.WordDecoder{CharsetReader: charset.Reader},
		UnilateralDataHandler: &imapclient.UnilateralDataHandler{
			Mailbox: func(d *imapclient.UnilateralDataMailbox) {
				if d.NumMessages != nil {
					select {
					case newMail <- struct{}{}:
					default:
					}
				}
			},
		},
	}
	dctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	raw, err := (&net.Dialer{}).DialContext(dctx, "tcp", c.mb.addr())
	if err != nil {
		return nil, fail("connect", fmt.Errorf("connect to %s: %w", c.mb.addr(), err))
	}
	var conn *imapclient.Client
	switch c.mb.TLS {
	case TLSImplicit:
		tc := tls.Client(raw, &tls.Config{ServerName: c.mb.Host, MinVersion: tls.VersionTLS12})
		if err := tc.HandshakeContext(dctx); err != nil {
			raw.Close()
			return nil, fail("connect", fmt.Errorf("TLS with %s: %w", c.mb.addr(), err))
		}
		conn = imapclient.New(tc, opts)
	case TLSStart:
		opts.TLSConfig = &tls.Config{ServerName: c.mb.Host, MinVersion: tls.VersionTLS12}
		stop := context.AfterFunc(dctx, func() { raw.Close() })
		conn, err = imapclient.NewStartTLS(raw, opts)
		stop()
		if err != nil {
			raw.Close()
			return nil, fail("connect", fmt.Errorf("STARTTLS with %s: %w", c.mb.addr(), err))
		}
	default:
		conn = imapclient.New(raw, opts)
	}
	stop := context.AfterFunc(dctx, func() { conn.Close() })
	defer stop()
	if err := conn.WaitGreeting(); err != nil {
		conn.Close()
		return nil, fail("connect", fmt.Errorf("greeting from %s: %w", c.mb.addr(), err))
	}
	if err := conn.Login(c.mb.Username, password).Wait(); err != nil {
		conn.Close()
		return nil, fail("login", fmt.Errorf("login as %s at %s: %w", c.mb.Username, c.mb.addr(), err))
	}
	return conn, nil
}

// ensureFolder creates a folder unless it is there.
func ensureFolder(conn *imapclient.Client, name string) error {
	err := conn.Create(name, nil).Wait()
	var ie *imap.Error
	if err == nil || errors.As(err, &ie) && ie.Code == imap.ResponseCodeAlreadyExists {
		return nil
	}
	// Servers without the ALREADYEXISTS code: the folder is there if it
	// can be looked at.
	if _, serr := conn.Status(name, &imap.StatusOptions{NumMessages: true}).Wait(); serr == nil {
		return nil
	}
	return err
}

// wait returns when there may be new letters: the server said so (IDLE),
// a while has passed, or the poll interval. It fails when the connection
// is lost.
func (c *Client) wait(ctx context.Context, conn *imapclient.Client, newMail chan struct{}, idle bool) error {
	select {
	case <-newMail: // arrived while we were reading
		return nil
	default:
	}
	if !idle {
		t := time.NewTimer(c.mb.Poll)
		defer t.Stop()
		select {
		case <-t.C:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		case <-conn.Closed():
			return fail("read", errors.New("the server closed the connection"))
		}
	}
	cmd, err := conn.Idle()
	if err != nil {
		return fail("read", fmt.Errorf("IDLE: %w", err))
	}
	t := time.NewTimer(c.idleRecheck)
	defer t.Stop()
	select {
	case <-newMail:
	case <-t.C:
	case <-ctx.Done():
		return ctx.Err()
	case <-conn.Closed():
		return fail("read", errors.New("the server closed the connection"))
	}
	if err := cmd.Close(); err != nil {
		return fail("read", fmt.Errorf("IDLE: %w", err))
	}
	if err := cmd.Wait(); err != nil {
		return fail("read", fmt.Errorf("IDLE: %w", err))
	}
	return nil
}

// afterGrace returns a context that ends grace after ctx does (or when
// cancel is called).
func afterGrace(ctx context.Context, grace time.Duration) (context.Context, context.CancelFunc) {
	gctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stop := context.AfterFunc(ctx, func() {
		t := time.NewTimer(grace)
		defer t.Stop()
		select {
		case <-t.C:
			cancel()
		case <-gctx.Done():
		}
	})
	return gctx, func() { stop(); cancel() }
}
