package mail

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/dedupe"
	"github.com/leadd/leadd/ingest"
)

// expected is what a letter of the corpus must become.
type expected struct {
	messageID   string // also the external id
	at          time.Time
	name        string
	emails      []string
	phones      []string
	text        string
	subject     string
	from        string
	inReplyTo   []string
	references  []string
	ignore      string
	fields      map[string]string
	utm         map[string]string
	attachments []attachment
}

type attachment struct {
	name, typ   string
	size        int64
	withContent bool
}

// corpus is testdata/*.eml with what each must become in a mailbox that
// takes form notifications and keeps attachments up to 1 KiB. Where each
// letter's style comes from is in testdata/README.md.
var corpus = []struct {
	file string
	want expected
}{
	{"01-gmail-cyrillic-subject.eml", expected{
		messageID: "CAK7sV0aJq9x+5Gm2T0dkLz1Yd3=Rw_8pQ@mail.gmail.com",
		at:        time.Date(2023, 11, 14, 9, 2, 1, 0, time.UTC),
		name:      "Иван Петров", emails: []string{"ivan.petrov@example.com"}, phones: []string{"+79123456789"},
		subject: "Запрос цены на станок ЧПУ", from: "Иван Петров <ivan.petrov@example.com>",
		text: "Запрос цены на станок ЧПУ\n\nДобрый день!\n\nИнтересует фрезерный станок с ЧПУ, модель 6040, 2 штуки.\n" +
			"Пришлите, пожалуйста, цену с доставкой до Екатеринбурга.\nМой телефон +7 (912) 345-67-89, звоните после 14:00.\n\n--\nИван Петров",
	}},
	{"02-thebat-windows-1251.eml", expected{
		messageID: "1913204881.20231115094117@romashka.example.com",
		at:        time.Date(2023, 11, 15, 6, 41, 17, 0, time.UTC),
		name:      "Ольга Смирнова",
		emails:    []string{"o.smirnova@romashka.example.com", "zakupki@romashka.example.com"},
		phones:    []string{"+74951234567", "+79161234567"}, // not the INN 7707083893
		subject:   "Счёт на запчасти", from: "Ольга Смирнова <o.smirnova@romashka.example.com>",
		text: "Счёт на запчасти\n\nЗдравствуйте!\n\nПросим выставить счёт на поставку запчастей по спецификации:\n" +
			"шпиндель 1,5 кВт - 1 шт., цанга ER11 - 10 шт.\nИНН 7707083893, КПП 770701001.\n\nС уважением,\nОльга Смирнова\n" +
			"менеджер по закупкам\nООО «Ромашка»\nТел.: 8 (495) 123-45-67, доб. 123\nМоб.: 8-916-123-45-67",
	}},
	{"03-koi8-r-base64.eml", expected{
		messageID: "20231116171542.GA3071@example.net",
		at:        time.Date(2023, 11, 16, 17, 15, 42, 0, time.UTC),
		name:      "Сергей Николаевич", emails: []string{"sergey.n@example.net"}, phones: []string{"+79040001234"},
		subject: "Ремонт станка 16К20", from: "Сергей Николаевич <sergey.n@example.net>",
		text: "Ремонт станка 16К20\n\nДобрый вечер.\n\nНужна консультация по ремонту станка 16К20:\n" +
			"не работает подача суппорта. Можно ли вызвать мастера в Тверь?\n\nСергей Николаевич\nт. +7 904 000-12-34",
	}},
	{"04-html-only.eml", expected{
		messageID: "1700204400.123456789@f512.i.mail.example.org",
		at:        time.Date(2023, 11, 17, 7, 0, 0, 0, time.UTC),
		name:      "Мария Иванова", emails: []string{"maria.ivanova@example.org"}, phones: []string{"+79172223344"},
		subject: "Заказ станков", from: "Мария Иванова <maria.ivanova@example.org>",
		text: "Заказ станков\n\nДобрый день!\n\nХотим заказать «Станок 6040» — 3 шт.\nНужны:\n\n- доставка до Казани\n" +
			"- пусконаладка & обучение\n\nЦена за всё < 1 500 000 ₽?\n\nКонтакт: Мария\nТелефон: 8 917 222-33-44\n\n--\nМария Иванова",
	}},
	{"05-tilda-form-notification.eml", expected{
		messageID: "20231118143005.8346201947@forms.sitebuilder.example",
		at:        time.Date(2023, 11, 18, 14, 30, 5, 0, time.UTC),
		name:      "Анна Кузнецова", emails: []string{"anna.k@example.com"}, phones: []string{"+79031234567"},
		subject: "Новая заявка с сайта stanki-shop.example.com", from: "Tilda Publishing <no-reply@forms.sitebuilder.example>",
		text: "Новая заявка с сайта stanki-shop.example.com\n\nЗаявка с сайта stanki-shop.example.com\n\nИмя: Анна Кузнецова\n" +
			"Телефон: +7 (903) 123-45-67\nEmail: anna.k@example.com\nКомментарий: Перезвоните, пожалуйста, по поводу лазерного гравера\n" +
			"utm_source: yandex\nutm_campaign: laser_nov\n\n-----\nRequest details:\nForm: Заказать звонок\n" +
			"Page: https://stanki-shop.example.com/laser\nTransaction ID: 4523891:8346201947\nBlock ID: rec512345678\n\n-----\nTilda Publishing",
		fields: map[string]string{
			"Комментарий": "Перезвоните, пожалуйста, по поводу лазерного гравера", "Form": "Заказать звонок",
			"Page": "https://stanki-shop.example.com/laser", "Transaction ID": "4523891:8346201947", "Block ID": "rec512345678",
		},
		utm: map[string]string{"utm_source": "yandex", "utm_campaign": "laser_nov"},
	}},
	{"06-auto-reply.eml", expected{
		messageID: "autoreply-3f9a1c@zavod.example.com",
		at:        time.Date(2023, 11, 20, 5, 0, 3, 0, time.UTC),
		name:      "Алексей Волков", emails: []string{"a.volkov@zavod.example.com"},
		subject: "Автоответ: Re: Коммерческое предложение", from: "Алексей Волков <a.volkov@zavod.example.com>",
		inReplyTo: []string{"lead-17.1700380000@leadd.example.com"},
		text: "Автоответ: Re: Коммерческое предложение\n\nЗдравствуйте!\n\nЯ в отпуске до 27 ноября, без доступа к почте.\n" +
			"По срочным вопросам: Пётр Сидоров, +7 495 765-43-21.",
		ignore: "auto-reply (Auto-Submitted: auto-replied)",
	}},
	{"07-bounce-postfix.eml", expected{
		messageID: "4SZ7qK0RCfz3xQ@mx1.example.com",
		at:        time.Date(2023, 11, 20, 8, 12, 13, 0, time.UTC),
		subject:   "Undelivered Mail Returned to Sender", from: "MAILER-DAEMON@mx1.example.com (Mail Delivery System)",
		text: "Undelivered Mail Returned to Sender\n\nThis is the mail system at host mx1.example.com.\n\n" +
			"I'm sorry to have to inform you that your message could not\nbe delivered to one or more recipients. It's attached below.\n\n" +
			"                   The mail system\n\n<no-such-user@client.example.net>: host mx.client.example.net[192.0.2.25] said:\n" +
			"    550 5.1.1 <no-such-user@client.example.net>: Recipient address rejected:\n" +
			"    User unknown in virtual mailbox table (in reply to RCPT TO command)",
		ignore: "bounce (delivery-status report)",
		attachments: []attachment{
			{"", "message/delivery-status", 397, true},
			{"", "text/rfc822-headers", 201, true},
		},
	}},
	{"08-mailing-list.eml", expected{
		messageID: "issue-47.5f1e@news.example.org",
		at:        time.Date(2023, 11, 21, 7, 0, 0, 0, time.UTC),
		name:      "Новости станкостроения", emails: []string{"news@news.example.org"},
		subject: "Дайджест недели", from: "Новости станкостроения <news@news.example.org>",
		text: "Дайджест недели\n\nВыпуск №47. Новости станкостроения за неделю.\n\n1. Выставка «Металлообработка-2024» пройдёт в мае.\n" +
			"2. Новые нормы по ЧПУ.\n\n--\nВы получили это письмо, потому что подписаны на рассылку.\n" +
			"Отписаться: https://news.example.org/unsubscribe?u=8f2c",
		ignore: "mailing list (List-Id: Новости <stanki-news.news.example.org>)",
	}},
	{"09-reply-in-thread.eml", expected{
		messageID: "987651700031900@mail.example.com",
		at:        time.Date(2023, 11, 15, 7, 5, 0, 0, time.UTC),
		// The manager's phone in the quoted letter is not the customer's.
		name: "Иван Петров", emails: []string{"ivan.petrov@example.com"}, phones: []string{"+79265550102"},
		subject: "Re: Коммерческое предложение", from: "Иван Петров <Ivan.Petrov@Example.com>",
		inReplyTo:  []string{"lead-42.1699964400@leadd.example.com"},
		references: []string{"CAK7sV0aJq9x+5Gm2T0dkLz1Yd3=Rw_8pQ@mail.gmail.com", "lead-42.1699964400@leadd.example.com"},
		text: "Re: Коммерческое предложение\n\nДобрый день, Елена!\n\nСпасибо за КП. Нас устраивает вариант 2, готовы обсудить оплату.\n" +
			"Позвоните мне на мобильный 8 (926) 555-01-02.\n\n14.11.2023, 15:20, \"Елена Менеджерова\" <elena@example.com>:\n" +
			"> Добрый день, Иван!\n> Высылаю коммерческое предложение.\n> --\n> Елена Менеджерова, отдел продаж\n> +7 (495) 111-22-33",
	}},
	{"10-attachments.eml", expected{
		messageID: "DB9PR08MB6587A1B2C3D4E5F6@DB9PR08MB6587.eurprd08.prod.outlook.com",
		at:        time.Date(2023, 11, 16, 13, 45, 0, 0, time.UTC),
		name:      "Дмитрий Орлов", emails: []string{"d.orlov@vector.example.com"},
		subject: "Реквизиты и ТЗ", from: "Дмитрий Орлов <d.orlov@vector.example.com>",
		text: "Реквизиты и ТЗ\n\nДобрый день!\n\nВо вложении реквизиты и техническое задание.\nПрошу подготовить договор.\n\nДмитрий Орлов\nООО «Вектор»",
		// The logo of the HTML body is not a file; the DOCX is over the limit.
		attachments: []attachment{
			{"Реквизиты.pdf", "application/pdf", 142, true},
			{"Техзадание.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", 2052, false},
		},
	}},
}

