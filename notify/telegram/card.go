package telegram

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/dedupe"
)

// Callback data of the card's buttons (Telegram allows 64 bytes):
// t:<lead> take, n:<lead>:<call> no answer on that call, q:<lead>
// qualified, j:<lead> the junk reasons, jr:<lead>:<reason> junk, b:<lead>
// back to the card's buttons, d:<activity> an activity done.
const (
	cbTake      = "t"
	cbNoAnswer  = "n"
	cbQualified = "q"  // asks: a person or a company?
	cbAsPerson  = "qp" // converts for a person
	cbAsCompany = "qc" // asks for the company's INN and name
	cbJunk      = "j"
	cbJunkAs    = "jr"
	cbBack      = "b"
	cbDone      = "d"
)

// openCall is the lead's open call, the one "No answer" records on.
func openCall(l crm.Lead) *crm.Activity {
	for i := range l.Activities {
		a := &l.Activities[i]
		if a.Type == crm.ActivityCall && a.DoneAt == nil {
			return a
		}
	}
	return nil
}

// cardText is the lead as manager to sees it in Telegram: who, how to
// reach them, where they came from, what they wrote, where the lead
// stands and who did what with it — all read from the lead as it stands,
// so a redraw (a repeated press, a change made elsewhere) never loses
// what the card said. A lead handed to somebody else says so. Plain
// text: Telegram makes +7… numbers and e-mails tappable itself.
func cardText(tx *Texts, l crm.Lead, f crm.CardFacts, to int64, loc *time.Location) string {
	var b strings.Builder
	fmt.Fprintf(&b, tx.T("Заявка №%d — %s\n"), l.ID, statusText(tx, l, f.JunkReasons))
	name := l.Name
	if name == "" {
		name = tx.T("(без имени)")
	}
	b.WriteString("👤 " + name + "\n")
	for _, p := range l.Phones {
		b.WriteString("📞 " + dedupe.Display(p) + "\n")
	}
	for _, p := range l.RawPhones {
		b.WriteString("📞 " + p + tx.T(" (как написал клиент)\n"))
	}
	for _, e := range l.Emails {
		b.WriteString("✉️ " + e + "\n")
	}
	b.WriteString("📥 " + sourceText(tx, l) + "\n")
	if utm := utmText(l.UTM); utm != "" {
		b.WriteString("🏷 " + utm + "\n")
	}
	if c := firstComment(l); c != "" {
		b.WriteString("💬 " + clip(c, 600) + "\n")
	}
	if l.ContactID != nil {
		b.WriteString(tx.T("↩️ Клиент обращался раньше\n"))
	} else {
		b.WriteString(tx.T("🆕 Новый клиент\n"))
	}
	if n := len(l.Touches); n > 1 {
		fmt.Fprintf(&b, tx.T("Обращений: %d\n"), n)
	}
	tries, last := noAnswers(l)
	if c := openCall(l); c != nil && l.Open() && !movedFrom(l, to) {
		if tries > 0 {
			fmt.Fprintf(&b, tx.T("⏰ Следующий звонок до %s\n"), tx.Time(c.DueAt.In(loc)))
		} else {
			fmt.Fprintf(&b, tx.T("⏰ Позвонить до %s\n"), tx.Time(c.DueAt.In(loc)))
		}
	}
	var foot []string
	if tries > 0 {
		line := fmt.Sprintf(tx.T("📵 Не дозвонились: %s"), tx.Time(last.In(loc)))
		if tries > 1 {
			line = fmt.Sprintf(tx.T("📵 Не дозвонились %d %s, последний — %s"), tries, tx.Plural(tries, tx.T("раз"), tx.T("раза"), tx.T("раз")), tx.Time(last.In(loc)))
		}
		if l.Status == crm.StatusJunk && l.JunkReason != nil && *l.JunkReason == "unreachable" {
			line += tx.T("; попытки кончились, заявка закрыта")
		}
		foot = append(foot, line)
	}
	who, at := f.ManagerName, tx.Time(f.StatusChangedAt.In(loc))
	switch {
	case l.Open() && movedFrom(l, to):
		if who == "" {
			foot = append(foot, tx.T("↪️ Заявка передана в очередь, она больше не ваша."))
		} else {
			foot = append(foot, tx.T("↪️ Заявка передана: ")+who+tx.T(", она больше не ваша."))
		}
	case l.Status == crm.StatusInProgress:
		foot = append(foot, fmt.Sprintf(tx.T("✋ Взял в работу: %s, %s"), who, at))
	case l.Status == crm.StatusConverted && f.DealID != nil:
		foot = append(foot, fmt.Sprintf(tx.T("🤝 Квалифицировал %s, %s: сделка №%d"), who, at, *f.DealID))
	case l.Status == crm.StatusJunk && who != "":
		foot = append(foot, fmt.Sprintf(tx.T("🗑 Закрыто как брак: %s, %s"), who, at))
	}
	if len(foot) > 0 {
		b.WriteString("\n" + strings.Join(foot, "\n"))
	}
	return strings.TrimRight(b.String(), "\n")
}

