package main

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/leadd/leadd/configs"
	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/ingest/mail"
	"github.com/leadd/leadd/ingest/mail/dovecottest"
)

// The whole daemon reading a real Dovecot: letters APPENDed over IMAP, as
// a mail server delivers them, are read by the daemon's mailbox client and
// land through the inbox and the processor; everything is checked through
// the API.

const (
	mailUser     = "sales"
	mailPassword = "s3cret"
)

// startMailApp starts a Dovecot with the sales user and the daemon reading
// that user's INBOX as the mailbox "sales".
func startMailApp(t *testing.T) (*testApp, *dovecottest.Server) {
	t.Helper()
	d := dovecottest.Start(t)
	d.AddUser(mailUser, mailPassword)
	ta := startApp(t, func(c *configs.Config) {
		c.Mail.Mailboxes = append(c.Mail.Mailboxes, mail.Mailbox{
			Name: "sales", Host: d.Host(), Port: d.Port(), TLS: mail.TLSNone,
			Username: mailUser, Password: mailPassword,
		})
		// configs.Load filled the defaults before this mailbox was given;
		// Validate expects them.
		c.Mail.Defaults()
	})
	return ta, d
}

// readyMailboxes reads the mailboxes of /readyz.
func (ta *testApp) readyMailboxes() (int, []mail.Status) {
	ta.t.Helper()
	res := ta.do("GET", "/readyz", "", nil)
	var body struct {
		Mailboxes []mail.Status `json:"mailboxes"`
	}
	jsonInto(ta.t, res.Body, &body)
	return res.Status, body.Mailboxes
}

// waitMailboxConnected waits until /readyz shows the mailbox connected and
// read through.
func (ta *testApp) waitMailboxConnected(name string) mail.Status {
	ta.t.Helper()
	var st mail.Status
	waitFor(ta.t, "/readyz to show mailbox "+name+" connected", func() bool {
		status, boxes := ta.readyMailboxes()
		if status != 200 || len(boxes) != 1 {
			return false
		}
		st = boxes[0]
		return st.Mailbox == name && st.Connected && !st.LastSync.IsZero()
	})
	return st
}

func (ta *testApp) leadsByEmail(email string) []crm.Lead {
	ta.t.Helper()
	var list leadList
	if s := ta.api("GET", "/api/v1/leads?email="+url.QueryEscape(email), nil, &list); s != 200 {
		ta.t.Fatalf("list leads by email %s: %d", email, s)
	}
	return list.Items
}

// touchMail decodes the mail part of a touch's data.
func touchMail(t *testing.T, tc crm.Touch) map[string]any {
	t.Helper()
	var data struct {
		Mail map[string]any `json:"mail"`
	}
	if err := json.Unmarshal(tc.Data, &data); err != nil {
		t.Fatalf("touch %d data: %v: %s", tc.ID, err, tc.Data)
	}
	return data.Mail
}

const strangerLetter = "From: =?UTF-8?B?0J7Qu9GM0LPQsCDQmNCy0LDQvdC+0LLQsA==?= <olga@zavod.example.ru>\r\n" +
	"To: sales@example.com\r\n" +
	"Subject: =?UTF-8?B?0JfQsNC/0YDQvtGBINGG0LXQvdGLINC90LAg0YHRgtCw0L3QvtC6INCn0J/Qow==?=\r\n" +
	"Date: Mon, 20 Nov 2023 10:15:00 +0300\r\n" +
	"Message-ID: <first-7f3a@zavod.example.ru>\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: text/plain; charset=utf-8\r\n" +
	"Content-Transfer-Encoding: 8bit\r\n" +
	"\r\n" +
	"Добрый день!\r\n" +
	"\r\n" +
	"Пришлите, пожалуйста, цену на станок ЧПУ с доставкой в Пермь.\r\n" +
	"Мой телефон: +7 912 555-01-02\r\n" +
	"\r\n" +
	"Ольга Иванова\r\n"

