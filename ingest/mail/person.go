package mail

import (
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/leadd/leadd/dedupe"
)

// field is one "Label: value" line of a letter.
type field struct {
	label, value string
}

// labelRe matches "Label: value"; a label is a few words, not a URL's
// scheme and not a time of day.
var labelRe = regexp.MustCompile(`^\s*[*•\-]?\s*([\p{L}][\p{L}\p{N} ._\-/()]{0,39}?)\s*\*?\s*:\s*(.*)$`)

// fields reads the labelled lines of a text. A label alone on its line
// takes the next line as its value (builders that lay a form out as a
// table of two rows do that).
func fields(text string) []field {
	lines := strings.Split(text, "\n")
	var out []field
	for i := 0; i < len(lines); i++ {
		m := labelRe.FindStringSubmatch(lines[i])
		if m == nil || strings.HasPrefix(m[2], "//") {
			continue
		}
		f := field{label: strings.TrimSpace(m[1]), value: strings.TrimSpace(m[2])}
		if f.value == "" && i+1 < len(lines) {
			next := strings.TrimSpace(lines[i+1])
			if next != "" && labelRe.FindStringSubmatch(lines[i+1]) == nil {
				f.value = next
				i++
			}
		}
		if f.value != "" {
			out = append(out, f)
		}
	}
	return out
}

// normLabel is how labels compare: case, spaces and a trailing dot or
// asterisk do not matter.
func normLabel(s string) string {
	s = strings.ToLower(strings.Join(strings.Fields(s), " "))
	return strings.TrimRight(s, ".*: ")
}

func hasLabel(labels []string, label string) bool {
	l := normLabel(label)
	for _, want := range labels {
		if normLabel(want) == l {
			return true
		}
	}
	return false
}

// formPerson is who a form notification is from, read from its lines.
type formPerson struct {
	name              string
	phones, rawPhones []string
	emails            []string
	fields, utm       map[string]string
}

// readForm reads a form notification's labelled lines by the mailbox's
// labels; the lines it does not know become the touch's fields (utm_*
// its UTM).
func readForm(text string, labels Labels, norm dedupe.Normalizer) formPerson {
	p := formPerson{fields: map[string]string{}, utm: map[string]string{}}
	for _, f := range fields(text) {
		switch {
		case hasLabel(labels.Name, f.label):
			if p.name == "" {
				p.name = dedupe.Name(f.value)
			}
		case hasLabel(labels.Phone, f.label):
			valid, invalid := norm.Phones(f.value)
			p.phones = appendNew(p.phones, valid...)
			p.rawPhones = appendNew(p.rawPhones, invalid...)
		case hasLabel(labels.Email, f.label):
			p.emails = appendNew(p.emails, dedupe.Emails(f.value)...)
		case strings.HasPrefix(strings.ToLower(f.label), "utm_"):
			p.utm[strings.ToLower(f.label)] = cut(f.value, 500)
		case len(p.fields) < 50:
			if _, dup := p.fields[f.label]; !dup {
				p.fields[f.label] = cut(f.value, 1000)
			}
		}
	}
	return p
}

// phoneLabel reports whether a line gives a phone by its label ("Тел.:",
// "Mob. phone:", "WhatsApp:") in a person's letter or signature.
func phoneLabel(line string) bool {
	m := labelRe.FindStringSubmatch(line)
	if m == nil {
		return false
	}
	label := normLabel(m[1])
	switch label {
	case "t", "т", "m", "м", "p":
		return true
	}
	for _, w := range []string{"тел", "phone", "моб", "mob", "cell", "сот", "whatsapp", "ватсап", "viber", "вайбер", "telegram"} {
		if strings.Contains(label, w) {
			return true
		}
	}
	return false
}

// phoneShaped finds a number written as a phone (dedupe.PhoneShaped, the
// company bot reads clients' messages with it too).
var phoneShaped = dedupe.PhoneShaped

// anyDigits finds what may be a number on a labelled line.
var anyDigits = regexp.MustCompile(`\+?\d[\d\s\-().]{5,}\d`)

