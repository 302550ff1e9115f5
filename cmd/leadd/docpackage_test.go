package main

import (
	"archive/zip"
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"net/textproto"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/leadd/leadd/configs"
	"github.com/leadd/leadd/crm"
	outmail "github.com/leadd/leadd/notify/mail"
	"github.com/leadd/leadd/notify/mail/smtptest"
)

// dealToSend is a deal of manager 1 with a line, for a contact with the
// given e-mails.
func (ta *testApp) dealToSend(emails ...string) crm.Deal {
	ta.t.Helper()
	var c crm.Contact
	if s := ta.api("POST", "/api/v1/contacts", map[string]any{"name": "Анна Петровна Смирнова", "emails": emails}, &c); s != 201 {
		ta.t.Fatalf("contact: %d", s)
	}
	var d crm.Deal
	if s := ta.api("POST", "/api/v1/deals", map[string]any{"title": "Поставка фрез", "contact_id": c.ID, "manager_id": 1}, &d); s != 201 {
		ta.t.Fatalf("deal: %d", s)
	}
	if s := ta.api("POST", fmt.Sprint("/api/v1/deals/", d.ID, "/lines"), map[string]any{"name": "Фреза", "quantity": "2",
		"price": "100.00", "vat": "vat20"}, nil); s != 201 {
		ta.t.Fatalf("line: %d", s)
	}
	return d
}