const replyLetter = "From: Olga <o.ivanova@gmail.example.com>\r\n" +
	"To: sales@example.com\r\n" +
	"Subject: =?UTF-8?B?UmU6INCX0LDQv9GA0L7RgSDRhtC10L3RiyDQvdCwINGB0YLQsNC90L7QuiDQp9Cf0KM=?=\r\n" +
	"Date: Mon, 20 Nov 2023 12:40:00 +0300\r\n" +
	"Message-ID: <reply-91c2@gmail.example.com>\r\n" +
	"In-Reply-To: <first-7f3a@zavod.example.ru>\r\n" +
	"References: <first-7f3a@zavod.example.ru>\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: text/plain; charset=utf-8\r\n" +
	"Content-Transfer-Encoding: 8bit\r\n" +
	"\r\n" +
	"И ещё: нужен ли фундамент под станок?\r\n"

const autoReplyLetter = "From: =?UTF-8?B?0JDQu9C10LrRgdC10Lkg0JLQvtC70LrQvtCy?= <a.volkov@zavod.example.com>\r\n" +
	"To: sales@example.com\r\n" +
	"Subject: =?UTF-8?B?0JDQstGC0L7QvtGC0LLQtdGCOiDQsiDQvtGC0L/Rg9GB0LrQtQ==?=\r\n" +
	"Date: Mon, 20 Nov 2023 08:00:03 +0300\r\n" +
	"Message-ID: <autoreply-3f9a1c@zavod.example.com>\r\n" +
	"Auto-Submitted: auto-replied\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: text/plain; charset=utf-8\r\n" +
	"Content-Transfer-Encoding: 8bit\r\n" +
	"\r\n" +
	"Здравствуйте!\r\n" +
	"\r\n" +
	"Я в отпуске до 27 ноября, без доступа к почте.\r\n" +
	"По срочным вопросам: Пётр Сидоров, +7 495 765-43-21.\r\n"

