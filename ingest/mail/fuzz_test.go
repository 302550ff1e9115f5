package mail

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/leadd/leadd/dedupe"
)

// A letter is whatever a stranger sends: no input may panic, and what is
// kept is valid UTF-8 within its limits.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.eml")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("From: a\r\n\r\n"))
	f.Add([]byte("Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: text/html\r\n\r\n<p>a<br>b\r\n--x--\r\n"))
	// Forwards in every mail program's shape, to a mailbox that knows the
	// company's domain, so the forwarded letter is read too.
	for _, fw := range forwards(f) {
		f.Add(fw.raw)
	}
	mb := corpusMailbox()
	mb.InternalDomains, mb.Username = []string{companyDomain}, "sales@"+companyDomain
	co := mb.company([]string{managerOther})
	f.Fuzz(func(t *testing.T, raw []byte) {
		ev := parse(raw, mb, dedupe.Normalizer{Region: "RU"}, time.Now(), envelope{}, co)
		in := ev.Touch
		if co.has(fromOf(raw)) && in.Ignore == "" && in.Mail.ForwardedBy == "" && !mb.isFormSender(fromOf(raw)) {
			t.Errorf("a letter from the company's own people became a touch that is no forward")
		}
		if in.Mail.ForwardedBy != "" && in.Ignore == "" {
			// A forward landing as a client's touch names a client, and
			// never one of the company's own.
			if len(in.Emails)+len(in.Phones) == 0 {
				t.Errorf("a forward kept with no e-mail or phone of the client")
			}
			for _, e := range in.Emails {
				if co.has(e) {
					t.Errorf("a forward names the company's own %s as the client", e)
				}
			}
		}
		if !utf8.ValidString(in.Text) || !utf8.ValidString(in.Name) || !utf8.ValidString(in.Mail.Subject) {
			t.Errorf("invalid UTF-8 kept: %q %q %q", in.Text, in.Name, in.Mail.Subject)
		}
		if n := utf8.RuneCountInString(in.Text); n > maxText+10 {
			t.Errorf("text of %d characters", n)
		}
		if err := ev.Check(); err != nil {
			t.Errorf("the inbox would refuse the letter's event (accepted must mean processable): %v", err)
		}
		if ev.ExternalID == "" || !utf8.ValidString(ev.ExternalID) || strings.ContainsRune(ev.ExternalID, 0) {
			t.Errorf("external id %q: Postgres would refuse it", ev.ExternalID)
		}
		if b, _ := json.Marshal(ev); bytes.Contains(b, []byte(`\u0000`)) {
			t.Errorf("the event has a NUL, which jsonb refuses: %s", b)
		}
	})
}

func FuzzHTMLText(f *testing.F) {
	f.Add("<p>Имя: Иван<br>Телефон: 8 912</p>")
	f.Add(`<a title="x > y">z</a><!-- c`)
	f.Add("<script>x")
	f.Fuzz(func(t *testing.T, s string) {
		out := htmlText(s)
		if utf8.ValidString(s) && !utf8.ValidString(out) {
			t.Errorf("htmlText(%q) = %q, not UTF-8", s, out)
		}
	})
}

// fromOf is the letter's sender's address as the parser reads it.
func fromOf(raw []byte) string {
	l := readLetter(raw, -1)
	if len(l.from) == 0 {
		return ""
	}
	return l.from[0].Address
}