func corpusMailbox() *Mailbox {
	mb := &Mailbox{Name: "sales", FormNotifications: true, MaxAttachment: 1024}
	mb.Defaults()
	return mb
}

func TestParseTheCorpus(t *testing.T) {
	now := time.Date(2023, 12, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range corpus {
		t.Run(tc.file, func(t *testing.T) {
			ev := Parse(readFile(t, tc.file), corpusMailbox(), dedupe.Normalizer{Region: "RU"}, now)
			tc.want.check(t, ev)
		})
	}
}

func (w expected) check(t *testing.T, ev *ingest.Event) {
	t.Helper()
	in := ev.Touch
	if ev.Source != "mail:sales" || ev.ExternalID != w.messageID || ev.ID == "" {
		t.Errorf("source %q, external id %q, id %q; want mail:sales, %q", ev.Source, ev.ExternalID, ev.ID, w.messageID)
	}
	if in.Channel != crm.ChannelMail || in.Source != "sales" || !in.At.Equal(w.at) {
		t.Errorf("channel %q, source %q, at %v; want mail, sales, %v", in.Channel, in.Source, in.At, w.at)
	}
	if in.Name != w.name {
		t.Errorf("name %q, want %q", in.Name, w.name)
	}
	if !slices.Equal(in.Emails, w.emails) || !slices.Equal(in.Phones, w.phones) || len(in.RawPhones) != 0 {
		t.Errorf("emails %v, phones %v, raw phones %v; want %v, %v, none", in.Emails, in.Phones, in.RawPhones, w.emails, w.phones)
	}
	if in.Text != w.text {
		t.Errorf("text:\n%s\nwant:\n%s", in.Text, w.text)
	}
	if in.Ignore != w.ignore {
		t.Errorf("ignore %q, want %q", in.Ignore, w.ignore)
	}
	if !maps.Equal(in.Fields, w.fields) || !maps.Equal(in.UTM, w.utm) {
		t.Errorf("fields %v, utm %v; want %v, %v", in.Fields, in.UTM, w.fields, w.utm)
	}
	m := in.Mail
	if m == nil {
		t.Fatal("no mail info")
	}
	if m.Mailbox != "sales" || m.MessageID != w.messageID || m.Subject != w.subject || m.From != w.from {
		t.Errorf("mail info %+v; want message id %q, subject %q, from %q", m, w.messageID, w.subject, w.from)
	}
	if !slices.Equal(m.InReplyTo, w.inReplyTo) || !slices.Equal(m.References, w.references) {
		t.Errorf("in reply to %v, references %v; want %v, %v", m.InReplyTo, m.References, w.inReplyTo, w.references)
	}
	var got []attachment
	for _, a := range m.Attachments {
		got = append(got, attachment{a.Name, a.Type, a.Size, len(a.Content) > 0})
		if len(a.Content) > 0 && int64(len(a.Content)) != a.Size {
			t.Errorf("attachment %q keeps %d of %d bytes: content is kept whole or not at all", a.Name, len(a.Content), a.Size)
		}
	}
	if !slices.Equal(got, w.attachments) {
		t.Errorf("attachments %+v, want %+v", got, w.attachments)
	}
	var raw rawLetter
	if err := json.Unmarshal(ev.Raw, &raw); err != nil || len(raw.Headers["Message-Id"]) != 1 || raw.Size == 0 {
		t.Errorf("raw %s (%v): want the headers as received and the size", ev.Raw, err)
	}
}

func TestAttachmentContentIsTheFileItself(t *testing.T) {
	ev := Parse(readFile(t, "10-attachments.eml"), corpusMailbox(), dedupe.Normalizer{Region: "RU"}, time.Now())
	pdf := ev.Touch.Mail.Attachments[0].Content
	if !bytes.HasPrefix(pdf, []byte("%PDF-1.4\n")) || !bytes.HasSuffix(pdf, []byte("%%EOF\n")) {
		t.Errorf("the PDF's content is %q", pdf)
	}
}

func TestMachineMailIsRecordedWithItsReason(t *testing.T) {
	for _, tc := range []struct {
		name, header, want string
		form               bool
	}{
		{"a person", "From: ivan@example.com\r\nAuto-Submitted: no\r\n", "", false},
		{"a generated notice", "From: robot@shop.example.com\r\nAuto-Submitted: auto-generated\r\n", "automatic (Auto-Submitted: auto-generated)", false},
		{"bulk mail", "From: promo@shop.example.com\r\nPrecedence: bulk\r\n", "bulk mail (Precedence: bulk)", false},
		{"junk", "From: promo@shop.example.com\r\nPrecedence: junk\r\n", "bulk mail (Precedence: junk)", false},
		{"a list by precedence", "From: list@lists.example.com\r\nPrecedence: list\r\n", "mailing list (Precedence: list)", false},
		{"a newsletter", "From: news@shop.example.com\r\nList-Unsubscribe: <mailto:u@shop.example.com>\r\n", "mailing list (List-Unsubscribe)", false},
		{"an old Exchange out-of-office", "From: ivan@example.com\r\nSubject: Automatic reply: Re: price\r\n", `auto-reply (subject begins "automatic reply:")`, false},
		{"a Russian out-of-office", "From: ivan@example.com\r\nSubject: =?UTF-8?B?0JDQstGC0L7QvNCw0YLQuNGH0LXRgdC60LjQuSDQvtGC0LLQtdGCOiDQvtGC0L/Rg9GB0Lo=?=\r\n", `auto-reply (subject begins "автоматический ответ:")`, false},
		{"X-Autoreply", "From: ivan@example.com\r\nX-Autoreply: yes\r\n", "auto-reply (X-Autoreply: yes)", false},
		{"a bounce without a report", "From: Mail Delivery Subsystem <MAILER-DAEMON@mx.example.com>\r\n", "bounce (from MAILER-DAEMON)", false},
		{"postmaster", "From: postmaster@mx.example.com\r\n", "bounce (from postmaster)", false},
		{"a read receipt", "From: ivan@example.com\r\nContent-Type: multipart/report; report-type=disposition-notification; boundary=x\r\n", "read receipt (disposition-notification report)", false},
		{"a form sender's auto-reply", "From: no-reply@forms.example.com\r\nAuto-Submitted: auto-replied\r\n", "auto-reply (Auto-Submitted: auto-replied)", true},
		// With form_notifications on, a list is still a list: a newsletter
		// from no-reply@ opens no lead.
		{"a form sender's bulk mail", "From: no-reply@forms.example.com\r\nPrecedence: bulk\r\n" + visitor, "bulk mail (Precedence: bulk)", true},
		{"a form sender's list", "From: no-reply@forms.example.com\r\nPrecedence: list\r\n" + visitor, "mailing list (Precedence: list)", true},
		{"a form sender's junk", "From: no-reply@forms.example.com\r\nPrecedence: junk\r\n" + visitor, "bulk mail (Precedence: junk)", true},
		{"a newsletter from no-reply", "From: Shop <no-reply@shop.example.com>\r\nList-Unsubscribe: <https://shop.example.com/u>\r\n" + visitor, "mailing list (List-Unsubscribe)", true},
		{"a list's id from a form sender", "From: no-reply@forms.example.com\r\nList-Id: <news.shop.example.com>\r\n" + visitor, "mailing list (List-Id: <news.shop.example.com>)", true},
		{"a generated letter from no-reply naming no one", "From: no-reply@shop.example.com\r\nAuto-Submitted: auto-generated\r\n", "automatic (Auto-Submitted: auto-generated)", true},
		{"a letter from no-reply naming no one", "From: no-reply@shop.example.com\r\nReply-To: noreply@shop.example.com\r\n", "form notification without a person's phone or e-mail", true},
		// RFC 3834 asks a form notification to say it is generated: one
		// whose lines name a visitor is still the visitor's request.
		{"a generated form notification naming a visitor", "From: no-reply@forms.example.com\r\nAuto-Submitted: auto-generated\r\n" + visitor, "", true},
		{"a form notification naming a visitor by e-mail", "From: no-reply@forms.example.com\r\n" + visitorEmail, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mb := &Mailbox{Name: "sales", FormNotifications: tc.form}
			mb.Defaults()
			header, body, ok := strings.Cut(tc.header, "\r\n\r\n")
			if !ok {
				header, body = tc.header, "Текст\r\n"
			} else {
				header += "\r\n"
			}
			raw := []byte(header + "Message-ID: <x@example.com>\r\n\r\n" + body)
			ev := Parse(raw, mb, dedupe.Normalizer{Region: "RU"}, time.Now())
			if ev.Touch.Ignore != tc.want {
				t.Errorf("ignore %q, want %q", ev.Touch.Ignore, tc.want)
			}
		})
	}
}