func TestMailFromAStrangerBecomesALeadAndItsReplyJoinsIt(t *testing.T) {
	t.Parallel()
	ta, d := startMailApp(t)

	// (4) /readyz shows the mailbox, connected, and the daemon ready.
	st := ta.waitMailboxConnected("sales")
	if st.LastError != "" {
		t.Errorf("mailbox status %+v, want no error", st)
	}

	// (1) A letter in Russian from a stranger becomes an assigned lead
	// with a call due.
	before := time.Now()
	d.Deliver(mailUser, mailPassword, "INBOX", []byte(strangerLetter))
	waitFor(t, "the letter to open a lead", func() bool {
		return len(ta.leadsByEmail("olga@zavod.example.ru")) > 0
	})
	ta.waitProcessed()
	leads := ta.leadsByEmail("olga@zavod.example.ru")
	if len(leads) != 1 {
		t.Fatalf("%d leads by the sender's address, want 1: %+v", len(leads), leads)
	}
	l := ta.lead(leads[0].ID)
	if l.Status != "new" || l.Channel != "mail" || l.Source != "sales" || l.Name != "Ольга Иванова" {
		t.Errorf("lead is %s/%s/%s named %q, want new/mail/sales named Ольга Иванова", l.Status, l.Channel, l.Source, l.Name)
	}
	if fmt.Sprint(l.Emails) != "[olga@zavod.example.ru]" || fmt.Sprint(l.Phones) != "[+79125550102]" {
		t.Errorf("emails %v, phones %v; want the sender's address and the phone in the letter", l.Emails, l.Phones)
	}
	if byPhone := ta.leadsByPhone("8 912 555 01 02"); len(byPhone) != 1 || byPhone[0].ID != l.ID {
		t.Errorf("leads by the letter's phone: %+v, want lead %d", byPhone, l.ID)
	}
	if len(l.Touches) != 1 {
		t.Fatalf("touches: %+v, want the letter", l.Touches)
	}
	tc := l.Touches[0]
	wantSubject := "Запрос цены на станок ЧПУ"
	if tc.Channel != "mail" || tc.Source != "sales" || !strings.HasPrefix(tc.Text, wantSubject+"\n\n") ||
		!strings.Contains(tc.Text, "цену на станок ЧПУ с доставкой в Пермь") {
		t.Errorf("touch %s/%s with text %q, want the subject, a blank line and the body", tc.Channel, tc.Source, tc.Text)
	}
	// The letter came when it reached the mailbox (its INTERNALDATE), not
	// on the date its sender wrote on it (20 November 2023).
	if tc.At.Before(before.Truncate(time.Second)) || tc.At.After(time.Now()) {
		t.Errorf("touch at %s, want the letter's arrival in the mailbox, after %s", tc.At, before)
	}
	if m := touchMail(t, tc); str(m["subject"]) != wantSubject || str(m["mailbox"]) != "sales" ||
		str(m["message_id"]) != "first-7f3a@zavod.example.ru" || !strings.Contains(str(m["from"]), "olga@zavod.example.ru") {
		t.Errorf("touch's mail data %v", m)
	}
	if l.ManagerID == nil || l.Assignment == nil || l.Assignment.ManagerID == nil || *l.Assignment.ManagerID != *l.ManagerID {
		t.Fatalf("not assigned: manager %v, assignment %+v", l.ManagerID, l.Assignment)
	}
	manager := *l.ManagerID
	if len(l.Activities) != 1 {
		t.Fatalf("activities %+v, want the call", l.Activities)
	}
	call := l.Activities[0]
	if call.Type != "call" || call.ManagerID != manager || call.DoneAt != nil || call.DueAt.Before(before) ||
		call.DueAt.After(time.Now().Add(24*time.Hour)) {
		t.Errorf("call %+v, want a planned call for manager %d, due within the SLA", call, manager)
	}

	// (2) A reply in the thread from another address joins the lead, and
	// its manager is asked to answer the letter.
	d.Deliver(mailUser, mailPassword, "INBOX", []byte(replyLetter))
	waitFor(t, "the reply to land", func() bool {
		return ta.db.Count(t, `SELECT count(*) FROM touches WHERE message_id = 'reply-91c2@gmail.example.com'`) == 1
	})
	ta.waitProcessed()
	if n := ta.db.Count(t, `SELECT count(*) FROM leads`); n != 1 {
		t.Errorf("%d leads after the reply, want 1", n)
	}
	if other := ta.leadsByEmail("o.ivanova@gmail.example.com"); len(other) != 1 || other[0].ID != l.ID {
		t.Errorf("leads by the reply's address: %+v, want lead %d", other, l.ID)
	}
	l = ta.lead(l.ID)
	if len(l.Touches) != 2 {
		t.Fatalf("touches %+v, want the letter and the reply", l.Touches)
	}
	var reply *crm.Touch
	for i := range l.Touches {
		if str(touchMail(t, l.Touches[i])["message_id"]) == "reply-91c2@gmail.example.com" {
			reply = &l.Touches[i]
		}
	}
	if reply == nil || reply.Channel != "mail" || !strings.HasPrefix(reply.Text, "Re: "+wantSubject+"\n\n") ||
		!strings.Contains(reply.Text, "нужен ли фундамент") {
		t.Errorf("the reply's touch: %+v", reply)
	}
	if !slices.Contains(l.Emails, "o.ivanova@gmail.example.com") || !slices.Contains(l.Emails, "olga@zavod.example.ru") {
		t.Errorf("emails %v, want both addresses", l.Emails)
	}
	if l.ManagerID == nil || *l.ManagerID != manager || l.Status != "new" {
		t.Errorf("lead %s of manager %v after the reply, want still new with manager %d", l.Status, l.ManagerID, manager)
	}
	var answer []crm.Activity
	for _, a := range l.Activities {
		if a.Subject == "Answer the letter" {
			answer = append(answer, a)
		}
	}
	if len(answer) != 1 || answer[0].Type != "email" || answer[0].ManagerID != manager || answer[0].DoneAt != nil {
		t.Errorf("activities %+v, want one open email activity \"Answer the letter\" for manager %d", l.Activities, manager)
	}
	if len(l.Activities) != 2 {
		t.Errorf("activities %+v, want the call and the answer", l.Activities)
	}

	// Both letters are marked read once they are in.
	waitFor(t, "both letters flagged \\Seen", func() bool {
		flags := d.Folder(mailUser, mailPassword, "INBOX")
		seen := 0
		for _, fl := range flags {
			if slices.Contains(fl, imap.FlagSeen) {
				seen++
			}
		}
		return len(flags) == 2 && seen == 2
	})
	if n := ta.db.Count(t, `SELECT count(*) FROM inbox WHERE source = 'mail:sales'`); n != 2 {
		t.Errorf("%d inbox events from the mailbox, want 2", n)
	}
}