func TestDocumentPackageMakesTheSetAndItsZip(t *testing.T) {
	t.Parallel()
	ta := startApp(t, withDocuments)
	var empty crm.Deal
	ta.api("POST", "/api/v1/deals", map[string]any{"title": "Пустая сделка"}, &empty)
	var e struct{ Error struct{ Code, Field string } }
	if s := ta.api("POST", fmt.Sprint("/api/v1/deals/", empty.ID, "/documents/package"), nil, &e); s != 422 || e.Error.Field != "lines" {
		t.Errorf("a deal without lines: %d %+v, want 422 naming lines", s, e)
	}
	if n := ta.db.Count(t, `SELECT count(*) FROM documents`); n != 0 {
		t.Fatalf("a refused package left %d documents", n)
	}

	d := ta.dealToSend("anna@example.ru")
	var pkg struct {
		Documents []crm.Document
		Zip       string
	}
	if s := ta.api("POST", fmt.Sprint("/api/v1/deals/", d.ID, "/documents/package"), nil, &pkg); s != 201 {
		t.Fatalf("package: %d %+v", s, pkg)
	}
	var types, ids []string
	for _, doc := range pkg.Documents {
		types = append(types, doc.Type)
		ids = append(ids, fmt.Sprint(doc.ID))
	}
	if strings.Join(types, ",") != "invoice,contract,act" {
		t.Errorf("the package is %v, want invoice, contract, act", types)
	}
	if want := fmt.Sprintf("/api/v1/deals/%d/documents/zip?ids=%s", d.ID, strings.Join(ids, ",")); pkg.Zip != want {
		t.Errorf("zip %q, want %q", pkg.Zip, want)
	}
	res := ta.do("GET", pkg.Zip, "", nil, "Authorization: Bearer "+adminToken)
	if res.Status != 200 || res.Header.Get("Content-Type") != "application/zip" {
		t.Fatalf("zip: %d %s %s", res.Status, res.Header.Get("Content-Type"), excerpt(res.Body))
	}
	zr, err := zip.NewReader(bytes.NewReader(res.Body), int64(len(res.Body)))
	if err != nil {
		t.Fatal(err)
	}
	if len(zr.File) != 3 {
		t.Fatalf("the ZIP has %d files", len(zr.File))
	}
	for i, f := range zr.File {
		doc := pkg.Documents[i]
		if want := crm.FileName(doc); f.Name != want {
			t.Errorf("file %q, want %q", f.Name, want)
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		if !bytes.Equal(b, ta.documentPDF(doc.ID)) {
			t.Errorf("%s is not the document's PDF as issued", f.Name)
		}
	}
	// Another deal's document is not in this deal's ZIP.
	other := ta.dealToSend("x@example.ru")
	foreign := ta.makeDocument(other.ID, "quote")
	if r := ta.do("GET", fmt.Sprintf("/api/v1/deals/%d/documents/zip?ids=%s,%d", d.ID, ids[0], foreign.ID), "", nil,
		"Authorization: Bearer "+adminToken); r.Status != 404 {
		t.Errorf("another deal's document: %d", r.Status)
	}
}

// waitSent waits until a send has left the queue, and returns it.
func (ta *testApp) waitSent(id int64) crm.DocumentSend {
	ta.t.Helper()
	var send crm.DocumentSend
	waitFor(ta.t, "the letter to leave", func() bool {
		if s := ta.api("GET", fmt.Sprint("/api/v1/document-sends/", id), nil, &send); s != 200 {
			ta.t.Fatalf("GET the send: %d", s)
		}
		return send.State != crm.SendQueued
	})
	return send
}

func TestDocumentSendEmailsThePDFAndRecordsAnActivity(t *testing.T) {
	t.Parallel()
	sink := smtptest.New(t)
	ta := startApp(t, func(c *configs.Config) {
		withDocuments(c)
		c.SMTP = outmail.SMTPConfig{Host: sink.Host, Port: sink.Port, From: `"ООО «Ромашка»" <docs@romashka.test>`}
	})
	d := ta.dealToSend("anna@example.ru", "anna.home@example.ru")
	doc := ta.makeDocument(d.ID, "invoice")
	pdf := ta.documentPDF(doc.ID)
	var queued crm.DocumentSend
	if s := ta.api("POST", fmt.Sprint("/api/v1/documents/", doc.ID, "/send"), nil, &queued); s != 202 ||
		queued.State != crm.SendQueued || queued.To != "anna@example.ru" || queued.ActivityID != nil {
		t.Fatalf("send: %d %+v, want 202 and the send queued", s, queued)
	}
	sent := ta.waitSent(queued.ID)
	if sent.State != crm.SendSent || sent.SentAt == nil || sent.ActivityID == nil {
		t.Fatalf("the send after the server took it: %+v", sent)
	}
	var a crm.Activity
	if err := ta.db.Pool.QueryRow(t.Context(), `SELECT type, subject, done_at, outcome, manager_id FROM activities WHERE id = $1`,
		*sent.ActivityID).Scan(&a.Type, &a.Subject, &a.DoneAt, &a.Outcome, &a.ManagerID); err != nil {
		t.Fatal(err)
	}
	subject := "Отправлен документ " + doc.Number
	if a.Type != "email" || a.Subject != subject || a.DoneAt == nil || a.Outcome == nil || *a.Outcome != "sent" || a.ManagerID != 1 {
		t.Errorf("the activity: %+v", a)
	}
	if n := ta.db.Count(t, `SELECT count(*) FROM activities WHERE deal_id = $1 AND contact_id = $2 AND type = 'email'
		AND done_at IS NOT NULL AND outcome = 'sent' AND subject = $3`, d.ID, *d.ContactID, subject); n != 1 {
		t.Errorf("%d email activities on the deal", n)
	}
	got := sink.Messages()
	if len(got) != 1 || len(got[0].To) != 1 || got[0].To[0] != "anna@example.ru" {
		t.Fatalf("the server got %+v", got)
	}
	msg, err := mail.ReadMessage(bytes.NewReader(got[0].Data))
	if err != nil {
		t.Fatal(err)
	}
	if s, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject")); err != nil || !strings.Contains(s, doc.Number) {
		t.Errorf("subject %q (%v)", s, err)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/mixed" {
		t.Fatalf("Content-Type %q", msg.Header.Get("Content-Type"))
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	var text string
	var attached []byte
	var name string
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(base64.NewDecoder(base64.StdEncoding, part))
		if err != nil {
			t.Fatal(err)
		}
		if part.FileName() != "" {
			name, attached = part.FileName(), b
		} else {
			text = string(b)
		}
	}
	if !bytes.HasPrefix(attached, []byte("%PDF-")) || !bytes.Equal(attached, pdf) {
		t.Errorf("the attachment %q is not the document's PDF: %s", name, excerpt(attached))
	}
	if !strings.HasSuffix(name, ".pdf") || !strings.Contains(name, doc.Number) {
		t.Errorf("attachment name %q", name)
	}
	if !strings.Contains(text, "Здравствуйте") || !strings.Contains(text, doc.Number) {
		t.Errorf("body %q", text)
	}

	// A contact without an e-mail: 422 naming email, nothing sent or recorded.
	bare := ta.dealToSend()
	bareDoc := ta.makeDocument(bare.ID, "act")
	var e struct{ Error struct{ Code, Field string } }
	if s := ta.api("POST", fmt.Sprint("/api/v1/documents/", bareDoc.ID, "/send"), nil, &e); s != 422 || e.Error.Field != "email" {
		t.Errorf("no e-mail: %d %+v, want 422 naming email", s, e)
	}
	if n := ta.db.Count(t, `SELECT count(*) FROM activities WHERE deal_id = $1 AND type = 'email'`, bare.ID); n != 0 || len(sink.Messages()) != 1 {
		t.Errorf("a refused send left %d activities, %d messages", n, len(sink.Messages()))
	}
	if n := ta.db.Count(t, `SELECT count(*) FROM document_sends WHERE deal_id = $1`, bare.ID); n != 0 {
		t.Errorf("a refused send left %d sends queued", n)
	}
}

