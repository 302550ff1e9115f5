package mail

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/multipart"
	"net"
	netmail "net/mail"
	"net/smtp"
	"net/textproto"
	"strconv"
	"strings"
	"time"

	"github.com/leadd/leadd/crm"
)

// SMTPConfig is the server documents are e-mailed through. Sending is off
// until Host is given.
type SMTPConfig struct {
	Host     string `yaml:"host"`
	Port     int    `yaml:"port"` // default 587
	Username string `yaml:"username"`
	Password string `yaml:"password"`
	From     string `yaml:"from"` // "ООО «Ромашка» <docs@example.ru>"
	// StartTLS upgrades the connection before authenticating; a server
	// that does not offer it is then an error, never a plain-text login.
	StartTLS bool `yaml:"starttls"`
	// Timeout bounds one message: dial, dialogue and data (default 30s).
	Timeout time.Duration `yaml:"timeout"`
}

// Enabled reports whether documents can be e-mailed.
func (c *SMTPConfig) Enabled() bool { return c.Host != "" }

// Defaults fills what is not given.
func (c *SMTPConfig) Defaults() {
	if c.Port == 0 {
		c.Port = 587
	}
	if c.Timeout == 0 {
		c.Timeout = 30 * time.Second
	}
}

// Validate returns every problem, each naming its key under prefix.
func (c *SMTPConfig) Validate(prefix string) []error {
	if !c.Enabled() {
		return nil
	}
	var errs []error
	if c.Port < 1 || c.Port > 65535 {
		errs = append(errs, fmt.Errorf("%s.port: must be between 1 and 65535, not %d", prefix, c.Port))
	}
	if _, err := netmail.ParseAddress(c.From); err != nil {
		errs = append(errs, fmt.Errorf("%s.from: an address is required (%q: %v)", prefix, c.From, err))
	}
	if (c.Username == "") != (c.Password == "") {
		errs = append(errs, fmt.Errorf("%s.username: username and password go together", prefix))
	}
	return errs
}

// Attachment is a file of a message.
type Attachment struct {
	Name        string // may be Cyrillic: "Счёт СЧ-2026-00001.pdf"
	ASCIIName   string // the fallback for clients that read only filename=: "Schet SCh-2026-00001.pdf"
	ContentType string // application/pdf
	Data        []byte
}

// Message is one e-mail: a plain-text body and attachments.
type Message struct {
	To          string
	Subject     string
	Body        string
	Attachments []Attachment
}

// Mailer sends messages through an SMTP server with net/smtp.
type Mailer struct {
	cfg  SMTPConfig
	now  func() time.Time
	host string // the name we greet with
}

// NewMailer returns a mailer for an enabled, validated configuration.
func NewMailer(cfg SMTPConfig) *Mailer {
	cfg.Defaults()
	return &Mailer{cfg: cfg, now: time.Now, host: "localhost"}
}

// Send delivers a message. Errors: the server's, as they come.
func (m *Mailer) Send(ctx context.Context, msg Message) error {
	from, err := netmail.ParseAddress(m.cfg.From)
	if err != nil {
		return fmt.Errorf("smtp: from: %w", err)
	}
	to, err := netmail.ParseAddress(msg.To)
	if err != nil {
		return fmt.Errorf("smtp: to %q: %w", msg.To, err)
	}
	data, err := Compose(from, to, msg, m.now())
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, m.cfg.Timeout)
	defer cancel()
	addr := net.JoinHostPort(m.cfg.Host, strconv.Itoa(m.cfg.Port))
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("smtp: %w", err)
	}
	deadline, _ := ctx.Deadline()
	_ = conn.SetDeadline(deadline)
	c, err := smtp.NewClient(conn, m.cfg.Host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("smtp: %s: %w", addr, err)
	}
	defer c.Close()
	if err := m.dialogue(c, from.Address, to.Address, data); err != nil {
		return fmt.Errorf("smtp: %s: %w", addr, err)
	}
	return nil
}

func (m *Mailer) dialogue(c *smtp.Client, from, to string, data []byte) error {
	if err := c.Hello(m.host); err != nil {
		return err
	}
	if m.cfg.StartTLS {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return errors.New("the server does not offer STARTTLS and smtp.starttls is on")
		}
		if err := c.StartTLS(&tls.Config{ServerName: m.cfg.Host, MinVersion: tls.VersionTLS12}); err != nil {
			return err
		}
	}
	if m.cfg.Username != "" {
		// PlainAuth refuses to send the password unencrypted except to
		// localhost.
		if err := c.Auth(smtp.PlainAuth("", m.cfg.Username, m.cfg.Password, m.cfg.Host)); err != nil {
			return err
		}
	}
	if err := c.Mail(from); err != nil {
		return err
	}
	if err := c.Rcpt(to); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(data); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

// Compose writes a message as MIME: multipart/mixed of a text/plain body
// in UTF-8 and base64 attachments; the subject is an RFC 2047 encoded
// word; an attachment's name is given both ways mail clients read it:
// filename= in ASCII (transliterated) and filename*= in UTF-8 (RFC 2231),
// and its Content-Type name= as an encoded word. Lines end in CRLF.
func Compose(from, to *netmail.Address, msg Message, date time.Time) ([]byte, error) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	id := make([]byte, 12)
	_, _ = rand.Read(id)
	domain := "leadd"
	if i := strings.LastIndexByte(from.Address, '@'); i >= 0 {
		domain = from.Address[i+1:]
	}
	head := []string{
		"From: " + from.String(),
		"To: " + to.String(),
		"Subject: " + mime.BEncoding.Encode("UTF-8", msg.Subject),
		"Date: " + date.Format(time.RFC1123Z),
		"Message-ID: <" + hex.EncodeToString(id) + "@" + domain + ">",
		"MIME-Version: 1.0",
		"Content-Type: " + mime.FormatMediaType("multipart/mixed", map[string]string{"boundary": mw.Boundary()}),
	}
	var out bytes.Buffer
	for _, h := range head {
		out.WriteString(h + "\r\n")
	}
	out.WriteString("\r\n")

	body, err := mw.CreatePart(textproto.MIMEHeader{
		"Content-Type":              {"text/plain; charset=utf-8"},
		"Content-Transfer-Encoding": {"base64"},
	})
	if err != nil {
		return nil, err
	}
	text := strings.ReplaceAll(strings.ReplaceAll(msg.Body, "\r\n", "\n"), "\n", "\r\n")
	writeBase64(body, []byte(text))
	for _, a := range msg.Attachments {
		ct := a.ContentType
		if ct == "" {
			ct = "application/octet-stream"
		}
		part, err := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {ct + `; name="` + mime.BEncoding.Encode("UTF-8", a.Name) + `"`},
			"Content-Disposition":       {crm.ContentDisposition(a.Name, a.ASCIIName)},
			"Content-Transfer-Encoding": {"base64"},
		})
		if err != nil {
			return nil, err
		}
		writeBase64(part, a.Data)
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	out.Write(buf.Bytes())
	return out.Bytes(), nil
}

// writeBase64 writes b in base64 lines of 76 characters (RFC 2045).
func writeBase64(w interface{ Write([]byte) (int, error) }, b []byte) {
	s := base64.StdEncoding.EncodeToString(b)
	for len(s) > 76 {
		_, _ = w.Write([]byte(s[:76] + "\r\n"))
		s = s[76:]
	}
	_, _ = w.Write([]byte(s + "\r\n"))
}
