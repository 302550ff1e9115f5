package telegram

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/leadd/leadd/crm"
)

// Bot takes managers' answers: link codes, commands and the buttons of
// lead cards and reminders. Only a linked, active manager gets any data,
// and only on their own leads (a supervisor on any).
//
// Updates come by long polling (getUpdates). Telegram lets one poller
// per token, so run it on one replica; webhook mode is not built yet.
// A manager answers a client by replying to the client's message the
// bot forwarded (see Company).
type Bot struct {
	Store   Store
	Client  *Client
	Cadence crm.Cadence
	Log     *slog.Logger
	// PollTimeout is how long one getUpdates waits for news (25s).
	PollTimeout time.Duration
	// Company, when set, is the company's bot: a manager's reply to a
	// client's message goes to the client through it. When it shares this
	// bot's Client (one token for both), chats not linked to a manager are
	// clients' and it takes them.
	Company *Company
	// ConsoleURL is the console's address for the link /login answers
	// with ("" gives the path alone); LoginTTL how long the link works.
	ConsoleURL string
	LoginTTL   time.Duration
	// SLA is when a lead a supervisor hands on must be called by.
	SLA time.Duration
	// Texts are the bot's words (nil: Russian).
	Texts *Texts
}

// Run polls for updates and handles them until ctx ends; it returns nil
// then. An update is confirmed (the next offset) after it is handled, so
// a crash repeats it: every action is safe to repeat.
func (b *Bot) Run(ctx context.Context) error {
	if b.Log == nil {
		b.Log = slog.Default()
	}
	return poll(ctx, b.Client, b.PollTimeout, b.Log, b.handle)
}

// Handle answers one update.
func (b *Bot) Handle(ctx context.Context, u tgbotapi.Update) {
	if err := b.handle(ctx, u); err != nil {
		b.Log.Error("telegram update", "update_id", u.UpdateID, "err", err)
	}
}

// handle answers one update; an error (only a client's message the inbox
// did not take) asks for the update again.
func (b *Bot) handle(ctx context.Context, u tgbotapi.Update) error {
	switch {
	case u.Message != nil && u.Message.Chat != nil && u.Message.From != nil:
		return b.message(ctx, u.Message)
	case u.CallbackQuery != nil && u.CallbackQuery.From != nil:
		b.callback(ctx, u.CallbackQuery)
	}
	return nil
}

// clientsHere: with one token for both bots, every private chat not
// linked to a manager is a client's.
func (b *Bot) clientsHere() bool { return b.Company != nil && b.Company.Client == b.Client }

const (
	refusal = "Здравствуйте! Этот бот работает только для отдела продаж. Если вы в команде, попросите у администратора код привязки и отправьте его сюда так: /start <код>."
	badCode = "Этот код привязки не подходит: он неизвестен, уже использован или устарел. Попросите у администратора новый."
	help    = "/today — дела на сегодня\n/overdue — просроченные дела\n/away — не получать новые заявки\n/back — снова получать заявки\n/login — ссылка для входа в консоль"
)

func (b *Bot) reply(ctx context.Context, chat int64, text string, markup *tgbotapi.InlineKeyboardMarkup) {
	msg := tgbotapi.NewMessage(chat, text)
	if markup != nil {
		msg.ReplyMarkup = *markup
	}
	if _, err := b.Client.send(ctx, chat, msg); err != nil {
		b.Log.Warn("telegram reply", "err", err)
	}
}

