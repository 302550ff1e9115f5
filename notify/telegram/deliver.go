package telegram

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
	"golang.org/x/sync/errgroup"

	"github.com/leadd/leadd/crm"
)

// Store is what the deliverer and the bot need of the CRM.
type Store interface {
	ClaimOutbox(ctx context.Context, limit int, lease time.Duration) ([]crm.OutboxMessage, error)
	SettleOutbox(ctx context.Context, id int64, note string) error
	RetryOutbox(ctx context.Context, id int64, at time.Time, lastErr string) error
	MarkTelegramUnreachable(ctx context.Context, managerID int64, row *crm.OutboxMessage, reason string) error
	MarkTelegramReachable(ctx context.Context, managerID int64) error
	TelegramSent(ctx context.Context, outboxID, chatID int64) (bool, error)
	RecordTelegramSent(ctx context.Context, outboxID, chatID int64, messageID int) error
	TelegramRecipient(ctx context.Context, managerID int64) (crm.Recipient, error)
	TelegramSupervisors(ctx context.Context) ([]crm.Recipient, error)
	LinkTelegram(ctx context.Context, code string, chatID int64) (crm.Manager, error)
	ManagerByTelegram(ctx context.Context, chatID int64) (crm.Manager, error)
	UpdateManager(ctx context.Context, id int64, p crm.ManagerPatch) (crm.Manager, error)
	Lead(ctx context.Context, id int64) (crm.Lead, error)
	SetLeadStatus(ctx context.Context, id int64, status, junkReason string) (crm.Lead, error)
	ConvertLead(ctx context.Context, leadID int64, c crm.Conversion, by *int64) (crm.Converted, error)
	Activity(ctx context.Context, id int64) (crm.Activity, error)
	Activities(ctx context.Context, managerID int64, due string) ([]crm.Activity, error)
	CompleteActivity(ctx context.Context, id int64, c crm.Completion, cadence crm.Cadence) (crm.CompleteResult, error)
	MessengerThreadOf(ctx context.Context, chatID int64, messageID int) (crm.MessengerThread, error)
	MessengerReplied(ctx context.Context, chatID int64, messageID int) (bool, error)
	RecordMessengerReply(ctx context.Context, r crm.MessengerReply) (int64, error)
}

var _ Store = (*crm.Store)(nil)

// Deliverer sends the outbox to Telegram, at least once: a row is sent,
// then marked (telegram_sent per chat, then delivered_at), so a crash in
// between resends that one message and nothing else. Each send is logged
// with the row's idempotency key.
//
// A row is settled (delivered_at set) when every message it makes has
// gone, or when it makes none: a kind that is not for Telegram
// (deal.stage_changed, lead.converted — other consumers' business), a
// manager with no chat linked or marked unreachable, a lead handed on
// before its card left. last_error then says why nothing was sent, so
// the row leaves the queue and still explains itself.
type Deliverer struct {
	Store  Store
	Client *Client
	Log    *slog.Logger

	Batch      int           // rows claimed at once (20)
	Workers    int           // rows sent in parallel (8); the limiter paces them
	Poll       time.Duration // how often to look when idle (1s)
	Lease      time.Duration // a claimed row is hidden this long (2m)
	Backoff    time.Duration // first retry after a failure (5s), doubling
	MaxBackoff time.Duration // up to (10m)
}