// visitor and visitorEmail end a header with a form's body naming a
// person.
const (
	visitor      = "Content-Type: text/plain; charset=utf-8\r\n\r\nИмя: Олег\r\nТелефон: 8 912 345-67-89\r\n"
	visitorEmail = "Content-Type: text/plain; charset=utf-8\r\n\r\nИмя: Олег\r\nEmail: oleg@example.com\r\n"
)

func TestALetterFromTheMailboxItselfIsNotALead(t *testing.T) {
	mb := &Mailbox{Name: "sales", Username: "Sales@Example.com"}
	mb.Defaults()
	raw := []byte("From: Sales <sales@example.com>\r\nTo: ivan@example.com\r\nBcc: sales@example.com\r\nSubject: Offer\r\n\r\nHi\r\n")
	if got := Parse(raw, mb, dedupe.Normalizer{Region: "RU"}, time.Now()).Touch.Ignore; got != "our own letter (from this mailbox)" {
		t.Errorf("ignore %q", got)
	}
}

func TestWhoWroteIsNeverANoReplyAddress(t *testing.T) {
	mb := &Mailbox{Name: "sales"} // not declared to take form notifications
	mb.Defaults()
	raw := []byte("From: Shop <noreply@shop.example.com>\r\nReply-To: Ivan <ivan@example.com>\r\nSubject: Order\r\n\r\nHi\r\n")
	in := Parse(raw, mb, dedupe.Normalizer{Region: "RU"}, time.Now()).Touch
	if !slices.Equal(in.Emails, []string{"ivan@example.com"}) || in.Name != "Ivan" {
		t.Errorf("emails %v, name %q; want the Reply-To only", in.Emails, in.Name)
	}
}