func (b *Bot) message(ctx context.Context, msg *tgbotapi.Message) error {
	chat := msg.Chat.ID
	if msg.Chat.Type != "private" || msg.From.ID != chat {
		return nil // managers work in their private chat with the bot; groups get nothing
	}
	fields := strings.Fields(msg.Text)
	cmd := ""
	if len(fields) > 0 {
		cmd, _, _ = strings.Cut(strings.ToLower(fields[0]), "@")
	}
	if cmd == "/start" && len(fields) > 1 {
		m, err := b.Store.LinkTelegram(ctx, fields[1], chat)
		if err != nil {
			if crm.ErrorCode(err) != crm.ENOTFOUND {
				b.Log.Error("telegram link", "err", err)
			}
			if b.clientsHere() {
				// Not a link code: a client came by a link with a start parameter.
				return b.Company.message(ctx, msg)
			}
			b.Log.Info("telegram link refused", "chat_id", chat)
			b.reply(ctx, chat, b.Texts.T(badCode), nil)
			return nil
		}
		b.Log.Info("telegram linked", "manager_id", m.ID, "chat_id", chat)
		b.reply(ctx, chat, fmt.Sprintf(b.Texts.T("Здравствуйте, %s! Теперь сюда будут приходить ваши заявки и напоминания.\n\n%s"), m.Name, b.Texts.T(help)), nil)
		return nil
	}
	m, err := b.Store.ManagerByTelegram(ctx, chat)
	if err != nil {
		if crm.ErrorCode(err) != crm.ENOTFOUND {
			b.Log.Error("telegram manager", "err", err)
			if b.clientsHere() {
				return err // not known to be a client: ask again
			}
		}
		if b.clientsHere() {
			return b.Company.message(ctx, msg)
		}
		if len(fields) > 0 {
			b.reply(ctx, chat, b.Texts.T(refusal), nil)
		}
		return nil
	}
	if _, err := b.Store.MarkTelegramReachable(ctx, m.ID); err != nil {
		b.Log.Warn("telegram reachable", "manager_id", m.ID, "err", err)
	}
	if leadID, ok := companyReply(b.Texts, msg); ok {
		b.convertForCompany(ctx, m, chat, leadID, msg.Text)
		return nil
	}
	if msg.ReplyToMessage != nil && b.Company != nil {
		b.answerClient(ctx, m, msg)
		return nil
	}
	if len(fields) == 0 {
		return nil
	}
	switch cmd {
	case "/login":
		b.loginLink(ctx, chat, m)
	case "/today":
		b.list(ctx, chat, m, "today")
	case "/overdue":
		b.list(ctx, chat, m, "overdue")
	case "/away", "/back":
		away := cmd == "/away"
		if _, err := b.Store.UpdateManager(ctx, m.ID, crm.ManagerPatch{Away: &away}); err != nil {
			b.Log.Error("telegram away", "manager_id", m.ID, "err", err)
			b.reply(ctx, chat, b.Texts.T("Не получилось, попробуйте через минуту."), nil)
			return nil
		}
		if away {
			b.reply(ctx, chat, b.Texts.T("Вы отошли: новые заявки не будут приходить до команды /back."), nil)
		} else {
			b.reply(ctx, chat, b.Texts.T("С возвращением: новые заявки снова приходят вам."), nil)
		}
	default:
		b.reply(ctx, chat, fmt.Sprintf(b.Texts.T("Здравствуйте, %s!\n\n%s"), m.Name, b.Texts.T(help)), nil)
	}
	return nil
}

// list shows a manager's activities due today or overdue, each with a
// button to mark it done.
func (b *Bot) list(ctx context.Context, chat int64, m crm.Manager, due string) {
	acts, err := b.Store.Activities(ctx, m.ID, due)
	if err != nil {
		b.Log.Error("telegram activities", "manager_id", m.ID, "err", err)
		b.reply(ctx, chat, b.Texts.T("Список сейчас недоступен, попробуйте позже."), nil)
		return
	}
	if len(acts) == 0 {
		b.reply(ctx, chat, map[string]string{"today": b.Texts.T("На сегодня дел больше нет."), "overdue": b.Texts.T("Просроченных дел нет.")}[due], nil)
		return
	}
	const most = 20
	loc := location(m.TimeZone)
	var sb strings.Builder
	fmt.Fprintf(&sb, "%s: %d\n", map[string]string{"today": b.Texts.T("Дела на сегодня"), "overdue": b.Texts.T("Просрочено")}[due], len(acts))
	var rows [][]tgbotapi.InlineKeyboardButton
	for i, a := range acts {
		if i == most {
			fmt.Fprintf(&sb, b.Texts.T("… и ещё %d\n"), len(acts)-most)
			break
		}
		line := b.Texts.Time(a.DueAt.In(loc)) + " " + subjectText(b.Texts, a.Subject)
		if a.LeadID != nil {
			line += fmt.Sprintf(b.Texts.T(" (заявка №%d)"), *a.LeadID)
		}
		sb.WriteString("• " + line + "\n")
		rows = append(rows, tgbotapi.NewInlineKeyboardRow(tgbotapi.NewInlineKeyboardButtonData("✓ "+clip(line, 40), cbDone+":"+id(a.ID))))
	}
	kb := tgbotapi.NewInlineKeyboardMarkup(rows...)
	b.reply(ctx, chat, strings.TrimSpace(sb.String()), &kb)
}

