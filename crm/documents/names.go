package documents

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// A contract names its signatories in the genitive: «в лице генерального
// директора Иванова Ивана Ивановича, действующего на основании Устава».
// The rules below decline the Russian names and posts companies have;
// a name they get wrong is given declined in the configuration
// (documents.seller.signatory_genitive) instead.

// Female reports whether a full name "Фамилия Имя Отчество" is a woman's,
// by the patronymic (-вна, -чна, -кызы), else by the surname (-ова, -ева,
// -ина, -ая).
func Female(fullName string) bool {
	f := strings.Fields(fullName)
	if len(f) == 0 {
		return false
	}
	if len(f) >= 3 {
		p := strings.ToLower(f[len(f)-1])
		switch {
		case hasAnySuffix(p, "вна", "чна", "кызы", "гызы"):
			return true
		case hasAnySuffix(p, "вич", "ич", "оглы", "улы"):
			return false
		}
	}
	return hasAnySuffix(strings.ToLower(f[0]), "ова", "ева", "ёва", "ина", "ына", "ая", "яя")
}

// GenitiveName declines "Фамилия Имя Отчество" (or a part of it) into the
// genitive: «Иванов Иван Иванович» → «Иванова Ивана Ивановича»,
// «Петрова Анна Сергеевна» → «Петровой Анны Сергеевны». Initials («И. И.»)
// and words it does not know stay as they are.
func GenitiveName(fullName string) string {
	f := strings.Fields(fullName)
	female := Female(fullName)
	for i, w := range f {
		if strings.HasSuffix(w, ".") {
			continue
		}
		switch {
		case i == 0:
			f[i] = declineWord(w, surname, female)
		case i == 1:
			f[i] = declineWord(w, firstName, female)
		default:
			f[i] = declineWord(w, patronymic, female)
		}
	}
	return strings.Join(f, " ")
}

// GenitivePost declines a post into the genitive, in lower case:
// «Генеральный директор» → «генерального директора», «ГЕНЕРАЛЬНЫЙ
// ДИРЕКТОР» → «генерального директора», «Управляющий» → «управляющего».
func GenitivePost(post string) string {
	// Adjectives up to the head noun decline; what follows it («по
	// развитию», «правления») is already in its case.
	f := strings.Fields(strings.ToLower(post))
	for i, w := range f {
		switch {
		case hasAnySuffix(w, "ый", "ий", "ой"):
			f[i] = adjectiveGenitive(w)
		case strings.HasSuffix(w, "о"): // временно исполняющий
		default:
			f[i] = declineWord(w, noun, false)
			return strings.Join(f, " ")
		}
	}
	return strings.Join(f, " ")
}

// Initials writes "Фамилия Имя Отчество" as the signature line does:
// «Иванов И. И.». A name already short stays.
func Initials(fullName string) string {
	f := strings.Fields(fullName)
	if len(f) < 2 || strings.HasSuffix(f[1], ".") {
		return strings.Join(f, " ")
	}
	out := f[0]
	for _, w := range f[1:] {
		r, _ := utf8.DecodeRuneInString(w)
		out += " " + string(unicode.ToUpper(r)) + "."
	}
	return out
}

type wordKind int

const (
	surname wordKind = iota
	firstName
	patronymic
	noun
)

func adjectiveGenitive(w string) string {
	stem := w[:len(w)-len("ый")]
	// управляющий → управляющего, исполнительный → исполнительного,
	// коммерческий → коммерческого.
	if strings.HasSuffix(w, "ий") && hasAnySuffix(stem, "н", "ж", "ш", "ч", "щ") {
		return stem + "его"
	}
	return stem + "ого"
}

func hasAnySuffix(s string, suffixes ...string) bool {
	for _, x := range suffixes {
		if strings.HasSuffix(s, x) {
			return true
		}
	}
	return false
}

