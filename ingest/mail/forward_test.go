package mail

import (
	"encoding/base64"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/charmap"

	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/dedupe"
)

// The company of these tests: its domain, a manager and the mailbox.
const (
	companyDomain = "company.example"
	managerAddr   = "olga@company.example"
	managerOther  = "o.smirnova@gmail.example" // a manager's own address on another domain
	managerPhone  = "+7 495 111-22-33"         // in the manager's signature: never the client's
)

// client is the person whose letter a manager forwards.
type client struct {
	name, addr, phone string // phone as written, "" for none
	wantPhone         string // E.164
}

var clients = []client{
	{name: "Иван Петров", addr: "ivan.petrov@client.example", phone: "+7 (912) 345-67-89", wantPhone: "+79123456789"},
	{name: "John Smith", addr: "john@smith-trading.example", phone: "8 916 123-45-67", wantPhone: "+79161234567"},
	{name: "", addr: "zakupki@zavod.example", phone: ""},
}

// clientText is what the client wrote.
func (c client) text() string {
	s := "Добрый день!\nПрошу выставить счёт на станок 6040, 2 шт.\n"
	if c.name != "" {
		s += "\nС уважением,\n" + c.name + "\n"
	}
	if c.phone != "" {
		s += "тел. " + c.phone + "\n"
	}
	return s
}

func (c client) fromValue() string {
	if c.name == "" {
		return c.addr
	}
	return c.name + " <" + c.addr + ">"
}

// managerNote is what the manager writes above a forward.
const managerNote = "Коллеги, клиент просит счёт, возьмите в работу.\n\n--\nОльга, отдел продаж\n" + managerPhone + "\n"

// shape is one mail program's way of forwarding: the subject, the text
// around the client's letter, and how the text part is encoded.
type shape struct {
	name    string
	subject string
	body    func(c client) string
	charset string // utf-8 or windows-1251
	cte     string // quoted-printable, base64 or 8bit
}

