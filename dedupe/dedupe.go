// Package dedupe normalizes how people are reached — phones, e-mails,
// names — so that one person written five ways is recognised as one. It
// decides and returns; it talks to no network and no database.
package dedupe

import (
	"net/mail"
	"regexp"
	"strings"
	"unicode"

	"github.com/nyaruka/phonenumbers"
)

// Normalizer normalizes phones for a default region (ISO 3166 code, "RU").
type Normalizer struct {
	Region string
}

// Phone returns the E.164 form of a phone number typed in any common way,
// with its extension ("+79123456789;ext=123" for "8 912 345-67-89 доб.
// 123"), and false when raw is not one valid number and nothing else:
// such a value is kept as typed, never "fixed" and never matched on.
func (n Normalizer) Phone(raw string) (string, bool) {
	s := strings.TrimSpace(strings.ReplaceAll(raw, ExtSep, " ext "))
	fs := n.scan(s)
	if len(fs) != 1 || leftover(s, fs) != "" {
		return "", false
	}
	return fs[0].phone, true
}

// number is the E.164 form of a run of digits and separators.
func (n Normalizer) number(s string) (string, bool) {
	s = strings.TrimSpace(s)
	// "00" is the international prefix in most of the world; "+" is what
	// the library expects.
	if strings.HasPrefix(s, "00") {
		s = "+" + s[2:]
	}
	region := n.Region
	if region == "" {
		region = "RU"
	}
	// Most of the library's parse is its own clean-up, regular
	// expressions over the text; a run of digits and the separators
	// people type means its digits alone, and the commonest of them, a
	// Russian mobile, is read without the library at all (a post's phone
	// field is read on every accept: docs/benchmarks.md).
	d := digitsOnly(s)
	if e164, ok := ruMobile(d, region); ok {
		return e164, true
	}
	num, err := phonenumbers.Parse(d, region)
	if err != nil || !phonenumbers.IsValidNumber(num) {
		return "", false
	}
	return phonenumbers.Format(num, phonenumbers.E164), true
}

// digitsOnly is s with the separators people type between digits taken
// out (a leading "+" stays), when s holds nothing else; otherwise s as it
// is, for the library to read.
func digitsOnly(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9', c == '+' && i == 0:
			b = append(b, c)
		case c == ' ', c == '-', c == '.', c == '(', c == ')':
		default:
			return s
		}
	}
	return string(b)
}

// Phones reads a field that may hold several numbers and text around them
// ("8 912 345-67-89, +7 495 123-45-67", "звоните 8-912-345-67-89 после
// 18", "8 912 345 67 89 доб. 123") and returns the valid numbers in E.164
// (with ";ext=N" for an extension), without repeats, and, as typed, each
// piece that held anything besides numbers: what a person wrote around a
// number ("после 18") stays visible, and what is not a number at all is
// never dropped.
func (n Normalizer) Phones(raw string) (valid, invalid []string) {
	s := strings.ReplaceAll(raw, ExtSep, " ext ")
	if strings.ContainsAny(s, ",;") {
		// The expression needs one of them; most fields hold neither.
		s = extAfterComma.ReplaceAllString(s, " $1")
	}
	pieces := splitList(s)
	for _, part := range pieces {
		fs := n.scan(part)
		for _, f := range fs {
			valid = appendNew(valid, f.phone)
		}
		if leftover(part, fs) != "" {
			invalid = appendNew(invalid, part)
		}
	}
	if len(valid) == 0 && len(pieces) > 1 {
		// One number written with commas in it: keep it whole.
		if e164, ok := n.Phone(strings.NewReplacer(",", " ", ";", " ").Replace(raw)); ok {
			return []string{e164}, nil
		}
		if len(invalid) > 1 {
			return nil, []string{strings.TrimSpace(raw)}
		}
	}
	return valid, invalid
}

// extAfterComma finds an extension set off by a comma ("…-89, доб. 12"):
// it belongs to the number before it, not to a list item of its own.
var extAfterComma = regexp.MustCompile(`(?i)[,;]\s*((?:доб|ext|вн|внутр|x|#)\.?\s*\d)`)

// Email returns the trimmed, lower-cased address, and false when raw is
// not an e-mail address. "Ivan <IVAN@Example.RU>" gives "ivan@example.ru".
func Email(raw string) (string, bool) {
	s := strings.TrimSpace(raw)
	if s == "" || len(s) > 1000 {
		return "", false
	}
	addr, err := mail.ParseAddress(s)
	if err != nil {
		return "", false
	}
	e := strings.ToLower(addr.Address)
	at := strings.LastIndexByte(e, '@')
	// 254 is the longest address SMTP carries (RFC 5321).
	if at <= 0 || len(e) > 254 || !strings.Contains(e[at+1:], ".") || strings.HasSuffix(e, ".") {
		return "", false
	}
	return e, true
}

// Emails splits a field that may hold several addresses and returns the
// valid ones, normalized, without repeats.
func Emails(raw string) []string {
	var out []string
	for _, part := range splitList(raw) {
		if e, ok := Email(part); ok {
			out = appendNew(out, e)
		}
	}
	return out
}

// Name trims a person's name and collapses inner whitespace.
func Name(raw string) string {
	return strings.Join(strings.Fields(raw), " ")
}

func splitList(s string) []string {
	parts := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == '\n' })
	out := parts[:0]
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func hasDigit(s string) bool { return strings.IndexFunc(s, unicode.IsDigit) >= 0 }

func appendNew(list []string, s string) []string {
	for _, have := range list {
		if have == s {
			return list
		}
	}
	return append(list, s)
}

// Country returns the ISO 3166 region of an E.164 number ("RU", "KZ"), or
// "" when it cannot tell. An extension does not change it.
func Country(e164 string) string {
	num, err := phonenumbers.Parse(PhoneKey(e164), "")
	if err != nil {
		return ""
	}
	return phonenumbers.GetRegionCodeForNumber(num)
}
