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
	notAClient    = "Чтобы ответить клиенту, ответьте здесь на его сообщение (или на карточку заявки)."
	onlyText      = "Пока отсюда клиенту доходит только текст: напишите ответ текстом."
	notInTelegram = "Этот клиент не писал нам в Telegram, ответить ему отсюда нельзя."
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
			b.reply(ctx, chat, b.Texts.T("Не получилось, отправьте ещё раз через минуту."), nil)
			return
		}
		b.reply(ctx, chat, b.Texts.T(notAClient), nil)
		return
	}
	ref := threadRef(b.Texts, t)
	switch {
	case !mayAct(m, t.ManagerID):
		b.Log.Info("telegram reply refused", "manager_id", m.ID, "ref", ref)
		b.reply(ctx, chat, b.Texts.T("Этот клиент уже не ваш (")+ref+b.Texts.T("), ничего не отправлено."), nil)
		return
	case t.TelegramID == 0:
		b.reply(ctx, chat, b.Texts.T(notInTelegram), nil)
		return
	}
	text := strings.TrimSpace(msg.Text)
	if text == "" {
		b.reply(ctx, chat, b.Texts.T(onlyText), nil)
		return
	}
	if done, err := b.Store.MessengerReplied(ctx, chat, msg.MessageID); err != nil || done {
		if err != nil {
			b.Log.Error("telegram reply check", "manager_id", m.ID, "err", err)
			b.reply(ctx, chat, b.Texts.T("Не получилось, отправьте ещё раз через минуту."), nil)
		}
		return // a repeated update: the client has it
	}
	sent, err := b.Company.Client.send(ctx, t.TelegramID, tgbotapi.NewMessage(t.TelegramID, text))
	if err != nil {
		f := classify(err)
		b.Log.Warn("telegram reply not delivered", "manager_id", m.ID, "ref", ref, "reason", f.reason)
		why := b.Texts.T("Telegram не принял сообщение, отправьте ещё раз через минуту.")
		if f.kind == failUnreachable {
			why = b.Texts.T("клиент заблокировал бота или удалил аккаунт Telegram.")
		}
		b.reply(ctx, chat, b.Texts.T("Клиенту не доставлено: ")+why, nil)
		return
	}
	touch, err := b.Store.RecordMessengerReply(ctx, crm.MessengerReply{Thread: t, ManagerID: m.ID, Text: text,
		ChatID: chat, MessageID: msg.MessageID, SentID: sent.MessageID})
	if err != nil {
		b.Log.Error("telegram reply sent but not recorded", "manager_id", m.ID, "ref", ref, "err", err)
		b.reply(ctx, chat, b.Texts.T("Клиенту отправлено, но в CRM не сохранилось: запишите, пожалуйста, вручную."), nil)
		return
	}
	b.Log.Info("telegram reply sent", "manager_id", m.ID, "ref", ref, "touch_id", touch)
	name := t.Name
	if name == "" {
		name = b.Texts.T("клиент")
	}
	b.reply(ctx, chat, fmt.Sprintf(b.Texts.T("✓ Отправлено: %s (%s)"), name, ref), nil)
}

// threadRef names a conversation's lead or deal for a manager.
func threadRef(tx *Texts, t crm.MessengerThread) string {
	if t.DealID != nil {
		return fmt.Sprintf(tx.T("сделка №%d"), *t.DealID)
	}
	return fmt.Sprintf(tx.T("заявка №%d"), deref(t.LeadID))
}
