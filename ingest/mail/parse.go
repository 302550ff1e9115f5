package mail

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"mime"
	netmail "net/mail"
	"net/textproto"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/charset"
	gomail "github.com/emersion/go-message/mail"

	"github.com/leadd/leadd/crm"
)

// Limits that keep one letter from filling the inbox.
const (
	maxText     = 20000    // characters of subject and body kept in the touch
	maxPartText = 2 << 20  // bytes of one text part read
	maxKept     = 16 << 20 // bytes of attachment content kept of one letter
)

// letter is what a letter says, read from its bytes.
type letter struct {
	header      gomail.Header
	messageID   string // without angle brackets; "" when it has none
	inReplyTo   []string
	references  []string
	subject     string
	from        []*gomail.Address
	fromText    string // the From header decoded, as written
	replyTo     []*gomail.Address
	date        time.Time
	contentType string // of the whole letter
	reportType  string // of a multipart/report
	body        string // text/plain, or the HTML made text
	attachments []crm.Attachment
	attached    *letter // the first message/rfc822 part: a letter forwarded whole
	problem     string  // why the letter could not be read in full
}

// maxAttached is how much of a letter attached whole is read as a letter.
const maxAttached = 8 << 20

// readLetter reads a letter. It never fails: what it cannot read is noted
// in problem and the rest is kept, so one broken letter never stops a
// mailbox.
func readLetter(raw []byte, maxAttachment int64) *letter {
	return readLetterDepth(raw, maxAttachment, 0)
}

// readLetterDepth reads a letter found depth letters deep: only the outer
// letter's first attached letter is read as one.
func readLetterDepth(raw []byte, maxAttachment int64, depth int) *letter {
	l := &letter{}
	ent, err := message.Read(bytes.NewReader(raw))
	if ent == nil {
		// A header line that is not "Key: value" stops the reader; drop
		// such lines and read again.
		ent, err = message.Read(bytes.NewReader(cleanHeader(raw)))
	}
	if ent == nil {
		l.problem = "unreadable header: " + err.Error()
		l.body = fixUTF8(raw, "")
		return l
	}
	rootErr := err
	l.header = gomail.Header{Header: ent.Header}
	l.readHeader()
	l.contentType, _ = contentType(ent.Header)
	if l.contentType == "multipart/report" {
		_, params := contentType(ent.Header)
		l.reportType = strings.ToLower(params["report-type"])
	}

	var plain, htmls []string
	var kept int64
	containers := map[string]string{}
	walkErr := ent.Walk(func(path []int, e *message.Entity, err error) error {
		if len(path) == 0 && err == nil {
			err = rootErr
		}
		ct, params := contentType(e.Header)
		if strings.HasPrefix(ct, "multipart/") {
			containers[pathKey(path)] = ct
			return nil
		}
		parent := ""
		if len(path) > 0 {
			parent = containers[pathKey(path[:len(path)-1])]
		}
		disp, _, _ := e.Header.ContentDisposition()
		disp = strings.ToLower(disp)
		ah := gomail.AttachmentHeader{Header: e.Header}
		name, _ := ah.Filename()
		name = fixUTF8([]byte(name), "")
		switch {
		case disp != "attachment" && name == "" && (ct == "text/plain" || ct == "text/html"):
			text := l.readText(e, ct, params, err)
			if ct == "text/html" {
				htmls = append(htmls, htmlText(text))
			} else {
				plain = append(plain, text)
			}
		case disp != "attachment" && parent == "multipart/related" && strings.HasPrefix(ct, "image/"):
			// A picture of the HTML body (a logo in a signature), not a
			// file someone sent.
		default:
			if ct == "message/rfc822" && name == "" {
				name = "message.eml"
			}
			body := io.Reader(e.Body)
			if ct == "message/rfc822" && depth == 0 && l.attached == nil {
				inner, _ := io.ReadAll(io.LimitReader(e.Body, maxAttached))
				l.attached = readLetterDepth(inner, -1, depth+1)
				body = io.MultiReader(bytes.NewReader(inner), e.Body)
			}
			a := readAttachment(body, name, ct, maxAttachment)
			if kept+int64(len(a.Content)) > maxKept {
				a.Content = nil // recorded, but the letter has given enough
			}
			kept += int64(len(a.Content))
			l.attachments = append(l.attachments, a)
		}
		return nil
	})
	if walkErr != nil {
		l.note("the letter's structure is broken (" + walkErr.Error() + "); read what came before it")
	}
	l.body = joinNonEmpty(plain)
	if l.body == "" {
		l.body = joinNonEmpty(htmls)
	}
	return l
}

func (l *letter) note(problem string) {
	if l.problem == "" {
		l.problem = problem
	}
}

