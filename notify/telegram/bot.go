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
	refusal = "Hello! This bot works for our sales team only. If you are on the team, ask your administrator " +
		"for a link code and send it here as /start <code>."
	badCode = "Sorry, this link code is not valid: it is unknown, already used or expired. " +
		"Ask your administrator for a new one."
	help = "/today — what is due today\n/overdue — what is overdue\n/away — take no new leads\n/back — take leads again\n/login — a link that signs you in to the console"
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
			b.reply(ctx, chat, badCode, nil)
			return nil
		}
		b.Log.Info("telegram linked", "manager_id", m.ID, "chat_id", chat)
		b.reply(ctx, chat, fmt.Sprintf("Hello, %s! This chat now gets your leads and reminders.\n\n%s", m.Name, help), nil)
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
			b.reply(ctx, chat, refusal, nil)
		}
		return nil
	}
	if err := b.Store.MarkTelegramReachable(ctx, m.ID); err != nil {
		b.Log.Warn("telegram reachable", "manager_id", m.ID, "err", err)
	}
	if leadID, ok := companyReply(msg); ok {
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
			b.reply(ctx, chat, "Sorry, that did not work; try again in a minute.", nil)
			return nil
		}
		if away {
			b.reply(ctx, chat, "You are away: no new leads come to you until /back.", nil)
		} else {
			b.reply(ctx, chat, "Welcome back: new leads come to you again.", nil)
		}
	default:
		b.reply(ctx, chat, fmt.Sprintf("Hello, %s!\n\n%s", m.Name, help), nil)
	}
	return nil
}

// list shows a manager's activities due today or overdue, each with a
// button to mark it done.
func (b *Bot) list(ctx context.Context, chat int64, m crm.Manager, due string) {
	acts, err := b.Store.Activities(ctx, m.ID, due)
	if err != nil {
		b.Log.Error("telegram activities", "manager_id", m.ID, "err", err)
		b.reply(ctx, chat, "Sorry, the list is not available right now.", nil)
		return
	}
	if len(acts) == 0 {
		b.reply(ctx, chat, map[string]string{"today": "Nothing else due today.", "overdue": "Nothing overdue."}[due], nil)
		return
	}
	const most = 20
	loc := location(m.TimeZone)
	var sb strings.Builder
	fmt.Fprintf(&sb, "%s: %d\n", map[string]string{"today": "Due today", "overdue": "Overdue"}[due], len(acts))
	var rows [][]tgbotapi.InlineKeyboardButton
	for i, a := range acts {
		if i == most {
			fmt.Fprintf(&sb, "… and %d more\n", len(acts)-most)
			break
		}
		line := a.DueAt.In(loc).Format("02.01 15:04") + " " + a.Subject
		if a.LeadID != nil {
			line += fmt.Sprintf(" (lead #%d)", *a.LeadID)
		}
		sb.WriteString("• " + line + "\n")
		rows = append(rows, tgbotapi.NewInlineKeyboardRow(tgbotapi.NewInlineKeyboardButtonData("✓ "+clip(line, 40), cbDone+":"+id(a.ID))))
	}
	kb := tgbotapi.NewInlineKeyboardMarkup(rows...)
	b.reply(ctx, chat, strings.TrimSpace(sb.String()), &kb)
}

// press is one button press being answered.
type press struct {
	q      *tgbotapi.CallbackQuery
	chat   int64
	msgID  int
	m      crm.Manager
	loc    *time.Location
	answer string
}

