package httperr

import (
	"log/slog"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/leadd/leadd/crm"
)

// Guard puts the one error envelope in front of a mux: a request whose
// path, query or headers carry a NUL or another control character, or are
// not UTF-8, is refused as malformed (naming what) before any handler
// reads it — nothing downstream can then fail on it; and a route the mux
// does not have (404) or a method it does not serve there (405, with
// Allow) answers in the envelope too.
//
// Machines post to the hooks (a PBX, a payment service, Telegram) and
// cannot send again differently: a PBX that writes a caller's name in
// Latin-1 into a header of its own would have every call refused. There
// header values are cleaned instead (see MachineHook); the path and the
// query are still refused, and so are the headers of website forms, which
// a person's browser posts.
func Guard(mux *http.ServeMux, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if MachineHook(r.URL.Path) {
			CleanHeaders(r.Header)
		}
		if err := Hostile(r); err != nil {
			Write(w, r, log, err)
			return
		}
		h, pattern := mux.Handler(r)
		if pattern != "" {
			mux.ServeHTTP(w, r)
			return
		}
		// No route: ask the mux what it would say (404, 405 with Allow,
		// or a redirect to the cleaned path) and say it in the envelope.
		rec := &recorder{header: http.Header{}, code: http.StatusOK}
		h.ServeHTTP(rec, r)
		switch rec.code {
		case http.StatusNotFound:
			Write(w, r, log, crm.Errorf(crm.ENOTFOUND, "no route %s %s", r.Method, printable(r.URL.Path)))
		case http.StatusMethodNotAllowed:
			if allow := rec.header.Get("Allow"); allow != "" {
				w.Header().Set("Allow", allow)
			}
			Write(w, r, log, crm.Errorf(crm.EMETHOD, "%s is not served at %s; allowed: %s", r.Method, printable(r.URL.Path), rec.header.Get("Allow")))
		default:
			for k, v := range rec.header {
				w.Header()[k] = v
			}
			w.WriteHeader(rec.code)
			_, _ = w.Write(rec.body)
		}
	})
}

// recorder keeps what the mux would answer for a request it has no route
// for: a few bytes of text.
type recorder struct {
	header http.Header
	code   int
	body   []byte
}

func (r *recorder) Header() http.Header  { return r.header }
func (r *recorder) WriteHeader(code int) { r.code = code }
func (r *recorder) Write(b []byte) (int, error) {
	r.body = append(r.body, b...)
	return len(b), nil
}

// MachineHook reports whether path is a hook machines post to: every
// /hooks/ route but the website forms.
func MachineHook(path string) bool {
	return strings.HasPrefix(path, "/hooks/") && !strings.HasPrefix(path, "/hooks/forms/")
}

// CleanHeaders makes every header value storable and printable: bytes
// that are not UTF-8 become U+FFFD and control characters other than tab
// are dropped (the HTTP server has refused most of them already).
func CleanHeaders(h http.Header) {
	for k, vs := range h {
		for i, v := range vs {
			if bad(strings.ReplaceAll(v, "\t", " ")) {
				vs[i] = strings.Map(func(c rune) rune {
					if (c < 0x20 && c != '\t') || c == 0x7f {
						return -1
					}
					return c
				}, strings.ToValidUTF8(v, "\uFFFD"))
			}
		}
		h[k] = vs
	}
}

// Hostile returns a malformed error when the request's path, a query
// parameter or a header holds a control character or is not UTF-8.
func Hostile(r *http.Request) error {
	if bad(r.URL.Path) {
		return crm.FieldErrorf(crm.EMALFORMED, "path", "the path holds a control character or is not UTF-8")
	}
	for k, vs := range r.URL.Query() {
		if bad(k) {
			return crm.FieldErrorf(crm.EMALFORMED, "query", "a query parameter's name holds a control character or is not UTF-8")
		}
		for _, v := range vs {
			if bad(v) {
				return crm.FieldErrorf(crm.EMALFORMED, printable(k), "the query parameter holds a control character or is not UTF-8")
			}
		}
	}
	for k, vs := range r.Header {
		for _, v := range vs {
			if bad(strings.ReplaceAll(v, "\t", " ")) {
				return crm.FieldErrorf(crm.EMALFORMED, printable(k), "the header holds a control character or is not UTF-8")
			}
		}
	}
	return nil
}

// bad reports a string no handler should have to store or look up.
func bad(s string) bool {
	if !utf8.ValidString(s) {
		return true
	}
	for _, c := range s {
		if c < 0x20 || c == 0x7f {
			return true
		}
	}
	return false
}

// printable is s safe to put in a message.
func printable(s string) string {
	s = strings.ToValidUTF8(s, "�")
	return strings.Map(func(c rune) rune {
		if c < 0x20 || c == 0x7f {
			return '�'
		}
		return c
	}, s)
}
