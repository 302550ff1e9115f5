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
}

// Parse turns a letter (its bytes as the server keeps them) into the
// event of mailbox mb, received at now. It never fails: a letter it
// cannot read in full is kept with what could be read, and the problem is
// recorded in the event's Raw.
func Parse(raw []byte, mb *Mailbox, norm dedupe.Normalizer, now time.Time) *ingest.Event {
	return parse(raw, mb, norm, now, envelope{})
}

func parse(raw []byte, mb *Mailbox, norm dedupe.Normalizer, now time.Time, env envelope) *ingest.Event {
	now = now.UTC()
	l := readLetter(raw, mb.MaxAttachment)
	fromAddr := ""
	if len(l.from) > 0 {
		fromAddr = l.from[0].Address
	}
	form := mb.isFormSender(fromAddr)
	in := crm.Inbound{
		Channel: crm.ChannelMail,
		Source:  mb.Name,
		At:      l.date.UTC(),
		Text:    touchText(l.subject, l.body),
		Ignore:  l.machineMail(form),
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
	if in.Ignore == "" && strings.Contains(mb.Username, "@") && strings.EqualFold(fromAddr, mb.Username) {
		// A copy of what the company sent (Cc, Bcc, a loop) is no one's
		// request.
		in.Ignore = "our own letter (from this mailbox)"
	}
	// A letter from the future is a wrong clock; one with no date came
	// now.
	if l.date.IsZero() || l.date.After(now.Add(24*time.Hour)) {
		in.At = now
	}
	person(&in, l, mb, form, norm)
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

// person fills who the letter is from. The sender's address and name come
// first, then Reply-To; an address nobody reads (no-reply, MAILER-DAEMON)
// is never taken for a person. A form notification names the person in
// its lines and its Reply-To instead.
func person(in *crm.Inbound, l *letter, mb *Mailbox, form bool, norm dedupe.Normalizer) {
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
		return
	}
	in.Name = name
	in.Emails = senders
	if in.Ignore == "" {
		// A machine's text (an out-of-office naming a colleague's phone)
		// says nothing of who wrote.
		in.Phones = letterPhones(l.body, norm)
	}
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
