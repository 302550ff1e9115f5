package console

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/leadd/leadd/crm"
)

// lang is the viewer's language: ?lang=en or ?lang=ru (remembered in a
// cookie), else the cookie, else Russian.
func (s *Server) lang(w http.ResponseWriter, r *http.Request) string {
	if l := r.URL.Query().Get("lang"); l == "ru" || l == "en" {
		s.setCookie(w, r, langCookie, l, 365*24*time.Hour, false)
		return l
	}
	if c, err := r.Cookie(langCookie); err == nil && (c.Value == "en" || c.Value == "ru") {
		return c.Value
	}
	return "ru"
}

// T translates a catalogue key; an unknown key is shown as itself (a test
// checks that every key the templates use is in the catalogue).
func (v *viewer) T(key string) string {
	m, ok := catalogue[key]
	if !ok {
		return key
	}
	if v.Lang == "en" {
		return m[1]
	}
	return m[0]
}

// label is a report's word in the viewer's language: the catalogue's
// text for its key, with its argument (itself translated when the
// catalogue has it) in place of %s; a key the catalogue lacks shows the
// report's own Russian text.
func (v *viewer) label(l crm.Label) string {
	if l.Key == "" {
		return l.Text
	}
	if _, ok := catalogue[l.Key]; !ok {
		return l.Text
	}
	t := v.T(l.Key)
	if !strings.Contains(t, "%s") {
		return t
	}
	arg := l.Arg
	if _, ok := catalogue[arg]; ok {
		arg = v.T(arg)
	}
	return strings.Replace(t, "%s", arg, 1)
}

// Channel names a channel.
func (v *viewer) Channel(c string) string { return v.T("channel." + c) }

// Status names a lead status.
func (v *viewer) Status(st string) string { return v.T("status." + st) }

// Junk names a junk reason.
func (v *viewer) Junk(r string) string { return v.T("junk." + r) }

// Loss names a loss reason; one the catalogue lacks is shown as it is.
func (v *viewer) Loss(r string) string {
	if _, ok := catalogue["loss."+r]; ok {
		return v.T("loss." + r)
	}
	return r
}

// DocType names a document type.
func (v *viewer) DocType(t string) string { return v.T("doc." + t) }

// ActivityType names an activity type.
func (v *viewer) ActivityType(t string) string { return v.T("activity." + t) }

// Outcome names an activity's outcome.
func (v *viewer) Outcome(o string) string {
	if _, ok := catalogue["outcome."+o]; ok {
		return v.T("outcome." + o)
	}
	return o
}

// VATName names a VAT rate by its key: "22 %", "без НДС".
func (v *viewer) VATName(key string) string {
	rate, ok := v.s.opts.VAT[key]
	if !ok {
		return key
	}
	if rate == "" {
		return v.T("vat.none")
	}
	return rate + nbsp + "%"
}

// Subject shows an activity's subject; those the core writes in English
// are put in Russian.
func (v *viewer) Subject(s string) string {
	if v.Lang == "en" {
		return s
	}
	if ru, ok := subjects[s]; ok {
		return ru
	}
	var n int
	if _, err := fmt.Sscanf(s, "Call again (attempt %d)", &n); err == nil {
		return fmt.Sprintf("Позвонить снова (попытка %d)", n)
	}
	return s
}

var subjects = map[string]string{
	"Answer the letter":                "Ответить на письмо",
	"Answer the message":               "Ответить на сообщение",
	"Call back: a request on the deal": "Перезвонить: запрос по сделке",
	"Call back: new lead":              "Перезвонить: новый лид",
	"Missed call: call back":           "Пропущенный звонок: перезвонить",
}

// Role names a role.
func (v *viewer) Role(r string) string { return v.T("role." + r) }

// fieldLabels name the fields errors point at.
var fieldLabels = map[string][2]string{
	"external.number": {"Номер договора", "Contract number"}, "external.date": {"Дата договора", "Contract date"},
	"token": {"Токен", "Token"}, "quantity": {"Количество", "Quantity"}, "price": {"Цена", "Price"},
	"discount": {"Скидка", "Discount"}, "vat": {"НДС", "VAT"}, "name": {"Название", "Name"},
	"inn": {"ИНН", "INN"}, "company.inn": {"ИНН", "INN"}, "company.name": {"Название компании", "Company name"},
	"junk_reason": {"Причина", "Reason"}, "revenue": {"Выручка", "Revenue"}, "won": {"Выигранных сделок", "Deals won"},
	"month": {"Месяц", "Month"}, "utm_source": {"utm_source", "utm_source"}, "amount": {"Сумма", "Amount"}, "loss_reason": {"Причина проигрыша", "Loss reason"},
	"stage": {"Стадия", "Stage"}, "at": {"Новое время", "New time"}, "text": {"Текст заметки", "Note text"},
	"manager_id": {"Менеджер", "Manager"}, "product_id": {"Товар", "Product"}, "type": {"Тип документа", "Document type"},
	"file": {"Файл", "File"}, "line": {"Позиция", "Line"}, "length": {"Длительность", "Length"}, "managers": {"Менеджеры", "Managers"},
}

