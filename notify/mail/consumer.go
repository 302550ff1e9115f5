// Package mail sends the letters the outbox asks for (documents e-mailed
// from a deal) through the configured SMTP server: a consumer of its own
// (crm.ConsumerMail), so no request handler waits on a mail server.
package mail

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/textproto"
	"time"

	"github.com/leadd/leadd/crm"
)

// Store is what the mail consumer needs of the CRM.
type Store interface {
	RegisterConsumer(ctx context.Context, consumer string, kinds []string) error
	ClaimOutbox(ctx context.Context, consumer string, limit int, lease time.Duration) ([]crm.OutboxMessage, error)
	SettleOutbox(ctx context.Context, consumer string, id int64, note string) error
	DeadOutbox(ctx context.Context, consumer string, id int64, lastErr string) error
	DocumentSendByID(ctx context.Context, id int64) (crm.DocumentSend, error)
	DocumentPDF(ctx context.Context, id int64) (crm.Document, []byte, error)
	Deal(ctx context.Context, id int64) (crm.Deal, error)
	Lines(ctx context.Context, dealID int64) ([]crm.Line, error)
	Contact(ctx context.Context, id int64) (crm.Contact, error)
	MarkDocumentSent(ctx context.Context, sendID, outboxID int64) (crm.DocumentSend, error)
	FailDocumentSend(ctx context.Context, sendID, outboxID int64, reason string, retryAt *time.Time) error
}

var _ Store = (*crm.Store)(nil)

// Sender sends one message; *Mailer is one.
type Sender interface {
	Send(ctx context.Context, msg Message) error
}

// Kinds are the outbox kinds the mail consumer reads.
var Kinds = []string{crm.KindDocumentEmail}

// Consumer sends queued document letters, at least once: a letter the
// server took is marked sent (with the deal's activity) right after, so
// only a crash between the two sends it twice. A refusal for good (a 5xx
// answer: no such mailbox) fails the send at once; anything else is
// retried with backoff, MaxAttempts times.
type Consumer struct {
	Store  Store
	Mailer Sender
	Log    *slog.Logger
	Now    func() time.Time
	// Seller signs the letters; Location dates their documents.
	Seller   Signature
	Location *time.Location

	Batch       int           // rows claimed at once (10)
	Poll        time.Duration // how often to look when idle (500ms)
	Lease       time.Duration // a claim is hidden this long (the SMTP timeout + 15s, at least 45s)
	Backoff     time.Duration // the first retry (30s), doubling
	MaxBackoff  time.Duration // up to (30m)
	MaxAttempts int           // then the send fails (10: about three hours)
}

