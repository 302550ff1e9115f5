package documents

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/leadd/leadd/crm"
)

// A numbering pattern is literal text with placeholders in braces:
//
//	{type}    the document type's prefix as given, e.g. "СЧ"
//	{year}    the year, four digits: 2026
//	{yy}      the year's last two digits: 26
//	{seq}     the sequence number as is: 42
//	{seq:0N}  the sequence number zero-padded to N digits (N 1–9):
//	          {seq:05} gives 00042; a longer number is never cut
//
// "{type}-{year}-{seq:05}" numbers the 42nd invoice of 2026 "СЧ-2026-00042".
// Anything else in braces is left as written; CheckNumberPattern refuses it.

// NumberFormat returns the document number pattern gives for this type,
// year and sequence number.
func NumberFormat(pattern string, typ string, year, seq int) string {
	var b strings.Builder
	for {
		open := strings.IndexByte(pattern, '{')
		if open < 0 {
			break
		}
		end := strings.IndexByte(pattern[open:], '}')
		if end < 0 {
			break
		}
		b.WriteString(pattern[:open])
		ph := pattern[open : open+end+1]
		if v, ok := placeholder(ph[1:len(ph)-1], typ, year, seq); ok {
			b.WriteString(v)
		} else {
			b.WriteString(ph)
		}
		pattern = pattern[open+end+1:]
	}
	b.WriteString(pattern)
	return b.String()
}

func placeholder(name, typ string, year, seq int) (string, bool) {
	switch name {
	case "type":
		return typ, true
	case "year":
		return fmt.Sprintf("%04d", year), true
	case "yy":
		return fmt.Sprintf("%02d", year%100), true
	case "seq":
		return strconv.Itoa(seq), true
	}
	if w, ok := strings.CutPrefix(name, "seq:0"); ok && len(w) == 1 && w[0] >= '1' && w[0] <= '9' {
		return fmt.Sprintf("%0*d", int(w[0]-'0'), seq), true
	}
	return "", false
}

// CheckNumberPattern reports whether pattern numbers documents uniquely:
// it must hold {seq} or {seq:0N} and no unknown placeholder or stray
// brace. Errors: EINVALID naming field (the configuration key).
func CheckNumberPattern(field, pattern string) error {
	hasSeq := false
	rest := pattern
	for {
		open := strings.IndexAny(rest, "{}")
		if open < 0 {
			break
		}
		if rest[open] == '}' {
			return crm.Invalid(field, "a \"}\" without its \"{\" in %q", pattern)
		}
		end := strings.IndexByte(rest[open:], '}')
		if end < 0 {
			return crm.Invalid(field, "a \"{\" without its \"}\" in %q", pattern)
		}
		name := rest[open+1 : open+end]
		if _, ok := placeholder(name, "", 0, 0); !ok {
			return crm.Invalid(field, "unknown placeholder {%s}: use {type}, {year}, {yy}, {seq} or {seq:05}", name)
		}
		hasSeq = hasSeq || strings.HasPrefix(name, "seq")
		rest = rest[open+end+1:]
	}
	if !hasSeq {
		return crm.Invalid(field, "must contain {seq} or {seq:05}, or two documents would share a number")
	}
	return nil
}
