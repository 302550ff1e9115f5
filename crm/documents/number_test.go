package documents

import (
	"errors"
	"strings"
	"testing"

	"github.com/leadd/leadd/crm"
)

func TestNumberFormat(t *testing.T) {
	tests := []struct {
		pattern, typ string
		year, seq    int
		want         string
	}{
		{"{type}-{year}-{seq:05}", "СЧ", 2026, 42, "СЧ-2026-00042"},
		{"{type}-{year}-{seq:05}", "АКТ", 2026, 1, "АКТ-2026-00001"},
		{"{type}-{year}-{seq:05}", "СЧ", 2026, 123456, "СЧ-2026-123456"}, // never cut
		{"{seq}", "СЧ", 2026, 7, "7"},
		{"{yy}/{seq:3}", "СЧ", 2026, 7, "26/{seq:3}"}, // not a placeholder: left as written
		{"{yy}/{seq:03}", "СЧ", 2026, 7, "26/007"},
		{"{yy}/{seq:03}", "СЧ", 2005, 7, "05/007"},
		{"№ {seq} от {year}", "", 2026, 15, "№ 15 от 2026"},
		{"{unknown}-{seq}", "СЧ", 2026, 3, "{unknown}-3"},
		{"{type}-{seq", "СЧ", 2026, 3, "СЧ-{seq"},
		{"", "СЧ", 2026, 3, ""},
	}
	for _, tt := range tests {
		if got := NumberFormat(tt.pattern, tt.typ, tt.year, tt.seq); got != tt.want {
			t.Errorf("NumberFormat(%q, %q, %d, %d) = %q, want %q", tt.pattern, tt.typ, tt.year, tt.seq, got, tt.want)
		}
	}
}

func TestCheckNumberPattern(t *testing.T) {
	tests := []struct {
		pattern string
		says    string // "" when the pattern is fine
	}{
		{"{type}-{year}-{seq:05}", ""},
		{"{seq}", ""},
		{"{yy}/{seq:09}", ""},
		{"{type}-{year}", "must contain {seq}"},
		{"{type}-{seq:5}", "unknown placeholder {seq:5}"},
		{"{type}-{seq:010}", "unknown placeholder {seq:010}"},
		{"{type}-{Year}-{seq}", "unknown placeholder {Year}"},
		{"{type}-{seq", "without its \"}\""},
		{"type}-{seq}", "without its \"{\""},
	}
	for _, tt := range tests {
		err := CheckNumberPattern("documents.invoice.number", tt.pattern)
		if tt.says == "" {
			if err != nil {
				t.Errorf("%q: %v", tt.pattern, err)
			}
			continue
		}
		var e *crm.Error
		if !errors.As(err, &e) || e.Code != crm.EINVALID || e.Field != "documents.invoice.number" || !strings.Contains(e.Message, tt.says) {
			t.Errorf("%q: got %v, want invalid documents.invoice.number saying %q", tt.pattern, err, tt.says)
		}
	}
}
