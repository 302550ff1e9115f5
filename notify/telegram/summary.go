package telegram

import (
	"context"
	"fmt"
	"strings"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/leadd/leadd/crm"
)

// summarized reports whether rows of kind reach supervisors as one
// summary a window (Deliverer.Summary), not one message each: leads not
// taken in time, leads left in the queue, managers Telegram cannot reach.
func summarized(kind string) bool {
	return kind == crm.KindSLAMissed || kind == crm.KindManagerUnreachable || kind == crm.KindLeadCreated
}

// windowEnd is when the summary a row written at created belongs to goes.
func (d *Deliverer) windowEnd(created time.Time) time.Time {
	return created.Truncate(d.Summary).Add(d.Summary)
}

// summarize sends the supervisors one message for the rows of a window,
// then settles them all; each supervisor's chat gets it once (a retry
// after a crash between sending and recording sends it once more).
func (d *Deliverer) summarize(stop, ctx context.Context, jobs []*job) {
	retryAll := func(after time.Duration, reason string) {
		for _, j := range jobs {
			d.finish(ctx, j, d.retry(ctx, j.log, j.m, after, reason))
		}
	}
	settleAll := func(note string) {
		for _, j := range jobs {
			d.finish(ctx, j, d.Store.SettleOutbox(ctx, crm.ConsumerTelegram, j.m.ID, note))
		}
	}
	text, markup, n, err := d.summaryText(ctx, jobs)
	if err != nil {
		retryAll(d.backoff(jobs[0].m.Attempts), err.Error())
		return
	}
	if n == 0 {
		settleAll("nothing left to tell: the leads were taken or closed")
		return
	}
	sups, err := d.Store.TelegramSupervisors(ctx)
	if err != nil {
		retryAll(d.backoff(jobs[0].m.Attempts), err.Error())
		return
	}
	if len(sups) == 0 {
		settleAll("no supervisor with a telegram chat")
		return
	}
	var notes []string
	for _, s := range sups {
		chat := *s.ChatID
		missing := false
		for _, j := range jobs {
			sent, err := d.Store.TelegramSent(ctx, j.m.ID, chat)
			if err != nil {
				retryAll(d.backoff(j.m.Attempts), err.Error())
				return
			}
			missing = missing || !sent
		}
		if !missing {
			continue
		}
		if err := d.Client.limit.Wait(stop, chat); err != nil {
			return // stopping: the rows are released
		}
		msg := tgbotapi.NewMessage(chat, text)
		if markup != nil {
			msg.ReplyMarkup = *markup
		}
		sctx, cancel := context.WithTimeout(ctx, sendTimeout)
		res, err := d.Client.sendNow(sctx, chat, msg)
		cancel()
		switch f := classify(err); f.kind {
		case failNone:
			for _, j := range jobs {
				if err := d.Store.RecordTelegramSent(ctx, j.m.ID, chat, res.MessageID); err != nil {
					retryAll(d.backoff(j.m.Attempts), err.Error())
					return
				}
			}
			d.Log.Info("telegram summary sent", "manager_id", s.ManagerID, "rows", len(jobs), "items", n)
		case failRateLimited:
			retryAll(f.retryAfter, "429: "+f.reason)
			return
		case failTransient:
			retryAll(d.backoff(jobs[0].m.Attempts), f.reason)
			return
		case failUnreachable:
			if err := d.Store.MarkTelegramUnreachable(ctx, s.ManagerID, nil, f.reason); err != nil {
				retryAll(d.backoff(jobs[0].m.Attempts), err.Error())
				return
			}
			notes = append(notes, fmt.Sprintf("manager %d unreachable: %s", s.ManagerID, f.reason))
		case failRejected:
			d.Log.Error("telegram refused the summary", "manager_id", s.ManagerID, "reason", f.reason)
			notes = append(notes, fmt.Sprintf("rejected for manager %d: %s", s.ManagerID, f.reason))
		}
	}
	settleAll(strings.Join(notes, "; "))
}

