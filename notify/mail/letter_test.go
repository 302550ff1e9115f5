package mail

import (
	"strings"
	"testing"
	"time"

	"github.com/leadd/leadd/crm"
)

func TestALetterGreetsByNameAndSaysWhatIsSold(t *testing.T) {
	for _, c := range [][2]string{
		{"Смирнова Анна Петровна", "Анна Петровна"},
		{"Анна Петровна Смирнова", "Анна Петровна"},
		{"Иван", "Иван"},
		{"ООО «Ромашка»", "ООО «Ромашка»"},
	} {
		if got := Greeting(c[0]); got != c[1] {
			t.Errorf("Greeting(%q) = %q, want %q", c[0], got, c[1])
		}
	}
	lines := []crm.Line{{Name: "Фреза концевая"}, {Name: "Сверло"}, {Name: "Кабель"}}
	docs := []struct {
		doc crm.Document
		pdf []byte
	}{
		{crm.Document{Type: crm.DocInvoice, Number: "СЧ-2026-00001", Version: 1, Date: "2026-12-06", Total: "1275833.33"}, []byte("%PDF-1")},
		{crm.Document{Type: crm.DocContract, Number: "ДГ-2026-00001", Version: 1, Date: "2026-12-06"}, []byte("%PDF-2")},
	}
	in := LetterInput{Send: crm.DocumentSend{To: "anna@example.ru"}, Lines: lines, Contact: crm.Contact{Name: "Смирнова Анна Петровна"},
		Seller: Signature{Name: "ООО «Ромашка»", Phone: "+7 495 000-00-00"}, Location: time.UTC}
	for _, d := range docs {
		in.Documents, in.PDFs = append(in.Documents, d.doc), append(in.PDFs, d.pdf)
	}
	m := Letter(in)
	if m.Subject != "счёт на оплату № СЧ-2026-00001, договор поставки № ДГ-2026-00001 — ООО «Ромашка»" {
		t.Errorf("subject %q", m.Subject)
	}
	for _, w := range []string{"Здравствуйте, Анна Петровна!", "Направляем документы по поставке: Фреза концевая и ещё 2 позиции.",
		"— Счёт на оплату № СЧ-2026-00001 от 6 декабря 2026 г.", "— Договор поставки № ДГ-2026-00001 от 6 декабря 2026 г.",
		"Сумма к оплате по счёту — 1 275 833,33 руб.", "С уважением,\nООО «Ромашка»\nтел. +7 495 000-00-00"} {
		if !strings.Contains(m.Body, w) {
			t.Errorf("the body does not say %q:\n%s", w, m.Body)
		}
	}
	if len(m.Attachments) != 2 || m.Attachments[0].Name != "Счёт СЧ-2026-00001.pdf" || m.Attachments[1].ASCIIName != "Dogovor DG-2026-00001.pdf" || m.To != "anna@example.ru" {
		t.Errorf("attachments %+v", m.Attachments)
	}
}