// movedFrom reports whether the lead is no longer manager to's (0: the
// card is drawn for whoever has it).
func movedFrom(l crm.Lead, to int64) bool {
	return to != 0 && (l.ManagerID == nil || *l.ManagerID != to)
}

// noAnswers counts the lead's calls nobody answered, and when the last was.
func noAnswers(l crm.Lead) (int, time.Time) {
	n, last := 0, time.Time{}
	for _, a := range l.Activities {
		if a.Type == crm.ActivityCall && a.Outcome != nil && *a.Outcome == crm.OutcomeNoAnswer && a.DoneAt != nil {
			n++
			if a.DoneAt.After(last) {
				last = *a.DoneAt
			}
		}
	}
	return n, last
}

// statusText is where a lead stands, in words; reasons name its junk
// reason.
func statusText(tx *Texts, l crm.Lead, reasons []crm.Reason) string {
	switch l.Status {
	case crm.StatusNew:
		return tx.T("новая")
	case crm.StatusInProgress:
		return tx.T("в работе")
	case crm.StatusConverted:
		return tx.T("квалифицирована, создана сделка")
	case crm.StatusJunk:
		if l.JunkReason != nil {
			return tx.T("закрыта как брак (") + junkText(*l.JunkReason, reasons) + ")"
		}
		return tx.T("закрыта как брак")
	}
	return l.Status
}

func sourceText(tx *Texts, l crm.Lead) string {
	switch l.Channel {
	case crm.ChannelForm:
		return tx.T("Заявка с сайта (форма «") + tx.Form(l.Source) + "»)"
	case crm.ChannelCall:
		if l.Source == "" {
			return tx.T("Звонок")
		}
		return tx.T("Звонок на линию ") + l.Source
	case crm.ChannelMail:
		return tx.T("Письмо на ") + l.Source
	case crm.ChannelMessenger:
		return tx.T("Сообщение в Telegram")
	case crm.ChannelManual:
		return tx.T("Внесена вручную")
	}
	return strings.TrimSpace(l.Channel + " " + l.Source)
}

func utmText(utm map[string]string) string {
	var parts []string
	for _, k := range []string{"utm_source", "utm_medium", "utm_campaign"} {
		if v := utm[k]; v != "" {
			parts = append(parts, v)
		}
	}
	return strings.Join(parts, " / ")
}

