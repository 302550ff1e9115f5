package mail

import (
	"fmt"
	"strings"

	"github.com/leadd/leadd/crm"
)

// LetterInput is what a letter is made from: the send, its deal and
// contact, and its documents with their PDFs, in the send's order.
type LetterInput struct {
	Send      crm.DocumentSend
	Deal      crm.Deal
	Contact   crm.Contact
	Documents []crm.Document
	PDFs      [][]byte
}

// documentTitles name documents in Russian in a letter.
var documentTitles = map[string]string{
	crm.DocQuote:    "Коммерческое предложение",
	crm.DocInvoice:  "Счёт на оплату",
	crm.DocContract: "Договор",
	crm.DocAct:      "Акт",
}

// Letter composes the e-mail of a send: what it says and what it
// carries. This is the one place the letter's wording, subject and file
// names are decided.
func Letter(in LetterInput) Message {
	var titles []string
	msg := Message{To: in.Send.To}
	for i, doc := range in.Documents {
		titles = append(titles, fmt.Sprintf("«%s № %s от %s»", documentTitles[doc.Type], doc.Number, ruDate(doc.Date)))
		msg.Attachments = append(msg.Attachments, Attachment{Name: fileName(doc), ContentType: "application/pdf", Data: in.PDFs[i]})
	}
	if len(in.Documents) == 1 {
		doc := in.Documents[0]
		msg.Subject = fmt.Sprintf("%s № %s от %s", documentTitles[doc.Type], doc.Number, ruDate(doc.Date))
		msg.Body = fmt.Sprintf("Здравствуйте, %s!\n\nНаправляем вам документ %s по сделке «%s». Документ во вложении, в формате PDF.\n\nС уважением,\nотдел продаж\n",
			in.Contact.Name, titles[0], in.Deal.Title)
		return msg
	}
	msg.Subject = fmt.Sprintf("Документы по сделке «%s»", in.Deal.Title)
	msg.Body = fmt.Sprintf("Здравствуйте, %s!\n\nНаправляем вам документы по сделке «%s»:\n%s\n\nДокументы во вложении, в формате PDF.\n\nС уважением,\nотдел продаж\n",
		in.Contact.Name, in.Deal.Title, "— "+strings.Join(titles, "\n— "))
	return msg
}

// fileName is a document's PDF's name: invoice-СЧ-2025-00001-v1.pdf.
func fileName(doc crm.Document) string {
	n := strings.Map(func(r rune) rune {
		if strings.ContainsRune(`/\:*?"<>|`, r) || r < ' ' {
			return '_'
		}
		return r
	}, doc.Number)
	return fmt.Sprintf("%s-%s-v%d.pdf", doc.Type, n, doc.Version)
}

// ruDate writes YYYY-MM-DD as DD.MM.YYYY.
func ruDate(iso string) string {
	if len(iso) != 10 {
		return iso
	}
	return iso[8:10] + "." + iso[5:7] + "." + iso[0:4]
}