var shapes = []shape{
	{"gmail-en", "Fwd: Запрос счёта", func(c client) string {
		return managerNote + "\n---------- Forwarded message ---------\nFrom: " + c.fromValue() +
			"\nDate: Tue, 14 Nov 2023 at 09:02\nSubject: Запрос счёта\nTo: <" + managerAddr + ">\n\n\n" + c.text()
	}, "utf-8", "quoted-printable"},
	{"gmail-ru", "Fwd: Запрос счёта", func(c client) string {
		return managerNote + "\n---------- Пересылаемое сообщение ---------\nОт: " + c.fromValue() +
			"\nDate: вт, 14 нояб. 2023 г. в 09:02\nSubject: Запрос счёта\nTo: <" + managerAddr + ">\n\n\n" + c.text()
	}, "utf-8", "quoted-printable"},
	{"outlook-web-en", "FW: Запрос счёта", func(c client) string {
		return managerNote + "\n________________________________\nFrom: " + c.fromValue() +
			"\nSent: Tuesday, November 14, 2023 9:02 AM\nTo: Olga <" + managerAddr + ">\nSubject: Запрос счёта\n\n" + c.text()
	}, "utf-8", "quoted-printable"},
	{"outlook-desktop-en", "FW: Запрос счёта", func(c client) string {
		from := c.addr + " [mailto:" + c.addr + "]"
		if c.name != "" {
			from = c.name + " [mailto:" + c.addr + "]"
		}
		return managerNote + "\n-----Original Message-----\nFrom: " + from +
			"\nSent: Tuesday, November 14, 2023 9:02 AM\nTo: Olga\nSubject: Запрос счёта\n\n" + c.text()
	}, "windows-1251", "quoted-printable"},
	{"outlook-ru", "ПЕРЕСЛ: Запрос счёта", func(c client) string {
		return managerNote + "\n________________________________\nОт: " + c.fromValue() +
			"\nОтправлено: 14 ноября 2023 г. 9:02\nКому: Ольга <" + managerAddr + ">\nТема: Запрос счёта\n\n" + c.text()
	}, "windows-1251", "quoted-printable"},
	{"yandex-ru", "Fwd: Запрос счёта", func(c client) string {
		name := c.name
		if name == "" {
			name = c.addr
		}
		return managerNote + "\n\n-------- Пересылаемое сообщение --------\n14.11.2023, 09:02, \"" + name + "\" <" + c.addr + ">:\n\n" +
			c.text() + "\n-------- Конец пересылаемого сообщения --------\n"
	}, "utf-8", "base64"},
	{"yandex-en", "Fwd: Запрос счёта", func(c client) string {
		name := c.name
		if name == "" {
			name = c.addr
		}
		return managerNote + "\n\n-------- Forwarded message --------\n14.11.2023, 09:02, \"" + name + "\" <" + c.addr + ">:\n\n" +
			c.text() + "\n-------- End of forwarded message --------\n"
	}, "utf-8", "base64"},
	{"mailru-ru", "Fwd: Запрос счёта", func(c client) string {
		return managerNote + "\n\n-------- Пересылаемое сообщение --------\nОт кого: " + c.fromValue() + "\nКому: " + managerAddr +
			"\nДата: Вторник, 14 ноября 2023, 9:02 +03:00\nТема: Запрос счёта\n\n" + c.text()
	}, "utf-8", "base64"},
	{"mailru-en", "Fwd: Запрос счёта", func(c client) string {
		return managerNote + "\n\n-------- Forwarded Message --------\nFrom: " + c.fromValue() + "\nTo: " + managerAddr +
			"\nDate: Tuesday, 14 November 2023, 9:02 +03:00\nSubject: Запрос счёта\n\n" + c.text()
	}, "utf-8", "base64"},
	{"thunderbird-en", "Fwd: Запрос счёта", func(c client) string {
		return managerNote + "\n\n\n-------- Forwarded Message --------\nSubject: \tЗапрос счёта\nDate: \tTue, 14 Nov 2023 09:02:01 +0300\nFrom: \t" +
			c.fromValue() + "\nTo: \t" + managerAddr + "\n\n\n\n" + c.text()
	}, "utf-8", "8bit"},
	{"thunderbird-ru", "Fwd: Запрос счёта", func(c client) string {
		return managerNote + "\n\n\n-------- Пересылаемое сообщение --------\nТема: \tЗапрос счёта\nДата: \tTue, 14 Nov 2023 09:02:01 +0300\nОт: \t" +
			c.fromValue() + "\nКому: \t" + managerAddr + "\n\n\n\n" + c.text()
	}, "utf-8", "8bit"},
	{"apple-mail-ru", "Пересл.: Запрос счёта", func(c client) string {
		return managerNote + "\n\nНачало переадресованного сообщения:\n\nОт: " + c.fromValue() +
			"\nТема: Запрос счёта\nДата: 14 ноября 2023 г., 09:02:01 GMT+3\nКому: " + managerAddr + "\n\n" + c.text()
	}, "utf-8", "quoted-printable"},
	{"quoted-block", "Fw: Запрос счёта", func(c client) string {
		// Some programs quote the forwarded letter like a reply.
		var b strings.Builder
		b.WriteString(managerNote + "\n")
		for _, l := range strings.Split("-------- Original Message --------\nFrom: "+c.fromValue()+
			"\nDate: 14.11.2023 09:02\nSubject: Запрос счёта\n\n"+c.text(), "\n") {
			b.WriteString("> " + l + "\n")
		}
		return b.String()
	}, "utf-8", "8bit"},
}

// encodeText encodes a text part's body as a mail program would.
func encodeText(t testing.TB, text, cs, cte string) string {
	t.Helper()
	text = strings.ReplaceAll(text, "\n", "\r\n")
	b := []byte(text)
	if cs == "windows-1251" {
		var err error
		if b, err = charmap.Windows1251.NewEncoder().Bytes(b); err != nil {
			t.Fatal(err)
		}
	}
	switch cte {
	case "base64":
		s := base64.StdEncoding.EncodeToString(b)
		var out strings.Builder
		for len(s) > 76 {
			out.WriteString(s[:76] + "\r\n")
			s = s[76:]
		}
		return out.String() + s + "\r\n"
	case "quoted-printable":
		var out strings.Builder
		w := quotedprintable.NewWriter(&out)
		w.Write(b)
		w.Close()
		return out.String()
	}
	return string(b)
}

// forwardLetter is a manager's forward of c's letter in shape s.
func forwardLetter(t testing.TB, s shape, c client, from, id string) []byte {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "From: %s\r\nTo: sales@%s\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <%s>\r\nMIME-Version: 1.0\r\n",
		from, companyDomain, mime.BEncoding.Encode("utf-8", s.subject), time.Date(2023, 11, 14, 10, 0, 0, 0, time.UTC).Format(time.RFC1123Z), id)
	fmt.Fprintf(&b, "Content-Type: text/plain; charset=%q\r\nContent-Transfer-Encoding: %s\r\n\r\n", s.charset, s.cte)
	b.WriteString(encodeText(t, s.body(c), s.charset, s.cte))
	return []byte(b.String())
}