func (d *Deliverer) defaults() {
	if d.Batch <= 0 {
		d.Batch = 20
	}
	if d.Workers <= 0 {
		d.Workers = 8
	}
	if d.Poll <= 0 {
		d.Poll = time.Second
	}
	if d.Lease <= 0 {
		d.Lease = 2 * time.Minute
	}
	if d.Backoff <= 0 {
		d.Backoff = 5 * time.Second
	}
	if d.MaxBackoff <= 0 {
		d.MaxBackoff = 10 * time.Minute
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
}

// Run delivers until ctx ends; it returns nil then.
func (d *Deliverer) Run(ctx context.Context) error {
	d.defaults()
	for {
		n, err := d.DeliverDue(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			d.Log.Error("telegram outbox", "err", err)
		}
		if n < d.Batch || err != nil {
			if sleep(ctx, d.Poll) != nil {
				return nil
			}
		}
	}
}

// DeliverDue claims one batch of due rows and works each; it returns how
// many it claimed.
func (d *Deliverer) DeliverDue(ctx context.Context) (int, error) {
	d.defaults()
	rows, err := d.Store.ClaimOutbox(ctx, d.Batch, d.Lease)
	if err != nil {
		return 0, err
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(d.Workers)
	for _, m := range rows {
		g.Go(func() error {
			if err := d.deliver(gctx, m); err != nil && gctx.Err() == nil {
				d.Log.Error("telegram outbox row", "outbox_id", m.ID, "idempotency_key", m.Key, "err", err)
			}
			return nil
		})
	}
	return len(rows), g.Wait()
}

// outgoing is one message an outbox row makes.
type outgoing struct {
	to     crm.Recipient
	text   string
	markup *tgbotapi.InlineKeyboardMarkup
}

func (d *Deliverer) deliver(ctx context.Context, m crm.OutboxMessage) error {
	log := d.Log.With("outbox_id", m.ID, "kind", m.Kind, "idempotency_key", m.Key, "attempt", m.Attempts)
	out, note, err := d.render(ctx, m)
	if err != nil {
		if crm.ErrorCode(err) == crm.ENOTFOUND {
			log.Warn("telegram: nothing to tell", "reason", err.Error())
			return d.Store.SettleOutbox(ctx, m.ID, "gone: "+err.Error())
		}
		return d.retry(ctx, log, m, d.backoff(m.Attempts), err.Error())
	}
	notes := []string{}
	if note != "" {
		notes = append(notes, note)
		log.Info("telegram: no message", "reason", note)
	}
	for _, o := range out {
		chat := *o.to.ChatID
		sent, err := d.Store.TelegramSent(ctx, m.ID, chat)
		if err != nil {
			return d.retry(ctx, log, m, d.backoff(m.Attempts), err.Error())
		}
		if sent {
			log.Info("telegram: already sent to this chat, not again", "manager_id", o.to.ManagerID)
			continue
		}
		msg := tgbotapi.NewMessage(chat, o.text)
		if o.markup != nil {
			msg.ReplyMarkup = *o.markup
		}
		res, err := d.Client.send(ctx, chat, msg)
		if ctx.Err() != nil {
			return nil // the lease brings the row back
		}
		f := classify(err)
		switch f.kind {
		case failNone:
			// Sent: from here a crash before the next line resends it once.
			if err := d.Store.RecordTelegramSent(ctx, m.ID, chat, res.MessageID); err != nil {
				log.Error("telegram: sent but not recorded; a retry may resend", "manager_id", o.to.ManagerID, "err", err)
				return err
			}
			log.Info("telegram sent", "manager_id", o.to.ManagerID, "message_id", res.MessageID)
		case failRateLimited:
			return d.retry(ctx, log, m, f.retryAfter, "429: "+f.reason)
		case failTransient:
			return d.retry(ctx, log, m, d.backoff(m.Attempts), f.reason)
		case failUnreachable:
			log.Warn("telegram: manager unreachable", "manager_id", o.to.ManagerID, "reason", f.reason)
			if !forSupervisors(m.Kind) {
				// The row was theirs alone: the supervisors hear of it instead.
				return d.Store.MarkTelegramUnreachable(ctx, o.to.ManagerID, &m, f.reason)
			}
			if err := d.Store.MarkTelegramUnreachable(ctx, o.to.ManagerID, nil, f.reason); err != nil {
				return err
			}
			notes = append(notes, fmt.Sprintf("manager %d unreachable: %s", o.to.ManagerID, f.reason))
		case failRejected:
			log.Error("telegram refused the message", "manager_id", o.to.ManagerID, "reason", f.reason)
			notes = append(notes, fmt.Sprintf("rejected for manager %d: %s", o.to.ManagerID, f.reason))
		}
	}
	return d.Store.SettleOutbox(ctx, m.ID, strings.Join(notes, "; "))
}

func (d *Deliverer) retry(ctx context.Context, log *slog.Logger, m crm.OutboxMessage, after time.Duration, reason string) error {
	log.Warn("telegram: will retry", "after", after.String(), "reason", reason)
	return d.Store.RetryOutbox(ctx, m.ID, time.Now().Add(after), reason)
}

// backoff doubles from Backoff up to MaxBackoff, with a little jitter so
// rows that failed together do not retry together.
func (d *Deliverer) backoff(attempts int) time.Duration {
	b := d.Backoff
	for i := 1; i < attempts && b < d.MaxBackoff; i++ {
		b *= 2
	}
	b = min(b, d.MaxBackoff)
	return b + rand.N(b/5+1)
}

func forSupervisors(kind string) bool { return strings.HasPrefix(kind, "supervisor.") }

// payload holds the fields of every kind the deliverer renders.
type payload struct {
	LeadID        *int64     `json:"lead_id"`
	DealID        *int64     `json:"deal_id"`
	ManagerID     *int64     `json:"manager_id"`
	ActivityID    *int64     `json:"activity_id"`
	DueAt         *time.Time `json:"due_at"`
	Phone         string     `json:"phone"`
	Line          string     `json:"line"`
	Returning     bool       `json:"returning"`
	FromManagerID *int64     `json:"from_manager_id"`
	ToManagerID   *int64     `json:"to_manager_id"`
	Hop           int        `json:"hop"`
	Queued        bool       `json:"queued"`
	Reason        string     `json:"reason"`
	Type          string     `json:"type"`
	Subject       string     `json:"subject"`
	Date          string     `json:"date"`
	Today         int        `json:"today"`
	Overdue       int        `json:"overdue"`
	Channel       string     `json:"channel"`
	Text          string     `json:"text"`
	ManagerName   string     `json:"manager_name"`
	Kind          string     `json:"kind"`
	Name          string     `json:"name"`
	Amount        string     `json:"amount"`
	Currency      string     `json:"currency"`
	MovedTo       string     `json:"moved_to"`
}

// staleRinging: a "who is calling" notice later than this is noise.
const staleRinging = 5 * time.Minute

// render turns a row into its messages; note says why there are none.
func (d *Deliverer) render(ctx context.Context, m crm.OutboxMessage) ([]outgoing, string, error) {
	var p payload
	if err := json.Unmarshal(m.Payload, &p); err != nil {
		return nil, "unreadable payload: " + err.Error(), nil
	}
	if forSupervisors(m.Kind) {
		text, err := d.supervisorText(ctx, m.Kind, p)
		if err != nil || text == "" {
			return nil, "not for telegram", err
		}
		sups, err := d.Store.TelegramSupervisors(ctx)
		if err != nil {
			return nil, "", err
		}
		if len(sups) == 0 {
			return nil, "no supervisor with a telegram chat", nil
		}
		out := make([]outgoing, len(sups))
		for i, s := range sups {
			out[i] = outgoing{to: s, text: text}
		}
		return out, "", nil
	}
	switch m.Kind {
	case "lead.assigned", "call.incoming", "activity.overdue", "manager.digest", "deal.touch", "messenger.message", "payment.received":
	default:
		return nil, "not for telegram", nil
	}
	if m.Kind == "deal.touch" && p.Channel == crm.ChannelMessenger {
		return nil, "the client's message goes as messenger.message", nil
	}
	if p.ManagerID == nil {
		return nil, "no manager", nil
	}
	to, err := d.Store.TelegramRecipient(ctx, *p.ManagerID)
	if err != nil {
		return nil, "", err
	}
	switch {
	case to.ChatID == nil:
		return nil, "no telegram chat", nil
	case to.UnreachableAt != nil:
		return nil, "manager unreachable in telegram", nil
	}
	loc := location(to.TimeZone)
	o := outgoing{to: to}
	switch m.Kind {
	case "lead.assigned":
		if p.LeadID == nil {
			return nil, "no lead", nil
		}
		l, err := d.Store.Lead(ctx, *p.LeadID)
		if err != nil {
			return nil, "", err
		}
		if l.ManagerID == nil || *l.ManagerID != to.ManagerID {
			return nil, "the lead was handed on before its card left", nil
		}
		o.text, o.markup = cardText(l, loc, ""), cardKeyboard(l)
		if p.Returning {
			o.text = "Your returning customer is back\n" + o.text
		} else {
			o.text = "New lead for you\n" + o.text
		}
	case "call.incoming":
		if time.Since(m.CreatedAt) > staleRinging {
			return nil, "stale: the call is over", nil
		}
		o.text = "📞 Calling now: " + p.Phone
		if p.Returning {
			o.text += " — your returning customer"
		}
		if p.LeadID != nil {
			o.text += fmt.Sprintf("\nLead #%d", *p.LeadID)
		} else if p.DealID != nil {
			o.text += fmt.Sprintf("\nDeal #%d", *p.DealID)
		}
		if p.Line != "" {
			o.text += "\nLine " + p.Line
		}
	case "activity.overdue":
		o.text = "⏰ Overdue: " + p.Subject
		if p.DueAt != nil {
			o.text += "\nWas due " + p.DueAt.In(loc).Format("02.01 15:04")
		}
		if p.LeadID != nil {
			o.text += fmt.Sprintf("\nLead #%d", *p.LeadID)
		}
		if p.ActivityID != nil {
			kb := tgbotapi.NewInlineKeyboardMarkup(tgbotapi.NewInlineKeyboardRow(
				tgbotapi.NewInlineKeyboardButtonData("Done", cbDone+":"+id(*p.ActivityID))))
			o.markup = &kb
		}
	case "manager.digest":
		o.text = fmt.Sprintf("Good morning! %s\nDue today: %d\nOverdue: %d\n/today · /overdue", p.Date, p.Today, p.Overdue)
	case "deal.touch":
		o.text = fmt.Sprintf("💬 Deal #%d: a new %s\n%s", deref(p.DealID), p.Channel, clip(p.Text, 600))
	case "messenger.message":
		o.text = messengerText(p)
	case "payment.received":
		o.text = fmt.Sprintf("💰 Paid: deal #%d, %s %s", deref(p.DealID), p.Amount, p.Currency)
		if p.MovedTo != "" {
			o.text += "\nThe deal moved to " + p.MovedTo
		}
	}
	return []outgoing{o}, "", nil
}

func (d *Deliverer) supervisorText(ctx context.Context, kind string, p payload) (string, error) {
	name := func(id *int64) string {
		if id == nil {
			return "nobody"
		}
		if r, err := d.Store.TelegramRecipient(ctx, *id); err == nil {
			return r.Name
		}
		return fmt.Sprintf("manager %d", *id)
	}
	switch kind {
	case "supervisor.sla_missed":
		to := name(p.ToManagerID)
		if p.Queued {
			to = "the queue"
		}
		return fmt.Sprintf("⚠️ Lead #%d was not taken in time by %s; now with %s (hop %d)\n%s",
			deref(p.LeadID), name(p.FromManagerID), to, p.Hop, p.Reason), nil
	case "supervisor.manager_unreachable":
		what := p.Kind
		if p.LeadID != nil {
			what += fmt.Sprintf(" for lead #%d", *p.LeadID)
		} else if p.DealID != nil {
			what += fmt.Sprintf(" for deal #%d", *p.DealID)
		}
		return fmt.Sprintf("⚠️ %s cannot be reached in Telegram (%s).\nNot delivered: %s", p.ManagerName, p.Reason, what), nil
	}
	return "", nil
}

func deref(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

// messengerText is a client's message as their manager sees it: who,
// about which lead or deal, what they wrote, and how to answer. Telegram
// allows 4096 characters; the CRM keeps the whole text.
func messengerText(p payload) string {
	name := p.Name
	if name == "" {
		name = "A client"
	}
	ref := fmt.Sprintf("lead #%d", deref(p.LeadID))
	if p.DealID != nil {
		ref = fmt.Sprintf("deal #%d", *p.DealID)
	}
	return fmt.Sprintf("💬 %s (Telegram, %s):\n%s\n\n↩️ Reply to this message to answer them.", name, ref, clip(p.Text, 3500))
}