// readHeader reads the fields a touch needs, leniently: a malformed field
// gives what can be made of it.
func (l *letter) readHeader() {
	h := l.header
	if id, err := h.MessageID(); err == nil && id != "" {
		l.messageID = clean(id)
	} else {
		l.messageID = clean(strings.Trim(strings.TrimSpace(h.Get("Message-Id")), "<>"))
	}
	l.inReplyTo = msgIDs(h, "In-Reply-To")
	l.references = msgIDs(h, "References")
	l.subject = oneLine(fixUTF8([]byte(decodeWords(h.Get("Subject"))), ""))
	l.from = addresses(h, "From")
	l.fromText = oneLine(fixUTF8([]byte(decodeWords(h.Get("From"))), ""))
	l.replyTo = addresses(h, "Reply-To")
	if d, err := h.Date(); err == nil {
		l.date = d
	}
}

var msgIDRe = regexp.MustCompile(`<([^<>\s]+)>`)

func msgIDs(h gomail.Header, key string) []string {
	ids, err := h.MsgIDList(key)
	if err != nil {
		ids = ids[:0]
		for _, m := range msgIDRe.FindAllStringSubmatch(h.Get(key), -1) {
			ids = append(ids, m[1])
		}
	}
	for i := range ids {
		ids[i] = clean(ids[i])
	}
	return ids
}

var addrRe = regexp.MustCompile(`[^\s<>"'(),;:]+@[^\s<>"'(),;:]+\.[^\s<>"'(),;:]+`)

// addresses parses an address field; one that does not parse (an
// unquoted dot in a name, a raw 8-bit name) still gives its addresses.
func addresses(h gomail.Header, key string) []*gomail.Address {
	raw := h.Get(key)
	if raw == "" {
		return nil
	}
	if parsed, err := (&netmail.AddressParser{WordDecoder: wordDecoder}).ParseList(relabel(raw)); err == nil {
		list := make([]*gomail.Address, 0, len(parsed))
		for _, a := range parsed {
			list = append(list, &gomail.Address{Name: fixUTF8([]byte(a.Name), ""), Address: clean(a.Address)})
		}
		return list
	}
	text := fixUTF8([]byte(decodeWords(raw)), "")
	var list []*gomail.Address
	for _, a := range addrRe.FindAllString(text, -1) {
		name := ""
		if i := strings.Index(text, "<"+a); i > 0 && len(list) == 0 {
			name = strings.Trim(strings.TrimSpace(text[:i]), `"' `)
			if strings.Contains(name, "=?") {
				name = "" // an encoded word in a charset nobody knows
			}
		}
		list = append(list, &gomail.Address{Name: name, Address: a})
	}
	return list
}

// readText reads a text part as UTF-8, whatever charset it was written in.
func (l *letter) readText(e *message.Entity, ct string, params map[string]string, partErr error) string {
	b, err := io.ReadAll(io.LimitReader(e.Body, maxPartText))
	if err != nil {
		l.note("a text part is damaged (" + err.Error() + "); kept what could be read")
	}
	// go-message has converted the charset when it could read the
	// Content-Type and knew the charset; otherwise it is done here.
	libCT, libParams, libErr := e.Header.ContentType()
	converted := libErr == nil && strings.HasPrefix(libCT, "text/") && libParams["charset"] != "" &&
		!message.IsUnknownCharset(partErr)
	cs := ""
	if !converted {
		cs = params["charset"]
	}
	return fixUTF8(b, cs)
}

// readAttachment records a file: its whole size, and its content when it
// is no larger than limit.
func readAttachment(r io.Reader, name, ct string, limit int64) crm.Attachment {
	a := crm.Attachment{Name: name, Type: ct}
	if limit < 0 {
		n, _ := io.Copy(io.Discard, r)
		a.Size = n
		return a
	}
	var buf bytes.Buffer
	n, _ := io.Copy(&buf, io.LimitReader(r, limit+1))
	rest, _ := io.Copy(io.Discard, r)
	a.Size = n + rest
	if a.Size <= limit {
		a.Content = buf.Bytes()
	}
	return a
}

// contentType is the part's media type, lower-cased ("text/plain" when
// absent), and its parameters; a malformed header still gives the type
// and the charset.
func contentType(h message.Header) (string, map[string]string) {
	v := h.Get("Content-Type")
	if v == "" {
		return "text/plain", map[string]string{}
	}
	t, params, err := mime.ParseMediaType(v)
	if err == nil {
		return strings.ToLower(t), params
	}
	t, rest, _ := strings.Cut(v, ";")
	params = map[string]string{}
	for _, p := range strings.Split(rest, ";") {
		k, val, ok := strings.Cut(p, "=")
		if ok {
			params[strings.ToLower(strings.TrimSpace(k))] = strings.Trim(strings.TrimSpace(val), `"'`)
		}
	}
	t = strings.ToLower(strings.TrimSpace(t))
	if t == "" || !strings.Contains(t, "/") {
		t = "text/plain"
	}
	return t, params
}

// fixUTF8 returns b as valid UTF-8: as it is when it is UTF-8 text;
// converted from charset cs when given and known; otherwise, when b is not UTF-8, read as the Cyrillic 8-bit
// charset it looks like (letters with no charset declared, or a wrong
// one, are common in Russian mail).
func fixUTF8(b []byte, cs string) string {
	return clean(toUTF8(b, cs))
}

