package telegram

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/leadd/leadd/crm"
)

// Callback data of the supervisors' buttons (notices and summaries):
// st:<lead> the supervisor takes the lead, sr:<lead> asks whom to hand it
// to, sa:<lead>:<manager> hands it to that manager.
const (
	cbSupTake   = "st"
	cbSupPick   = "sr"
	cbSupAssign = "sa"
)

// leadButtons are a supervisor's buttons for a lead that waits for
// somebody: take it, or hand it to a manager.
func leadButtons(tx *Texts, leadID int64) []tgbotapi.InlineKeyboardButton {
	return tgbotapi.NewInlineKeyboardRow(
		tgbotapi.NewInlineKeyboardButtonData(fmt.Sprintf(tx.T("Беру №%d"), leadID), cbSupTake+":"+id(leadID)),
		tgbotapi.NewInlineKeyboardButtonData(fmt.Sprintf(tx.T("Передать №%d ▸"), leadID), cbSupPick+":"+id(leadID)))
}

// supervise answers a supervisor's button on a lead.
func (b *Bot) supervise(ctx context.Context, p *press, parts []string, leadID int64) {
	if p.m.Role != crm.RoleSupervisor && p.m.Role != crm.RoleAdmin {
		p.answer = b.Texts.T("Это могут только руководители.")
		return
	}
	l, err := b.Store.Lead(ctx, leadID)
	if err != nil {
		p.answer = b.Texts.T("Этой заявки больше нет.")
		b.dropButtons(ctx, p, leadID)
		return
	}
	if !l.Open() {
		p.answer = b.Texts.T("Заявка уже ") + statusText(b.Texts, l, b.Store.JunkReasons()) + b.Texts.T(", ничего не изменилось.")
		b.dropButtons(ctx, p, leadID)
		return
	}
	// The buttons are for the lead as it stood when the message was sent:
	// once a person took it or handed it on since (another supervisor
	// pressing the same summary), they change nothing.
	if a := l.Assignment; a != nil && a.ByManagerID != nil && p.q.Message != nil && a.At.Unix() >= int64(p.q.Message.Date) {
		name := b.Texts.T("никто")
		if l.ManagerID != nil {
			if r, err := b.Store.TelegramRecipient(ctx, *l.ManagerID); err == nil {
				name = r.Name
			}
		}
		p.answer = b.Texts.T("Заявку уже передали: %s. Ничего не изменилось.", name)
		b.dropButtons(ctx, p, leadID)
		return
	}
	switch parts[0] {
	case cbSupTake:
		b.assign(ctx, p, l, p.m.ID)
	case cbSupAssign:
		if len(parts) != 3 {
			p.answer = b.Texts.T("Эта кнопка больше не работает.")
			return
		}
		to, err := strconv.ParseInt(parts[2], 10, 64)
		if err != nil {
			p.answer = b.Texts.T("Эта кнопка больше не работает.")
			return
		}
		b.assign(ctx, p, l, to)
	case cbSupPick:
		ms, err := b.Store.Managers(ctx)
		if err != nil {
			b.Log.Error("telegram managers", "err", err)
			p.answer = b.Texts.T("Не получилось, попробуйте ещё раз.")
			return
		}
		var rows [][]tgbotapi.InlineKeyboardButton
		for _, m := range ms {
			if !m.Active || m.Away || !m.TelegramReachable || m.TelegramChatID == nil || m.Role == crm.RoleAdmin ||
				(l.ManagerID != nil && *l.ManagerID == m.ID) {
				continue
			}
			label := fmt.Sprintf(b.Texts.T("%s (новых: %d)"), m.Name, m.OpenNewLeads)
			rows = append(rows, tgbotapi.NewInlineKeyboardRow(
				tgbotapi.NewInlineKeyboardButtonData(clip(label, 40), cbSupAssign+":"+id(leadID)+":"+id(m.ID))))
		}
		if len(rows) == 0 {
			p.answer = b.Texts.T("Передать некому: все отошли или недоступны в Telegram.")
			return
		}
		p.answer = b.Texts.T("Кому передать?")
		b.answerPress(ctx, p)
		b.reply(ctx, p.chat, fmt.Sprintf(b.Texts.T("Кому передать заявку №%d?"), leadID), &tgbotapi.InlineKeyboardMarkup{InlineKeyboard: rows})
	}
}

// assign hands an open lead to a manager by a supervisor's press; the
// manager gets its card (the outbox), the pressed message loses the
// lead's buttons.
func (b *Bot) assign(ctx context.Context, p *press, l crm.Lead, to int64) {
	if l.ManagerID != nil && *l.ManagerID == to {
		p.answer = b.Texts.T("Заявка уже у этого менеджера.")
		b.dropButtons(ctx, p, l.ID)
		return
	}
	if _, err := b.Store.AssignLead(ctx, l.ID, to, &p.m.ID, b.SLA); err != nil {
		switch crm.ErrorCode(err) {
		case crm.ECONFLICT:
			p.answer = b.Texts.T("Заявка уже закрыта, ничего не изменилось.")
		case crm.EINVALID, crm.ENOTFOUND:
			p.answer = b.Texts.T("Этот менеджер больше не работает.")
		default:
			b.Log.Error("telegram assign", "lead_id", l.ID, "to", to, "err", err)
			p.answer = b.Texts.T("Не получилось, попробуйте ещё раз.")
			return
		}
		b.dropButtons(ctx, p, l.ID)
		return
	}
	b.Log.Info("telegram lead assigned by a supervisor", "lead_id", l.ID, "to", to, "by", p.m.ID)
	if to == p.m.ID {
		p.answer = fmt.Sprintf(b.Texts.T("Заявка №%d теперь ваша."), l.ID)
	} else {
		name := fmt.Sprintf(b.Texts.T("менеджер %d"), to)
		if r, err := b.Store.TelegramRecipient(ctx, to); err == nil {
			name = r.Name
		}
		p.answer = fmt.Sprintf(b.Texts.T("Заявка №%d передана: %s."), l.ID, name)
	}
	b.dropButtons(ctx, p, l.ID)
}

// dropButtons takes a lead's buttons off the pressed message (the
// others stay: a summary names several leads).
func (b *Bot) dropButtons(ctx context.Context, p *press, leadID int64) {
	kb := tgbotapi.InlineKeyboardMarkup{InlineKeyboard: [][]tgbotapi.InlineKeyboardButton{}}
	if old := p.q.Message.ReplyMarkup; old != nil {
		for _, row := range old.InlineKeyboard {
			var keep []tgbotapi.InlineKeyboardButton
			for _, btn := range row {
				if btn.CallbackData == nil || !aboutLead(*btn.CallbackData, leadID) {
					keep = append(keep, btn)
				}
			}
			if len(keep) > 0 {
				kb.InlineKeyboard = append(kb.InlineKeyboard, keep)
			}
		}
	}
	b.edit(ctx, p, tgbotapi.NewEditMessageReplyMarkup(p.chat, p.msgID, kb))
}

// aboutLead reports whether a button's callback data names the lead.
func aboutLead(data string, leadID int64) bool {
	parts := strings.Split(data, ":")
	return len(parts) >= 2 && parts[1] == id(leadID)
}
