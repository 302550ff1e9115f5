package telegram

import (
	"context"
	"fmt"
	"strings"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/leadd/leadd/crm"
)

// Answers to a manager about their reply to a client.
const (
	notAClient    = "To answer a client, reply to their message (or to their lead's card) here."
	onlyText      = "Only text reaches the client from here for now; write your answer as text."
	notInTelegram = "This client did not write to us in Telegram, so they cannot be answered here."
)

// answerClient sends a manager's reply to the client whose message (or
// lead card) it answers, through the company's bot, and files it as an
// outbound touch. Sent first, recorded after: a crash in between sends
// it once more when Telegram repeats the update, and nothing is recorded
// that did not reach the client.
func (b *Bot) answerClient(ctx context.Context, m crm.Manager, msg *tgbotapi.Message) {
	chat := msg.Chat.ID
	t, err := b.Store.MessengerThreadOf(ctx, chat, msg.ReplyToMessage.MessageID)
	if err != nil {
		if crm.ErrorCode(err) != crm.ENOTFOUND {
			b.Log.Error("telegram reply thread", "manager_id", m.ID, "err", err)
			b.reply(ctx, chat, "Sorry, that did not work; send it again in a minute.", nil)
			return
		}
		b.reply(ctx, chat, notAClient, nil)
		return
	}
	ref := threadRef(t)
	switch {
	case !mayAct(m, t.ManagerID):
		b.Log.Info("telegram reply refused", "manager_id", m.ID, "ref", ref)
		b.reply(ctx, chat, "This client is not yours any more ("+ref+"): nothing was sent.", nil)
		return
	case t.TelegramID == 0:
		b.reply(ctx, chat, notInTelegram, nil)
		return
	}
	text := strings.TrimSpace(msg.Text)
	if text == "" {
		b.reply(ctx, chat, onlyText, nil)
		return
	}
	if done, err := b.Store.MessengerReplied(ctx, chat, msg.MessageID); err != nil || done {
		if err != nil {
			b.Log.Error("telegram reply check", "manager_id", m.ID, "err", err)
			b.reply(ctx, chat, "Sorry, that did not work; send it again in a minute.", nil)
		}
		return // a repeated update: the client has it
	}
	sent, err := b.Company.Client.send(ctx, t.TelegramID, tgbotapi.NewMessage(t.TelegramID, text))
	if err != nil {
		f := classify(err)
		b.Log.Warn("telegram reply not delivered", "manager_id", m.ID, "ref", ref, "reason", f.reason)
		why := "Telegram did not take it; send it again in a minute."
		if f.kind == failUnreachable {
			why = "the client blocked the bot or left Telegram."
		}
		b.reply(ctx, chat, "Not delivered to the client: "+why, nil)
		return
	}
	touch, err := b.Store.RecordMessengerReply(ctx, crm.MessengerReply{Thread: t, ManagerID: m.ID, Text: text,
		ChatID: chat, MessageID: msg.MessageID, SentID: sent.MessageID})
	if err != nil {
		b.Log.Error("telegram reply sent but not recorded", "manager_id", m.ID, "ref", ref, "err", err)
		b.reply(ctx, chat, "Sent to the client, but not saved in the CRM: please note it there by hand.", nil)
		return
	}
	b.Log.Info("telegram reply sent", "manager_id", m.ID, "ref", ref, "touch_id", touch)
	name := t.Name
	if name == "" {
		name = "the client"
	}
	b.reply(ctx, chat, fmt.Sprintf("✓ Sent to %s (%s)", name, ref), nil)
}

// threadRef names a conversation's lead or deal for a manager.
func threadRef(t crm.MessengerThread) string {
	if t.DealID != nil {
		return fmt.Sprintf("deal #%d", *t.DealID)
	}
	return fmt.Sprintf("lead #%d", deref(t.LeadID))
}