// declineWord puts one word of a name or post into the genitive, keeping
// its capitalisation (all capitals stay all capitals).
func declineWord(w string, kind wordKind, female bool) string {
	if w == "" || strings.ContainsAny(w, "-") && kind != surname {
		return w
	}
	if i := strings.IndexByte(w, '-'); i > 0 { // a double surname: each part
		return declineWord(w[:i], kind, female) + "-" + declineWord(w[i+1:], kind, female)
	}
	upper := w == strings.ToUpper(w) && utf8.RuneCountInString(w) > 1
	lw := strings.ToLower(w)
	out := genitive(lw, kind, female)
	if out == lw {
		return w
	}
	if upper {
		return strings.ToUpper(out)
	}
	// Keep the original's first letters and add the new ending.
	common := 0
	for common < len(lw) && common < len(out) && lw[common] == out[common] {
		common++
	}
	for common > 0 && common < len(lw) && !utf8.RuneStart(lw[common]) {
		common--
	}
	return w[:common] + out[common:]
}

const hushing = "гкхжшчщ"

func genitive(w string, kind wordKind, female bool) string {
	last, _ := utf8.DecodeLastRuneInString(w)
	stem := strings.TrimSuffix(w, string(last))
	prev, _ := utf8.DecodeLastRuneInString(stem)
	aEnding := func() string { // -а → -ы, after г к х ж ш ч щ → -и
		if strings.ContainsRune(hushing, prev) {
			return stem + "и"
		}
		return stem + "ы"
	}
	switch kind {
	case patronymic:
		switch {
		case hasAnySuffix(w, "вич", "ич"):
			return w + "а"
		case hasAnySuffix(w, "вна", "чна"):
			return stem + "ы"
		}
		return w
	case surname:
		if female {
			switch {
			case hasAnySuffix(w, "ова", "ева", "ёва", "ина", "ына"):
				return stem + "ой"
			case hasAnySuffix(w, "ская", "цкая"), hasAnySuffix(w, "ая"):
				return strings.TrimSuffix(w, "ая") + "ой"
			case hasAnySuffix(w, "яя"):
				return strings.TrimSuffix(w, "яя") + "ей"
			case last == 'а' && !isVowel(prev):
				return aEnding()
			case last == 'я' && !isVowel(prev):
				return stem + "и"
			}
			return w // Шевчук, Дюма, Шоу
		}
		switch {
		case hasAnySuffix(w, "ых", "их", "ко", "аго", "яго", "ово", "ого", "енко"), isVowel(last) && last != 'а' && last != 'я' && last != 'й':
			return w // Черных, Шевченко, Дурново
		case hasAnySuffix(w, "ский", "цкий"):
			return strings.TrimSuffix(w, "ий") + "ого"
		case hasAnySuffix(w, "ой", "ый"):
			return strings.TrimSuffix(strings.TrimSuffix(w, "ой"), "ый") + "ого"
		case hasAnySuffix(w, "ий") && strings.ContainsRune(hushing, prevOf(stem)):
			return strings.TrimSuffix(w, "ий") + "ого"
		case hasAnySuffix(w, "ий"):
			return strings.TrimSuffix(w, "ий") + "его"
		case last == 'й':
			return stem + "я"
		case last == 'ь':
			return stem + "я"
		case last == 'а':
			return aEnding()
		case last == 'я':
			return stem + "и"
		}
		return w + "а"
	case firstName:
		if g, ok := fleeting[w]; ok {
			return g
		}
		switch {
		case hasAnySuffix(w, "ия"):
			return stem + "и" // Мария → Марии, Илия → Илии
		case last == 'а':
			return aEnding()
		case last == 'я':
			return stem + "и"
		case female && last == 'ь':
			return stem + "и" // Любовь → Любови
		case female:
			return w
		case last == 'й', last == 'ь':
			return stem + "я"
		case isVowel(last):
			return w
		}
		return w + "а"
	default: // a noun of a post
		switch {
		case last == 'ь':
			return stem + "я" // предприниматель → предпринимателя
		case last == 'й':
			return stem + "я"
		case last == 'а':
			return aEnding()
		case last == 'я':
			return stem + "и"
		case isVowel(last):
			return w
		case !unicode.Is(unicode.Cyrillic, last):
			return w
		}
		return w + "а"
	}
}

// fleeting are first names that lose a vowel when declined.
var fleeting = map[string]string{"пётр": "петра", "петр": "петра", "лев": "льва", "павел": "павла"}

func prevOf(s string) rune {
	r, _ := utf8.DecodeLastRuneInString(s)
	return r
}

func isVowel(r rune) bool { return strings.ContainsRune("аеёиоуыэюя", r) }