func (b *Bot) callback(ctx context.Context, q *tgbotapi.CallbackQuery) {
	p := &press{q: q}
	defer func() {
		if err := b.Client.request(ctx, 0, tgbotapi.NewCallback(q.ID, p.answer)); err != nil {
			b.Log.Warn("telegram answerCallbackQuery", "err", err)
		}
	}()
	if q.Message == nil || q.Message.Chat == nil || q.Message.Chat.ID != q.From.ID {
		p.answer = "This button no longer works."
		return
	}
	p.chat, p.msgID = q.Message.Chat.ID, q.Message.MessageID
	m, err := b.Store.ManagerByTelegram(ctx, q.From.ID)
	if err != nil {
		p.answer = "This chat is not linked to anyone on the team."
		return
	}
	p.m, p.loc = m, location(m.TimeZone)
	parts := strings.Split(q.Data, ":")
	if len(parts) < 2 {
		p.answer = "This button no longer works."
		return
	}
	n, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil {
		p.answer = "This button no longer works."
		return
	}
	if parts[0] == cbDone {
		b.done(ctx, p, n)
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
		p.answer = "This lead is gone."
		return
	}
	if !mayAct(p.m, l.ManagerID) {
		p.answer = "This lead is not yours any more."
		b.Log.Info("telegram press refused", "manager_id", p.m.ID, "lead_id", leadID)
		return
	}
	at := time.Now().In(p.loc).Format("15:04")
	stale := func(err error) bool {
		switch crm.ErrorCode(err) {
		case crm.ECONFLICT:
			p.answer = "Already done: nothing changed."
		case crm.ENOTFOUND:
			p.answer = "This lead is gone."
		case crm.EINVALID:
			p.answer = "This button no longer works."
		default:
			b.Log.Error("telegram action", "lead_id", leadID, "data", p.q.Data, "err", err)
			p.answer = "Sorry, that did not work; try again."
			return true
		}
		b.editCard(ctx, p, leadID, "")
		return true
	}
	if !l.Open() && parts[0] != cbBack {
		p.answer = "This lead is already " + statusText(l) + ": nothing changed."
		b.editCard(ctx, p, leadID, "")
		return
	}
	switch parts[0] {
	case cbTake:
		if l.Status == crm.StatusInProgress {
			p.answer = "Already in progress."
			b.editCard(ctx, p, leadID, "")
			return
		}
		if _, err := b.Store.SetLeadStatus(ctx, leadID, crm.StatusInProgress, ""); err != nil && stale(err) {
			return
		}
		p.answer = "Taken."
		b.editCard(ctx, p, leadID, fmt.Sprintf("✋ Taken by %s at %s", p.m.Name, at))
	case cbNoAnswer:
		if len(parts) != 3 {
			p.answer = "This button no longer works."
			return
		}
		callID, _ := strconv.ParseInt(parts[2], 10, 64)
		if a, err := b.Store.Activity(ctx, callID); err != nil || a.LeadID == nil || *a.LeadID != leadID {
			p.answer = "This button no longer works."
			return
		}
		res, err := b.Store.CompleteActivity(ctx, callID, crm.Completion{Outcome: crm.OutcomeNoAnswer}, b.Cadence)
		if err != nil && stale(err) {
			return
		}
		footer := fmt.Sprintf("📵 No answer (%s, %s)", p.m.Name, at)
		switch {
		case res.LeadJunk:
			footer += ": that was the last try, the lead is closed as unreachable"
		case res.Next != nil:
			footer += ". Next call " + res.Next.DueAt.In(p.loc).Format("02.01 15:04")
		}
		p.answer = "No answer recorded."
		b.editCard(ctx, p, leadID, footer)
	case cbQualified:
		p.answer = "A person or a company?"
		b.edit(ctx, p, tgbotapi.NewEditMessageReplyMarkup(p.chat, p.msgID, tgbotapi.NewInlineKeyboardMarkup(
			tgbotapi.NewInlineKeyboardRow(
				tgbotapi.NewInlineKeyboardButtonData("👤 Person", cbAsPerson+":"+id(leadID)),
				tgbotapi.NewInlineKeyboardButtonData("🏢 Company", cbAsCompany+":"+id(leadID))),
			tgbotapi.NewInlineKeyboardRow(tgbotapi.NewInlineKeyboardButtonData("« Back", cbBack+":"+id(leadID))))))
	case cbAsPerson:
		conv, err := b.Store.ConvertLead(ctx, leadID, crm.Conversion{}, &p.m.ID)
		if err != nil && stale(err) {
			return
		}
		p.answer = fmt.Sprintf("Deal #%d created.", conv.DealID)
		b.editCard(ctx, p, leadID, fmt.Sprintf("🤝 Qualified by %s at %s: deal #%d", p.m.Name, at, conv.DealID))
	case cbAsCompany:
		p.answer = "Reply with the company's INN and name."
		prompt := tgbotapi.NewMessage(p.chat, fmt.Sprintf("%s%d: reply to this message with the company's INN and name, "+
			"for example:\n7707083893 ООО «Станкосервис»", companyPrompt, leadID))
		prompt.ReplyMarkup = tgbotapi.ForceReply{ForceReply: true, InputFieldPlaceholder: "7707083893 ООО «Станкосервис»"}
		if err := b.Client.request(ctx, p.chat, prompt); err != nil {
			b.Log.Warn("telegram company prompt", "lead_id", leadID, "err", err)
		}
	case cbJunk:
		p.answer = "Why is it junk?"
		b.edit(ctx, p, tgbotapi.NewEditMessageReplyMarkup(p.chat, p.msgID, junkKeyboard(leadID)))
	case cbBack:
		b.editCard(ctx, p, leadID, "")
	case cbJunkAs:
		if len(parts) != 3 {
			p.answer = "This button no longer works."
			return
		}
		if _, err := b.Store.SetLeadStatus(ctx, leadID, crm.StatusJunk, parts[2]); err != nil && stale(err) {
			return
		}
		p.answer = "Closed as junk."
		b.editCard(ctx, p, leadID, fmt.Sprintf("🗑 Closed as junk (%s) by %s at %s", parts[2], p.m.Name, at))
	default:
		p.answer = "This button no longer works."
	}
}