func TestDocumentSendAnswersAtOnceWhileTheMailServerIsDown(t *testing.T) {
	t.Parallel()
	ta := startApp(t, func(c *configs.Config) {
		withDocuments(c)
		// Nothing listens on port 9 of this host: every attempt fails.
		c.SMTP = outmail.SMTPConfig{Host: "127.0.0.1", Port: 9, From: "docs@romashka.test", Timeout: 2 * time.Second}
	})
	d := ta.dealToSend("anna@example.ru")
	doc := ta.makeDocument(d.ID, "invoice")
	var queued crm.DocumentSend
	if s := ta.api("POST", fmt.Sprint("/api/v1/documents/", doc.ID, "/send"), nil, &queued); s != 202 || queued.State != crm.SendQueued {
		t.Fatalf("send with the server down: %d %+v, want 202 queued", s, queued)
	}
	waitFor(t, "the first attempt to fail", func() bool {
		return ta.db.Count(t, `SELECT count(*) FROM document_sends WHERE id = $1 AND attempts >= 1 AND last_error IS NOT NULL`, queued.ID) == 1
	})
	var send crm.DocumentSend
	ta.api("GET", fmt.Sprint("/api/v1/document-sends/", queued.ID), nil, &send)
	if send.State != crm.SendQueued || send.LastError == nil || send.ActivityID != nil {
		t.Errorf("after a failed attempt: %+v, want still queued (to be retried) with the error and no activity", send)
	}
	if n := ta.db.Count(t, `SELECT count(*) FROM activities WHERE deal_id = $1 AND type = 'email'`, d.ID); n != 0 {
		t.Errorf("%d email activities for a letter the server never took", n)
	}
}

func TestDocumentSendWithoutSMTPIsUnavailable(t *testing.T) {
	t.Parallel()
	ta := startApp(t, withDocuments)
	d := ta.dealToSend("anna@example.ru")
	doc := ta.makeDocument(d.ID, "invoice")
	var e struct{ Error struct{ Code, Field string } }
	if s := ta.api("POST", fmt.Sprint("/api/v1/documents/", doc.ID, "/send"), nil, &e); s != 503 || e.Error.Code != "unavailable" {
		t.Errorf("send without SMTP: %d %+v, want 503 unavailable", s, e)
	}
	if n := ta.db.Count(t, `SELECT count(*) FROM activities WHERE type = 'email'`); n != 0 {
		t.Errorf("%d email activities recorded", n)
	}
}

