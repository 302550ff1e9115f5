package telegram

import (
	"context"
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
	RegisterConsumer(ctx context.Context, consumer string, kinds []string) error
	ClaimOutbox(ctx context.Context, consumer string, limit int, lease time.Duration) ([]crm.OutboxMessage, error)
	SettleOutbox(ctx context.Context, consumer string, id int64, note string) error
	RetryOutbox(ctx context.Context, consumer string, id int64, at time.Time, lastErr string) error
	PostponeOutbox(ctx context.Context, consumer string, id int64, at time.Time) error
	DeadOutbox(ctx context.Context, consumer string, id int64, lastErr string) error
	MarkTelegramUnreachable(ctx context.Context, managerID int64, row *crm.OutboxMessage, reason string) error
	MarkTelegramReachable(ctx context.Context, managerID int64) error
	TelegramSent(ctx context.Context, outboxID, chatID int64) (bool, error)
	RecordTelegramSent(ctx context.Context, outboxID, chatID int64, messageID int) error
	TelegramRecipient(ctx context.Context, managerID int64) (crm.Recipient, error)
	TelegramSupervisors(ctx context.Context) ([]crm.Recipient, error)
	TelegramAdmins(ctx context.Context) ([]crm.Recipient, error)
	LinkTelegram(ctx context.Context, code string, chatID int64) (crm.Manager, error)
	ManagerByTelegram(ctx context.Context, chatID int64) (crm.Manager, error)
	UpdateManager(ctx context.Context, id int64, p crm.ManagerPatch) (crm.Manager, error)
	Lead(ctx context.Context, id int64) (crm.Lead, error)
	SetLeadStatus(ctx context.Context, id int64, status, junkReason string) (crm.Lead, error)
	ConvertLead(ctx context.Context, leadID int64, c crm.Conversion, by crm.Actor) (crm.Converted, error)
	Activity(ctx context.Context, id int64) (crm.Activity, error)
	Activities(ctx context.Context, managerID int64, due string) ([]crm.Activity, error)
	CompleteActivity(ctx context.Context, id int64, c crm.Completion, cadence crm.Cadence) (crm.CompleteResult, error)
	MessengerThreadOf(ctx context.Context, chatID int64, messageID int) (crm.MessengerThread, error)
	MessengerReplied(ctx context.Context, chatID int64, messageID int) (bool, error)
	RecordMessengerReply(ctx context.Context, r crm.MessengerReply) (int64, error)
	CreateLoginCode(ctx context.Context, managerID int64, ttl time.Duration) (string, error)
}

var _ Store = (*crm.Store)(nil)

// Kinds are the outbox kinds the deliverer reads (as consumer
// crm.ConsumerTelegram); other kinds never reach it.
var Kinds = []string{crm.KindWeeklySummary, crm.KindLeadAssigned, crm.KindCallIncoming, crm.KindActivityOverdue, crm.KindManagerDigest,
	crm.KindDealTouch, crm.KindMessengerMessage, crm.KindPaymentReceived, crm.KindSLAMissed, crm.KindManagerUnreachable,
	crm.KindWebhookDisabled, crm.KindInboxFailed}

