package telegram

import (
	"fmt"
	"strconv"
	"strings"
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

// cardText is the lead as a manager sees it in Telegram: who, how to reach
// them, where they came from, what they wrote, and where the lead stands.
// Plain text: Telegram makes +7… numbers and e-mails tappable itself.
func cardText(l crm.Lead, loc *time.Location, footer string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Заявка №%d — %s\n", l.ID, statusText(l))
	name := l.Name
	if name == "" {
		name = "(без имени)"
	}
	b.WriteString("👤 " + name + "\n")
	for _, p := range l.Phones {
		b.WriteString("📞 " + dedupe.Display(p) + "\n")
	}
	for _, p := range l.RawPhones {
		b.WriteString("📞 " + p + " (как написал клиент)\n")
	}
	for _, e := range l.Emails {
		b.WriteString("✉️ " + e + "\n")
	}
	b.WriteString("📥 " + sourceText(l) + "\n")
	if utm := utmText(l.UTM); utm != "" {
		b.WriteString("🏷 " + utm + "\n")
	}
	if c := firstComment(l); c != "" {
		b.WriteString("💬 " + clip(c, 600) + "\n")
	}
	if l.ContactID != nil {
		b.WriteString("↩️ Клиент обращался раньше\n")
	} else {
		b.WriteString("🆕 Новый клиент\n")
	}
	if n := len(l.Touches); n > 1 {
		fmt.Fprintf(&b, "Обращений: %d\n", n)
	}
	if c := openCall(l); c != nil && l.Open() {
		fmt.Fprintf(&b, "⏰ Позвонить до %s\n", ruTime(c.DueAt.In(loc)))
	}
	if footer != "" {
		b.WriteString("\n" + footer)
	}
	return strings.TrimRight(b.String(), "\n")
}

func statusText(l crm.Lead) string {
	switch l.Status {
	case crm.StatusNew:
		return "новая"
	case crm.StatusInProgress:
		return "в работе"
	case crm.StatusConverted:
		return "квалифицирована, создана сделка"
	case crm.StatusJunk:
		if l.JunkReason != nil {
			return "закрыта как брак (" + junkText(*l.JunkReason) + ")"
		}
		return "закрыта как брак"
	}
	return l.Status
}

func sourceText(l crm.Lead) string {
	switch l.Channel {
	case crm.ChannelForm:
		return "Заявка с сайта (форма «" + l.Source + "»)"
	case crm.ChannelCall:
		if l.Source == "" {
			return "Звонок"
		}
		return "Звонок на линию " + l.Source
	case crm.ChannelMail:
		return "Письмо на " + l.Source
	case crm.ChannelMessenger:
		return "Сообщение в Telegram"
	case crm.ChannelManual:
		return "Внесена вручную"
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

// cardKeyboard is the card's buttons for the lead as it stands; nil once
// it is closed (nothing left to press).
func cardKeyboard(l crm.Lead) *tgbotapi.InlineKeyboardMarkup {
	if !l.Open() {
		return nil
	}
	var first []tgbotapi.InlineKeyboardButton
	if l.Status == crm.StatusNew {
		first = append(first, tgbotapi.NewInlineKeyboardButtonData("Беру", cbTake+":"+id(l.ID)))
	}
	if c := openCall(l); c != nil {
		first = append(first, tgbotapi.NewInlineKeyboardButtonData("Не дозвонился", cbNoAnswer+":"+id(l.ID)+":"+id(c.ID)))
	}
	second := tgbotapi.NewInlineKeyboardRow(
		tgbotapi.NewInlineKeyboardButtonData("Квалифицировать", cbQualified+":"+id(l.ID)),
		tgbotapi.NewInlineKeyboardButtonData("В брак ▸", cbJunk+":"+id(l.ID)))
	rows := [][]tgbotapi.InlineKeyboardButton{second}
	if len(first) > 0 {
		rows = [][]tgbotapi.InlineKeyboardButton{first, second}
	}
	kb := tgbotapi.NewInlineKeyboardMarkup(rows...)
	return &kb
}

// junkLabels name the junk reasons on their buttons.
var junkLabels = map[string]string{"spam": "Спам", "test": "Тест", "job_seeker": "Соискатель",
	"duplicate": "Дубль", "unreachable": "Не дозвониться", "other": "Другое"}

// junkText is a junk reason in words.
func junkText(reason string) string {
	if l, ok := junkLabels[reason]; ok {
		return strings.ToLower(l)
	}
	return reason
}

var ruMonths = [...]string{"января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа",
	"сентября", "октября", "ноября", "декабря"}

// ruTime is a moment as a Russian reads it in a message: «6 декабря, 11:26».
func ruTime(t time.Time) string {
	return fmt.Sprintf("%d %s, %s", t.Day(), ruMonths[t.Month()-1], t.Format("15:04"))
}

// junkKeyboard is the second keyboard: a reason to close the lead as junk.
func junkKeyboard(leadID int64) tgbotapi.InlineKeyboardMarkup {
	var rows [][]tgbotapi.InlineKeyboardButton
	var row []tgbotapi.InlineKeyboardButton
	for _, r := range crm.JunkReasons {
		label := junkLabels[r]
		if label == "" {
			label = r
		}
		row = append(row, tgbotapi.NewInlineKeyboardButtonData(label, cbJunkAs+":"+id(leadID)+":"+r))
		if len(row) == 2 {
			rows, row = append(rows, row), nil
		}
	}
	if len(row) > 0 {
		rows = append(rows, row)
	}
	rows = append(rows, tgbotapi.NewInlineKeyboardRow(tgbotapi.NewInlineKeyboardButtonData("◂ Назад", cbBack+":"+id(leadID))))
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