// letterPart is a part of a letter read back: its headers and its
// decoded bytes.
type letterPart struct {
	header      textproto.MIMEHeader
	name, ascii string
	data        []byte
}

// readLetter parses a letter the SMTP server got: its decoded subject,
// its body text and its attachments.
func readLetter(t *testing.T, data []byte) (subject, body string, files []letterPart) {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if subject, err = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject")); err != nil {
		t.Fatalf("subject %q: %v", msg.Header.Get("Subject"), err)
	}
	_, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(base64.NewDecoder(base64.StdEncoding, part))
		if err != nil {
			t.Fatal(err)
		}
		cd := part.Header.Get("Content-Disposition")
		if cd == "" {
			body = string(b)
			continue
		}
		// filename= must be plain ASCII; filename*= the UTF-8 name.
		m := regexp.MustCompile(`filename="([ -~]*)"; filename\*=UTF-8''(\S+)$`).FindStringSubmatch(cd)
		if m == nil {
			t.Errorf("Content-Disposition %q has not both names", cd)
			continue
		}
		name, err := url.PathUnescape(m[2])
		if err != nil {
			t.Errorf("filename* %q: %v", m[2], err)
		}
		files = append(files, letterPart{header: part.Header, name: name, ascii: m[1], data: b})
	}
	return subject, body, files
}

