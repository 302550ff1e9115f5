package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// The deal card shows a line's total and the deal's totals while the
// manager types. For generated quantities, prices, discounts and VAT
// rates, what the preview says is exactly what the card shows once the
// same form is saved; a value saving would refuse gets the same refusal,
// in Russian, naming the field; and a preview writes nothing.
func TestALinesPreviewIsWhatSavingStores(t *testing.T) {
	t.Parallel()
	ta := startApp(t, nil)
	own := ta.makeFixtures(attackerID, "Своя", false)
	b := ta.browserClient()
	if res, _ := b.get(ta.loginLink(attackerID)); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("the sign-in link answered %d", res.StatusCode)
	}
	csrf := b.csrf()
	deal := fmt.Sprint("/deals/", own.deal)
	line := fmt.Sprint(own.line)
	var rates []string
	for k := range ta.cfg.VATRates {
		rates = append(rates, k)
	}
	sort.Strings(rates)

	type preview struct{ Line, Net, Tax, Total, Error, Field string }
	ask := func(form url.Values) (int, preview) {
		t.Helper()
		form.Set("csrf", csrf)
		res, body := b.post(deal+"/lines/preview", form)
		var p preview
		if err := json.Unmarshal([]byte(body), &p); err != nil {
			t.Fatalf("the preview answered %d, not JSON: %s", res.StatusCode, excerpt([]byte(body)))
		}
		return res.StatusCode, p
	}
	totalsRe := regexp.MustCompile(`data-total="(net|tax|total)">([^<]*)<`)
	card := func() map[string]string {
		t.Helper()
		_, body := b.get(deal)
		out := map[string]string{}
		for _, m := range totalsRe.FindAllStringSubmatch(body, -1) {
			out[m[1]] = m[2]
		}
		lineRe := regexp.MustCompile(`data-line-total="` + line + `">([^<]*)<`)
		if m := lineRe.FindStringSubmatch(body); m != nil {
			out["line"] = m[1]
		}
		return out
	}

	rnd := rand.New(rand.NewPCG(20, 26))
	number := func(max, decimals int) string {
		s := fmt.Sprint(rnd.IntN(max) + 1)
		if decimals > 0 && rnd.IntN(2) == 0 {
			s += "," + fmt.Sprintf("%0*d", decimals, rnd.IntN(pow10(decimals)))
		}
		if len(s) > 4 && rnd.IntN(2) == 0 {
			s = s[:len(s)-4] + " " + s[len(s)-4:] // "1 200,50", as people type
		}
		return s
	}
	for i := 0; i < 25; i++ {
		form := url.Values{"line": {line}, "quantity": {number(50, 3)}, "price": {number(2_000_000, 2)},
			"discount": {fmt.Sprint(rnd.IntN(30))}, "vat": {rates[rnd.IntN(len(rates))]}}
		code, p := ask(form)
		if code != http.StatusOK || p.Error != "" {
			t.Fatalf("preview of %v answered %d %+v", form, code, p)
		}
		form.Set("csrf", csrf)
		if res, _ := b.post(deal+"/lines/"+line, form); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("saving %v answered %d", form, res.StatusCode)
		}
		got := card()
		want := map[string]string{"line": p.Line, "net": p.Net, "tax": p.Tax, "total": p.Total}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%v: the preview said %s %q, the saved card shows %q", form, k, v, got[k])
			}
		}
	}

	// A new line from the catalogue is previewed as adding it would make it.
	code, p := ask(url.Values{"name": {"Доставка"}, "quantity": {"2"}, "price": {"1500"}, "vat": {rates[0]}})
	if code != http.StatusOK || p.Line == "" || !strings.Contains(p.Line, "3\u00a0") {
		t.Errorf("a new line's preview answered %d %+v", code, p)
	}

	before := ta.consoleState(own)
	cardBefore := card()
	for _, tc := range []struct {
		field string
		form  url.Values
	}{
		{"quantity", url.Values{"line": {line}, "quantity": {"два"}}},
		{"quantity", url.Values{"line": {line}, "quantity": {"0"}}},
		{"quantity", url.Values{"line": {line}, "quantity": {"-1"}}},
		{"price", url.Values{"line": {line}, "price": {"1.2.3"}}},
		{"price", url.Values{"line": {line}, "price": {"1e9"}}},
		{"discount", url.Values{"line": {line}, "discount": {"101"}}},
		{"discount", url.Values{"line": {line}, "discount": {"десять"}}},
		{"vat", url.Values{"line": {line}, "vat": {"vat99"}}},
		{"line", url.Values{"line": {"abc"}}},
		{"line", url.Values{"line": {"999999"}}},
		{"product_id", url.Values{"quantity": {"1"}}},
		{"product_id", url.Values{"product_id": {"-3"}}},
		{"product_id", url.Values{"product_id": {"999999"}}},
	} {
		code, p := ask(tc.form)
		if code != http.StatusUnprocessableEntity || p.Error == "" || p.Line != "" {
			t.Errorf("%v answered %d %+v, want 422 with an error", tc.form, code, p)
			continue
		}
		// What is quoted is what was typed (or a key picked from a list):
		// shown as it is; the words around it are Russian.
		if latin := regexp.MustCompile(`[A-Za-z]{3,}`).FindString(quoted.ReplaceAllString(p.Error, "")); latin != "" {
			t.Errorf("%v: the error %q is not all Russian (%q)", tc.form, p.Error, latin)
		}
		if tc.field != "line" && p.Field != tc.field {
			t.Errorf("%v: the error names %q, want %q", tc.form, p.Field, tc.field)
		}
	}
	if after := ta.consoleState(own); after != before {
		t.Error("previews changed the records")
	}
	if after := card(); fmt.Sprint(after) != fmt.Sprint(cardBefore) {
		t.Errorf("previews changed the card's totals: %v → %v", cardBefore, after)
	}
}

// quoted matches a value a message quotes as %q writes it: "…".
var quoted = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)

func pow10(n int) int {
	p := 1
	for ; n > 0; n-- {
		p *= 10
	}
	return p
}