func TestFormNotificationLabelsCanBeDeclared(t *testing.T) {
	mb := &Mailbox{Name: "site", FormNotifications: true, FormSenders: []string{"@wix.example.com"},
		Fields: Labels{Name: []string{"Как к вам обращаться"}, Phone: []string{"Номер для связи"}, Email: []string{"Куда ответить"}}}
	mb.Defaults()
	raw := []byte("From: Wix Forms <forms@wix.example.com>\r\nSubject: New submission\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" +
		"Как к вам обращаться: Олег\r\nНомер для связи: 8 (800) 12\r\nКуда ответить:\r\noleg@example.com\r\nName: not this one\r\n")
	in := Parse(raw, mb, dedupe.Normalizer{Region: "RU"}, time.Now()).Touch
	if in.Name != "Олег" || !slices.Equal(in.Emails, []string{"oleg@example.com"}) {
		t.Errorf("name %q, emails %v", in.Name, in.Emails)
	}
	if len(in.Phones) != 0 || !slices.Equal(in.RawPhones, []string{"8 (800) 12"}) {
		t.Errorf("phones %v, raw phones %v; want the invalid number kept as typed", in.Phones, in.RawPhones)
	}
	if in.Fields["Name"] != "not this one" {
		t.Errorf("fields %v: an undeclared label is a field", in.Fields)
	}
}

