package mail

import (
	"strings"
	"time"

	gomail "github.com/emersion/go-message/mail"

	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/dedupe"
	"github.com/leadd/leadd/ingest"
)

// envelope is where a letter was found.
type envelope struct {
	folder      string
	uidValidity uint32
	uid         uint32
	// arrived is the letter's arrival in the mailbox (IMAP INTERNALDATE):
	// its time, rather than the sender's Date, when the server says.
	arrived time.Time
}

// Parse turns a letter (its bytes as the server keeps them) into the
// event of mailbox mb, received at now. It never fails: a letter it
// cannot read in full is kept with what could be read, and the problem is
// recorded in the event's Raw. The company's own people are known by
// mb.InternalDomains and the mailbox's address (a Client also knows the
// managers' addresses).
func Parse(raw []byte, mb *Mailbox, norm dedupe.Normalizer, now time.Time) *ingest.Event {
	return parse(raw, mb, norm, now, envelope{}, mb.company(nil))
}

func parse(raw []byte, mb *Mailbox, norm dedupe.Normalizer, now time.Time, env envelope, co company) *ingest.Event {
	now = now.UTC()
	l := readLetter(raw, mb.MaxAttachment)
	fromAddr := ""
	if len(l.from) > 0 {
		fromAddr = l.from[0].Address
	}
	// A manager's own address never sends form notifications.
	form := mb.isFormSender(fromAddr) && !co.person(fromAddr)
	ignore, soft := l.machineMail(form)
	in := crm.Inbound{
		Channel: crm.ChannelMail,
		Source:  mb.Name,
		At:      l.date.UTC(),
		Text:    touchText(l.subject, l.body),
		Ignore:  ignore,
		Mail: &crm.MailInfo{
			Mailbox:     mb.Name,
			MessageID:   l.messageID,
			InReplyTo:   l.inReplyTo,
			References:  l.references,
			Subject:     l.subject,
			From:        l.fromText,
			Attachments: l.attachments,
		},
	}
	// A letter came when it reached the mailbox, which may be long before
	// Leadd read it (Leadd was down, the mailbox unreachable): the server
	// says when. Without that, the sender's Date; a letter from the future
	// is a wrong clock, and one with no date came now. The processor holds
	// the time to the inbox's receipt (crm.ArrivedAt).
	switch {
	case !env.arrived.IsZero() && !env.arrived.After(now):
		in.At = env.arrived.UTC()
	case l.date.IsZero() || l.date.After(now.Add(24*time.Hour)):
		in.At = now
	}
	switch {
	case in.Ignore == "" && !form && co.has(fromAddr):
		ours(&in, l, mb, co, norm, fromAddr)
	default:
		formPerson := person(&in, l, mb, form, norm)
		if soft && formPerson {
			// A form notification may say it is automatic (RFC 3834);
			// one that names a visitor is still a visitor's request.
			in.Ignore = ""
		}
		if form && in.Ignore == "" && len(in.Phones) == 0 && len(in.Emails) == 0 {
			in.Ignore = "form notification without a person's phone or e-mail"
		}
	}
	ev := &ingest.Event{
		ID:         ingest.NewID(now),
		Source:     "mail:" + mb.Name,
		ExternalID: externalID(l.messageID, raw),
		Raw:        l.raw(len(raw), env),
		Touch:      in,
	}
	// A letter is what it is: what Leadd cannot store as written (a NUL,
	// broken UTF-8, a 10,000-character Message-ID) is made storable, and
	// the event says so.
	ev.Clean()
	return ev
}

