package mail

import (
	netmail "net/mail"
	"regexp"
	"strings"

	gomail "github.com/emersion/go-message/mail"
)

// A manager who gets a client's letter in their own mailbox forwards it
// to the company's: the touch is the client's. Mail programs forward in
// three ways — the letter attached whole (message/rfc822: Outlook's
// "Forward as attachment", Thunderbird's old default, Apple Mail), or
// inline under a block naming the original sender, each program in its
// own words:
//
//	Gmail        ---------- Forwarded message --------- / Пересылаемое сообщение
//	             From: / От: Name <addr>, Date:, Subject:, To:
//	Outlook      From: Name <addr> (or [mailto:addr]), Sent:, To:, Subject:
//	             От:, Отправлено:, Кому:, Тема: (after a line of underscores
//	             or -----Original Message-----)
//	Yandex       -------- Пересылаемое сообщение --------
//	             14.11.2023, 09:02, "Name" <addr>:
//	Mail.ru      -------- Пересылаемое сообщение --------
//	             От кого: Name <addr>, Кому:, Дата:, Тема:
//	Thunderbird  -------- Forwarded Message -------- / Пересылаемое сообщение
//	             Subject:, Date:, From:, To: (Тема:, Дата:, От:, Кому:)
//	Apple Mail   Begin forwarded message: / Начало переадресованного сообщения:

// forwarded is the original letter inside a forward: who wrote it and
// what they wrote.
type forwarded struct {
	from    *gomail.Address // nil when the block names no address
	replyTo []*gomail.Address
	subject string
	body    string
}

// fwdSubject recognises a forward by its subject.
var fwdSubject = regexp.MustCompile(`(?i)^\s*(?:\[[^\]]*\]\s*)?(?:fwd?|пересл(?:\.|ано)?|пересылка|fw)\s*(?:\[\d+\])?\s*:`)

// fwdMarker is the line a mail program puts above a forwarded letter.
var fwdMarker = regexp.MustCompile(`(?i)^[-_=\s]*(forwarded message|original message|пересылаемое сообщение|перенаправленное сообщение|исходное сообщение|переслано|begin forwarded message|начало переадресованного сообщения|начало пересылаемого сообщения).*$`)

// replyMarker is a marker that heads a quoted letter in replies too.
var replyMarker = regexp.MustCompile(`(?i)^(original message|исходное сообщение)$`)

// fwdEnd closes a forwarded letter (Yandex, Mail.ru).
var fwdEnd = regexp.MustCompile(`(?i)^-{2,}\s*(end of forwarded message|конец пересылаемого сообщения)`)

// outlookRule is the line of underscores Outlook puts above the block.
var outlookRule = regexp.MustCompile(`^_{10,}\s*$`)

// headerLine is one line of a forwarded letter's header block: the
// label and the value.
var headerLine = regexp.MustCompile(`(?i)^\*?(from|от кого|от|отправитель|sender|date|sent|дата|отправлено|to|кому|cc|копия|subject|тема|reply-to|ответить)\*?\s*:\s*(.*)$`)

// yandexFrom is Yandex's single line: date, time, "Name" <addr>:.
var yandexFrom = regexp.MustCompile(`^\S.{0,200}?(?:,\s*|\s)("?[^"<>]*"?\s*<[^<>\s]+@[^<>\s]+>)\s*:\s*$`)

// unquote strips the "> " quoting some programs put before a forwarded
// letter's lines.
func unquote(line string) string {
	t := strings.TrimSpace(line)
	for strings.HasPrefix(t, ">") {
		t = strings.TrimSpace(t[1:])
	}
	return t
}

