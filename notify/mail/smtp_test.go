package mail

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	netmail "net/mail"
	"strings"
	"testing"
	"time"

	"github.com/leadd/leadd/notify/mail/smtptest"
)

func TestMailerSendsAPDFAttachment(t *testing.T) {
	sink := smtptest.New(t)
	host, p := sink.Host, sink.Port
	cfg := SMTPConfig{Host: host, Port: p, From: `"ООО «Ромашка»" <docs@romashka.test>`}
	if errs := cfg.Validate("smtp"); len(errs) > 0 {
		t.Fatal(errs)
	}
	pdf := append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte{0, 1, 2, '.', '\n'}, 100)...)
	body := "Здравствуйте!\n.\nДокумент во вложении."
	err := NewMailer(cfg).Send(context.Background(), Message{To: "buyer@example.ru", Subject: "Счёт на оплату № СЧ-2025-00001",
		Body: body, Attachments: []Attachment{{Name: "invoice-СЧ-2025-00001-v1.pdf", ContentType: "application/pdf", Data: pdf}}})
	if err != nil {
		t.Fatal(err)
	}
	got := sink.Messages()
	if len(got) != 1 || got[0].From != "docs@romashka.test" || len(got[0].To) != 1 || got[0].To[0] != "buyer@example.ru" {
		t.Fatalf("envelope: %+v", got)
	}
	text, files := parseMessage(t, got[0].Data, "Счёт на оплату № СЧ-2025-00001")
	if text != strings.ReplaceAll(body, "\n", "\r\n") {
		t.Errorf("body %q", text)
	}
	if !bytes.Equal(files["invoice-СЧ-2025-00001-v1.pdf"], pdf) {
		t.Errorf("attachments: %v", files)
	}
}

func TestMailerRefusesAServerWithoutStartTLS(t *testing.T) {
	sink := smtptest.New(t)
	host, p := sink.Host, sink.Port
	err := NewMailer(SMTPConfig{Host: host, Port: p, From: "docs@romashka.test", StartTLS: true, Timeout: 5 * time.Second}).
		Send(context.Background(), Message{To: "buyer@example.ru", Subject: "x", Body: "y"})
	if err == nil || !strings.Contains(err.Error(), "STARTTLS") {
		t.Errorf("got %v, want a refusal naming STARTTLS", err)
	}
	if n := len(sink.Messages()); n != 0 {
		t.Errorf("%d messages sent in plain text", n)
	}
}

func TestSMTPConfigValidate(t *testing.T) {
	off := SMTPConfig{}
	if errs := off.Validate("smtp"); len(errs) != 0 {
		t.Errorf("off: %v", errs)
	}
	bad := SMTPConfig{Host: "smtp.example.ru", Port: 70000, From: "nobody", Username: "u"}
	errs := bad.Validate("smtp")
	var all []string
	for _, e := range errs {
		all = append(all, e.Error())
	}
	for _, key := range []string{"smtp.port", "smtp.from", "smtp.username"} {
		if !strings.Contains(strings.Join(all, "\n"), key) {
			t.Errorf("no problem names %s: %v", key, all)
		}
	}
}

// parseMessage checks the headers of a multipart/mixed message and returns
// its text and its attachments by file name.
func parseMessage(t *testing.T, data []byte, subject string) (string, map[string][]byte) {
	t.Helper()
	msg, err := netmail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	raw := msg.Header.Get("Subject")
	if !strings.HasPrefix(raw, "=?UTF-8?b?") && !strings.HasPrefix(raw, "=?utf-8?b?") {
		t.Errorf("subject is not an encoded word: %q", raw)
	}
	if s, err := new(mime.WordDecoder).DecodeHeader(raw); err != nil || s != subject {
		t.Errorf("subject %q (%v), want %q", s, err, subject)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/mixed" {
		t.Fatalf("Content-Type %q", msg.Header.Get("Content-Type"))
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	var text string
	files := map[string][]byte{}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		var body io.Reader = part
		if strings.EqualFold(part.Header.Get("Content-Transfer-Encoding"), "base64") {
			body = base64.NewDecoder(base64.StdEncoding, part)
		}
		b, err := io.ReadAll(body)
		if err != nil {
			t.Fatal(err)
		}
		if name := part.FileName(); name != "" {
			files[name] = b
		} else if strings.HasPrefix(part.Header.Get("Content-Type"), "text/plain") {
			text = string(b)
		}
	}
	return text, files
}