func TestMailAutoReplyOpensNoLeadAndIsRecordedIgnored(t *testing.T) {
	t.Parallel()
	ta, d := startMailApp(t)
	ta.waitMailboxConnected("sales")

	d.Deliver(mailUser, mailPassword, "INBOX", []byte(autoReplyLetter))
	waitFor(t, "the auto-reply to be recorded", func() bool {
		return ta.db.Count(t, `SELECT count(*) FROM touches WHERE message_id = 'autoreply-3f9a1c@zavod.example.com'`) == 1
	})
	ta.waitProcessed()

	if n := ta.db.Count(t, `SELECT count(*) FROM leads`); n != 0 {
		t.Errorf("%d leads after an auto-reply, want none", n)
	}
	if got := ta.leadsByEmail("a.volkov@zavod.example.com"); len(got) != 0 {
		t.Errorf("leads by the auto-reply's address: %+v", got)
	}
	if got := ta.leadsByPhone("+7 495 765-43-21"); len(got) != 0 {
		t.Errorf("leads by the phone in the auto-reply: %+v", got)
	}
	if n := ta.db.Count(t, `SELECT count(*) FROM activities`); n != 0 {
		t.Errorf("%d activities after an auto-reply, want none", n)
	}
	if n := ta.db.Count(t, `SELECT count(*) FROM touches WHERE kind = 'ignored' AND channel = 'mail' AND source = 'sales'
		AND lead_id IS NULL AND deal_id IS NULL AND data->>'ignored' ILIKE '%auto-replied%'
		AND data->'mail'->>'subject' = 'Автоответ: в отпуске'`); n != 1 {
		var kind, reason string
		_ = ta.db.Pool.QueryRow(t.Context(), `SELECT kind, coalesce(data->>'ignored', '') FROM touches`).Scan(&kind, &reason)
		t.Errorf("%d ignored touches of the auto-reply, want 1 (the touch: kind %q, ignored %q)", n, kind, reason)
	}
	waitFor(t, "the auto-reply flagged \\Seen", func() bool {
		for _, fl := range d.Folder(mailUser, mailPassword, "INBOX") {
			return slices.Contains(fl, imap.FlagSeen)
		}
		return false
	})
	if _, boxes := ta.readyMailboxes(); len(boxes) != 1 || !boxes[0].Connected || boxes[0].LastError != "" {
		t.Errorf("/readyz mailboxes %+v, want sales connected without error", boxes)
	}
}

// A Gmail forward of a client's letter by a manager on the company's
// domain; the manager's phone is in the note above it.
const forwardLetter = "From: =?UTF-8?B?0J7Qu9GM0LPQsA==?= <olga@company.example>\r\n" +
	"To: sales@company.example\r\n" +
	"Subject: =?UTF-8?B?RndkOiDQl9Cw0L/RgNC+0YEg0YHRh9GR0YLQsA==?=\r\n" +
	"Date: Tue, 14 Nov 2023 10:00:00 +0300\r\n" +
	"Message-ID: <fwd-1@company.example>\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: text/plain; charset=\"UTF-8\"\r\n" +
	"Content-Transfer-Encoding: 8bit\r\n" +
	"\r\n" +
	"Коллеги, возьмите клиента.\r\n\r\n--\r\nОльга\r\n+7 495 111-22-33\r\n\r\n" +
	"---------- Forwarded message ---------\r\n" +
	"From: Иван Петров <ivan.petrov@client.example>\r\n" +
	"Date: Tue, 14 Nov 2023 at 09:02\r\n" +
	"Subject: Запрос счёта\r\n" +
	"To: <olga@company.example>\r\n\r\n\r\n" +
	"Добрый день! Прошу счёт на станок 6040.\r\n\r\nИван Петров\r\nтел. +7 (912) 345-67-89\r\n"

