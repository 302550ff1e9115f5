package telegram

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/ingest"
)

// Inbox is where the company's bot leaves clients' messages.
type Inbox interface {
	Accept(ctx context.Context, ev *ingest.Event, hash []byte) (id string, duplicate bool, err error)
}

// Phones normalizes a phone number to E.164 and finds the numbers
// written in a text (dedupe.Normalizer).
type Phones interface {
	Phone(raw string) (string, bool)
	PhonesInText(text string) []string
}

// Source is the inbox source of the company bot's messages.
const Source = "messenger:telegram"

// Client-facing texts.
const (
	greeting    = "Здравствуйте! Напишите ваш вопрос — менеджер ответит вам здесь.\nМожно поделиться номером телефона кнопкой ниже, чтобы мы могли перезвонить."
	thanks      = "Спасибо! Менеджер ответит вам здесь."
	thanksPhone = "Спасибо, номер получили! Менеджер свяжется с вами."
	shareButton = "📱 Поделиться номером"
)

// Company is the company's bot, the one clients write to. Each private
// message becomes an inbox event (channel messenger, the sender known by
// their Telegram user id), which the core lands like any touch: a new
// lead, or the person's open lead or deal. A client who shares their
// contact through the keyboard button gives the lead their phone.
//
// It runs on its own token (Run), or on the managers' bot's (set it as
// Bot.Company with the same Client; then the Bot polls and hands it the
// chats of anyone who is not a manager).
type Company struct {
	Inbox  Inbox
	Client *Client
	Phones Phones
	Log    *slog.Logger
	// PollTimeout is how long one getUpdates waits for news (25s).
	PollTimeout time.Duration
	// Texts are the words clients read (nil: Russian).
	Texts *Texts
	// AckEvery: a client is thanked at most this often in a chat (30m),
	// not for every line they write.
	AckEvery time.Duration

	mu    sync.Mutex
	acked map[int64]time.Time
}

// Run polls the company bot's token until ctx ends; it returns nil then.
// A message the inbox did not take is asked for again.
func (c *Company) Run(ctx context.Context) error {
	return poll(ctx, c.Client, c.PollTimeout, c.log(), func(ctx context.Context, u tgbotapi.Update) error {
		if u.Message == nil || u.Message.Chat == nil || u.Message.From == nil {
			return nil
		}
		return c.message(ctx, u.Message)
	})
}

func (c *Company) log() *slog.Logger {
	if c.Log == nil {
		return slog.Default()
	}
	return c.Log
}

// message takes one client message into the inbox, then thanks them. An
// error means the inbox did not take it: the update is asked for again.
func (c *Company) message(ctx context.Context, msg *tgbotapi.Message) error {
	chat := msg.Chat.ID
	if msg.Chat.Type != "private" || msg.From.ID != chat || msg.From.IsBot {
		return nil // clients write in their private chat; groups and channels are not leads
	}
	if msg.IsCommand() && msg.Command() == "start" {
		c.send(ctx, chat, c.Texts.T(greeting), shareKeyboard(c.Texts))
		return nil
	}
	in, ok := c.inbound(msg)
	if !ok {
		return nil
	}
	raw, _ := json.Marshal(msg)
	ev := &ingest.Event{ID: ingest.NewID(time.Now()), Source: Source,
		ExternalID: strconv.FormatInt(chat, 10) + ":" + strconv.Itoa(msg.MessageID), Raw: raw, Touch: in}
	// Telegram sends an update again until it is taken: what Leadd cannot
	// store as written is made storable (and the event says so), and an
	// update still refused is recorded and acknowledged, not asked for
	// forever.
	ev.Clean()
	_, dup, err := c.Inbox.Accept(ctx, ev, nil)
	result := "accepted"
	switch {
	case err != nil:
		result = "rejected_" + crm.ErrorCode(err)
	case dup:
		result = "duplicate"
	}
	ingest.Accepted.WithLabelValues(Source, result).Inc()
	if code := crm.ErrorCode(err); err != nil && code != crm.EUNAVAILABLE && code != crm.EINTERNAL {
		c.log().Error("telegram client message refused; acknowledged so Telegram stops sending it",
			"telegram_id", chat, "external_id", ev.ExternalID, "code", code, "err", err)
		return nil
	}
	if err != nil {
		return fmt.Errorf("accept telegram message %s: %w", ev.ExternalID, err)
	}
	c.log().Info("telegram client message", "telegram_id", chat, "external_id", ev.ExternalID, "duplicate", dup,
		"phone_shared", len(in.Phones) > 0)
	switch {
	case dup, in.OnlyIfOpen:
		// A sticker alone is no question: no thanks, nothing promised.
	case len(in.Phones) > 0 && msg.Contact != nil:
		c.send(ctx, chat, c.Texts.T(thanksPhone), tgbotapi.NewRemoveKeyboard(false))
	case c.ack(chat):
		c.send(ctx, chat, c.Texts.T(thanks), nil)
	}
	return nil
}