// attachedForward is a forward "as attachment" (Outlook, Thunderbird,
// Apple Mail): the manager's note and the client's letter whole.
func attachedForward(t testing.TB, c client, from, id string) []byte {
	t.Helper()
	var inner strings.Builder
	fmt.Fprintf(&inner, "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: Tue, 14 Nov 2023 09:02:01 +0300\r\nMessage-ID: <orig-%s>\r\n",
		mimeFrom(c), managerAddr, mime.BEncoding.Encode("utf-8", "Запрос счёта"), id)
	inner.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	inner.WriteString(encodeText(t, c.text(), "utf-8", "base64"))
	var b strings.Builder
	fmt.Fprintf(&b, "From: %s\r\nTo: sales@%s\r\nSubject: %s\r\nDate: Tue, 14 Nov 2023 10:00:00 +0300\r\nMessage-ID: <%s>\r\nMIME-Version: 1.0\r\n",
		from, companyDomain, mime.BEncoding.Encode("utf-8", "FW: Запрос счёта"), id)
	b.WriteString("Content-Type: multipart/mixed; boundary=\"_002_fwd_\"\r\n\r\n--_002_fwd_\r\n")
	b.WriteString("Content-Type: text/plain; charset=\"koi8-r\"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n")
	koi, _ := charmap.KOI8R.NewEncoder().String(strings.ReplaceAll(managerNote, "\n", "\r\n"))
	var qp strings.Builder
	w := quotedprintable.NewWriter(&qp)
	w.Write([]byte(koi))
	w.Close()
	b.WriteString(qp.String() + "\r\n--_002_fwd_\r\n")
	b.WriteString("Content-Type: message/rfc822\r\nContent-Disposition: attachment;\r\n\tfilename=\"=?utf-8?B?" +
		base64.StdEncoding.EncodeToString([]byte("Запрос счёта.eml")) + "?=\"\r\n\r\n")
	b.WriteString(inner.String() + "\r\n--_002_fwd_--\r\n")
	return []byte(b.String())
}

func mimeFrom(c client) string {
	if c.name == "" {
		return c.addr
	}
	return mime.BEncoding.Encode("utf-8", c.name) + " <" + c.addr + ">"
}

// companyMailbox is the sales mailbox of the company.
func companyMailbox() *Mailbox {
	mb := &Mailbox{Name: "sales", Username: "sales@" + companyDomain, MaxAttachment: 1024, InternalDomains: []string{companyDomain}}
	mb.Defaults()
	return mb
}

// forwards are every shape (and the attachment) for every client, from
// the manager on the company's domain and from a manager's own address
// elsewhere: what a client letter forwarded by a colleague looks like.
func forwards(t testing.TB) map[string]struct {
	raw []byte
	c   client
} {
	out := map[string]struct {
		raw []byte
		c   client
	}{}
	senders := []string{"Ольга <" + managerAddr + ">", "Ольга Смирнова <" + managerOther + ">"}
	for ci, c := range clients {
		for si, from := range senders {
			for _, s := range shapes {
				id := fmt.Sprintf("%s-%d-%d@%s", s.name, ci, si, companyDomain)
				out[id] = struct {
					raw []byte
					c   client
				}{forwardLetter(t, s, c, from, id), c}
			}
			id := fmt.Sprintf("attached-%d-%d@%s", ci, si, companyDomain)
			out[id] = struct {
				raw []byte
				c   client
			}{attachedForward(t, c, from, id), c}
		}
	}
	return out
}

// checkForward checks that a forwarded letter landed as the client's.
func checkForward(t *testing.T, id string, c client, ev func() (name string, emails, phones []string, ignore, text, fwdBy string)) {
	t.Helper()
	name, emails, phones, ignore, text, fwdBy := ev()
	if ignore != "" {
		t.Errorf("%s: ignored as %q, want the client's touch", id, ignore)
		return
	}
	if name != c.name || !slices.Equal(emails, []string{c.addr}) {
		t.Errorf("%s: name %q, emails %v; want the client %q <%s>", id, name, emails, c.name, c.addr)
	}
	var want []string
	if c.wantPhone != "" {
		want = []string{c.wantPhone}
	}
	if !slices.Equal(phones, want) {
		t.Errorf("%s: phones %v, want %v (the client's, never the manager's %s)", id, phones, want, managerPhone)
	}
	if !strings.Contains(text, "Прошу выставить счёт на станок 6040") {
		t.Errorf("%s: the touch's text lacks the client's words:\n%s", id, text)
	}
	if !strings.Contains(fwdBy, "Ольга") {
		t.Errorf("%s: forwarded_by %q, want the manager", id, fwdBy)
	}
}