// letterPhones finds the phones a person gave in their own words: on a
// labelled line ("Тел.: 8 912 345-67-89") or written as a phone anywhere
// in the text they wrote (quoted letters below it are not theirs). Only
// valid numbers count: a guess is never kept as typed.
func letterPhones(body string, norm dedupe.Normalizer) []string {
	var out []string
	for _, line := range strings.Split(ownText(body), "\n") {
		var found []string
		if phoneLabel(line) {
			found = anyDigits.FindAllString(line, -1)
		} else {
			found = phoneShaped.FindAllString(line, -1)
		}
		for _, s := range found {
			if e164, ok := norm.Phone(s); ok {
				out = appendNew(out, e164)
			}
		}
	}
	return out
}

// quoteStart recognises the line that introduces a quoted or forwarded
// letter, in the forms the common mail programs write it.
var quoteStart = []*regexp.Regexp{
	regexp.MustCompile(`(?i)(wrote|writes|написал|написала|написал\(а\)|писал|писала|писал\(а\)|пишет)\s*:\s*$`),
	regexp.MustCompile(`(?i)^-{2,}\s*(original message|forwarded message|исходное сообщение|пересылаемое сообщение|перенаправленное сообщение)`),
	regexp.MustCompile(`^\S.{0,200}<[^<>\s]+@[^<>\s]+>:\s*$`), // "12.03.2024, 10:15, "Иван" <ivan@example.ru>:"
	regexp.MustCompile(`(?i)^(from|от|отправитель)\s*:\s*\S.*@`),
}

// ownText is the part of a letter its sender wrote: up to the first
// quoted letter, without "> " lines.
func ownText(body string) string {
	var keep []string
	for _, line := range strings.Split(body, "\n") {
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, ">") {
			continue
		}
		quoted := false
		for _, re := range quoteStart {
			if re.MatchString(t) {
				quoted = true
				break
			}
		}
		if quoted {
			break
		}
		keep = append(keep, line)
	}
	return strings.Join(keep, "\n")
}

// noReply recognises an address nobody reads: a sender of notifications.
func noReply(addr string) bool {
	local, _, _ := strings.Cut(strings.ToLower(addr), "@")
	local = strings.NewReplacer("-", "", "_", "", ".", "").Replace(local)
	return strings.HasPrefix(local, "noreply") || strings.HasPrefix(local, "donotreply") ||
		strings.HasPrefix(local, "donotrespond")
}

// machine recognises the addresses of mail systems themselves.
func machine(addr string) bool {
	local, _, _ := strings.Cut(strings.ToLower(addr), "@")
	return local == "mailer-daemon" || local == "postmaster"
}

// isFormSender reports whether a letter from addr is a form notification
// for this mailbox.
func (m *Mailbox) isFormSender(addr string) bool {
	if !m.FormNotifications || addr == "" {
		return false
	}
	addr = strings.ToLower(addr)
	if len(m.FormSenders) == 0 {
		return noReply(addr)
	}
	for _, s := range m.FormSenders {
		s = strings.ToLower(strings.TrimSpace(s))
		if s == addr || strings.HasPrefix(s, "@") && strings.HasSuffix(addr, s) {
			return true
		}
	}
	return false
}

func appendNew(list []string, items ...string) []string {
	for _, s := range items {
		dup := false
		for _, have := range list {
			if have == s {
				dup = true
				break
			}
		}
		if !dup {
			list = append(list, s)
		}
	}
	return list
}

// maskEmail keeps the first letter and the domain: logs at info level
// carry no one's address.
func maskEmail(e string) string {
	at := strings.LastIndexByte(e, '@')
	if at < 1 {
		return strings.Repeat("*", utf8.RuneCountInString(e))
	}
	r, _ := utf8.DecodeRuneInString(e)
	return string(r) + "***" + e[at:]
}

// maskPhone keeps the country code and the last two digits.
func maskPhone(p string) string {
	if len(p) < 6 {
		return p
	}
	return p[:2] + strings.Repeat("*", len(p)-4) + p[len(p)-2:]
}
