package crm

import (
	"fmt"
	"regexp"
	"strings"
)

// The core writes the subjects and outcomes of the activities it makes
// itself in English, as stored and as the API gives them; a person reads
// them in their language through ActivitySubject and ActivityOutcome, one
// catalogue for the console and the bot. A test reads the core's source
// and fails on a subject or outcome written without an entry here.

// activitySubjects are the subjects the core writes (a format's verbs are
// %d) and their Russian.
var activitySubjects = map[string]string{
	"Call back: new lead":              "Перезвонить: новый лид",
	"Call back: a request on the deal": "Перезвонить: запрос по сделке",
	"Answer the letter":                "Ответить на письмо",
	"Answer the message":               "Ответить на сообщение",
	"Missed call: call back":           "Пропущенный звонок: перезвонить",
	"Call again (attempt %d)":          "Позвонить снова (попытка %d)",
	"Incoming call, %d:%02d":           "Входящий звонок, %d:%02d",
	"Outgoing call, %d:%02d":           "Исходящий звонок, %d:%02d",
}

// activityOutcomes are the outcomes an activity is closed with, by their
// kind (the part before ": "), and their Russian.
var activityOutcomes = map[string]string{
	"done":        "сделано",
	"no_answer":   "не дозвонились",
	"rescheduled": "перенесено",
	"answered":    "разговор состоялся",
	"queued":      "лид вернулся в очередь",
	"cancelled":   "отменено",
}

// activityOutcomeDetails are the details the core writes after an
// outcome's kind, and their Russian; a call's key (after "answered: ") is
// not shown.
var activityOutcomeDetails = map[string]string{
	"lead converted":      "лид квалифицирован",
	"unreachable":         "клиент недоступен",
	"lead closed as junk": "лид закрыт как некачественный",
}

// subjectPattern is a subject format as a regular expression, with the
// format itself: its verbs become the groups.
type subjectPattern struct {
	re     *regexp.Regexp
	format string
}

var subjectPatterns = func() []subjectPattern {
	var out []subjectPattern
	for f := range activitySubjects {
		if !strings.Contains(f, "%") {
			continue
		}
		expr := regexp.QuoteMeta(f)
		expr = strings.NewReplacer("%02d", `(\d{2,})`, "%d", `(\d+)`).Replace(expr)
		out = append(out, subjectPattern{regexp.MustCompile("^" + expr + "$"), f})
	}
	return out
}()

// ActivitySubject is an activity's subject in lang ("ru" or "en"): one the
// core wrote is put in Russian; one a person typed is theirs, as typed.
func ActivitySubject(s, lang string) string {
	if lang == "en" {
		return s
	}
	if ru, ok := activitySubjects[s]; ok && !strings.Contains(s, "%") {
		return ru
	}
	for _, p := range subjectPatterns {
		m := p.re.FindStringSubmatch(s)
		if m == nil {
			continue
		}
		args := make([]any, len(m)-1)
		for i, x := range m[1:] {
			var n int
			fmt.Sscan(x, &n)
			args[i] = n
		}
		return fmt.Sprintf(activitySubjects[p.format], args...)
	}
	return s
}

// ActivityOutcome is how an activity ended, in lang: "done", or a kind
// with its detail ("cancelled: unreachable").
func ActivityOutcome(o, lang string) string {
	kind, detail, _ := strings.Cut(o, ": ")
	if lang == "en" {
		if kind == "answered" {
			return "answered"
		}
		return strings.ReplaceAll(o, "_", " ")
	}
	ru, ok := activityOutcomes[kind]
	if !ok {
		return o
	}
	if d, ok := activityOutcomeDetails[detail]; ok {
		return ru + ": " + d
	}
	return ru
}