// editCard redraws the card in place from the lead as it now stands.
func (b *Bot) editCard(ctx context.Context, p *press, leadID int64, footer string) {
	l, err := b.Store.Lead(ctx, leadID)
	if err != nil {
		return
	}
	e := tgbotapi.NewEditMessageText(p.chat, p.msgID, cardText(l, p.loc, footer))
	e.ReplyMarkup = cardKeyboard(l) // none: the keyboard goes
	b.edit(ctx, p, e)
}

func (b *Bot) edit(ctx context.Context, p *press, e tgbotapi.Chattable) {
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
		p.answer = "This activity is not yours."
		return
	}
	if _, err := b.Store.CompleteActivity(ctx, activityID, crm.Completion{Outcome: crm.OutcomeDone}, b.Cadence); err != nil {
		if crm.ErrorCode(err) != crm.ECONFLICT {
			b.Log.Error("telegram done", "activity_id", activityID, "err", err)
			p.answer = "Sorry, that did not work; try again."
			return
		}
		p.answer = "Already done."
	} else {
		p.answer = "Done ✓"
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
const companyPrompt = "🏢 Lead #"

// companyReply reports whether msg answers a company prompt, and for
// which lead.
func companyReply(msg *tgbotapi.Message) (int64, bool) {
	r := msg.ReplyToMessage
	if r == nil || r.From == nil || !r.From.IsBot || !strings.HasPrefix(r.Text, companyPrompt) {
		return 0, false
	}
	rest := strings.TrimPrefix(r.Text, companyPrompt)
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
		b.reply(ctx, chat, "The company needs a name: reply again with the INN and the name.", nil)
		return
	}
	in.Name = &name
	l, err := b.Store.Lead(ctx, leadID)
	if err != nil || !mayAct(m, l.ManagerID) {
		b.reply(ctx, chat, "This lead is not yours any more.", nil)
		return
	}
	conv, err := b.Store.ConvertLead(ctx, leadID, crm.Conversion{Company: &in}, &m.ID)
	if err != nil {
		switch crm.ErrorCode(err) {
		case crm.EINVALID:
			b.reply(ctx, chat, "That does not look right: "+err.Error()+". Reply again with the INN and the name.", nil)
		case crm.ECONFLICT:
			b.reply(ctx, chat, fmt.Sprintf("Lead #%d is already closed: nothing changed.", leadID), nil)
		default:
			b.Log.Error("telegram convert for a company", "lead_id", leadID, "err", err)
			b.reply(ctx, chat, "Sorry, that did not work; try again.", nil)
		}
		return
	}
	b.reply(ctx, chat, fmt.Sprintf("🤝 Lead #%d qualified for %s: deal #%d.", leadID, name, conv.DealID), nil)
}

// loginLink answers /login with a one-time link into the console.
func (b *Bot) loginLink(ctx context.Context, chat int64, m crm.Manager) {
	code, err := b.Store.CreateLoginCode(ctx, m.ID, b.LoginTTL)
	if err != nil {
		b.Log.Error("telegram login link", "manager_id", m.ID, "err", err)
		b.reply(ctx, chat, "Sorry, no link right now; try again in a minute.", nil)
		return
	}
	ttl := b.LoginTTL
	if ttl <= 0 {
		ttl = crm.LoginLinkTTL
	}
	url := strings.TrimRight(b.ConsoleURL, "/") + "/login/" + code
	b.Log.Info("telegram login link sent", "manager_id", m.ID)
	msg := tgbotapi.NewMessage(chat, fmt.Sprintf("Your console sign-in link (works once, for %d minutes):\n%s", int(ttl.Minutes()), url))
	// A link preview would fetch the link, and so spend it.
	msg.DisableWebPagePreview = true
	if _, err := b.Client.send(ctx, chat, msg); err != nil {
		b.Log.Warn("telegram reply", "err", err)
	}
}