// ours reads a letter from the company's own people. It is no one's
// request, unless it forwards a client's letter: then it is the client's
// touch, the client read from the forwarded letter.
func ours(in *crm.Inbound, l *letter, mb *Mailbox, co company, norm dedupe.Normalizer, fromAddr string) {
	if !l.isForward() {
		if strings.EqualFold(fromAddr, mb.Username) {
			// A copy of what the company sent (Cc, Bcc, a loop).
			in.Ignore = "our own letter (from this mailbox)"
		} else {
			in.Ignore = "internal letter (from the company's own people)"
		}
		return
	}
	f, ok := l.forwardOf()
	switch {
	case !ok || f.from == nil:
		in.Ignore = "internal letter (a forward whose original sender could not be read)"
		return
	case co.has(f.from.Address):
		in.Ignore = "internal letter (a colleague's letter forwarded)"
		return
	}
	in.Mail.ForwardedBy = l.fromText
	in.Mail.From = f.from.Address
	if f.from.Name != "" {
		in.Mail.From = oneLine(f.from.Name) + " <" + f.from.Address + ">"
	}
	for _, a := range append([]*gomail.Address{f.from}, f.replyTo...) {
		e, ok := dedupe.Email(a.Address)
		if !ok || noReply(e) || machine(e) || co.has(e) {
			continue
		}
		in.Emails = appendNew(in.Emails, e)
		if n := dedupe.Name(a.Name); in.Name == "" && n != "" && !strings.Contains(n, "@") {
			in.Name = n
		}
	}
	in.Phones = letterPhones(f.body, norm)
	if l.attached != nil {
		// The client's words are in the attachment: the manager reads
		// them with the note above.
		in.Text = touchText(l.subject, joinNonEmpty([]string{l.body,
			"---------- Пересланное письмо ----------\nОт: " + in.Mail.From + "\nТема: " + f.subject + "\n\n" + f.body}))
	}
	if len(in.Emails) == 0 && len(in.Phones) == 0 {
		in.Ignore = "internal letter (a forward that names no e-mail or phone of the client)"
	}
}

// person fills who the letter is from. The sender's address and name come
// first, then Reply-To; an address nobody reads (no-reply, MAILER-DAEMON)
// is never taken for a person. A form notification names the person in
// its lines and its Reply-To instead.
//
// It reports whether a form notification's own lines name a person (a
// phone or an e-mail).
func person(in *crm.Inbound, l *letter, mb *Mailbox, form bool, norm dedupe.Normalizer) bool {
	lists := [][]*gomail.Address{l.from, l.replyTo}
	if form {
		// The builder sent it; only Reply-To may be the visitor.
		lists = lists[1:]
	}
	var senders []string
	name := ""
	for _, list := range lists {
		for _, a := range list {
			e, ok := dedupe.Email(a.Address)
			if !ok || noReply(e) || machine(e) {
				continue
			}
			senders = appendNew(senders, e)
			if n := dedupe.Name(a.Name); name == "" && n != "" && !strings.Contains(n, "@") {
				name = n
			}
		}
	}
	if form {
		p := readForm(l.body, mb.Fields, norm)
		in.Name = p.name
		in.Phones, in.RawPhones = p.phones, p.rawPhones
		in.Emails = appendNew(p.emails, senders...)
		if len(p.fields) > 0 {
			in.Fields = p.fields
		}
		if len(p.utm) > 0 {
			in.UTM = p.utm
		}
		if in.Name == "" {
			in.Name = name
		}
		return len(p.phones) > 0 || len(p.emails) > 0
	}
	in.Name = name
	in.Emails = senders
	if in.Ignore == "" {
		// A machine's text (an out-of-office naming a colleague's phone)
		// says nothing of who wrote.
		in.Phones = letterPhones(l.body, norm)
	}
	return false
}

// touchText is what the manager reads: the subject, a blank line, the
// body, cut at maxText characters.
func touchText(subject, body string) string {
	switch {
	case subject == "":
		return cut(body, maxText)
	case body == "":
		return subject
	}
	return cut(subject+"\n\n"+body, maxText)
}

// company is who writes for the company: its mail domains and its
// people's own addresses (the managers', the mailbox's).
type company struct {
	domains []string
	addrs   map[string]bool
}

// company returns the company's people as mb knows them, with the
// managers' addresses.
func (m *Mailbox) company(managers []string) company {
	co := company{domains: m.InternalDomains, addrs: map[string]bool{}}
	for _, a := range managers {
		co.addrs[strings.ToLower(a)] = true
	}
	if strings.Contains(m.Username, "@") {
		co.addrs[strings.ToLower(m.Username)] = true
	}
	return co
}

// person reports whether addr is a person's of the company (a manager's,
// the mailbox's own).
func (c company) person(addr string) bool {
	return addr != "" && c.addrs[strings.ToLower(addr)]
}

// has reports whether addr is the company's: a person's or on one of its
// domains (subdomains included).
func (c company) has(addr string) bool {
	if c.person(addr) {
		return true
	}
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return false
	}
	domain := normDomain(addr[at+1:])
	for _, d := range c.domains {
		if domain == d || strings.HasSuffix(domain, "."+d) {
			return true
		}
	}
	return false
}
