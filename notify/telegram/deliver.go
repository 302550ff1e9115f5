package telegram

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
	"golang.org/x/sync/errgroup"

	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/dedupe"
)

// Store is what the deliverer and the bot need of the CRM.
type Store interface {
	RegisterConsumer(ctx context.Context, consumer string, kinds []string) error
	ClaimOutbox(ctx context.Context, consumer string, limit int, lease time.Duration) ([]crm.OutboxMessage, error)
	SettleOutbox(ctx context.Context, consumer string, id int64, note string) error
	RetryOutbox(ctx context.Context, consumer string, id int64, at time.Time, lastErr string) error
	PostponeOutbox(ctx context.Context, consumer string, id int64, at time.Time) error
	ExtendOutbox(ctx context.Context, consumer string, ids []int64, from, to time.Time) (int, error)
	ReleaseOutbox(ctx context.Context, consumer string, ids []int64, until time.Time) (int, error)
	DeadOutbox(ctx context.Context, consumer string, id int64, lastErr string) error
	MarkTelegramUnreachable(ctx context.Context, managerID int64, row *crm.OutboxMessage, reason string) error
	MarkTelegramReachable(ctx context.Context, managerID int64) (bool, error)
	TelegramMissed(ctx context.Context, managerID int64, since time.Time) (crm.Missed, error)
	TelegramSent(ctx context.Context, outboxID, chatID int64) (bool, error)
	RecordTelegramSent(ctx context.Context, outboxID, chatID int64, messageID int) error
	TelegramRecipient(ctx context.Context, managerID int64) (crm.Recipient, error)
	TelegramSupervisors(ctx context.Context) ([]crm.Recipient, error)
	TelegramAdmins(ctx context.Context) ([]crm.Recipient, error)
	LinkTelegram(ctx context.Context, code string, chatID int64) (crm.Manager, error)
	ManagerByTelegram(ctx context.Context, chatID int64) (crm.Manager, error)
	UpdateManager(ctx context.Context, id int64, p crm.ManagerPatch) (crm.Manager, error)
	Managers(ctx context.Context) ([]crm.Manager, error)
	AssignLead(ctx context.Context, leadID, managerID int64, by *int64, sla time.Duration) (crm.Lead, error)
	Lead(ctx context.Context, id int64) (crm.Lead, error)
	TelegramCardFacts(ctx context.Context, leadID int64) (crm.CardFacts, error)
	JunkReasons() []crm.Reason
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
var Kinds = []string{crm.KindManagerBack, crm.KindLeadCreated, crm.KindLeadStatusChanged, crm.KindLeadConverted, crm.KindWeeklySummary, crm.KindLeadAssigned, crm.KindCallIncoming, crm.KindActivityOverdue, crm.KindManagerDigest,
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

	// Batch is how many rows are claimed at once (100): a chat's rows
	// waiting for its turn come due together and go oldest lead first.
	Batch   int
	Workers int           // rows sent in parallel (8); the limiter paces them
	Poll    time.Duration // how often to look when idle (1s)
	// Lease is how long a claimed row is hidden (10s), extended while it
	// is worked: a crashed replica's rows move on within it. A stop
	// releases at once what it will not finish.
	Lease time.Duration
	// Hold is the longest a worker waits for a chat's turn (1.5s); a row
	// whose chat is busier goes back to the outbox until its turn, so one
	// manager's flood of cards never holds up another manager's card.
	Hold       time.Duration
	Backoff    time.Duration // first retry after a failure (5s), doubling
	MaxBackoff time.Duration // up to (10m)
	// MaxAttempts makes a row that failed this often a dead letter (50:
	// about eight hours of a Telegram that keeps failing).
	MaxAttempts int
	// Texts are the messages' words (nil: Russian).
	Texts *Texts
	// Summary is the window the supervisors' summary gathers (1m): leads
	// not taken in time, left in the queue, managers out of reach.
	Summary time.Duration

	mu      sync.Mutex
	waiting map[int64]time.Time // chats with rows postponed, and until when
}

func (d *Deliverer) defaults() {
	if d.Batch <= 0 {
		d.Batch = 100
	}
	if d.Workers <= 0 {
		d.Workers = 8
	}
	if d.Poll <= 0 {
		d.Poll = time.Second
	}
	if d.Lease <= 0 {
		d.Lease = 10 * time.Second
	}
	if d.MaxAttempts <= 0 {
		d.MaxAttempts = 50
	}
	if d.Summary <= 0 {
		d.Summary = time.Minute
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

// DeliverDue claims one batch of due rows and works it; it returns how
// many it claimed. Each row is read first; then each chat's rows go in
// the order they were written (oldest lead first), one after another,
// while the chats go in parallel. A chat's rows take a worker for at most
// Hold: the rest wait in the outbox for the chat's turn, and rows for a
// chat already waiting join the wait behind them.
func (d *Deliverer) DeliverDue(ctx context.Context) (int, error) {
	d.defaults()
	claimed := time.Now()
	rows, err := d.Store.ClaimOutbox(ctx, crm.ConsumerTelegram, d.Batch, d.Lease)
	if err != nil || len(rows) == 0 {
		return 0, err
	}
	// ctx ending stops what has not begun; what has (a message on its
	// way, its record) finishes on work.
	work := context.WithoutCancel(ctx)
	jobs := make([]*job, len(rows))
	for i, m := range rows {
		jobs[i] = &job{m: m, log: d.Log.With("outbox_id", m.ID, "kind", m.Kind, "idempotency_key", m.Key, "attempt", m.Attempts)}
	}
	keeper := d.keep(work, jobs, rows[0].LeaseUntil)
	defer keeper.stop(ctx)
	var g errgroup.Group
	g.SetLimit(d.Workers)
	for _, j := range jobs {
		g.Go(func() error {
			if ctx.Err() == nil {
				d.prepare(work, j)
			}
			return nil
		})
	}
	_ = g.Wait()
	// Lanes: one per chat, in row order; a row for several chats (a
	// notice to every supervisor) goes on its own.
	lanes := map[int64][]*job{}
	var order []int64
	var alone, summary []*job
	for _, j := range jobs {
		switch {
		case j.done.Load():
		case j.summary != nil:
			summary = append(summary, j)
		case len(j.out) == 1:
			chat := *j.out[0].to.ChatID
			if _, ok := lanes[chat]; !ok {
				order = append(order, chat)
			}
			lanes[chat] = append(lanes[chat], j)
		default:
			alone = append(alone, j)
		}
	}
	for _, chat := range order {
		oldestLeadFirst(lanes[chat])
		g.Go(func() error {
			d.lane(ctx, work, claimed, chat, lanes[chat])
			return nil
		})
	}
	if len(summary) > 0 {
		g.Go(func() error {
			d.summarize(ctx, work, summary)
			return nil
		})
	}
	for _, j := range alone {
		g.Go(func() error {
			if err := d.send(ctx, work, j, true); err != errStopped {
				d.finish(work, j, err)
			}
			return nil
		})
	}
	return len(rows), g.Wait()
}

// oldestLeadFirst orders a chat's lead cards by lead, in the places the
// cards have among the chat's rows: leads landed at once by several
// processors commit their cards in any order.
func oldestLeadFirst(jobs []*job) {
	var at []int
	var cards []*job
	for i, j := range jobs {
		if j.m.Kind == crm.KindLeadAssigned && j.lead != 0 {
			at, cards = append(at, i), append(cards, j)
		}
	}
	slices.SortStableFunc(cards, func(a, b *job) int { return cmp.Compare(a.lead, b.lead) })
	for k, i := range at {
		jobs[i] = cards[k]
	}
}

// errStopped: the deliverer stopped before the row's message went.
var errStopped = errors.New("stopped before sending")

// keeper extends a batch's claim while its rows are worked, and on a
// stop gives back at once those not finished.
type keeper struct {
	d     *Deliverer
	work  context.Context
	jobs  []*job
	done  chan struct{}
	ended chan struct{}
	mu    sync.Mutex
	until time.Time
}

func (d *Deliverer) keep(work context.Context, jobs []*job, until time.Time) *keeper {
	k := &keeper{d: d, work: work, jobs: jobs, until: until, done: make(chan struct{}), ended: make(chan struct{})}
	go k.run()
	return k
}

// open lists the rows not finished.
func (k *keeper) open() []int64 {
	var ids []int64
	for _, j := range k.jobs {
		if !j.done.Load() {
			ids = append(ids, j.m.ID)
		}
	}
	return ids
}

func (k *keeper) run() {
	defer close(k.ended)
	t := time.NewTicker(k.d.Lease / 3)
	defer t.Stop()
	for {
		select {
		case <-k.done:
			return
		case <-t.C:
		}
		ids := k.open()
		if len(ids) == 0 {
			continue
		}
		k.mu.Lock()
		from := k.until
		k.mu.Unlock()
		to := time.Now().Add(k.d.Lease).Truncate(time.Microsecond)
		if _, err := k.d.Store.ExtendOutbox(k.work, crm.ConsumerTelegram, ids, from, to); err != nil {
			k.d.Log.Warn("telegram: the claim was not extended", "err", err)
			continue
		}
		k.mu.Lock()
		k.until = to
		k.mu.Unlock()
	}
}

// stop ends the extending; when ctx ended, the rows not finished are
// released for the next process.
func (k *keeper) stop(ctx context.Context) {
	close(k.done)
	<-k.ended
	if ctx.Err() == nil {
		return
	}
	if ids := k.open(); len(ids) > 0 {
		n, err := k.d.Store.ReleaseOutbox(k.work, crm.ConsumerTelegram, ids, k.until)
		if err != nil {
			k.d.Log.Warn("telegram: stopping, rows not released; their claim runs out", "err", err)
			return
		}
		k.d.Log.Info("telegram: stopping, rows released", "count", n)
	}
}

// outgoing is one message an outbox row makes.
type outgoing struct {
	to     crm.Recipient
	text   string
	markup *tgbotapi.InlineKeyboardMarkup
	// redraw: once this card is sent, the lead's cards in other chats
	// are redrawn (the lead was handed on: the old card says so).
	redraw int64
	// media: a client's file, re-sent as itself with text as its caption.
	media *crm.Media
	lead  int64 // a card's lead
}

// message is the Bot API call that sends o to chat.
func (o outgoing) message(chat int64) tgbotapi.Chattable {
	if m := o.media; m != nil {
		file, caption := tgbotapi.FileID(m.FileID), clip(o.text, 1000)
		switch m.Kind {
		case "photo":
			c := tgbotapi.NewPhoto(chat, file)
			c.Caption = caption
			return c
		case "document":
			c := tgbotapi.NewDocument(chat, file)
			c.Caption = caption
			return c
		case "voice":
			c := tgbotapi.NewVoice(chat, file)
			c.Caption = caption
			return c
		case "video":
			c := tgbotapi.NewVideo(chat, file)
			c.Caption = caption
			return c
		case "audio":
			c := tgbotapi.NewAudio(chat, file)
			c.Caption = caption
			return c
		}
	}
	msg := tgbotapi.NewMessage(chat, o.text)
	if o.markup != nil {
		msg.ReplyMarkup = *o.markup
	}
	return msg
}

// job is one claimed row being worked.
type job struct {
	m     crm.OutboxMessage
	log   *slog.Logger
	out   []outgoing
	notes []string
	done  atomic.Bool // settled, retried or postponed already
	// summary: the row goes to the supervisors in their summary.
	summary crm.OutboxKind
	lead    int64 // the lead of a card
}

// prepare renders a row; a row that makes no message is settled here.
// A row for the supervisors' summary waits for its window to end.
func (d *Deliverer) prepare(ctx context.Context, j *job) {
	if summarized(j.m.Kind) {
		v, err := j.m.Decode()
		if err != nil {
			d.finish(ctx, j, d.Store.SettleOutbox(ctx, crm.ConsumerTelegram, j.m.ID, "unreadable payload: "+err.Error()))
			return
		}
		if p, ok := v.(crm.LeadCreated); ok && (p.ManagerID != nil || p.Status != crm.StatusNew) {
			d.finish(ctx, j, d.Store.SettleOutbox(ctx, crm.ConsumerTelegram, j.m.ID, "not queued"))
			return
		}
		if end := d.windowEnd(j.m.CreatedAt); time.Now().Before(end) {
			d.finish(ctx, j, d.Store.PostponeOutbox(ctx, crm.ConsumerTelegram, j.m.ID, end))
			return
		}
		j.summary = v
		return
	}
	out, note, err := d.render(ctx, j.m)
	if err != nil {
		if crm.ErrorCode(err) == crm.ENOTFOUND {
			j.log.Warn("telegram: nothing to tell", "reason", err.Error())
			d.finish(ctx, j, d.Store.SettleOutbox(ctx, crm.ConsumerTelegram, j.m.ID, "gone: "+err.Error()))
			return
		}
		d.finish(ctx, j, d.retry(ctx, j.log, j.m, d.backoff(j.m.Attempts), err.Error()))
		return
	}
	if note != "" {
		j.notes = append(j.notes, note)
		j.log.Info("telegram: no message", "reason", note)
	}
	j.out = out
	if len(out) == 1 {
		j.lead = out[0].lead
	}
	if len(out) == 0 {
		d.finish(ctx, j, d.Store.SettleOutbox(ctx, crm.ConsumerTelegram, j.m.ID, note))
	}
}

// finish logs what working a row came to; the row is done either way.
func (d *Deliverer) finish(ctx context.Context, j *job, err error) {
	j.done.Store(true)
	if err != nil && ctx.Err() == nil {
		d.Log.Error("telegram outbox row", "outbox_id", j.m.ID, "idempotency_key", j.m.Key, "err", err)
	}
}

// lane sends one chat's rows in order, for at most Hold; the rest wait in
// the outbox until the chat's turn, and the chat is marked waiting so that
// rows for it claimed meanwhile wait behind them.
func (d *Deliverer) lane(ctx, work context.Context, claimed time.Time, chat int64, jobs []*job) {
	start := time.Now()
	for i, j := range jobs {
		if ctx.Err() != nil {
			return
		}
		at := d.waitingUntil(chat)
		ahead := time.Until(at)
		if at.After(claimed) {
			// Older rows of this chat were waiting when these were
			// claimed: these go behind them, however late it is now.
			d.postpone(work, chat, jobs[i:], at, ahead)
			return
		}
		if ahead <= 0 {
			// No rows wait for this chat: this one goes unless the chat's
			// turn would keep the worker past Hold.
			if ahead = d.Client.limit.Ahead(chat); ahead > 0 && time.Since(start)+ahead > d.Hold {
				at = time.Now().Add(ahead)
				d.markWaiting(chat, at)
			}
		}
		if at.After(time.Now()) {
			d.postpone(work, chat, jobs[i:], at, ahead)
			return
		}
		err := d.send(ctx, work, j, false)
		if err == errStopped {
			return
		}
		d.finish(work, j, err)
	}
}

// postpone puts a chat's rows back in the outbox until at, all alike: due
// together, they are claimed together and go in order.
func (d *Deliverer) postpone(work context.Context, chat int64, jobs []*job, at time.Time, ahead time.Duration) {
	for _, j := range jobs {
		j.log.Debug("telegram: the chat's turn comes later", "chat_id", chat, "after", ahead.String())
		d.finish(work, j, d.Store.PostponeOutbox(work, crm.ConsumerTelegram, j.m.ID, at))
	}
}

// waitingUntil is when a chat's postponed rows are due (zero: none wait).
func (d *Deliverer) waitingUntil(chat int64) time.Time {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.waiting[chat]
}

func (d *Deliverer) markWaiting(chat int64, at time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.waiting == nil {
		d.waiting = map[int64]time.Time{}
	}
	now := time.Now()
	if len(d.waiting) > 10000 {
		for k, v := range d.waiting {
			if v.Before(now) {
				delete(d.waiting, k)
			}
		}
	}
	if at.After(d.waiting[chat]) {
		d.waiting[chat] = at
	}
}

// send sends a row's messages and settles it. With hold, a busy chat
// puts the row back until its turn (a row for several chats: those it
// reached are not written to again).
func (d *Deliverer) send(stop, ctx context.Context, j *job, hold bool) error {
	m, log := j.m, j.log
	notes := j.notes
	for _, o := range j.out {
		chat := *o.to.ChatID
		sent, err := d.Store.TelegramSent(ctx, m.ID, chat)
		if err != nil {
			return d.retry(ctx, log, m, d.backoff(m.Attempts), err.Error())
		}
		if sent {
			log.Info("telegram: already sent to this chat, not again", "manager_id", o.to.ManagerID)
			continue
		}
		if ahead := d.Client.limit.Ahead(chat); hold && ahead > d.Hold {
			log.Debug("telegram: the chat's turn comes later", "manager_id", o.to.ManagerID, "after", ahead.String())
			return d.Store.PostponeOutbox(ctx, crm.ConsumerTelegram, m.ID, time.Now().Add(ahead))
		}
		msg := o.message(chat)
		if err := d.Client.limit.Wait(stop, chat); err != nil {
			return errStopped
		}
		sctx, cancel := context.WithTimeout(ctx, sendTimeout)
		res, err := d.Client.sendNow(sctx, chat, msg)
		cancel()
		f := classify(err)
		switch f.kind {
		case failNone:
			// Sent: from here a crash before the next line resends it once.
			if err := d.Store.RecordTelegramSent(ctx, m.ID, chat, res.MessageID); err != nil {
				log.Error("telegram: sent but not recorded; a retry may resend", "manager_id", o.to.ManagerID, "err", err)
				return err
			}
			log.Info("telegram sent", "manager_id", o.to.ManagerID, "message_id", res.MessageID)
			if o.redraw != 0 {
				redrawCardsBut(d.Texts, ctx, d.Store, d.Client, d.Log, o.redraw, chat)
			}
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

// sendTimeout bounds one message's call to Telegram.
const sendTimeout = 15 * time.Second

// staleRinging: a "who is calling" notice later than this is noise.
const staleRinging = 5 * time.Minute

// render turns a row into its messages; note says why there are none.
func (d *Deliverer) render(ctx context.Context, m crm.OutboxMessage) ([]outgoing, string, error) {
	v, err := m.Decode()
	if err != nil {
		return nil, "unreadable payload: " + err.Error(), nil
	}
	if forSupervisors(m.Kind) || m.Kind == crm.KindWebhookDisabled {
		text, markup, err := d.supervisorText(ctx, v)
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
			out[i] = outgoing{to: s, text: text, markup: markup}
		}
		return out, "", nil
	}
	var managerID *int64
	switch p := v.(type) {
	case crm.LeadStatusChanged:
		n := redrawCards(d.Texts, ctx, d.Store, d.Client, d.Log, p.LeadID)
		return nil, fmt.Sprintf("cards redrawn: %d", len(n)), nil
	case crm.LeadConverted:
		n := redrawCards(d.Texts, ctx, d.Store, d.Client, d.Log, p.LeadID)
		return nil, fmt.Sprintf("cards redrawn: %d", len(n)), nil
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
	case crm.ManagerBack:
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
		f, err := d.Store.TelegramCardFacts(ctx, p.LeadID)
		if err != nil {
			return nil, "", err
		}
		o.text, o.markup = cardText(d.Texts, l, f, to.ManagerID, loc), cardKeyboard(d.Texts, l, to.ManagerID)
		o.lead = p.LeadID
		for _, c := range f.Cards {
			if c.ChatID != *to.ChatID {
				o.redraw = p.LeadID
			}
		}
		if p.Returning {
			o.text = d.Texts.T("Ваш клиент обратился снова\n") + o.text
		} else {
			o.text = d.Texts.T("Новая заявка для вас\n") + o.text
		}
	case crm.CallIncoming:
		if time.Since(m.CreatedAt) > staleRinging {
			return nil, "stale: the call is over", nil
		}
		o.text = d.Texts.T("📞 Сейчас звонит: ") + p.Phone
		if p.Returning {
			o.text += d.Texts.T(" — ваш клиент")
		}
		if p.LeadID != nil {
			o.text += fmt.Sprintf(d.Texts.T("\nЗаявка №%d"), *p.LeadID)
		} else if p.DealID != nil {
			o.text += fmt.Sprintf(d.Texts.T("\nСделка №%d"), *p.DealID)
		}
		if p.Line != "" {
			o.text += d.Texts.T("\nЛиния ") + p.Line
		}
	case crm.ActivityOverdue:
		// A reminder is for the one whose activity it still is, while it
		// is open: a lead handed on takes its call with it.
		a, err := d.Store.Activity(ctx, p.ActivityID)
		if err != nil {
			return nil, "", err
		}
		switch {
		case a.DoneAt != nil:
			return nil, "the activity is done", nil
		case a.ManagerID != p.ManagerID:
			return nil, "the activity went to another manager", nil
		case !a.DueAt.Equal(p.DueAt):
			return nil, "the activity was moved to another time", nil
		}
		o.text = d.Texts.T("⏰ Просрочено: ") + subjectText(d.Texts, p.Subject)
		o.text += d.Texts.T("\nСрок был ") + d.Texts.Time(p.DueAt.In(loc))
		if p.LeadID != nil {
			o.text += fmt.Sprintf(d.Texts.T("\nЗаявка №%d"), *p.LeadID)
		}
		kb := tgbotapi.NewInlineKeyboardMarkup(tgbotapi.NewInlineKeyboardRow(
			tgbotapi.NewInlineKeyboardButtonData(d.Texts.T("Сделано"), cbDone+":"+id(p.ActivityID))))
		o.markup = &kb
	case crm.WeeklySummary:
		o.text = weeklyText(d.Texts, p)
	case crm.ManagerBack:
		missed, err := d.Store.TelegramMissed(ctx, p.ManagerID, p.Since)
		if err != nil {
			return nil, "", err
		}
		o.text = backText(d.Texts, missed, p.Since.In(loc))
	case crm.ManagerDigest:
		o.text = digestText(d.Texts, p)
	case crm.DealTouch:
		o.text = fmt.Sprintf(d.Texts.T("💬 Сделка №%d: %s\n%s"), p.DealID, channelWord(d.Texts, p.Channel), clip(p.Text, 600))
	case crm.MessengerMessage:
		o.text = messengerText(d.Texts, p, 3500)
		if p.Media != nil && p.Media.BotID != 0 && p.Media.BotID == botID(d.Client) {
			// A file id is the receiving bot's own: re-sent by this bot
			// only when clients write to it (one token for both).
			o.text, o.media = messengerText(d.Texts, p, 700), p.Media
		}
	case crm.PaymentReceived:
		o.text = d.Texts.T("💰 Оплата: сделка №%d, %s", p.DealID, d.Texts.Money(p.Amount, p.Currency))
		if p.MovedTo != nil {
			o.text += d.Texts.T("\nСделка перешла на этап «") + *p.MovedTo + "»"
		}
	}
	return []outgoing{o}, "", nil
}

// supervisorText is a notice to the supervisors (or the admins) that goes
// at once, not in the summary.
func (d *Deliverer) supervisorText(_ context.Context, v crm.OutboxKind) (string, *tgbotapi.InlineKeyboardMarkup, error) {
	switch p := v.(type) {
	case crm.InboxFailed:
		return fmt.Sprintf(d.Texts.T("⚠️ Входящее событие не удалось обработать после %d попыток (%s).\nОшибка: %s\n")+
			d.Texts.T("Событие %s: GET /api/v1/inbox/failed, повторить — POST /api/v1/inbox/%s/retry"),
			p.Attempts, p.Source, clip(p.Error, 500), p.EventID, p.EventID), nil, nil
	case crm.WebhookDisabled:
		return fmt.Sprintf(d.Texts.T("⚠️ Вебхук #%d отключён: %s\nОшибки с %s: %s\nВключить снова: PATCH /api/v1/webhooks/%d {\"enabled\": true}"),
			p.EndpointID, p.URL, p.FailingSince.UTC().Format("02.01.2006 15:04 UTC"), p.Reason, p.EndpointID), nil, nil
	}
	return "", nil, nil
}

func deref(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

// backText is what a manager missed while Telegram could not reach them,
// as one message.
func backText(tx *Texts, m crm.Missed, since time.Time) string {
	var b strings.Builder
	fmt.Fprintf(&b, tx.T("С возвращением! С %s бот не мог вам писать (бот был заблокирован или чат удалён), ")+
		tx.T("и новые заявки на это время передавались другим.\n"), tx.Time(since))
	if len(m.Leads) == 0 {
		b.WriteString(tx.T("\nОткрытых заявок у вас нет.\n"))
	} else {
		fmt.Fprintf(&b, tx.T("\nВаши открытые заявки: %d\n"), len(m.Leads))
		for _, l := range m.Leads {
			line := tx.T("• №%d", l.ID)
			if l.Name != "" {
				line += " " + l.Name
			}
			if len(l.Phones) > 0 {
				line += ", " + dedupe.Display(l.Phones[0])
			}
			status := tx.T("новая")
			if l.Status == crm.StatusInProgress {
				status = tx.T("в работе")
			}
			b.WriteString(line + " — " + status + "\n")
		}
	}
	if len(m.Messages) > 0 {
		b.WriteString(tx.T("\nКлиенты писали вам:\n"))
		for i, x := range m.Messages {
			if i == 10 {
				fmt.Fprintf(&b, tx.T("… и ещё %d\n"), len(m.Messages)-i)
				break
			}
			name := x.Name
			if name == "" {
				name = tx.T("Клиент")
			}
			ref := fmt.Sprintf(tx.T("заявка №%d"), deref(x.LeadID))
			if x.DealID != nil {
				ref = fmt.Sprintf(tx.T("сделка №%d"), *x.DealID)
			}
			fmt.Fprintf(&b, "• %s (%s): %s\n", name, ref, clip(x.Text, 200))
		}
	}
	if m.Notices > 0 {
		fmt.Fprintf(&b, tx.T("\nДругих уведомлений не дошло: %d.\n"), m.Notices)
	}
	b.WriteString(tx.T("\n/today — дела на сегодня · /overdue — просроченные"))
	return b.String()
}

// messengerText is a client's message as their manager sees it: who,
// about which lead or deal, what they wrote, and how to answer. Telegram
// allows 4096 characters; the CRM keeps the whole text.
func messengerText(tx *Texts, p crm.MessengerMessage, most int) string {
	name := p.Name
	if name == "" {
		name = tx.T("Клиент")
	}
	ref := fmt.Sprintf(tx.T("заявка №%d"), deref(p.LeadID))
	if p.DealID != nil {
		ref = fmt.Sprintf(tx.T("сделка №%d"), *p.DealID)
	}
	return fmt.Sprintf(tx.T("💬 %s (Telegram, %s):\n%s\n\n↩️ Ответьте на это сообщение, и клиент получит ответ."), name, ref, clip(p.Text, most))
}

// channelWord names a channel for a person.
func channelWord(tx *Texts, ch string) string {
	switch ch {
	case crm.ChannelMail:
		return tx.T("новое письмо")
	case crm.ChannelCall:
		return tx.T("звонок")
	case crm.ChannelForm:
		return tx.T("новая заявка с сайта")
	case crm.ChannelMessenger:
		return tx.T("сообщение")
	}
	return tx.T("новое обращение")
}

// subjectText is an activity's subject in Russian: the ones Leadd writes
// itself are English keys in the database.
func subjectText(tx *Texts, s string) string {
	switch s {
	case "Call back: new lead":
		return tx.T("перезвонить по новой заявке")
	case "Call back: a request on the deal":
		return tx.T("перезвонить по сделке")
	case "Answer the letter":
		return tx.T("ответить на письмо")
	case "Answer the message":
		return tx.T("ответить на сообщение")
	}
	lang := "ru"
	if tx != nil && tx.lang != "" {
		lang = tx.lang
	}
	return crm.ActivitySubject(s, lang)
}

// digestText is a manager's morning digest.
func digestText(tx *Texts, p crm.ManagerDigest) string {
	return fmt.Sprintf(tx.T("Доброе утро! %s\nНа сегодня дел: %d\nПросрочено: %d\n/today — дела на сегодня · /overdue — просроченные"),
		tx.Day(p.Date), p.Today, p.Overdue)
}
