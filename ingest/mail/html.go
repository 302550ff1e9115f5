package mail

import (
	"html"
	"strings"
	"unicode"
	"unicode/utf8"
)

// htmlText turns an HTML letter into the text a person would read: tags
// stripped, line breaks kept where <br>, <p>, <div>, <li> and their kin
// put them, entities decoded, scripts, styles and the head dropped.
//
// It is a small tokenizer rather than a parser: letters are often not
// well-formed, and all it needs to know is where a tag begins and ends
// (quotes in attributes included) and which tags break lines.
func htmlText(s string) string {
	var w textWriter
	pre := 0
	for i := 0; i < len(s); {
		if s[i] != '<' {
			j := strings.IndexByte(s[i:], '<')
			if j < 0 {
				j = len(s) - i
			}
			w.text(html.UnescapeString(s[i:i+j]), pre > 0)
			i += j
			continue
		}
		switch {
		case strings.HasPrefix(s[i:], "<!--"):
			end := strings.Index(s[i+4:], "-->")
			if end < 0 {
				return w.String()
			}
			i += 4 + end + 3
			continue
		case strings.HasPrefix(s[i:], "<!") || strings.HasPrefix(s[i:], "<?"):
			end := strings.IndexByte(s[i:], '>')
			if end < 0 {
				return w.String()
			}
			i += end + 1
			continue
		}
		name, closing, end, ok := readTag(s, i)
		if !ok {
			// "a < b" is text.
			w.text("<", pre > 0)
			i++
			continue
		}
		i = end
		switch name {
		case "script", "style", "head", "title", "template", "xml":
			if closing {
				continue
			}
			if skip := skipTo(s, i, name); skip >= 0 {
				i = skip
			} else if name != "head" {
				// An unclosed script or style is garbage to the end.
				return w.String()
			}
		case "br":
			w.lineBreak()
		case "p", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "blockquote", "dl", "hr":
			w.block(2)
		case "div", "tr", "section", "article", "header", "footer", "address", "form", "fieldset", "center", "dt", "dd", "caption", "tbody", "thead", "tfoot", "body":
			w.block(1)
		case "li":
			w.block(1)
			if !closing {
				w.text("- ", true)
			}
		case "td", "th":
			if closing {
				w.text(" ", false)
			}
		case "pre":
			w.block(1)
			if closing {
				pre = max(pre-1, 0)
			} else {
				pre++
			}
		}
	}
	return w.String()
}

// readTag reads the tag that starts at s[i] ('<'): its lower-cased name,
// whether it closes, and where it ends. ok is false when s[i] does not
// start a tag.
func readTag(s string, i int) (name string, closing bool, end int, ok bool) {
	j := i + 1
	if j < len(s) && s[j] == '/' {
		closing = true
		j++
	}
	start := j
	for j < len(s) && (isASCIILetter(s[j]) || (j > start && (s[j] >= '0' && s[j] <= '9' || s[j] == ':' || s[j] == '-'))) {
		j++
	}
	if j == start {
		return "", false, 0, false
	}
	name = strings.ToLower(s[start:j])
	// Attributes: a '>' inside quotes does not end the tag.
	var quote byte
	for ; j < len(s); j++ {
		c := s[j]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '>':
			return name, closing, j + 1, true
		}
	}
	return name, closing, len(s), true
}

// skipTo returns the index just past </name>, searched from i, or -1.
func skipTo(s string, i int, name string) int {
	lower := strings.ToLower(s[i:])
	k := strings.Index(lower, "</"+name)
	if k < 0 {
		return -1
	}
	end := strings.IndexByte(lower[k:], '>')
	if end < 0 {
		return len(s)
	}
	return i + k + end + 1
}

func isASCIILetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// textWriter collapses white space the way a browser does and keeps the
// line breaks asked for, never more than one blank line in a row.
type textWriter struct {
	b      strings.Builder
	breaks int  // line breaks owed before the next text
	space  bool // a space owed before the next text
}

func (w *textWriter) text(t string, literal bool) {
	for len(t) > 0 {
		r, size := utf8.DecodeRuneInString(t)
		t = t[size:]
		if literal {
			if r == '\n' {
				w.lineBreak()
				continue
			}
			if r == '\r' {
				continue
			}
			if r == '\u00a0' {
				r = ' '
			}
			w.flush(false)
			w.b.WriteRune(r)
			continue
		}
		if unicode.IsSpace(r) {
			w.space = true
			continue
		}
		w.flush(true)
		w.b.WriteRune(r)
	}
}

// flush writes the line breaks or the space owed.
func (w *textWriter) flush(withSpace bool) {
	if w.breaks > 0 {
		if w.b.Len() > 0 {
			w.b.WriteString(strings.Repeat("\n", w.breaks))
		}
		w.breaks, w.space = 0, false
		return
	}
	if w.space && withSpace && w.b.Len() > 0 && !strings.HasSuffix(w.b.String(), "\n") {
		w.b.WriteByte(' ')
	}
	w.space = false
}

func (w *textWriter) lineBreak() {
	w.breaks = min(w.breaks+1, 2)
	w.space = false
}

// block ends the line (n = 1) or the paragraph (n = 2) unless already
// ended.
func (w *textWriter) block(n int) {
	w.breaks = max(w.breaks, n)
	w.space = false
}

func (w *textWriter) String() string {
	lines := strings.Split(w.b.String(), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRightFunc(l, unicode.IsSpace)
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}