func toUTF8(b []byte, cs string) string {
	cs = strings.ToLower(strings.TrimSpace(cs))
	// Valid UTF-8 is UTF-8 whatever the letter declares (see charset.go).
	if !declaredUTF8(cs) && !looksUTF8(b, true) {
		if r, err := charset.Reader(cs, bytes.NewReader(b)); err == nil {
			if out, err := io.ReadAll(r); err == nil {
				return string(out)
			}
		}
	}
	if utf8.Valid(b) {
		return string(b)
	}
	if r, err := charset.Reader(guessCyrillic(b), bytes.NewReader(b)); err == nil {
		if out, err := io.ReadAll(r); err == nil && utf8.Valid(out) {
			return string(out)
		}
	}
	return string(b)
}

// clean makes s storable: valid UTF-8 and no NUL, which Postgres refuses
// in text and jsonb alike (one such letter must not stop a mailbox).
func clean(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if strings.IndexByte(s, 0) >= 0 {
		s = strings.ReplaceAll(s, "\x00", "")
	}
	return s
}

// guessCyrillic tells Windows-1251 from KOI8-R by case: running text is
// mostly small letters, which are 0xE0-0xFF in Windows-1251 and
// 0xC0-0xDF in KOI8-R.
func guessCyrillic(b []byte) string {
	hi, lo := 0, 0
	for _, c := range b {
		switch {
		case c >= 0xE0:
			hi++
		case c >= 0xC0:
			lo++
		}
	}
	if lo > hi {
		return "koi8-r"
	}
	return "windows-1251"
}

// cleanHeader drops the header lines that are neither "Key: value" nor a
// continuation, and keeps the body as it is.
func cleanHeader(raw []byte) []byte {
	head, body, sep := raw, []byte(nil), []byte(nil)
	for _, s := range [][]byte{[]byte("\r\n\r\n"), []byte("\n\n")} {
		if i := bytes.Index(raw, s); i >= 0 {
			head, sep, body = raw[:i], s, raw[i+len(s):]
			break
		}
	}
	var out bytes.Buffer
	for _, line := range bytes.Split(head, []byte("\n")) {
		line = bytes.TrimRight(line, "\r")
		colon := bytes.IndexByte(line, ':')
		valid := len(line) > 0 && (line[0] == ' ' || line[0] == '\t' ||
			colon > 0 && bytes.IndexAny(line[:colon], " \t") < 0)
		if valid {
			out.Write(line)
			out.WriteString("\r\n")
		}
	}
	out.WriteString("\r\n")
	if sep == nil {
		return out.Bytes()
	}
	out.Write(body)
	return out.Bytes()
}

// headersJSON is the letter's header as received: each field's raw values
// by canonical name, in the order they came.
func headersJSON(h gomail.Header) map[string][]string {
	out := map[string][]string{}
	fields := h.Fields()
	for fields.Next() {
		k := clean(textproto.CanonicalMIMEHeaderKey(fields.Key()))
		out[k] = append(out[k], clean(fields.Value()))
	}
	return out
}

// rawLetter is the Raw of a letter's event.
type rawLetter struct {
	Folder      string              `json:"folder,omitempty"`
	UIDValidity uint32              `json:"uid_validity,omitempty"`
	UID         uint32              `json:"uid,omitempty"`
	Size        int                 `json:"size"`
	Problem     string              `json:"problem,omitempty"`
	Headers     map[string][]string `json:"headers"`
}

func (l *letter) raw(size int, env envelope) json.RawMessage {
	b, err := json.Marshal(rawLetter{Folder: env.folder, UIDValidity: env.uidValidity, UID: env.uid,
		Size: size, Problem: l.problem, Headers: headersJSON(l.header)})
	if err != nil {
		return nil
	}
	return b
}

// externalID keys the letter in the inbox: its Message-ID, or a hash of
// the letter when it has none (or one too long to be a key).
func externalID(messageID string, raw []byte) string {
	if messageID != "" && len(messageID) <= 255 {
		return messageID
	}
	if messageID != "" {
		raw = []byte(messageID)
	}
	sum := sha256.Sum256(raw)
	return "sha256:" + hex.EncodeToString(sum[:])
}

func pathKey(path []int) string {
	var b strings.Builder
	for _, p := range path {
		b.WriteString(strconv.Itoa(p))
		b.WriteByte('.')
	}
	return b.String()
}

func joinNonEmpty(parts []string) string {
	var keep []string
	for _, p := range parts {
		if p = tidy(p); p != "" {
			keep = append(keep, p)
		}
	}
	return strings.Join(keep, "\n\n")
}

// tidy normalizes line ends, trims each line's end and keeps at most one
// blank line in a row.
func tidy(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	lines := strings.Split(s, "\n")
	out := lines[:0]
	blank := 0
	for _, line := range lines {
		line = strings.TrimRightFunc(line, unicode.IsSpace)
		if line == "" {
			blank++
			if blank > 1 {
				continue
			}
		} else {
			blank = 0
		}
		out = append(out, line)
	}
	return strings.TrimSpace(strings.Join(out, "\n"))
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// cut shortens s to n characters, marking the cut.
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return strings.TrimRightFunc(string(r[:n]), unicode.IsSpace) + "\n[…]"
}