func TestDocumentPackageGoesAsOneLetterWithEveryPDF(t *testing.T) {
	t.Parallel()
	sink := smtptest.New(t)
	ta := startApp(t, func(c *configs.Config) {
		withDocuments(c)
		c.SMTP = outmail.SMTPConfig{Host: sink.Host, Port: sink.Port, From: `"ООО «Ромашка»" <docs@romashka.test>`}
	})
	var company crm.Company
	if s := ta.api("POST", "/api/v1/companies", map[string]any{"name": "ООО «Станкострой»", "inn": "7736207543",
		"director": "Петрова Анна Сергеевна", "director_post": "Генеральный директор"}, &company); s != 201 {
		t.Fatalf("company: %d", s)
	}
	var c crm.Contact
	if s := ta.api("POST", "/api/v1/contacts", map[string]any{"name": "Смирнова Анна Петровна", "emails": []string{"anna@example.ru"},
		"company_id": company.ID}, &c); s != 201 {
		t.Fatalf("contact: %d", s)
	}
	var d crm.Deal
	// After a conversion the deal's title is the buyer's name: the letter
	// must not say it again, but what is sold.
	if s := ta.api("POST", "/api/v1/deals", map[string]any{"title": "ООО «Станкострой»", "contact_id": c.ID, "company_id": company.ID,
		"manager_id": 1}, &d); s != 201 {
		t.Fatalf("deal: %d", s)
	}
	for _, l := range []map[string]any{
		{"name": "Фреза концевая", "quantity": "2", "price": "100.00", "vat": "vat22"},
		{"name": "Пусконаладка", "quantity": "1", "price": "5000.00", "vat": "vat22", "type": "service"},
	} {
		if s := ta.api("POST", fmt.Sprint("/api/v1/deals/", d.ID, "/lines"), l, nil); s != 201 {
			t.Fatalf("line: %d", s)
		}
	}
	invoice := ta.makeDocument(d.ID, "invoice")
	var sent struct {
		Documents []crm.Document
		Send      crm.DocumentSend
	}
	if s := ta.api("POST", fmt.Sprint("/api/v1/deals/", d.ID, "/documents/package/send"), nil, &sent); s != 202 {
		t.Fatalf("send the package: %d %+v", s, sent)
	}
	done := ta.waitSent(sent.Send.ID)
	if done.State != crm.SendSent || done.ActivityID == nil || len(done.DocumentIDs) != 3 {
		t.Fatalf("the package's send: %+v", done)
	}
	if len(sent.Documents) != 3 {
		t.Fatalf("sent %+v", sent.Documents)
	}
	inv, contract, act := sent.Documents[0], sent.Documents[1], sent.Documents[2]
	// The contract is made first, so the invoice names it as its basis: a
	// new version of the same invoice, not a second number.
	if inv.Number != invoice.Number || inv.Version != 2 || contract.Type != "contract" || act.Type != "act" {
		t.Errorf("the package: %+v, want version 2 of %s", sent.Documents, invoice.Number)
	}
	got := sink.Messages()
	if len(got) != 1 {
		t.Fatalf("the server got %d letters, want one", len(got))
	}
	subject, body, files := readLetter(t, got[0].Data)
	if want := "счёт на оплату № " + inv.Number + ", договор поставки № " + contract.Number + ", акт № " + act.Number + " — ООО «Ромашка»"; subject != want {
		t.Errorf("subject\n got %q\nwant %q", subject, want)
	}
	for _, w := range []string{"Здравствуйте, Анна Петровна!", "по поставке: Фреза концевая и Пусконаладка",
		"— Счёт на оплату № " + inv.Number + " от ", "(версия 2)", "— Договор поставки № " + contract.Number,
		"— Акт № " + act.Number, "Сумма к оплате по счёту — 5 200,00 руб.", "ООО «Ромашка»"} {
		if !strings.Contains(body, w) {
			t.Errorf("the body does not say %q:\n%s", w, body)
		}
	}
	if strings.Count(body, "Станкострой") > 0 {
		t.Errorf("the body names the buyer instead of what is sold:\n%s", body)
	}
	wantNames := []string{"Счёт " + inv.Number + " (версия 2).pdf", "Договор " + contract.Number + ".pdf", "Акт " + act.Number + ".pdf"}
	if len(files) != 3 {
		t.Fatalf("%d attachments", len(files))
	}
	for i, f := range files {
		if f.name != wantNames[i] || !strings.HasSuffix(f.ascii, ".pdf") || !strings.HasPrefix(string(f.data), "%PDF-") {
			t.Errorf("attachment %d: %q (ASCII %q), want %q", i, f.name, f.ascii, wantNames[i])
		}
		if !bytes.Equal(f.data, ta.documentPDF(sent.Documents[i].ID)) {
			t.Errorf("attachment %q is not the document's PDF", f.name)
		}
	}
	if files[0].ascii != "Schet "+crm.Translit(inv.Number)+" (versiia 2).pdf" {
		t.Errorf("the ASCII name %q", files[0].ascii)
	}
	for _, number := range []string{inv.Number, contract.Number, act.Number} {
		if n := ta.db.Count(t, `SELECT count(*) FROM activities WHERE id = $1 AND type = 'email' AND done_at IS NOT NULL
			AND strpos(subject, $2) > 0`, *done.ActivityID, number); n != 1 {
			t.Errorf("the activity does not name %s", number)
		}
	}
	// Sent again unchanged: the same documents, no new numbers.
	if s := ta.api("POST", fmt.Sprint("/api/v1/deals/", d.ID, "/documents/package/send"), nil, &sent); s != 202 ||
		sent.Documents[0].Number != inv.Number || sent.Documents[0].Version != 2 || sent.Documents[1].ID != contract.ID {
		t.Errorf("the package again: %d %+v", s, sent.Documents)
	}
	// A superseded version is not sent.
	var e struct{ Error struct{ Code, Field string } }
	if s := ta.api("POST", fmt.Sprint("/api/v1/documents/", invoice.ID, "/send"), nil, &e); s != 409 {
		t.Errorf("sending a superseded invoice: %d %+v", s, e)
	}
}