// press is one button press being answered.
type press struct {
	q        *tgbotapi.CallbackQuery
	chat     int64
	msgID    int
	m        crm.Manager
	loc      *time.Location
	answer   string
	answered bool
}

// answerPress answers the press with p.answer, once: as soon as what the
// press did is known, before the card is redrawn (an edit waits for the
// chat's turn; the answer does not).
func (b *Bot) answerPress(ctx context.Context, p *press) {
	if p.answered {
		return
	}
	p.answered = true
	if err := b.Client.answer(ctx, p.q.ID, p.answer); err != nil {
		b.Log.Warn("telegram answerCallbackQuery", "err", err)
	}
}

func (b *Bot) callback(ctx context.Context, q *tgbotapi.CallbackQuery) {
	p := &press{q: q}
	defer b.answerPress(ctx, p)
	if q.Message == nil || q.Message.Chat == nil || q.Message.Chat.ID != q.From.ID {
		p.answer = b.Texts.T("Эта кнопка больше не работает.")
		return
	}
	p.chat, p.msgID = q.Message.Chat.ID, q.Message.MessageID
	m, err := b.Store.ManagerByTelegram(ctx, q.From.ID)
	if err != nil {
		p.answer = b.Texts.T("Этот чат не привязан ни к кому из команды.")
		return
	}
	p.m, p.loc = m, location(m.TimeZone)
	parts := strings.Split(q.Data, ":")
	if len(parts) < 2 {
		p.answer = b.Texts.T("Эта кнопка больше не работает.")
		return
	}
	n, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil {
		p.answer = b.Texts.T("Эта кнопка больше не работает.")
		return
	}
	switch parts[0] {
	case cbDone:
		b.done(ctx, p, n)
		return
	case cbSupTake, cbSupPick, cbSupAssign:
		b.supervise(ctx, p, parts, n)
		return
	}
	b.onLead(ctx, p, parts, n)
}

// mayAct: a manager acts on their own leads, a supervisor on any.
// The rule is the one of crm/authz.go.
func mayAct(m crm.Manager, managerID *int64) bool {
	return crm.MayTouch(crm.PrincipalOf(m), crm.Write, managerID)
}

