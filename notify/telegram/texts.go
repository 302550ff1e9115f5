package telegram

import (
	"fmt"
	"strings"
	"time"

	"github.com/leadd/leadd/crm"
)

// Texts are the bots' words in one language. The Russian is written in
// the code, each phrase (a format for fmt) its own key; another language
// is a catalogue of the same keys (texts_en.go), checked complete by a
// test that reads the code. A nil *Texts speaks Russian.
type Texts struct {
	lang    string
	catalog map[string]string
	months  [12]string
	// Forms are the website forms' titles by name (forms.forms.<name>.title).
	Forms map[string]string
}

// Languages the bots speak (telegram.language).
var Languages = []string{"ru", "en"}

// TextsFor returns the texts of a language; ok false for one not known.
func TextsFor(lang string) (*Texts, bool) {
	switch lang {
	case "", "ru":
		return &Texts{lang: "ru", months: ruMonths}, true
	case "en":
		return &Texts{lang: "en", catalog: english, months: enMonths}, true
	}
	return nil, false
}

// T is a phrase in the language: format's translation, filled with args
// (fmt's verbs) when there are any.
func (t *Texts) T(format string, args ...any) string {
	if t != nil && t.catalog != nil {
		if tr, ok := t.catalog[format]; ok {
			format = tr
		}
	}
	if len(args) == 0 {
		return format
	}
	return fmt.Sprintf(format, args...)
}

// Refusal is what the core refused, in the language: the field at fault
// by its name, then what to fix (crm.Localize). The managers read it in
// the bot as they would in the console.
func (t *Texts) Refusal(err error) string {
	lang := "ru"
	if t != nil && t.lang != "" {
		lang = t.lang
	}
	e := crm.AsError(err)
	if e == nil {
		return t.T("Не получилось, попробуйте ещё раз.")
	}
	msg := e.Localized(lang)
	if e.Field == "" || e.Code == crm.EOWNEDELSEWHERE {
		return msg
	}
	return crm.FieldName(e.Field, lang) + ": " + msg
}

// Time is a moment as a reader of the language reads it in a message:
// «6 декабря, 11:26», "6 December, 11:26".
func (t *Texts) Time(x time.Time) string {
	months := ruMonths
	if t != nil {
		months = t.months
	}
	return fmt.Sprintf("%d %s, %s", x.Day(), months[x.Month()-1], x.Format("15:04"))
}

// Day is a date (YYYY-MM-DD) as a reader of the language reads it:
// «6 декабря», "6 December"; anything else is left as it is.
func (t *Texts) Day(date string) string {
	x, err := time.Parse(time.DateOnly, date)
	if err != nil {
		return date
	}
	months := ruMonths
	if t != nil {
		months = t.months
	}
	return fmt.Sprintf("%d %s", x.Day(), months[x.Month()-1])
}

// Plural picks the form for n: Russian has three (1 минуту, 2 минуты,
// 5 минут), English two (the first and the last).
func (t *Texts) Plural(n int, one, few, many string) string {
	if t != nil && t.lang == "en" {
		if n == 1 {
			return t.T(one)
		}
		return t.T(few) // "минуты", "раза": the form that says more than one
	}
	n10, n100 := n%10, n%100
	switch {
	case n10 == 1 && n100 != 11:
		return one
	case n10 >= 2 && n10 <= 4 && (n100 < 12 || n100 > 14):
		return few
	}
	return many
}

// Form is a website form as people know it: its title, else its name.
func (t *Texts) Form(name string) string {
	if t != nil && t.Forms[name] != "" {
		return t.Forms[name]
	}
	return name
}

// Lower is a label lower-cased to stand inside a sentence.
func (t *Texts) Lower(s string) string { return strings.ToLower(s) }

var ruMonths = [12]string{"января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа",
	"сентября", "октября", "ноября", "декабря"}

// ruMonthNames are the months standing alone: «ноябрь 2026».
var ruMonthNames = [12]string{"январь", "февраль", "март", "апрель", "май", "июнь", "июль", "август",
	"сентябрь", "октябрь", "ноябрь", "декабрь"}

var enMonths = [12]string{"January", "February", "March", "April", "May", "June", "July", "August",
	"September", "October", "November", "December"}
