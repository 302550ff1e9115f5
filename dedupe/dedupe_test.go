package dedupe

import (
	"slices"
	"testing"
)

func TestPhoneNormalizesRealFormats(t *testing.T) {
	n := Normalizer{Region: "RU"}
	tests := []struct {
		raw  string
		want string // "" means not a valid number
	}{
		// One Russian mobile written the ways people write it.
		{"8 (912) 345-67-89", "+79123456789"},
		{"+7 912 345 67 89", "+79123456789"},
		{"89123456789", "+79123456789"},
		{"9123456789", "+79123456789"},
		{"+7(912)345-67-89", "+79123456789"},
		{"8-912-345-67-89", "+79123456789"},
		{"007 912 345 67 89", "+79123456789"},
		{"  +7 912 345 67 89  ", "+79123456789"},
		// Moscow and St Petersburg landlines.
		{"8 (495) 123-45-67", "+74951234567"},
		{"+7 812 123 45 67", "+78121234567"},
		// Neighbours and the rest of the world, written internationally.
		{"+375 29 123 45 67", "+375291234567"},
		{"+380 50 123 4567", "+380501234567"},
		{"+7 701 123 4567", "+77011234567"}, // Kazakhstan shares +7
		{"+49 30 901820", "+4930901820"},
		{"+1 (415) 555-2671", "+14155552671"},
		{"+44 20 7946 0958", "+442079460958"},
		// Not numbers: kept as typed by the caller, never fixed.
		{"12345", ""},
		{"+7 912 345", ""},
		{"8 (000) 000-00-00", ""},
		{"call me", ""},
		{"", ""},
	}
	for _, tt := range tests {
		got, ok := n.Phone(tt.raw)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("Phone(%q) = %q, %v; want %q", tt.raw, got, ok, tt.want)
		}
	}
}

func TestPhonesSplitsListsAndKeepsInvalidAsTyped(t *testing.T) {
	n := Normalizer{Region: "RU"}
	valid, invalid := n.Phones("8 912 345-67-89, +7 (495) 123-45-67; 12-34")
	if !slices.Equal(valid, []string{"+79123456789", "+74951234567"}) {
		t.Errorf("valid = %v", valid)
	}
	if !slices.Equal(invalid, []string{"12-34"}) {
		t.Errorf("invalid = %v", invalid)
	}
	valid, invalid = n.Phones("89123456789; 8 912 345 67 89")
	if !slices.Equal(valid, []string{"+79123456789"}) || invalid != nil {
		t.Errorf("the same number twice = %v, %v", valid, invalid)
	}
	valid, invalid = n.Phones("555-01")
	if valid != nil || !slices.Equal(invalid, []string{"555-01"}) {
		t.Errorf("a short number = %v, %v", valid, invalid)
	}
}

func TestEmail(t *testing.T) {
	tests := []struct{ raw, want string }{
		{"ivan@example.ru", "ivan@example.ru"},
		{"  Ivan.Petrov@Example.RU ", "ivan.petrov@example.ru"},
		{"Иван <IVAN@mail.ru>", "ivan@mail.ru"},
		{"sales+form@company.com", "sales+form@company.com"},
		{"ivan@localhost", ""},
		{"ivan.example.ru", ""},
		{"ivan@", ""},
		{"@example.ru", ""},
		{"", ""},
	}
	for _, tt := range tests {
		got, ok := Email(tt.raw)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("Email(%q) = %q, %v; want %q", tt.raw, got, ok, tt.want)
		}
	}
	if got := Emails("a@b.ru, A@B.RU; c@d.com"); !slices.Equal(got, []string{"a@b.ru", "c@d.com"}) {
		t.Errorf("Emails = %v", got)
	}
}

func TestName(t *testing.T) {
	if got := Name("  Иван \t Петров  "); got != "Иван Петров" {
		t.Errorf("Name = %q", got)
	}
}