func firstComment(l crm.Lead) string {
	if l.Comment != "" {
		return l.Comment
	}
	for _, t := range l.Touches {
		if t.Text != "" {
			return t.Text
		}
	}
	return ""
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

func id(n int64) string { return strconv.FormatInt(n, 10) }

// cardKeyboard is the card's buttons for the lead as it stands, for
// manager to (0: whoever has it); nil once it is closed or handed to
// somebody else (nothing left to press).
func cardKeyboard(tx *Texts, l crm.Lead, to int64) *tgbotapi.InlineKeyboardMarkup {
	if !l.Open() || movedFrom(l, to) {
		return nil
	}
	var first []tgbotapi.InlineKeyboardButton
	if l.Status == crm.StatusNew {
		first = append(first, tgbotapi.NewInlineKeyboardButtonData(tx.T("Беру"), cbTake+":"+id(l.ID)))
	}
	if c := openCall(l); c != nil {
		first = append(first, tgbotapi.NewInlineKeyboardButtonData(tx.T("Не дозвонился"), cbNoAnswer+":"+id(l.ID)+":"+id(c.ID)))
	}
	second := tgbotapi.NewInlineKeyboardRow(
		tgbotapi.NewInlineKeyboardButtonData(tx.T("Квалифицировать"), cbQualified+":"+id(l.ID)),
		tgbotapi.NewInlineKeyboardButtonData(tx.T("В брак ▸"), cbJunk+":"+id(l.ID)))
	rows := [][]tgbotapi.InlineKeyboardButton{second}
	if len(first) > 0 {
		rows = [][]tgbotapi.InlineKeyboardButton{first, second}
	}
	kb := tgbotapi.NewInlineKeyboardMarkup(rows...)
	return &kb
}

// junkText is a junk reason in words: its label in the configuration
// (leads.junk_reasons), lower-cased to stand in a sentence.
func junkText(reason string, reasons []crm.Reason) string {
	for _, r := range reasons {
		if r.Key == reason {
			return strings.ToLower(r.Label)
		}
	}
	return reason
}

// junkKeyboard is the second keyboard: a reason to close the lead as
// junk, each of the configuration's (leads.junk_reasons).
func junkKeyboard(tx *Texts, leadID int64, reasons []crm.Reason) tgbotapi.InlineKeyboardMarkup {
	var rows [][]tgbotapi.InlineKeyboardButton
	var row []tgbotapi.InlineKeyboardButton
	for _, r := range reasons {
		row = append(row, tgbotapi.NewInlineKeyboardButtonData(clip(r.Label, 30), cbJunkAs+":"+id(leadID)+":"+r.Key))
		if len(row) == 2 {
			rows, row = append(rows, row), nil
		}
	}
	if len(row) > 0 {
		rows = append(rows, row)
	}
	rows = append(rows, tgbotapi.NewInlineKeyboardRow(tgbotapi.NewInlineKeyboardButtonData(tx.T("◂ Назад"), cbBack+":"+id(leadID))))
	return tgbotapi.NewInlineKeyboardMarkup(rows...)
}

// location is a manager's time zone, UTC when it cannot be read.
func location(tz string) *time.Location {
	loc, err := crm.LoadLocation(tz)
	if err != nil || loc == nil {
		return time.UTC
	}
	return loc
}

// redrawCards edits every card of a lead in managers' chats to the lead
// as it now stands, each for the manager it was sent to (a lead handed
// on tells the old manager so and takes the buttons away); it returns
// the cards it edited. A card that cannot be edited stays as it was.
func redrawCards(tx *Texts, ctx context.Context, st Store, c *Client, log *slog.Logger, leadID int64) []crm.SentCard {
	return redrawCardsBut(tx, ctx, st, c, log, leadID, 0)
}

// cardLocks serialize the redraws of a lead's cards: each reads the lead
// and edits under its lead's lock, so a redraw that read the lead earlier
// cannot edit after one that read it later and put back a stale card — a
// press's redraw and the outbox's for the same lead race otherwise, and
// the older keyboard (a call already recorded) could win. The lock is
// the lead's own and the client's (one per bot and process): an edit
// waits for its chat's turn (a second apart) while holding it, so a lock
// shared with other leads — or other daemons in one test binary — would
// queue their redraws behind that wait. (Replicas of the daemon do not
// share these locks.)
type cardLocks struct {
	mu    sync.Mutex
	leads map[int64]*cardLock
}

type cardLock struct {
	sync.Mutex
	users int // holding or waiting; the entry goes when none are left
}

func (l *cardLocks) lock(leadID int64) func() {
	l.mu.Lock()
	if l.leads == nil {
		l.leads = map[int64]*cardLock{}
	}
	m := l.leads[leadID]
	if m == nil {
		m = &cardLock{}
		l.leads[leadID] = m
	}
	m.users++
	l.mu.Unlock()
	m.Lock()
	return func() {
		m.Unlock()
		l.mu.Lock()
		if m.users--; m.users == 0 {
			delete(l.leads, leadID)
		}
		l.mu.Unlock()
	}
}

// redrawCardsBut is redrawCards leaving the cards in chat but alone.
func redrawCardsBut(tx *Texts, ctx context.Context, st Store, c *Client, log *slog.Logger, leadID, but int64) []crm.SentCard {
	defer c.cards.lock(leadID)()
	l, err := st.Lead(ctx, leadID)
	if err != nil {
		return nil
	}
	f, err := st.TelegramCardFacts(ctx, leadID)
	if err != nil {
		log.Warn("telegram cards", "lead_id", leadID, "err", err)
		return nil
	}
	var done []crm.SentCard
	for _, card := range f.Cards {
		if card.ChatID == but {
			continue
		}
		loc := time.UTC
		if r, err := st.TelegramRecipient(ctx, card.ManagerID); err == nil {
			loc = location(r.TimeZone)
		}
		e := tgbotapi.NewEditMessageText(card.ChatID, card.MessageID, cardText(tx, l, f, card.ManagerID, loc))
		e.ReplyMarkup = cardKeyboard(tx, l, card.ManagerID)
		if err := c.request(ctx, card.ChatID, e); err != nil && !strings.Contains(err.Error(), "message is not modified") {
			log.Warn("telegram card not redrawn", "lead_id", leadID, "chat_id", card.ChatID, "err", err)
			continue
		}
		done = append(done, card)
	}
	return done
}
