package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// Every control on every console page says what it is to a screen reader
// and to a keyboard user: an input, select or text area has a label (a
// <label for>, a label around it, aria-label or aria-labelledby), a
// button and a link have words (their text, aria-label or title), an
// image its alt. The pages come from the console's routes, as a
// supervisor and as a manager see them.
func TestEveryConsoleControlIsLabelled(t *testing.T) {
	t.Parallel()
	ta := startApp(t, withDocuments)
	f := ta.makeFixtures(1, "Образец", true)
	admin := ta.browserClient()
	if res, _ := admin.post("/login", url.Values{"token": {adminToken}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in answered %d", res.StatusCode)
	}
	manager := ta.browserClient()
	if res, _ := manager.get(ta.loginLink(1)); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("the manager's sign-in answered %d", res.StatusCode)
	}
	// The control: what the check must find.
	bad, _ := html.Parse(strings.NewReader(`<input name="q"><button></button><a href="/"> </a><img src="x.png">` +
		`<label>Имя <input name="n"></label><label for="p">Телефон</label><input id="p"><button aria-label="Закрыть">×</button>`))
	var n int
	if faults := unlabelled(bad, &n); len(faults) != 4 {
		t.Fatalf("the check found %d faults in four unlabelled controls: %v", len(faults), faults)
	}
	controls := 0
	for _, b := range []*browserClient{admin, manager} {
		for _, pg := range ta.consolePages(t, b, f) {
			doc, err := html.Parse(strings.NewReader(pg.body))
			if err != nil {
				t.Fatalf("%s: %v", pg.path, err)
			}
			for _, fault := range unlabelled(doc, &controls) {
				t.Errorf("%s: %s", pg.path, fault)
			}
		}
	}
	if controls < 100 {
		t.Errorf("only %d controls checked", controls)
	}
}

// unlabelled lists the controls of doc that say nothing of themselves.
func unlabelled(doc *html.Node, count *int) []string {
	labelled := map[string]bool{}
	var walk func(n *html.Node, f func(*html.Node, bool))
	walk = func(n *html.Node, f func(*html.Node, bool)) {
		var rec func(n *html.Node, inLabel bool)
		rec = func(n *html.Node, inLabel bool) {
			if n.Type == html.ElementNode {
				f(n, inLabel)
				if n.Data == "label" {
					inLabel = true
				}
			}
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				rec(c, inLabel)
			}
		}
		rec(n, false)
	}
	walk(doc, func(n *html.Node, _ bool) {
		if n.Data == "label" && attr(n, "for") != "" {
			labelled[attr(n, "for")] = true
		}
	})
	var out []string
	walk(doc, func(n *html.Node, inLabel bool) {
		named := attr(n, "aria-label") != "" || attr(n, "aria-labelledby") != "" || attr(n, "title") != ""
		switch n.Data {
		case "input", "select", "textarea":
			typ := attr(n, "type")
			if typ == "hidden" {
				return
			}
			*count++
			if typ == "submit" || typ == "button" {
				if attr(n, "value") == "" && !named {
					out = append(out, "a button input without words: "+render(n))
				}
				return
			}
			if !named && !inLabel && !(attr(n, "id") != "" && labelled[attr(n, "id")]) {
				out = append(out, "a control without a label: "+render(n))
			}
		case "button", "a":
			if n.Data == "a" && attr(n, "href") == "" {
				return
			}
			*count++
			if !named && strings.TrimSpace(textOf(n)) == "" {
				out = append(out, "a "+n.Data+" without words: "+render(n))
			}
		case "img":
			*count++
			if _, ok := attrOK(n, "alt"); !ok {
				out = append(out, "an image without alt: "+render(n))
			}
		}
	})
	return out
}

func attr(n *html.Node, key string) string {
	v, _ := attrOK(n, key)
	return v
}

func attrOK(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return strings.TrimSpace(a.Val), true
		}
	}
	return "", false
}

func textOf(n *html.Node) string {
	if n.Type == html.TextNode {
		return n.Data
	}
	var sb strings.Builder
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.ElementNode && c.Data == "img" {
			sb.WriteString(attr(c, "alt"))
		}
		sb.WriteString(textOf(c))
	}
	return sb.String()
}

func render(n *html.Node) string {
	var sb strings.Builder
	sb.WriteString("<" + n.Data)
	for _, a := range n.Attr {
		sb.WriteString(" " + a.Key + "=" + `"` + a.Val + `"`)
	}
	return sb.String() + ">"
}