// summaryText is the summary of a window's rows: a line for each lead
// that still waits for somebody (leads taken or closed since are left
// out) and each manager out of reach, and for each lead the buttons to
// take it or hand it on. n counts the lines.
func (d *Deliverer) summaryText(ctx context.Context, jobs []*job) (text string, markup *tgbotapi.InlineKeyboardMarkup, n int, err error) {
	name := func(id *int64) string {
		if id == nil {
			return d.Texts.T("никто")
		}
		if r, err := d.Store.TelegramRecipient(ctx, *id); err == nil {
			return r.Name
		}
		return fmt.Sprintf(d.Texts.T("менеджер %d"), *id)
	}
	now := time.Now()
	var lines []string
	var rows [][]tgbotapi.InlineKeyboardButton
	leads, managers := map[int64]bool{}, map[int64]bool{}
	// waiting returns the lead when it still waits to be taken.
	waiting := func(id int64) (crm.Lead, bool, error) {
		if leads[id] {
			return crm.Lead{}, false, nil
		}
		l, err := d.Store.Lead(ctx, id)
		if crm.ErrorCode(err) == crm.ENOTFOUND {
			return l, false, nil
		}
		if err != nil {
			return l, false, err
		}
		leads[id] = true
		return l, l.Status == crm.StatusNew, nil
	}
	for _, j := range jobs {
		switch p := j.summary.(type) {
		case crm.SLAMissed:
			l, ok, err := waiting(p.LeadID)
			if err != nil {
				return "", nil, 0, err
			}
			if !ok {
				continue
			}
			what := fmt.Sprintf(d.Texts.T("не взята вовремя (%s), передана: %s"), name(p.FromManagerID), name(p.ToManagerID))
			if p.Queued || p.ToManagerID == nil {
				what = d.Texts.T("никто не взял, передана в очередь")
			}
			lines = append(lines, fmt.Sprintf(d.Texts.T("⏳ Заявка №%d ждёт %s: %s"), p.LeadID, waitText(d.Texts, now.Sub(l.CreatedAt)), what))
			rows = append(rows, leadButtons(d.Texts, p.LeadID))
		case crm.LeadCreated:
			l, ok, err := waiting(p.LeadID)
			if err != nil {
				return "", nil, 0, err
			}
			if !ok || l.ManagerID != nil {
				continue
			}
			lines = append(lines, fmt.Sprintf(d.Texts.T("📥 Заявка №%d ждёт %s в очереди: никому не назначена"), p.LeadID, waitText(d.Texts, now.Sub(l.CreatedAt))))
			rows = append(rows, leadButtons(d.Texts, p.LeadID))
		case crm.ManagerUnreachable:
			if !managers[p.ManagerID] {
				managers[p.ManagerID] = true
				lines = append(lines, fmt.Sprintf(d.Texts.T("⚠️ Нет связи с менеджером %s в Telegram (бот заблокирован или чат удалён): ")+
					d.Texts.T("новые заявки идут другим, невзятые переданы в очередь."), p.ManagerName))
			}
			if p.LeadID == nil {
				continue
			}
			l, ok, err := waiting(*p.LeadID)
			if err != nil {
				return "", nil, 0, err
			}
			if ok && l.ManagerID == nil {
				lines = append(lines, fmt.Sprintf(d.Texts.T("📥 Заявка №%d не дошла до менеджера %s и ждёт %s в очереди"), *p.LeadID, p.ManagerName,
					waitText(d.Texts, now.Sub(l.CreatedAt))))
				rows = append(rows, leadButtons(d.Texts, *p.LeadID))
			}
		}
	}
	if len(lines) == 0 {
		return "", nil, 0, nil
	}
	const most = 30 // Telegram's message is 4096 characters
	if len(lines) > most {
		lines = append(lines[:most], fmt.Sprintf(d.Texts.T("… и ещё %d"), len(lines)-most))
	}
	if len(rows) > 20 {
		rows = rows[:20]
	}
	if len(rows) > 0 {
		kb := tgbotapi.NewInlineKeyboardMarkup(rows...)
		markup = &kb
	}
	return d.Texts.T("🔔 Нужно ваше внимание:\n\n") + strings.Join(lines, "\n"), markup, len(lines), nil
}

// waitText is how long a lead waits, as a Russian says it after «ждёт».
func waitText(tx *Texts, d time.Duration) string {
	m := int(d / time.Minute)
	switch {
	case m < 1:
		return tx.T("меньше минуты")
	case m < 60:
		return fmt.Sprintf("%d %s", m, tx.Plural(m, tx.T("минуту"), tx.T("минуты"), tx.T("минут")))
	}
	h := m / 60
	s := fmt.Sprintf("%d %s", h, tx.Plural(h, tx.T("час"), tx.T("часа"), tx.T("часов")))
	if m%60 != 0 {
		s += fmt.Sprintf(tx.T(" %d мин"), m%60)
	}
	return s
}
