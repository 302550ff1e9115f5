package mail

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/leadd/leadd/crm"
)

// LetterInput is what a letter is made from: the send, its deal, its
// lines and contact, its documents with their PDFs in the send's order,
// and who sends it.
type LetterInput struct {
	Send      crm.DocumentSend
	Deal      crm.Deal
	Lines     []crm.Line
	Contact   crm.Contact
	Documents []crm.Document
	PDFs      [][]byte
	// Seller signs the letter: the company's name and phone
	// (documents.seller).
	Seller   Signature
	Location *time.Location // dates the documents (documents.time_zone)
}

// Signature is who a letter is from.
type Signature struct {
	Name  string // ООО «Ромашка»
	Phone string
}

// Letter composes the e-mail of a send, as a person would write it: one
// letter with every PDF; the subject names the documents and the seller;
// the body greets the contact by name, says what the deal sells (from its
// lines — never the deal's title, which after a conversion is the buyer's
// name), lists the documents and, with an invoice, the sum to pay; each
// PDF is named in Russian («Счёт СЧ-2026-00001.pdf») with an ASCII
// fallback. This is the one place the letter's wording, subject and file
// names are decided.
func Letter(in LetterInput) Message {
	loc := in.Location
	if loc == nil {
		loc = time.UTC
	}
	msg := Message{To: in.Send.To}
	var names, list []string
	var invoice *crm.Document
	for i, d := range in.Documents {
		title := crm.Titles[d.Type]
		ref := title + " № " + d.Number
		if d.Number == "" {
			ref = title + " (черновик)"
		}
		names = append(names, lowerFirst(ref))
		date := d.Date
		if t, err := time.ParseInLocation(time.DateOnly, d.Date, loc); err == nil {
			date = dateText(t)
		}
		item := "— " + ref + " от " + date
		if d.Version > 1 {
			item += fmt.Sprintf(" (версия %d)", d.Version)
		}
		list = append(list, item)
		if d.Type == crm.DocInvoice && invoice == nil {
			invoice = &in.Documents[i]
		}
		msg.Attachments = append(msg.Attachments, Attachment{Name: crm.FileName(d), ASCIIName: crm.ASCIIFileName(d),
			ContentType: "application/pdf", Data: in.PDFs[i]})
	}
	msg.Subject = strings.Join(names, ", ")
	if len(in.Documents) == 1 {
		msg.Subject = strings.TrimPrefix(list[0], "— ")
	}
	if in.Seller.Name != "" {
		msg.Subject += " — " + in.Seller.Name
	}
	var b strings.Builder
	if g := Greeting(in.Contact.Name); g != "" {
		b.WriteString("Здравствуйте, " + g + "!\n\n")
	} else {
		b.WriteString("Здравствуйте!\n\n")
	}
	what := "документ"
	if len(in.Documents) > 1 {
		what = "документы"
	}
	if s := crm.LinesSubject(in.Lines); s != "" {
		fmt.Fprintf(&b, "Направляем %s по поставке: %s.\n\n", what, s)
	} else {
		fmt.Fprintf(&b, "Направляем %s.\n\n", what)
	}
	b.WriteString("Во вложении, в формате PDF:\n" + strings.Join(list, "\n") + "\n\n")
	if invoice != nil {
		fmt.Fprintf(&b, "Сумма к оплате по счёту — %s руб. Оплатить можно по реквизитам счёта или по QR-коду в нём из приложения банка.\n\n",
			money(invoice.Total))
	}
	b.WriteString("С уважением,\n")
	if in.Seller.Name != "" {
		b.WriteString(in.Seller.Name + "\n")
	} else {
		b.WriteString("отдел продаж\n")
	}
	if in.Seller.Phone != "" {
		b.WriteString("тел. " + in.Seller.Phone + "\n")
	}
	msg.Body = b.String()
	return msg
}

// Greeting is how a letter addresses a person: «Анна Петровна» of
// «Смирнова Анна Петровна» or «Анна Петровна Смирнова», else the name as
// it is.
func Greeting(name string) string {
	f := strings.Fields(name)
	patronymic := func(w string) bool {
		w = strings.ToLower(w)
		for _, s := range []string{"вич", "вна", "ична", "ич"} {
			if strings.HasSuffix(w, s) {
				return true
			}
		}
		return false
	}
	switch {
	case len(f) == 3 && patronymic(f[2]):
		return f[1] + " " + f[2]
	case len(f) == 3 && patronymic(f[1]):
		return f[0] + " " + f[1]
	}
	return strings.Join(f, " ")
}

var months = [...]string{"января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа",
	"сентября", "октября", "ноября", "декабря"}

// dateText writes a date as a letter says it: «6 декабря 2026 г.».
func dateText(t time.Time) string {
	return strconv.Itoa(t.Day()) + " " + months[t.Month()-1] + " " + strconv.Itoa(t.Year()) + " г."
}

// money writes "1275833.33" as «1 275 833,33».
func money(amount string) string {
	whole, frac, _ := strings.Cut(amount, ".")
	var b strings.Builder
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(c)
	}
	if frac != "" {
		b.WriteString("," + frac)
	}
	return b.String()
}

func lowerFirst(s string) string {
	r := []rune(s)
	if len(r) == 0 {
		return s
	}
	r[0] = unicode.ToLower(r[0])
	return string(r)
}