func (b *Bot) onLead(ctx context.Context, p *press, parts []string, leadID int64) {
	l, err := b.Store.Lead(ctx, leadID)
	if err != nil {
		p.answer = b.Texts.T("Этой заявки больше нет.")
		return
	}
	if !mayAct(p.m, l.ManagerID) {
		p.answer = b.Texts.T("Эта заявка уже не ваша.")
		b.Log.Info("telegram press refused", "manager_id", p.m.ID, "lead_id", leadID)
		b.editCard(ctx, p, leadID) // it says whose it is now
		return
	}
	// stale answers a press that came too late (or twice): the card is
	// redrawn from the lead as it stands, so it loses nothing it said.
	stale := func(err error) bool {
		switch crm.ErrorCode(err) {
		case crm.ECONFLICT:
			p.answer = b.Texts.T("Уже сделано, ничего не изменилось.")
		case crm.ENOTFOUND:
			p.answer = b.Texts.T("Этой заявки больше нет.")
		case crm.EINVALID:
			p.answer = b.Texts.T("Эта кнопка больше не работает.")
		default:
			b.Log.Error("telegram action", "lead_id", leadID, "data", p.q.Data, "err", err)
			p.answer = b.Texts.T("Не получилось, попробуйте ещё раз.")
			return true
		}
		b.editCard(ctx, p, leadID)
		return true
	}
	if !l.Open() && parts[0] != cbBack {
		p.answer = b.Texts.T("Заявка уже ") + statusText(b.Texts, l, b.Store.JunkReasons()) + b.Texts.T(", ничего не изменилось.")
		b.editCard(ctx, p, leadID)
		return
	}
	switch parts[0] {
	case cbTake:
		if l.Status == crm.StatusInProgress {
			p.answer = b.Texts.T("Уже в работе.")
			b.editCard(ctx, p, leadID)
			return
		}
		if _, err := b.Store.SetLeadStatus(ctx, leadID, crm.StatusInProgress, ""); err != nil && stale(err) {
			return
		}
		p.answer = b.Texts.T("Взято в работу.")
		b.redraw(ctx, p, leadID)
	case cbNoAnswer:
		if len(parts) != 3 {
			p.answer = b.Texts.T("Эта кнопка больше не работает.")
			return
		}
		callID, _ := strconv.ParseInt(parts[2], 10, 64)
		if a, err := b.Store.Activity(ctx, callID); err != nil || a.LeadID == nil || *a.LeadID != leadID {
			p.answer = b.Texts.T("Эта кнопка больше не работает.")
			return
		}
		res, err := b.Store.CompleteActivity(ctx, callID, crm.Completion{Outcome: crm.OutcomeNoAnswer}, b.Cadence)
		if err != nil && stale(err) {
			return
		}
		switch {
		case res.LeadJunk:
			p.answer = b.Texts.T("Записано: это была последняя попытка, заявка закрыта.")
		case res.Next != nil:
			p.answer = b.Texts.T("Записано: следующий звонок ") + b.Texts.Time(res.Next.DueAt.In(p.loc)) + "."
		default:
			p.answer = b.Texts.T("Записано: не дозвонились.")
		}
		b.redraw(ctx, p, leadID)
	case cbQualified:
		p.answer = b.Texts.T("Частное лицо или компания?")
		b.edit(ctx, p, tgbotapi.NewEditMessageReplyMarkup(p.chat, p.msgID, tgbotapi.NewInlineKeyboardMarkup(
			tgbotapi.NewInlineKeyboardRow(
				tgbotapi.NewInlineKeyboardButtonData(b.Texts.T("👤 Частное лицо"), cbAsPerson+":"+id(leadID)),
				tgbotapi.NewInlineKeyboardButtonData(b.Texts.T("🏢 Компания"), cbAsCompany+":"+id(leadID))),
			tgbotapi.NewInlineKeyboardRow(tgbotapi.NewInlineKeyboardButtonData(b.Texts.T("« Назад"), cbBack+":"+id(leadID))))))
	case cbAsPerson:
		conv, err := b.Store.ConvertLead(ctx, leadID, crm.Conversion{}, crm.ByManager(&p.m.ID))
		if err != nil && stale(err) {
			return
		}
		p.answer = fmt.Sprintf(b.Texts.T("Создана сделка №%d."), conv.DealID)
		b.redraw(ctx, p, leadID)
	case cbAsCompany:
		p.answer = b.Texts.T("Ответьте на это сообщение: ИНН и название компании.")
		prompt := tgbotapi.NewMessage(p.chat, fmt.Sprintf(b.Texts.T("%s%d: ответьте на это сообщение — ИНН и название компании, ")+
			b.Texts.T("например:\n7707083893 ООО «Станкосервис»"), b.Texts.T(companyPrompt), leadID))
		prompt.ReplyMarkup = tgbotapi.ForceReply{ForceReply: true, InputFieldPlaceholder: b.Texts.T("7707083893 ООО «Станкосервис»")}
		b.answerPress(ctx, p)
		if err := b.Client.request(ctx, p.chat, prompt); err != nil {
			b.Log.Warn("telegram company prompt", "lead_id", leadID, "err", err)
		}
	case cbJunk:
		p.answer = b.Texts.T("Почему в брак?")
		b.edit(ctx, p, tgbotapi.NewEditMessageReplyMarkup(p.chat, p.msgID, junkKeyboard(b.Texts, leadID, b.Store.JunkReasons())))
	case cbBack:
		b.editCard(ctx, p, leadID)
	case cbJunkAs:
		if len(parts) != 3 {
			p.answer = b.Texts.T("Эта кнопка больше не работает.")
			return
		}
		if _, err := b.Store.SetLeadStatus(ctx, leadID, crm.StatusJunk, parts[2]); err != nil && stale(err) {
			return
		}
		p.answer = b.Texts.T("Закрыто как брак.")
		b.redraw(ctx, p, leadID)
	default:
		p.answer = b.Texts.T("Эта кнопка больше не работает.")
	}
}