// Deliverer sends the outbox to Telegram, at least once: a row is sent,
// then marked (telegram_sent per chat, then its telegram delivery), so a
// crash in between resends that one message and nothing else. Each send
// is logged with the row's idempotency key.
//
// Its deliveries are its own (crm.ConsumerTelegram): settling, retrying
// or giving up a row hides it from no other consumer. A row is settled
// when every message it makes has gone, or when it makes none: a manager
// with no chat linked or marked unreachable, a lead handed on before its
// card left. last_error then says why nothing was sent, so the row leaves
// the queue and still explains itself. After MaxAttempts failures it is
// a dead letter.
type Deliverer struct {
	Store  Store
	Client *Client
	Log    *slog.Logger

	Batch   int           // rows claimed at once (20)
	Workers int           // rows sent in parallel (8); the limiter paces them
	Poll    time.Duration // how often to look when idle (1s)
	Lease   time.Duration // a claimed row is hidden this long (20s): a crashed replica's rows move on within it
	// Hold is the longest a worker waits for a chat's turn (1.5s); a row
	// whose chat is busier goes back to the outbox until its turn, so one
	// manager's flood of cards never holds up another manager's card.
	Hold       time.Duration
	Backoff    time.Duration // first retry after a failure (5s), doubling
	MaxBackoff time.Duration // up to (10m)
	// MaxAttempts makes a row that failed this often a dead letter (50:
	// about eight hours of a Telegram that keeps failing).
	MaxAttempts int
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
		d.Lease = 20 * time.Second
	}
	if d.MaxAttempts <= 0 {
		d.MaxAttempts = 50
	}
	if d.Hold <= 0 {
		d.Hold = 1500 * time.Millisecond
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

// Register makes the outbox keep Telegram's deliveries of Kinds from
// now on; Run does it too, but a caller that must not miss a row written
// right after start calls it first.
func (d *Deliverer) Register(ctx context.Context) error {
	return d.Store.RegisterConsumer(ctx, crm.ConsumerTelegram, Kinds)
}

// Run delivers until ctx ends; it returns nil then.
func (d *Deliverer) Run(ctx context.Context) error {
	d.defaults()
	if err := d.Register(ctx); err != nil {
		return err
	}
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
	rows, err := d.Store.ClaimOutbox(ctx, crm.ConsumerTelegram, d.Batch, d.Lease)
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
			return d.Store.SettleOutbox(ctx, crm.ConsumerTelegram, m.ID, "gone: "+err.Error())
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
		if ahead := d.Client.limit.Ahead(chat); ahead > d.Hold {
			// This chat is busy: the row waits in the outbox, not a worker.
			log.Debug("telegram: the chat's turn comes later", "manager_id", o.to.ManagerID, "after", ahead.String())
			return d.Store.PostponeOutbox(ctx, crm.ConsumerTelegram, m.ID, time.Now().Add(ahead))
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
	return d.Store.SettleOutbox(ctx, crm.ConsumerTelegram, m.ID, strings.Join(notes, "; "))
}

func (d *Deliverer) retry(ctx context.Context, log *slog.Logger, m crm.OutboxMessage, after time.Duration, reason string) error {
	if m.Attempts >= d.MaxAttempts {
		log.Error("telegram: giving up, a dead letter", "reason", reason)
		return d.Store.DeadOutbox(ctx, crm.ConsumerTelegram, m.ID, reason)
	}
	log.Warn("telegram: will retry", "after", after.String(), "reason", reason)
	return d.Store.RetryOutbox(ctx, crm.ConsumerTelegram, m.ID, time.Now().Add(after), reason)
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

// staleRinging: a "who is calling" notice later than this is noise.
const staleRinging = 5 * time.Minute

// render turns a row into its messages; note says why there are none.
func (d *Deliverer) render(ctx context.Context, m crm.OutboxMessage) ([]outgoing, string, error) {
	v, err := m.Decode()
	if err != nil {
		return nil, "unreadable payload: " + err.Error(), nil
	}
	if forSupervisors(m.Kind) || m.Kind == crm.KindWebhookDisabled {
		text, err := d.supervisorText(ctx, v)
		if err != nil || text == "" {
			return nil, "not for telegram", err
		}
		list := d.Store.TelegramSupervisors
		if m.Kind == crm.KindWebhookDisabled {
			list = d.Store.TelegramAdmins
		}
		sups, err := list(ctx)
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
	var managerID *int64
	switch p := v.(type) {
	case crm.LeadAssigned:
		managerID = &p.ManagerID
	case crm.CallIncoming:
		managerID = &p.ManagerID
	case crm.ActivityOverdue:
		managerID = &p.ManagerID
	case crm.ManagerDigest:
		managerID = &p.ManagerID
	case crm.DealTouch:
		if p.Channel == crm.ChannelMessenger {
			return nil, "the client's message goes as messenger.message", nil
		}
		managerID = &p.ManagerID
	case crm.MessengerMessage:
		managerID = &p.ManagerID
	case crm.PaymentReceived:
		managerID = p.ManagerID
	case crm.WeeklySummary:
		managerID = &p.ManagerID
	default:
		return nil, "not for telegram", nil
	}
	if managerID == nil {
		return nil, "no manager", nil
	}
	to, err := d.Store.TelegramRecipient(ctx, *managerID)
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
	switch p := v.(type) {
	case crm.LeadAssigned:
		l, err := d.Store.Lead(ctx, p.LeadID)
		if err != nil {
			return nil, "", err
		}
		if l.ManagerID == nil || *l.ManagerID != to.ManagerID {
			return nil, "the lead was handed on before its card left", nil
		}
		o.text, o.markup = cardText(l, loc, ""), cardKeyboard(l)
		if p.Returning {
			o.text = "Ваш клиент обратился снова\n" + o.text
		} else {
			o.text = "Новая заявка для вас\n" + o.text
		}
	case crm.CallIncoming:
		if time.Since(m.CreatedAt) > staleRinging {
			return nil, "stale: the call is over", nil
		}
		o.text = "📞 Сейчас звонит: " + p.Phone
		if p.Returning {
			o.text += " — ваш клиент"
		}
		if p.LeadID != nil {
			o.text += fmt.Sprintf("\nЗаявка №%d", *p.LeadID)
		} else if p.DealID != nil {
			o.text += fmt.Sprintf("\nСделка №%d", *p.DealID)
		}
		if p.Line != "" {
			o.text += "\nЛиния " + p.Line
		}
	case crm.ActivityOverdue:
		o.text = "⏰ Просрочено: " + subjectText(p.Subject)
		o.text += "\nСрок был " + ruTime(p.DueAt.In(loc))
		if p.LeadID != nil {
			o.text += fmt.Sprintf("\nЗаявка №%d", *p.LeadID)
		}
		kb := tgbotapi.NewInlineKeyboardMarkup(tgbotapi.NewInlineKeyboardRow(
			tgbotapi.NewInlineKeyboardButtonData("Сделано", cbDone+":"+id(p.ActivityID))))
		o.markup = &kb
	case crm.WeeklySummary:
		o.text = p.Text
	case crm.ManagerDigest:
		o.text = fmt.Sprintf("Доброе утро! %s\nНа сегодня дел: %d\nПросрочено: %d\n/today — дела на сегодня · /overdue — просроченные", p.Date, p.Today, p.Overdue)
	case crm.DealTouch:
		o.text = fmt.Sprintf("💬 Сделка №%d: %s\n%s", p.DealID, channelWord(p.Channel), clip(p.Text, 600))
	case crm.MessengerMessage:
		o.text = messengerText(p)
	case crm.PaymentReceived:
		o.text = fmt.Sprintf("💰 Оплата: сделка №%d, %s %s", p.DealID, p.Amount, p.Currency)
		if p.MovedTo != nil {
			o.text += "\nСделка перешла на этап «" + *p.MovedTo + "»"
		}
	}
	return []outgoing{o}, "", nil
}

func (d *Deliverer) supervisorText(ctx context.Context, v crm.OutboxKind) (string, error) {
	name := func(id *int64) string {
		if id == nil {
			return "никто"
		}
		if r, err := d.Store.TelegramRecipient(ctx, *id); err == nil {
			return r.Name
		}
		return fmt.Sprintf("менеджер %d", *id)
	}
	switch p := v.(type) {
	case crm.SLAMissed:
		to := "передана: " + name(p.ToManagerID)
		if p.Queued {
			to = "передана в очередь"
		}
		return fmt.Sprintf("⚠️ Заявку №%d не взяли вовремя (%s); %s (передача %d)\n%s",
			p.LeadID, name(p.FromManagerID), to, p.Hop, p.Reason), nil
	case crm.ManagerUnreachable:
		what := "уведомление"
		if p.LeadID != nil {
			what = fmt.Sprintf("заявка №%d", *p.LeadID)
		} else if p.DealID != nil {
			what = fmt.Sprintf("сделка №%d", *p.DealID)
		}
		return fmt.Sprintf("⚠️ %s недоступен в Telegram (бот заблокирован или чат удалён).\nНе доставлено: %s. Его новые заявки переданы в очередь.", p.ManagerName, what), nil
	case crm.InboxFailed:
		return fmt.Sprintf("⚠️ Входящее событие не удалось обработать после %d попыток (%s).\nОшибка: %s\n"+
			"Событие %s: GET /api/v1/inbox/failed, повторить — POST /api/v1/inbox/%s/retry",
			p.Attempts, p.Source, clip(p.Error, 500), p.EventID, p.EventID), nil
	case crm.WebhookDisabled:
		return fmt.Sprintf("⚠️ Вебхук #%d отключён: %s\nОшибки с %s: %s\nВключить снова: PATCH /api/v1/webhooks/%d {\"enabled\": true}",
			p.EndpointID, p.URL, p.FailingSince.UTC().Format("02.01.2006 15:04 UTC"), p.Reason, p.EndpointID), nil
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
func messengerText(p crm.MessengerMessage) string {
	name := p.Name
	if name == "" {
		name = "Клиент"
	}
	ref := fmt.Sprintf("заявка №%d", deref(p.LeadID))
	if p.DealID != nil {
		ref = fmt.Sprintf("сделка №%d", *p.DealID)
	}
	return fmt.Sprintf("💬 %s (Telegram, %s):\n%s\n\n↩️ Ответьте на это сообщение, и клиент получит ответ.", name, ref, clip(p.Text, 3500))
}

// channelWord names a channel for a person.
func channelWord(ch string) string {
	switch ch {
	case crm.ChannelMail:
		return "новое письмо"
	case crm.ChannelCall:
		return "звонок"
	case crm.ChannelForm:
		return "новая заявка с сайта"
	case crm.ChannelMessenger:
		return "сообщение"
	}
	return "новое обращение"
}

// subjectText is an activity's subject in Russian: the ones Leadd writes
// itself are English keys in the database.
func subjectText(s string) string {
	switch s {
	case "Call back: new lead":
		return "перезвонить по новой заявке"
	case "Call back: a request on the deal":
		return "перезвонить по сделке"
	case "Answer the letter":
		return "ответить на письмо"
	case "Answer the message":
		return "ответить на сообщение"
	}
	return s
}