// inbound is the touch a client's message makes; false for one that
// says nothing (a service message).
func (c *Company) inbound(msg *tgbotapi.Message) (crm.Inbound, bool) {
	in := crm.Inbound{Channel: crm.ChannelMessenger, Source: "telegram", At: msg.Time().UTC(),
		Name: strings.TrimSpace(msg.From.FirstName + " " + msg.From.LastName), TelegramID: msg.From.ID,
		Text: strings.TrimSpace(msg.Text)}
	if in.Text == "" {
		in.Text = strings.TrimSpace(msg.Caption)
	}
	if ct := msg.Contact; ct != nil {
		if ct.UserID == msg.From.ID {
			if p, ok := c.phone(ct.PhoneNumber); ok {
				in.Phones = []string{p}
			} else {
				in.RawPhones = []string{ct.PhoneNumber}
			}
			if in.Text == "" {
				in.Text = c.Texts.T("Поделился телефоном: ") + ct.PhoneNumber
			}
			return in, true
		}
		// Somebody else's card: what it says, not who the client is.
		in.Text = strings.TrimSpace(c.Texts.T("Прислал контакт: ") + ct.FirstName + " " + ct.LastName + " " + ct.PhoneNumber)
	}
	// A number the client typed is theirs: the same person by phone gets
	// no second lead.
	if in.Text != "" && c.Phones != nil {
		in.Phones = c.Phones.PhonesInText(in.Text)
	}
	in.Media = c.media(msg)
	if in.Text == "" {
		in.Text = attachmentText(c.Texts, msg)
		// A sticker alone opens nothing: it lands only on what is open.
		in.OnlyIfOpen = msg.Sticker != nil
	}
	return in, in.Text != ""
}

// media is the file a message carries, to be re-sent to the manager by
// its file id (the largest size of a photo).
func (c *Company) media(msg *tgbotapi.Message) *crm.Media {
	m := &crm.Media{BotID: botID(c.Client)}
	switch {
	case len(msg.Photo) > 0:
		m.Kind, m.FileID = "photo", msg.Photo[len(msg.Photo)-1].FileID
	case msg.Document != nil:
		m.Kind, m.FileID, m.FileName = "document", msg.Document.FileID, msg.Document.FileName
	case msg.Voice != nil:
		m.Kind, m.FileID = "voice", msg.Voice.FileID
	case msg.Video != nil:
		m.Kind, m.FileID = "video", msg.Video.FileID
	case msg.Audio != nil:
		m.Kind, m.FileID, m.FileName = "audio", msg.Audio.FileID, msg.Audio.FileName
	default:
		return nil
	}
	if m.FileID == "" || len(m.FileID) > 500 {
		return nil
	}
	return m
}

// botID is the bot's numeric id, the part of its token before the colon.
func botID(c *Client) int64 {
	if c == nil {
		return 0
	}
	head, _, _ := strings.Cut(c.api.Token, ":")
	n, _ := strconv.ParseInt(head, 10, 64)
	return n
}

// phone normalizes a shared contact's number; Telegram sends it in
// international form, with or without the "+".
func (c *Company) phone(raw string) (string, bool) {
	raw = strings.TrimSpace(raw)
	if raw != "" && !strings.HasPrefix(raw, "+") {
		raw = "+" + raw
	}
	if c.Phones == nil {
		return "", false
	}
	return c.Phones.Phone(raw)
}

// attachmentText names what a message without text carries.
func attachmentText(tx *Texts, msg *tgbotapi.Message) string {
	switch {
	case msg.Photo != nil:
		return tx.T("📷 Фото")
	case msg.Document != nil:
		return tx.T("📎 Файл «") + msg.Document.FileName + "»"
	case msg.Voice != nil:
		return tx.T("🎤 Голосовое сообщение")
	case msg.Video != nil, msg.VideoNote != nil:
		return tx.T("🎬 Видео")
	case msg.Audio != nil:
		return tx.T("🎵 Аудио")
	case msg.Sticker != nil:
		return strings.TrimSpace(tx.T("Стикер ") + msg.Sticker.Emoji)
	case msg.Location != nil:
		return fmt.Sprintf(tx.T("📍 Геопозиция %.5f, %.5f"), msg.Location.Latitude, msg.Location.Longitude)
	}
	return ""
}

// ack reports whether to thank the client now: at most once in AckEvery
// a chat. In-process, like the poller (one replica).
func (c *Company) ack(chat int64) bool {
	every := c.AckEvery
	if every <= 0 {
		every = 30 * time.Minute
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.acked == nil {
		c.acked = map[int64]time.Time{}
	}
	now := time.Now()
	if last, ok := c.acked[chat]; ok && now.Sub(last) < every {
		return false
	}
	c.acked[chat] = now
	if len(c.acked) > 10000 {
		for k, v := range c.acked {
			if now.Sub(v) >= every {
				delete(c.acked, k)
			}
		}
	}
	return true
}

func shareKeyboard(tx *Texts) tgbotapi.ReplyKeyboardMarkup {
	kb := tgbotapi.NewReplyKeyboard(tgbotapi.NewKeyboardButtonRow(tgbotapi.NewKeyboardButtonContact(tx.T(shareButton))))
	kb.ResizeKeyboard = true
	kb.OneTimeKeyboard = true
	return kb
}

// send writes to a client; a failure is logged (the client can write again).
func (c *Company) send(ctx context.Context, chat int64, text string, markup any) {
	msg := tgbotapi.NewMessage(chat, text)
	if markup != nil {
		msg.ReplyMarkup = markup
	}
	if _, err := c.Client.send(ctx, chat, msg); err != nil {
		c.log().Warn("telegram client reply", "telegram_id", chat, "err", err)
	}
}
