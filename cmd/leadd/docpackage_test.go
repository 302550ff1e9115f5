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
		if want := fmt.Sprintf("%s-%s-v%d.pdf", doc.Type, doc.Number, doc.Version); f.Name != want {
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