func TestAForwardedClientLetterIsTheClientsTouchInEveryMailProgramsShape(t *testing.T) {
	co := companyMailbox().company([]string{managerOther})
	for id, f := range forwards(t) {
		t.Run(id, func(t *testing.T) {
			ev := parse(f.raw, companyMailbox(), dedupe.Normalizer{Region: "RU"}, time.Now(), envelope{}, co)
			in := ev.Touch
			checkForward(t, id, f.c, func() (string, []string, []string, string, string, string) {
				return in.Name, in.Emails, in.Phones, in.Ignore, in.Text, in.Mail.ForwardedBy
			})
			if !strings.Contains(in.Mail.From, f.c.addr) {
				t.Errorf("mail.from %q, want the client's address", in.Mail.From)
			}
		})
	}
}

func TestALetterFromTheCompanysOwnPeopleIsNoLead(t *testing.T) {
	mb := companyMailbox()
	co := mb.company([]string{managerOther})
	norm := dedupe.Normalizer{Region: "RU"}
	for _, tc := range []struct {
		name string
		raw  []byte
		want string
	}{
		{"a colleague on the company's domain", plainLetter("c1@x", "Ольга <"+managerAddr+">", "Планёрка", "В 10:00, тел. "+managerPhone),
			"internal letter (from the company's own people)"},
		{"a subdomain", plainLetter("c2@x", "robot@crm."+companyDomain, "Отчёт", "Текст"),
			"internal letter (from the company's own people)"},
		{"a manager's own address elsewhere", plainLetter("c3@x", "Ольга <"+strings.ToUpper(managerOther)+">", "Re: счёт", "Посмотрите"),
			"internal letter (from the company's own people)"},
		{"the mailbox itself", plainLetter("c4@x", "sales@"+companyDomain, "Рассылка", "Текст"),
			"our own letter (from this mailbox)"},
		{"a colleague's letter forwarded", forwardLetter(t, shapes[0], client{name: "Пётр", addr: "petr@" + companyDomain}, "Ольга <"+managerAddr+">", "c5@x"),
			"internal letter (a colleague's letter forwarded)"},
		{"a manager's own letter forwarded", forwardLetter(t, shapes[2], client{name: "Ольга", addr: managerOther}, "Ольга <"+managerAddr+">", "c6@x"),
			"internal letter (a colleague's letter forwarded)"},
		{"a forward whose sender cannot be read", plainLetter("c7@x", managerAddr, "Fwd: заявка", "Смотрите ниже\n\nзвонил клиент"),
			"internal letter (a forward whose original sender could not be read)"},
		// Not the company's: a look-alike domain.
		{"a look-alike domain", plainLetter("c8@x", "ivan@not"+companyDomain, "Запрос", "Текст"), ""},
		{"a client who forwards", forwardLetter(t, shapes[0], client{name: "Пётр", addr: "petr@other.example"}, "Иван <ivan@client.example>", "c9@x"), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := parse(tc.raw, mb, norm, time.Now(), envelope{}, co).Touch
			if in.Ignore != tc.want {
				t.Errorf("ignore %q, want %q", in.Ignore, tc.want)
			}
		})
	}
	// Parse alone knows the domains and the mailbox; a client also knows
	// the managers' addresses.
	if got := Parse(plainLetter("p1@x", managerAddr, "x", "y"), mb, norm, time.Now()).Touch.Ignore; got == "" {
		t.Errorf("Parse took a letter from the company's domain for a lead")
	}
	// A client forwarding a letter stays the client.
	in := parse(forwardLetter(t, shapes[0], client{name: "Пётр", addr: "petr@other.example"}, "Иван <ivan@client.example>", "c10@x"),
		mb, norm, time.Now(), envelope{}, co).Touch
	if !slices.Equal(in.Emails, []string{"ivan@client.example"}) || in.Mail.ForwardedBy != "" {
		t.Errorf("a client's forward: emails %v, forwarded_by %q; want the client who sent it", in.Emails, in.Mail.ForwardedBy)
	}
}

func TestAManagersAddressIsNeverAFormSender(t *testing.T) {
	mb := companyMailbox()
	mb.FormNotifications, mb.FormSenders = true, []string{"@" + companyDomain}
	co := mb.company(nil)
	raw := forwardLetter(t, shapes[0], clients[0], "Ольга <"+managerAddr+">", "fs@x")
	in := parse(raw, mb, dedupe.Normalizer{Region: "RU"}, time.Now(), envelope{}, mb.company([]string{managerAddr})).Touch
	if in.Ignore != "" || !slices.Equal(in.Emails, []string{clients[0].addr}) {
		t.Errorf("ignore %q, emails %v: a manager's forward is not a form notification", in.Ignore, in.Emails)
	}
	form := []byte("From: site@" + companyDomain + "\r\nSubject: Заявка\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nИмя: Олег\r\nТелефон: 8 912 345-67-89\r\n")
	if in := parse(form, mb, dedupe.Normalizer{Region: "RU"}, time.Now(), envelope{}, co).Touch; in.Ignore != "" || in.Name != "Олег" {
		t.Errorf("the site's own form notification: ignore %q, name %q", in.Ignore, in.Name)
	}
}

