package console

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

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
func (v *viewer) Outcome(o string) string { return crm.ActivityOutcome(o, v.Lang) }

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
// are put in the viewer's language (crm.ActivitySubject).
func (v *viewer) Subject(s string) string { return crm.ActivitySubject(s, v.Lang) }

// Role names a role.
func (v *viewer) Role(r string) string { return v.T("role." + r) }

// errorText is a refusal the person can act on, in their language: the
// core's own words (crm.Localize) after the name of the field at fault.
// An error that is no refusal is not shown: it is logged where it happens.
func (v *viewer) errorText(err error) string {
	e := crm.AsError(err)
	if e == nil {
		return v.T("error.internal")
	}
	msg := e.Localized(v.Lang)
	if e.Field == "" || e.Code == crm.EOWNEDELSEWHERE {
		return capitalize(msg)
	}
	label := crm.FieldName(e.Field, v.Lang)
	if v.Lang == "en" {
		return "Check “" + label + "”: " + msg
	}
	return "Проверьте поле «" + label + "»: " + msg
}

// capitalize starts a sentence with a capital letter.
func capitalize(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 || unicode.IsUpper(r) {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
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

// OtherLang is the language the switch offers.
func (v *viewer) OtherLang() string {
	if v.Lang == "en" {
		return "ru"
	}
	return "en"
}

// LangLink is the page the viewer is on, in the other language: the same
// path and query (filters, a drill-down's figure), only lang changed.
func (v *viewer) LangLink() string {
	q := url.Values{}
	for k, vs := range v.q {
		q[k] = vs
	}
	q.Set("lang", v.OtherLang())
	return v.Path + "?" + q.Encode()
}
