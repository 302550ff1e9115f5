package mail

import (
	"encoding/base64"
	"fmt"
	"html"
	"math/rand/v2"
	"mime/quotedprintable"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"

	"github.com/leadd/leadd/dedupe"
)

// legacy are the 8-bit charsets Russian and European mail declares, with
// their encoders; "x-unknown-cyr" is one no library knows.
var legacy = []struct {
	label string
	enc   encoding.Encoding // nil: unknown
}{
	{"koi8-r", charmap.KOI8R}, {"windows-1251", charmap.Windows1251}, {"cp1251", charmap.Windows1251},
	{"iso-8859-5", charmap.ISO8859_5}, {"ibm866", charmap.CodePage866}, {"koi8-u", charmap.KOI8U},
	{"iso-8859-1", charmap.ISO8859_1}, {"windows-1252", charmap.Windows1252}, {"iso-8859-15", charmap.ISO8859_15},
	{"x-mac-cyrillic", charmap.MacintoshCyrillic}, {"x-unknown-cyr", nil}, {"us-ascii", nil}, {"ISO-8859-1", charmap.ISO8859_1},
}

// vocabulary makes the texts: Russian words (ё, «», №, —), European
// ones, digits and punctuation, as people write them.
var vocabulary = strings.Fields(`Здравствуйте прошу выставить счёт на станок 6040 2 шт. ёлка Ёж щётка «Ромашка» № 17 — доставка
	в Пермь Москва ИНН 7707083893 тел. +7 (912) 345-67-89 с уважением Иван Пётр Café crème naïve façade Größe Straße €100 ½
	déjà-vu über Ærø Ünal señor`)

// sentence is a text of 1-14 words from the vocabulary.
func sentence(r *rand.Rand) string {
	n := 1 + r.IntN(14)
	words := make([]string, n)
	for i := range words {
		words[i] = vocabulary[r.IntN(len(vocabulary))]
	}
	return strings.Join(words, " ")
}

// labelled is a letter whose subject, sender's name and text (plain, or
// HTML) are text's bytes, declared as charset cs and sent with cte.
func labelled(text string, b []byte, cs, cte string, htmlPart bool) []byte {
	var out strings.Builder
	word := "=?" + cs + "?B?" + base64.StdEncoding.EncodeToString(b) + "?="
	if cte == "quoted-printable" {
		var q strings.Builder
		for _, c := range b {
			fmt.Fprintf(&q, "=%02X", c)
		}
		word = "=?" + cs + "?Q?" + q.String() + "?="
	}
	fmt.Fprintf(&out, "From: %s <ivan@client.example>\r\nSubject: %s\r\nMessage-ID: <cs@x>\r\nMIME-Version: 1.0\r\n", word, word)
	ct := "text/plain"
	body := b
	if htmlPart {
		ct = "text/html"
		body = append(append([]byte("<html><body><p>"), []byte(html.EscapeString(string(b)))...), []byte("</p></body></html>")...)
	}
	fmt.Fprintf(&out, "Content-Type: %s; charset=%s\r\nContent-Transfer-Encoding: %s\r\n\r\n", ct, cs, cte)
	switch cte {
	case "base64":
		out.WriteString(base64.StdEncoding.EncodeToString(body) + "\r\n")
	case "quoted-printable":
		w := quotedprintable.NewWriter(&out)
		w.Write(body)
		w.Close()
		out.WriteString("\r\n")
	default:
		out.Write(body)
		out.WriteString("\r\n")
	}
	return []byte(out.String())
}

// checkRead checks that the letter's subject, sender and text read text.
func checkRead(t *testing.T, raw []byte, text, what string) {
	t.Helper()
	in := Parse(raw, &Mailbox{Name: "sales", MaxAttachment: 1024}, dedupe.Normalizer{Region: "RU"}, time.Now()).Touch
	if in.Mail.Subject != text {
		t.Fatalf("%s: subject %q, want %q", what, in.Mail.Subject, text)
	}
	if !strings.HasPrefix(in.Mail.From, text+" <") {
		t.Fatalf("%s: from %q, want %q <…>", what, in.Mail.From, text)
	}
	if in.Text != text+"\n\n"+text {
		t.Fatalf("%s: text %q, want %q twice", what, in.Text, text)
	}
}

// Text declared in a legacy charset whose bytes are UTF-8 is read as
// UTF-8: every charset × random texts × transfer encodings × plain and
// HTML, in the body, the subject and the sender's name.
func TestUTF8DeclaredAsALegacyCharsetIsReadAsUTF8(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 2026))
	for _, cs := range legacy {
		for i := 0; i < 60; i++ {
			text := sentence(r)
			for _, cte := range []string{"8bit", "quoted-printable", "base64"} {
				for _, h := range []bool{false, true} {
					what := fmt.Sprintf("UTF-8 declared %s, %s, html=%v", cs.label, cte, h)
					checkRead(t, labelled(text, []byte(text), cs.label, cte, h), text, what)
				}
			}
		}
	}
}

// The other half: text truly in a legacy charset is still converted as
// declared (the UTF-8 rule must not misread it), for every text the
// charset can hold.
func TestTextTrulyInALegacyCharsetIsConvertedAsDeclared(t *testing.T) {
	r := rand.New(rand.NewPCG(18, 2026))
	for _, cs := range legacy {
		if cs.enc == nil {
			continue
		}
		tried := 0
		for i := 0; i < 400 && tried < 60; i++ {
			text := sentence(r)
			b, err := cs.enc.NewEncoder().Bytes([]byte(text))
			if err != nil {
				continue // the charset cannot hold this text
			}
			tried++
			for _, cte := range []string{"8bit", "quoted-printable", "base64"} {
				for _, h := range []bool{false, true} {
					what := fmt.Sprintf("%s text declared %s, html=%v", cs.label, cte, h)
					checkRead(t, labelled(text, b, cs.label, cte, h), text, what)
				}
			}
		}
		if tried < 10 {
			t.Errorf("%s: only %d texts could be encoded; the vocabulary misses it", cs.label, tried)
		}
	}
}

func TestLooksUTF8(t *testing.T) {
	for _, tc := range []struct {
		b     string
		whole bool
		want  bool
	}{
		{"ascii only", true, false},
		{"Привет", true, true},
		{"\xcf\xf0\xe8\xe2\xe5\xf2", true, false}, // Windows-1251
		{"Привет"[:5], false, true},               // cut inside a character at the limit
		{"Привет"[:5], true, false},
	} {
		if got := looksUTF8([]byte(tc.b), tc.whole); got != tc.want {
			t.Errorf("looksUTF8(%q, %v) = %v", tc.b, tc.whole, got)
		}
	}
	if got := fixUTF8([]byte("Привет"), "koi8-r"); got != "Привет" || !utf8.ValidString(got) {
		t.Errorf("fixUTF8 misreads UTF-8 declared koi8-r")
	}
}