// editCard redraws the pressed card in place from the lead as it now
// stands.
func (b *Bot) editCard(ctx context.Context, p *press, leadID int64) {
	b.answerPress(ctx, p)
	defer b.Client.cards.lock(leadID)()
	l, err := b.Store.Lead(ctx, leadID)
	if err != nil {
		return
	}
	f, err := b.Store.TelegramCardFacts(ctx, leadID)
	if err != nil {
		b.Log.Warn("telegram card", "lead_id", leadID, "err", err)
		return
	}
	e := tgbotapi.NewEditMessageText(p.chat, p.msgID, cardText(b.Texts, l, f, p.m.ID, p.loc))
	e.ReplyMarkup = cardKeyboard(b.Texts, l, p.m.ID) // none: the keyboard goes
	b.edit(ctx, p, e)
}

// redraw redraws every card of the lead after a press changed it: the
// pressed one, and those in other chats (a lead taken from the queue, a
// supervisor's card).
func (b *Bot) redraw(ctx context.Context, p *press, leadID int64) {
	b.answerPress(ctx, p)
	pressed := false
	for _, c := range redrawCards(b.Texts, ctx, b.Store, b.Client, b.Log, leadID) {
		pressed = pressed || c.ChatID == p.chat && c.MessageID == p.msgID
	}
	if !pressed {
		b.editCard(ctx, p, leadID)
	}
}

func (b *Bot) edit(ctx context.Context, p *press, e tgbotapi.Chattable) {
	b.answerPress(ctx, p)
	err := b.Client.request(ctx, p.chat, e)
	if err != nil && !strings.Contains(err.Error(), "message is not modified") {
		b.Log.Warn("telegram edit", "chat_id", p.chat, "err", err)
	}
}

