package crm

import (
	"testing"
	"unicode/utf8"
)

// Whatever a stranger sends, CleanText makes something CheckText takes,
// and CheckText never lets through what Postgres refuses.
func FuzzCleanText(f *testing.F) {
	for _, s := range []string{"", "Иван", "a\x00b", "\xff\xfe", "\xed\xa0\x80", "🦄🦄🦄", "\u0000"} {
		f.Add(s, 3)
	}
	f.Fuzz(func(t *testing.T, s string, max int) {
		if max < 0 || max > 1<<16 {
			return
		}
		out, changed := CleanText(s, max)
		if err := CheckText("f", out, max); err != nil {
			t.Fatalf("CleanText(%q, %d) = %q, refused: %v", s, max, out, err)
		}
		if !changed && out != s {
			t.Fatalf("CleanText(%q) changed it without saying so", s)
		}
		if CheckText("f", s, max) == nil && (!utf8.ValidString(s) || changed) {
			t.Fatalf("CheckText took %q, which CleanText had to change", s)
		}
	})
}

// A touch, whatever its texts, is storable after Clean.
func FuzzInboundClean(f *testing.F) {
	f.Add("Иван", "a\x00b", "x@example.ru", "k", "\xff")
	f.Fuzz(func(t *testing.T, name, text, email, key, value string) {
		in := Inbound{Name: name, Text: text, Emails: []string{email}, Fields: map[string]string{key: value},
			Call: &CallInfo{ID: value}, Mail: &MailInfo{MessageID: text, References: []string{key}}}
		in.Clean()
		if err := in.Check(); err != nil {
			t.Fatalf("after Clean: %v", err)
		}
	})
}