func TestLettersWithoutMessageIDAreKeyedByTheirContent(t *testing.T) {
	mb := corpusMailbox()
	raw := []byte("From: ivan@example.com\r\nSubject: Hi\r\n\r\nText\r\n")
	a := Parse(raw, mb, dedupe.Normalizer{Region: "RU"}, time.Now())
	b := Parse(raw, mb, dedupe.Normalizer{Region: "RU"}, time.Now().Add(time.Hour))
	c := Parse(append(raw, "More\r\n"...), mb, dedupe.Normalizer{Region: "RU"}, time.Now())
	if !strings.HasPrefix(a.ExternalID, "sha256:") || a.ExternalID != b.ExternalID || a.ExternalID == c.ExternalID {
		t.Errorf("external ids %q %q %q: want one hash per letter", a.ExternalID, b.ExternalID, c.ExternalID)
	}
	if a.Touch.Mail.MessageID != "" {
		t.Errorf("message id %q, want none", a.Touch.Mail.MessageID)
	}
}

func TestTextIsCapped(t *testing.T) {
	raw := []byte("From: ivan@example.com\r\nSubject: Long\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + strings.Repeat("слово ", 10000))
	in := Parse(raw, corpusMailbox(), dedupe.Normalizer{Region: "RU"}, time.Now()).Touch
	if n := len([]rune(in.Text)); n > maxText+10 || !strings.HasSuffix(in.Text, "[…]") {
		t.Errorf("text of %d characters ending %q; want it cut at %d and marked", n, in.Text[len(in.Text)-20:], maxText)
	}
}

func TestADateInTheFutureIsNow(t *testing.T) {
	now := time.Date(2024, 1, 10, 12, 0, 0, 0, time.UTC)
	raw := []byte("From: ivan@example.com\r\nDate: Fri, 10 Jan 2031 12:00:00 +0000\r\n\r\nHi\r\n")
	if at := Parse(raw, corpusMailbox(), dedupe.Normalizer{Region: "RU"}, now).Touch.At; !at.Equal(now) {
		t.Errorf("at %v, want now %v", at, now)
	}
}