// done completes an activity from a list or a reminder, and takes its
// button off the message.
func (b *Bot) done(ctx context.Context, p *press, activityID int64) {
	a, err := b.Store.Activity(ctx, activityID)
	if err != nil || !mayAct(p.m, &a.ManagerID) {
		p.answer = b.Texts.T("Это дело не ваше.")
		return
	}
	if _, err := b.Store.CompleteActivity(ctx, activityID, crm.Completion{Outcome: crm.OutcomeDone}, b.Cadence); err != nil {
		if crm.ErrorCode(err) != crm.ECONFLICT {
			b.Log.Error("telegram done", "activity_id", activityID, "err", err)
			p.answer = b.Texts.T("Не получилось, попробуйте ещё раз.")
			return
		}
		p.answer = b.Texts.T("Уже сделано.")
	} else {
		p.answer = b.Texts.T("Сделано ✓")
	}
	kb := tgbotapi.InlineKeyboardMarkup{InlineKeyboard: [][]tgbotapi.InlineKeyboardButton{}}
	if old := p.q.Message.ReplyMarkup; old != nil {
		for _, row := range old.InlineKeyboard {
			var keep []tgbotapi.InlineKeyboardButton
			for _, btn := range row {
				if btn.CallbackData == nil || *btn.CallbackData != p.q.Data {
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

// companyPrompt starts the message that asks for a company's requisites;
// the manager's reply to it names the lead.
const companyPrompt = "🏢 Заявка №"

// companyReply reports whether msg answers a company prompt, and for
// which lead.
func companyReply(tx *Texts, msg *tgbotapi.Message) (int64, bool) {
	r := msg.ReplyToMessage
	if r == nil || r.From == nil || !r.From.IsBot || !strings.HasPrefix(r.Text, tx.T(companyPrompt)) {
		return 0, false
	}
	rest := strings.TrimPrefix(r.Text, tx.T(companyPrompt))
	end := strings.IndexFunc(rest, func(c rune) bool { return c < '0' || c > '9' })
	if end <= 0 {
		return 0, false
	}
	id, err := strconv.ParseInt(rest[:end], 10, 64)
	return id, err == nil
}

// convertForCompany qualifies a lead for the company the manager named:
// "7707083893 ООО «Станкосервис»" (the INN may be left out). An existing
// company is found by INN, then by name, as conversion does.
func (b *Bot) convertForCompany(ctx context.Context, m crm.Manager, chat, leadID int64, text string) {
	fields := strings.Fields(text)
	var in crm.CompanyInput
	if len(fields) > 0 && strings.Trim(fields[0], "0123456789") == "" {
		inn := fields[0]
		in.INN, fields = &inn, fields[1:]
	}
	name := strings.Join(fields, " ")
	if name == "" {
		b.reply(ctx, chat, b.Texts.T("Нужно название компании: ответьте ещё раз — ИНН и название."), nil)
		return
	}
	in.Name = &name
	l, err := b.Store.Lead(ctx, leadID)
	if err != nil || !mayAct(m, l.ManagerID) {
		b.reply(ctx, chat, b.Texts.T("Эта заявка уже не ваша."), nil)
		return
	}
	conv, err := b.Store.ConvertLead(ctx, leadID, crm.Conversion{Company: &in}, crm.ByManager(&m.ID))
	if err != nil {
		switch crm.ErrorCode(err) {
		case crm.EINVALID:
			b.reply(ctx, chat, b.Texts.T("Что-то не так: ")+b.Texts.Refusal(err)+b.Texts.T(". Ответьте ещё раз — ИНН и название."), nil)
		case crm.EOWNEDELSEWHERE:
			b.reply(ctx, chat, b.Texts.Refusal(err), nil)
		case crm.ECONFLICT:
			b.reply(ctx, chat, fmt.Sprintf(b.Texts.T("Заявка №%d уже закрыта, ничего не изменилось."), leadID), nil)
		default:
			b.Log.Error("telegram convert for a company", "lead_id", leadID, "err", err)
			b.reply(ctx, chat, b.Texts.T("Не получилось, попробуйте ещё раз."), nil)
		}
		return
	}
	b.reply(ctx, chat, fmt.Sprintf(b.Texts.T("🤝 Заявка №%d квалифицирована для %s: сделка №%d."), leadID, name, conv.DealID), nil)
	redrawCards(b.Texts, ctx, b.Store, b.Client, b.Log, leadID)
}

// loginLink answers /login with a one-time link into the console.
func (b *Bot) loginLink(ctx context.Context, chat int64, m crm.Manager) {
	code, err := b.Store.CreateLoginCode(ctx, m.ID, b.LoginTTL)
	if err != nil {
		b.Log.Error("telegram login link", "manager_id", m.ID, "err", err)
		b.reply(ctx, chat, b.Texts.T("Ссылку сейчас не получить, попробуйте через минуту."), nil)
		return
	}
	ttl := b.LoginTTL
	if ttl <= 0 {
		ttl = crm.LoginLinkTTL
	}
	url := strings.TrimRight(b.ConsoleURL, "/") + "/login/" + code
	b.Log.Info("telegram login link sent", "manager_id", m.ID)
	msg := tgbotapi.NewMessage(chat, fmt.Sprintf(b.Texts.T("Ссылка для входа в консоль (действует один раз, %d минут):\n%s"), int(ttl.Minutes()), url))
	// A link preview would fetch the link, and so spend it.
	msg.DisableWebPagePreview = true
	if _, err := b.Client.send(ctx, chat, msg); err != nil {
		b.Log.Warn("telegram reply", "err", err)
	}
}
