package imports

import (
	"math/rand"
	"strings"
	"testing"
)

func TestNoExportedCellIsAFormula(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"=HYPERLINK(\"http://evil\")", "'=HYPERLINK(\"http://evil\")"},
		{"+1+1", "'+1+1"},
		{"-2+3", "'-2+3"},
		{"+7 (916) 123-45-67+cmd", "'+7 (916) 123-45-67+cmd"},
		{"@SUM(A1:A9)", "'@SUM(A1:A9)"},
		{"\t=1+1", "'\t=1+1"},
		{"\r=1+1", "'\r=1+1"},
		{"+79161234567", "+79161234567"},
		{"+79161234567, +74951234567", "+79161234567, +74951234567"},
		{"-1250,50", "-1250,50"},
		{"Иван", "Иван"},
		{"", ""},
	} {
		if got := defuse(tc.in); got != tc.want {
			t.Errorf("defuse(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	// Any cell starting as a formula may: it comes out either quoted, or
	// a phone or a number with no operator after its sign.
	rng := rand.New(rand.NewSource(1))
	alphabet := []rune("=+-@\t\r\n0123456789 ,.()*/^&A:\"'Жx")
	for range 20000 {
		b := make([]rune, 1+rng.Intn(12))
		for i := range b {
			b[i] = alphabet[rng.Intn(len(alphabet))]
		}
		in := string(b)
		out := defuse(in)
		if !strings.ContainsRune("=+-@\t\r\n", b[0]) {
			if out != in {
				t.Fatalf("defuse(%q) = %q: a plain cell changed", in, out)
			}
			continue
		}
		if out == "'"+in {
			continue
		}
		if out != in || strings.ContainsAny(in[1:], "=+-*/^&@()\"") {
			t.Fatalf("defuse(%q) = %q: a formula stays live", in, out)
		}
	}
}