// forwardedInBody finds the forwarded letter in a forward's text: its
// header block (From / От / От кого with an address, next to a date, a
// subject or a recipient, or under a forward marker) and the text after
// it.
func forwardedInBody(body string) (forwarded, bool) {
	lines := strings.Split(body, "\n")
	for i := range lines {
		t := unquote(lines[i])
		if m := yandexFrom.FindStringSubmatch(t); m != nil && nearMarker(lines, i) {
			f := forwarded{from: parseAddr(m[1])}
			f.body = forwardedText(lines[i+1:])
			return f, f.from != nil
		}
		m := headerLine.FindStringSubmatch(t)
		if m == nil || !isFromLabel(m[1]) {
			continue
		}
		from := parseAddr(m[2])
		if from == nil {
			continue
		}
		// A "From:" line alone in a letter is prose; the block has
		// more header lines, or a marker above it.
		start, end := i, i+1
		for start > 0 && headerLine.MatchString(unquote(lines[start-1])) {
			start--
		}
		for end < len(lines) && (headerLine.MatchString(unquote(lines[end])) || continuation(lines, end)) {
			end++
		}
		if end-start < 2 && !nearMarker(lines, start) {
			continue
		}
		f := forwarded{from: from}
		for _, l := range lines[start:end] {
			if h := headerLine.FindStringSubmatch(unquote(l)); h != nil {
				switch strings.ToLower(h[1]) {
				case "subject", "тема":
					f.subject = strings.TrimSpace(h[2])
				case "reply-to", "ответить":
					if a := parseAddr(h[2]); a != nil {
						f.replyTo = append(f.replyTo, a)
					}
				}
			}
		}
		f.body = forwardedText(lines[end:])
		return f, true
	}
	return forwarded{}, false
}

func isFromLabel(label string) bool {
	switch strings.ToLower(label) {
	case "from", "от", "от кого", "отправитель", "sender":
		return true
	}
	return false
}

// continuation is a wrapped line of a header block: indented, inside it.
func continuation(lines []string, i int) bool {
	l := lines[i]
	return i > 0 && (strings.HasPrefix(l, " ") || strings.HasPrefix(l, "\t")) && strings.TrimSpace(l) != "" &&
		!headerLine.MatchString(unquote(l))
}

// nearMarker reports whether a forward marker (or Outlook's rule) is in
// the three lines above line i.
func nearMarker(lines []string, i int) bool {
	for j := i - 1; j >= 0 && j >= i-3; j-- {
		t := unquote(lines[j])
		if fwdMarker.MatchString(t) || outlookRule.MatchString(t) {
			return true
		}
	}
	return false
}

// forwardedText is the forwarded letter's text: from the first line after
// its header block to the end marker, quoting removed.
func forwardedText(lines []string) string {
	var out []string
	for _, l := range lines {
		t := unquote(l)
		if fwdEnd.MatchString(t) {
			break
		}
		out = append(out, t)
	}
	return tidy(strings.Join(out, "\n"))
}

// mailtoRe is Outlook's "Name [mailto:addr]".
var mailtoRe = regexp.MustCompile(`(?i)\[mailto:([^\]\s]+)\]`)

// parseAddr reads an address as a mail program writes it in a block:
// Name <addr>, "Name" <addr>, Name [mailto:addr], *Name* <addr>, addr.
// Nil when there is none.
func parseAddr(s string) *gomail.Address {
	s = strings.TrimSpace(mailtoRe.ReplaceAllString(s, "<$1>"))
	s = strings.ReplaceAll(s, "*", "")
	if a, err := netmail.ParseAddress(s); err == nil && a.Address != "" {
		return &gomail.Address{Name: strings.TrimSpace(a.Name), Address: clean(a.Address)}
	}
	addr := addrRe.FindString(s)
	if addr == "" {
		return nil
	}
	name := ""
	if i := strings.Index(s, addr); i > 0 {
		name = strings.Trim(strings.TrimSpace(s[:i]), `"'<( `)
	}
	return &gomail.Address{Name: name, Address: strings.Trim(addr, "<>")}
}

// forwardOf finds the client letter inside a letter that forwards one:
// an attached message/rfc822 first, then a block in the text. A letter
// that is not a forward gives false.
func (l *letter) forwardOf() (forwarded, bool) {
	if a := l.attached; a != nil && len(a.from) > 0 {
		return forwarded{from: a.from[0], replyTo: a.replyTo, subject: a.subject, body: a.body}, true
	}
	if f, ok := forwardedInBody(l.body); ok {
		return f, true
	}
	return forwarded{}, false
}

// isForward reports whether the letter says it forwards one, even if its
// original cannot be read.
func (l *letter) isForward() bool {
	if l.attached != nil || fwdSubject.MatchString(l.subject) {
		return true
	}
	for _, line := range strings.Split(l.body, "\n") {
		// "Original Message" heads replies as well as forwards.
		if m := fwdMarker.FindStringSubmatch(unquote(line)); m != nil && !replyMarker.MatchString(m[1]) {
			return true
		}
	}
	return false
}
