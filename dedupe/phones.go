package dedupe

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ExtSep joins a number and its extension the way RFC 3966 writes it:
// "+79123456789;ext=123". Matching ignores what follows it (PhoneKey).
const ExtSep = ";ext="

// PhoneKey is the part of a stored phone that identifies a person: the
// E.164 number without its extension. Two people behind one switchboard
// are one company line; the extension says whom to ask for.
func PhoneKey(p string) string {
	if i := strings.Index(p, ExtSep); i >= 0 {
		return p[:i]
	}
	return p
}

// SplitExt returns the number and the extension of a stored phone
// ("+79123456789;ext=123" gives "+79123456789", "123").
func SplitExt(p string) (number, ext string) {
	if i := strings.Index(p, ExtSep); i >= 0 {
		return p[:i], p[i+len(ExtSep):]
	}
	return p, ""
}

// Display is a stored phone as a person reads it in Russian:
// "+79123456789;ext=123" is "+79123456789 доб. 123".
func Display(p string) string {
	if n, ext := SplitExt(p); ext != "" {
		return n + " доб. " + ext
	}
	return p
}

// extMarkers introduce an extension, lower-cased, longest first so that
// "добавочный" is not read as "доб" followed by letters.
var extMarkers = []string{
	";ext=", "добавочный", "добавочного", "extension", "внутренний", "внутр.", "внутр", "доб.", "доб", "вн.", "ext.", "ext", "x", "#",
}

// found is one number read from text: the E.164 number (with ";ext=N"
// when an extension followed it) and where it was in the text.
type found struct {
	phone      string
	start, end int // byte offsets of the number and its extension
}

// scan finds the numbers written in free text: "8 912 345 67 89 Сергей",
// "звоните 8-912-345-67-89 после 18", two numbers one after the other
// with only a space between them, each with an optional extension
// ("доб. 123", "ext. 45", "#45").
func (n Normalizer) scan(text string) []found {
	var out []found
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		if !(r == '+' || r == '(' || isDigit(r)) || (i > 0 && isWordBefore(text[:i])) {
			i += size
			continue
		}
		runEnd, groups := digitRun(text, i)
		if len(groups) == 0 {
			i += size
			continue
		}
		i = n.takeNumbers(text, groups, &out)
		if i <= groups[0].start {
			i = runEnd
		}
	}
	return out
}

// group is a stretch of digits inside a run ("912" in "8 (912) 345").
type group struct{ start, end, digits int }

// digitRun reads digits and the separators people put between them
// (spaces, hyphens, dots, brackets, a leading plus) from i, and returns
// where the run ends and its digit groups.
func digitRun(text string, i int) (int, []group) {
	var groups []group
	end := i
	for j := i; j < len(text); {
		r, size := utf8.DecodeRuneInString(text[j:])
		switch {
		case isDigit(r):
			if len(groups) == 0 || groups[len(groups)-1].end != j {
				groups = append(groups, group{start: j})
			}
			g := &groups[len(groups)-1]
			g.end, g.digits = j+size, g.digits+1
			end = j + size
		case r == '+' && j == i, r == ' ', r == '\u00a0', r == '-', r == '–', r == '.', r == '(', r == ')', r == '\t':
		default:
			return end, groups
		}
		j += size
	}
	return end, groups
}

// takeNumbers reads the numbers one after another from a run's groups,
// the longest valid one first, and returns where reading stopped.
func (n Normalizer) takeNumbers(text string, groups []group, out *[]found) int {
	pos := groups[0].start
	for len(groups) > 0 {
		// The longest valid number wins: candidates are tried from the
		// longest (at most 15 digits, E.164's limit) down, so the usual
		// field, one number, costs one parse.
		last, digits := -1, 0
		for k := range groups {
			if digits+groups[k].digits > 15 {
				break
			}
			digits += groups[k].digits
			last = k
		}
		best, e164 := -1, ""
		for k := last; k >= 0; k-- {
			if digits >= 7 {
				if num, ok := n.number(candidate(text, groups[0].start, groups[k].end)); ok {
					best, e164 = k, num
					break
				}
			}
			digits -= groups[k].digits
		}
		if best < 0 {
			return pos
		}
		start, end := groups[0].start, groups[best].end
		if start > 0 && text[start-1] == '+' {
			start--
		}
		if ext, extEnd := extensionAfter(text, end); ext != "" {
			e164, end = e164+ExtSep+ext, extEnd
			*out = append(*out, found{phone: e164, start: start, end: end})
			return end
		}
		*out = append(*out, found{phone: e164, start: start, end: end})
		pos = end
		groups = groups[best+1:]
	}
	return pos
}

// candidate is the text of a possible number, with the "+" before it.
func candidate(text string, start, end int) string {
	if start > 0 && text[start-1] == '+' {
		start--
	}
	return text[start:end]
}

// extensionAfter reads "доб. 123", "ext 45", "#45", "x12" right after a
// number: the extension's digits and where they end, or "".
func extensionAfter(text string, i int) (string, int) {
	rest := strings.TrimLeft(text[i:], " \t,\u00a0(")
	for _, m := range extMarkers {
		if len(rest) < len(m) || !strings.EqualFold(rest[:len(m)], m) {
			continue
		}
		tail := rest[len(m):]
		after := strings.TrimLeft(tail, " \t.:=\u00a0№")
		j := 0
		for j < len(after) && j < 7 && after[j] >= '0' && after[j] <= '9' {
			j++
		}
		if j == 0 || j > 6 || (j < len(after) && after[j] >= '0' && after[j] <= '9') {
			return "", i
		}
		end := len(text) - len(after) + j
		if end < len(text) && text[end] == ')' {
			end++
		}
		return after[:j], end
	}
	return "", i
}

// isWordBefore reports whether the text just before a digit is a letter
// or digit ("A123", "ИНН7701"): such digits are part of a word.
func isWordBefore(before string) bool {
	r, _ := utf8.DecodeLastRuneInString(before)
	return unicode.IsLetter(r) || r == '_'
}

func isDigit(r rune) bool { return r >= '0' && r <= '9' }

// leftover is the text with the numbers found in it taken out: what the
// person wrote around them.
func leftover(text string, fs []found) string {
	var b strings.Builder
	at := 0
	for _, f := range fs {
		b.WriteString(text[at:f.start])
		b.WriteByte(' ')
		at = f.end
	}
	b.WriteString(text[at:])
	return strings.TrimFunc(b.String(), func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsPunct(r) && r != '#'
	})
}

// PhoneShaped finds a number written as a phone: with a country code or
// a leading 8 and grouped like one, "+7 (912) 345-67-89", "8-912-345-67-89".
// A bare run of digits (an order, an INN, an account) does not match.
var PhoneShaped = regexp.MustCompile(`(?:\+\d{1,3}|\b8)[\s\-]?\(?\d{2,5}\)?[\s\-]?\d{1,4}(?:[\s\-]?\d{2,4}){1,3}\b`)

// PhonesInText returns the valid numbers written as phones in free text
// ("мой номер 8 912 345-67-89, звоните после 18"), in E.164, without
// repeats, as letters are read: only what is shaped like a phone
// (PhoneShaped), and only valid numbers — a guess is never kept.
func (n Normalizer) PhonesInText(text string) []string {
	var out []string
	for _, s := range PhoneShaped.FindAllString(text, -1) {
		if e164, ok := n.Phone(s); ok {
			out = appendNew(out, e164)
		}
	}
	return out
}