func TestInternalDomainsAreValidated(t *testing.T) {
	for _, tc := range []struct {
		domain string
		ok     bool
	}{
		{"company.ru", true}, {"@Company.RU", true}, {"mail.company.ru.", true}, {"компания.рф", true},
		{"company", false}, {"company .ru", false}, {"a@company.ru", false}, {"-x.ru", false}, {"", false}, {"x..ru", false},
	} {
		c := Config{InternalDomains: []string{tc.domain}}
		c.Defaults()
		errs := c.Validate("mail")
		if (len(errs) == 0) != tc.ok {
			t.Errorf("internal_domains %q: errors %v, want ok=%v", tc.domain, errs, tc.ok)
		}
		if !tc.ok && len(errs) > 0 && !strings.HasPrefix(errs[0].Error(), "mail.internal_domains[0]: must be a mail domain") {
			t.Errorf("error %q does not name the key", errs[0])
		}
	}
	c := Config{InternalDomains: []string{"@Company.RU"}, Mailboxes: []Mailbox{{Name: "sales"}}}
	c.Defaults()
	if !slices.Equal(c.Mailboxes[0].InternalDomains, []string{"company.ru"}) {
		t.Errorf("the mailbox knows %v, want [company.ru]", c.Mailboxes[0].InternalDomains)
	}
}

func TestForwardsColleaguesAndNewslettersThroughDovecot(t *testing.T) {
	r := newRig(t)
	r.d.AddUser("sales", "s3cret")
	if _, err := r.db.Store.CreateManager(t.Context(), crm.Manager{Name: "Ольга Смирнова", Email: managerOther, Active: true}); err != nil {
		t.Fatal(err)
	}
	all := forwards(t)
	for _, f := range all {
		r.d.Deliver("sales", "s3cret", "INBOX", f.raw)
	}
	others := map[string]struct {
		raw    []byte
		ignore string
	}{
		"colleague@x": {plainLetter("colleague@x", "Ольга <"+managerOther+">", "Планёрка", "В 10:00"), "internal letter (from the company's own people)"},
		"newsletter@x": {[]byte("From: Shop <no-reply@shop.example>\r\nSubject: Скидки\r\nMessage-ID: <newsletter@x>\r\n" +
			"List-Unsubscribe: <https://shop.example/u>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nТелефон: 8 800 555-35-35\r\n"), "mailing list (List-Unsubscribe)"},
		"empty-form@x": {[]byte("From: no-reply@shop.example\r\nSubject: Новости\r\nMessage-ID: <empty-form@x>\r\n" +
			"Content-Type: text/plain; charset=utf-8\r\n\r\nУ нас новая коллекция!\r\n"), "form notification without a person's phone or e-mail"},
	}
	for _, o := range others {
		r.d.Deliver("sales", "s3cret", "INBOX", o.raw)
	}
	r.d.Deliver("sales", "s3cret", "INBOX", readFile(t, "05-tilda-form-notification.eml"))
	mb := mailbox(r.d, "sales", "sales", "s3cret")
	mb.InternalDomains, mb.FormNotifications = []string{companyDomain}, true
	c, _ := r.client(mb)
	r.run(c)

	want := len(all) + len(others) + 1
	waitFor(t, "every letter in the inbox", func() bool { return r.events("sales") == want })
	stored := r.stored("sales")
	for id, f := range all {
		ev, ok := stored[id]
		if !ok {
			t.Errorf("%s: not stored", id)
			continue
		}
		in := ev.Touch
		checkForward(t, id, f.c, func() (string, []string, []string, string, string, string) {
			return in.Name, in.Emails, in.Phones, in.Ignore, in.Text, in.Mail.ForwardedBy
		})
	}
	for id, o := range others {
		if got := stored[id].Touch.Ignore; got != o.ignore {
			t.Errorf("%s: ignore %q, want %q", id, got, o.ignore)
		}
	}
	if in := stored["20231118143005.8346201947@forms.sitebuilder.example"].Touch; in.Ignore != "" || in.Name != "Анна Кузнецова" {
		t.Errorf("the Tilda notification: ignore %q, name %q; want the visitor's lead", in.Ignore, in.Name)
	}
}
