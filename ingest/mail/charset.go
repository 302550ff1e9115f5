package mail

import (
	"bytes"
	"io"
	"mime"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/charset"
)

// A letter's declared charset is often wrong: a form builder, a CRM or a
// script writes UTF-8 and labels it koi8-r, windows-1251 or iso-8859-1
// (a template copied from somewhere else). Converting such bytes "as
// declared" stores mojibake («Ð—Ð°Ð¿Ñ€Ð¾Ñ»). Text that is valid UTF-8 with
// non-ASCII bytes is almost never a legacy 8-bit text: in Windows-1251,
// KOI8-R or Latin-1 a letter byte (0xC0-0xFF) is followed by another
// letter or a space, not by the 0x80-0xBF a UTF-8 sequence needs. So such
// text is read as UTF-8 whatever it declares; anything else is converted
// as declared.
//
// go-message converts every text part and encoded word through
// message.CharsetReader, which is how it is meant to be configured; the
// mail adapter is the only reader of letters in the process.
func init() {
	message.CharsetReader = preferUTF8Reader
}

// sniffLimit is how much of a text is looked at to tell UTF-8; a longer
// text is judged by its beginning.
const sniffLimit = 1 << 20

// preferUTF8Reader returns input unchanged when it is UTF-8 with
// non-ASCII text, and a reader converting it from cs otherwise. A charset
// nobody knows is an error before anything is read: go-message then
// keeps the part's bytes as they are, and readText reads them.
func preferUTF8Reader(cs string, input io.Reader) (io.Reader, error) {
	if _, err := charset.Reader(cs, bytes.NewReader(nil)); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	_, err := io.CopyN(&buf, input, sniffLimit)
	whole := err == io.EOF
	if err != nil && !whole {
		return nil, err
	}
	head := buf.Bytes()
	r := io.MultiReader(bytes.NewReader(head), input)
	if looksUTF8(head, whole) {
		return r, nil
	}
	return charset.Reader(cs, r)
}

// wordDecoder decodes the encoded words of the fields a touch shows
// (Subject, From, Reply-To) by the same rule, and never fails: a word in
// a charset nobody knows gives its bytes, which fixUTF8 then reads.
var wordDecoder = &mime.WordDecoder{CharsetReader: func(cs string, input io.Reader) (io.Reader, error) {
	b, err := io.ReadAll(io.LimitReader(input, 64<<10))
	if err != nil {
		return nil, err
	}
	if looksUTF8(b, true) {
		return bytes.NewReader(b), nil
	}
	if r, err := charset.Reader(cs, bytes.NewReader(b)); err == nil {
		return r, nil
	}
	return bytes.NewReader(b), nil
}}

// builtinLabel matches the charsets Go's word decoder converts itself,
// without asking CharsetReader: relabelled, they go through the rule too.
var builtinLabel = regexp.MustCompile(`(?i)=\?(iso-8859-1|us-ascii)((?:\*[^?]*)?)\?`)

// relabel names ISO-8859-1 latin1 (WHATWG's name, which the charset
// package reads as its superset Windows-1252) and US-ASCII ascii.
func relabel(v string) string {
	if !strings.Contains(v, "=?") {
		return v
	}
	return builtinLabel.ReplaceAllStringFunc(v, func(m string) string {
		sub := builtinLabel.FindStringSubmatch(m)
		label := "latin1"
		if strings.EqualFold(sub[1], "us-ascii") {
			label = "ascii"
		}
		return "=?" + label + sub[2] + "?"
	})
}

// decodeWords decodes a field's encoded words; one that cannot be read
// is kept as written.
func decodeWords(v string) string {
	out, err := wordDecoder.DecodeHeader(relabel(v))
	if err != nil {
		return v
	}
	return out
}

func ascii(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}

// looksUTF8 reports whether b is UTF-8 text with at least one non-ASCII
// character; whole says b is the entire text (otherwise a sequence cut at
// its end is allowed).
func looksUTF8(b []byte, whole bool) bool {
	if ascii(b) {
		return false // identical in every ASCII-compatible charset; UTF-16 and the like must still convert
	}
	if !whole {
		// Drop a character cut by the limit.
		for i := 0; i < utf8.UTFMax && len(b) > 0; i++ {
			if utf8.Valid(b) {
				break
			}
			b = b[:len(b)-1]
		}
	}
	return utf8.Valid(b)
}

// declaredUTF8 reports whether cs names UTF-8 or ASCII (or nothing).
func declaredUTF8(cs string) bool {
	switch strings.ToLower(strings.TrimSpace(cs)) {
	case "", "utf-8", "utf8", "us-ascii", "ascii":
		return true
	}
	return false
}