func (c *Consumer) defaults() {
	if c.Log == nil {
		c.Log = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Batch <= 0 {
		c.Batch = 10
	}
	if c.Poll <= 0 {
		c.Poll = 500 * time.Millisecond
	}
	if c.Lease <= 0 {
		c.Lease = 45 * time.Second
	}
	if c.Backoff <= 0 {
		c.Backoff = 30 * time.Second
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = 30 * time.Minute
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 10
	}
}

// Register makes the outbox keep the mail consumer's deliveries from now
// on; Run does it too.
func (c *Consumer) Register(ctx context.Context) error {
	return c.Store.RegisterConsumer(ctx, crm.ConsumerMail, Kinds)
}

// Run sends until ctx ends; it returns nil then.
func (c *Consumer) Run(ctx context.Context) error {
	c.defaults()
	if err := c.Register(ctx); err != nil {
		return err
	}
	for {
		n, err := c.SendDue(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			c.Log.Error("mail outbox", "err", err)
		}
		if n < c.Batch || err != nil {
			t := time.NewTimer(c.Poll)
			select {
			case <-ctx.Done():
				t.Stop()
				return nil
			case <-t.C:
			}
		}
	}
}

// SendDue claims a batch of due letters and sends each; it returns how
// many it claimed.
func (c *Consumer) SendDue(ctx context.Context) (int, error) {
	c.defaults()
	rows, err := c.Store.ClaimOutbox(ctx, crm.ConsumerMail, c.Batch, c.Lease)
	if err != nil {
		return 0, err
	}
	for _, m := range rows {
		if err := c.deliver(ctx, m); err != nil {
			if ctx.Err() != nil {
				return len(rows), nil // the lease brings it back
			}
			c.Log.Error("mail outbox row", "outbox_id", m.ID, "err", err)
		}
	}
	return len(rows), nil
}

func (c *Consumer) deliver(ctx context.Context, m crm.OutboxMessage) error {
	v, err := m.Decode()
	if err != nil {
		return c.Store.DeadOutbox(ctx, crm.ConsumerMail, m.ID, err.Error())
	}
	p, ok := v.(crm.DocumentEmail)
	if !ok {
		return c.Store.SettleOutbox(ctx, crm.ConsumerMail, m.ID, "not for mail")
	}
	send, err := c.Store.DocumentSendByID(ctx, p.SendID)
	if crm.ErrorCode(err) == crm.ENOTFOUND {
		return c.Store.SettleOutbox(ctx, crm.ConsumerMail, m.ID, "gone: the send was deleted")
	}
	if err != nil {
		return err // the lease brings it back
	}
	if send.State != crm.SendQueued {
		return c.Store.SettleOutbox(ctx, crm.ConsumerMail, m.ID, "already "+send.State)
	}
	log := c.Log.With("outbox_id", m.ID, "send_id", send.ID, "deal_id", send.DealID, "attempt", m.Attempts)
	msg, err := c.letter(ctx, send)
	if err != nil {
		if crm.ErrorCode(err) == crm.ENOTFOUND {
			log.Warn("document not sent: what it was made of is gone", "err", err)
			return c.Store.FailDocumentSend(ctx, send.ID, m.ID, err.Error(), nil)
		}
		return err
	}
	if err := c.Mailer.Send(ctx, msg); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var refusal *textproto.Error
		if errors.As(err, &refusal) && refusal.Code >= 500 || m.Attempts >= c.MaxAttempts {
			log.Error("document not sent: giving up", "err", err)
			return c.Store.FailDocumentSend(ctx, send.ID, m.ID, err.Error(), nil)
		}
		at := c.Now().Add(c.backoff(m.Attempts))
		log.Warn("document not sent, will retry", "err", err, "next_at", at)
		return c.Store.FailDocumentSend(ctx, send.ID, m.ID, err.Error(), &at)
	}
	done, err := c.Store.MarkDocumentSent(ctx, send.ID, m.ID)
	if err != nil {
		log.Error("document sent but not recorded; a retry may send it again", "err", err)
		return err
	}
	log.Info("document sent", "activity_id", done.ActivityID, "documents", len(send.DocumentIDs))
	return nil
}

// letter reads what a send is made of and composes it (Letter).
func (c *Consumer) letter(ctx context.Context, send crm.DocumentSend) (Message, error) {
	in := LetterInput{Send: send, Seller: c.Seller, Location: c.Location}
	var err error
	if in.Deal, err = c.Store.Deal(ctx, send.DealID); err != nil {
		return Message{}, err
	}
	if in.Lines, err = c.Store.Lines(ctx, send.DealID); err != nil {
		return Message{}, err
	}
	if send.ContactID != nil {
		if in.Contact, err = c.Store.Contact(ctx, *send.ContactID); err != nil && crm.ErrorCode(err) != crm.ENOTFOUND {
			return Message{}, err
		}
	}
	for _, id := range send.DocumentIDs {
		doc, pdf, err := c.Store.DocumentPDF(ctx, id)
		if err != nil {
			return Message{}, fmt.Errorf("document %d: %w", id, err)
		}
		in.Documents, in.PDFs = append(in.Documents, doc), append(in.PDFs, pdf)
	}
	return Letter(in), nil
}

// backoff doubles from Backoff up to MaxBackoff, with a little jitter.
func (c *Consumer) backoff(attempts int) time.Duration {
	b := c.Backoff
	for i := 1; i < attempts && b < c.MaxBackoff; i++ {
		b *= 2
	}
	b = min(b, c.MaxBackoff)
	return b + rand.N(b/5+1)
}