// errorText is an error the person can act on, in their language.
func (v *viewer) errorText(err error) string {
	var e *crm.Error
	if !errors.As(err, &e) {
		return v.T("error.internal")
	}
	msg := e.Message
	if e.Code == crm.EOWNEDELSEWHERE && v.Lang != "en" {
		return "Этого клиента уже ведёт " + e.Owner + ". Попросите его или руководителя передать клиента; ничего не изменено."
	}
	for en, ru := range knownMessages {
		if strings.Contains(msg, en) && v.Lang != "en" {
			msg = ru
			break
		}
	}
	if e.Field == "" {
		return msg
	}
	label := e.Field
	if l, ok := fieldLabels[e.Field]; ok {
		label = l[0]
		if v.Lang == "en" {
			label = l[1]
		}
	}
	if v.Lang == "en" {
		return "Check “" + label + "”: " + msg
	}
	return "Проверьте поле «" + label + "»: " + msg
}

// knownMessages put the core's usual refusals in Russian.
var knownMessages = map[string]string{
	"the contract's number as printed on it": "номер, как он напечатан в договоре, от 1 до 64 знаков",
	"the date the contract was signed":       "дата подписания договора",
	"is closed":                              "лид уже закрыт: его нельзя изменить",
	"already":                                "это уже сделано",
	"without lines":                          "в сделке нет позиций: добавьте товар или услугу, затем сделайте документ",
	"must be more than 0":                    "должно быть больше нуля",
	"a discount is a percent from 0 to 100":  "скидка — процент от 0 до 100",
	"unknown VAT rate":                       "такой ставки НДС нет в настройках: выберите ставку из списка",
	"no product":                             "такого товара нет в каталоге: выберите товар из списка",
	"line not found":                         "такой позиции в сделке нет: обновите страницу",
	"no line":                                "такой позиции в сделке нет: обновите страницу",
	"no lines":                               "в сделке нет позиций: добавьте товар или услугу, затем сделайте документ",
	"documents are off":                      "документы выключены: укажите documents.seller в конфигурации",
	"must be a decimal":                      "введите число, например 1200,50",
	"not a valid INN":                        "ИНН неверен: 10 цифр для организации или 12 для ИП, с верной контрольной суммой",
	"checksum":                               "ИНН неверен: проверьте цифры (контрольная сумма не сходится)",
	"a loss reason":                          "выберите причину проигрыша",
	"unknown stage":                          "такой стадии нет в воронке",
	"must not be empty":                      "заполните поле",
	"is required":                            "заполните поле",
	"not active":                             "менеджер не активен",
	"merged":                                 "запись уже объединена",
	"must be a month":                        "выберите месяц",
	"must not be negative":                   "не может быть меньше нуля",
	"is too large":                           "слишком большое число: не больше 16 цифр до запятой",
	"a whole number of deals":                "введите целое число сделок",
	"a utm_source of at most":                "укажите utm_source, не длиннее 200 знаков",
}

// routingWords put routing's explanations (stored in English with each
// assignment, as routing/engine.go words them) in Russian, longest
// phrases first.
var routingWords = []struct {
	re *regexp.Regexp
	ru string
}{
	{regexp.MustCompile(`unreachable in Telegram \(the chat refused the last message\)`), "недоступен в Telegram (чат не принял последнее сообщение)"},
	{regexp.MustCompile(`at capacity \((\d+) of (\d+) new leads\)`), "нагрузка заполнена ($1 из $2 новых заявок)"},
	{regexp.MustCompile(`least loaded \((\d+) open leads\)`), "наименее загружен ($1 открытых заявок)"},
	{regexp.MustCompile(`weighted turn \(weight (\d+)\)`), "очередь по весу (вес $1)"},
	{regexp.MustCompile(`round-robin turn (\d+) of (\d+)`), "по кругу, очередь $1 из $2"},
	{regexp.MustCompile(`returning customer: their manager `), "постоянный клиент: его менеджер "},
	{regexp.MustCompile(`their manager (.+?) is `), "его менеджер $1: "},
	{regexp.MustCompile(`nobody working now; (.+?) starts first, at `), "сейчас никто не работает; раньше всех начнёт $1, в "},
	{regexp.MustCompile(`nobody available`), "свободных нет"},
	{regexp.MustCompile(`not chosen: `), "не выбран: "},
	{regexp.MustCompile(`time off until `), "в отпуске до "},
	{regexp.MustCompile(`had it already`), "уже вёл эту заявку"},
	{regexp.MustCompile(`off hours`), "нерабочее время"},
	{regexp.MustCompile(`\binactive\b`), "не работает в компании"},
	{regexp.MustCompile(`\baway\b`), "отсутствует"},
	{regexp.MustCompile(`target: queue`), "правило: в очередь"},
	{regexp.MustCompile(`\bqueued\b`), "в очереди"},
	{regexp.MustCompile(`\bpool (\S+)`), "группа $1"},
	{regexp.MustCompile(`\bmanager (\S+)`), "менеджер $1"},
	{regexp.MustCompile(`: (.+?) by `), ": $1 — "},
}

// Routing is a routing explanation (a reason or why a candidate was
// skipped) in the viewer's language.
func (v *viewer) Routing(s string) string {
	if v.Lang == "en" {
		return s
	}
	for _, w := range routingWords {
		s = w.re.ReplaceAllString(s, w.ru)
	}
	return s
}

// Strategy is a routing strategy's name in words.
func (v *viewer) Strategy(s string) string {
	if s == "" {
		return "—"
	}
	if t := v.T("strategy." + s); t != "strategy."+s {
		return t
	}
	return s
}