func TestAForwardedClientLetterOpensTheClientsLeadAndAColleaguesLetterNone(t *testing.T) {
	t.Parallel()
	d := dovecottest.Start(t)
	d.AddUser(mailUser, mailPassword)
	ta := startApp(t, func(c *configs.Config) {
		c.Mail.InternalDomains = []string{"Company.Example"}
		c.Mail.Mailboxes = append(c.Mail.Mailboxes, mail.Mailbox{
			Name: "sales", Host: d.Host(), Port: d.Port(), TLS: mail.TLSNone, Username: mailUser, Password: mailPassword,
		})
		c.Mail.Defaults()
	})
	// A manager writing from their own address on another domain.
	var m crm.Manager
	if s := ta.api("POST", "/api/v1/managers", map[string]any{"name": "Пётр", "email": "Petr.Sidorov@Gmail.Example"}, &m); s != 201 || m.Email != "petr.sidorov@gmail.example" {
		t.Fatalf("POST /managers with an email: %d %+v", s, m)
	}
	ta.waitMailboxConnected("sales")

	d.Deliver(mailUser, mailPassword, "INBOX", []byte(forwardLetter))
	d.Deliver(mailUser, mailPassword, "INBOX", []byte("From: Petr <petr.sidorov@gmail.example>\r\nTo: sales@company.example\r\n"+
		"Subject: =?UTF-8?B?0J/Qu9Cw0L3RkdGA0LrQsA==?=\r\nMessage-ID: <colleague-1@gmail.example>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"+
		"Планёрка в 10:00, мой телефон 8 916 000-11-22\r\n"))
	waitFor(t, "both letters recorded", func() bool {
		return ta.db.Count(t, `SELECT count(*) FROM touches WHERE message_id IN ('fwd-1@company.example', 'colleague-1@gmail.example')`) == 2
	})
	ta.waitProcessed()

	leads := ta.leadsByEmail("ivan.petrov@client.example")
	if len(leads) != 1 {
		t.Fatalf("%d leads by the client's address, want 1", len(leads))
	}
	l := ta.lead(leads[0].ID)
	if l.Name != "Иван Петров" || fmt.Sprint(l.Phones) != "[+79123456789]" {
		t.Errorf("lead named %q with phones %v, want the client and their phone (not the manager's)", l.Name, l.Phones)
	}
	if mm := touchMail(t, l.Touches[0]); !strings.Contains(str(mm["from"]), "ivan.petrov@client.example") ||
		!strings.Contains(str(mm["forwarded_by"]), "olga@company.example") {
		t.Errorf("touch's mail data %v, want from the client, forwarded by the manager", mm)
	}
	if n := ta.db.Count(t, `SELECT count(*) FROM leads`); n != 1 {
		t.Errorf("%d leads, want only the client's", n)
	}
	for _, who := range []string{"olga@company.example", "petr.sidorov@gmail.example"} {
		if got := ta.leadsByEmail(who); len(got) != 0 {
			t.Errorf("a lead for the company's own %s: %+v", who, got)
		}
	}
	if n := ta.db.Count(t, `SELECT count(*) FROM touches WHERE kind = 'ignored' AND message_id = 'colleague-1@gmail.example'
		AND data->>'ignored' = 'internal letter (from the company''s own people)'`); n != 1 {
		t.Errorf("the colleague's letter is not recorded as internal")
	}
}
