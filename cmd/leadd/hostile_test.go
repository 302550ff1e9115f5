package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/leadd/leadd/configs"
	outmail "github.com/leadd/leadd/notify/mail"
	"github.com/leadd/leadd/notify/mail/smtptest"
	"github.com/leadd/leadd/notify/telegram/telegramtest"
	"github.com/leadd/leadd/web/api"
)

// Hostile values for a path segment, a query value or a header: NUL,
// broken UTF-8, control characters, numbers out of range.
var (
	hostilePath   = []string{"%00", "%ff", "1%00", "%c3%28", "%0d%0aX:%20y", "-1", "99999999999999999999", "1"}
	hostileQuery  = []string{"\x00", "\xff", "a\x00b", "\r\nX: y", "99999999999999999999", "-1"}
	hostileHeader = []string{"\xff", "Bearer \xff", "a\xc3\x28b"}
	// The headers handlers read; each gets every hostile value.
	hostileHeaders = []string{"Authorization", "Idempotency-Key", "Accept", "Content-Type", "Origin", "Referer",
		"X-Forwarded-For", "X-Telegram-Bot-Api-Secret-Token", "X-Signature", "Signature", "X-Twilio-Signature"}
)

var pathParam = regexp.MustCompile(`\{[^}]+\}`)

// TestNoInputAnswers500AndEveryErrorIsTheEnvelope walks every route the
// daemon registers (read from its sources, so a new one is walked the day
// it appears) with hostile path segments, query values and headers, and
// every JSON body the document describes with a NUL in each text: no
// answer is a 5xx, and every error under /api, /hooks and /calendar is the
// JSON envelope.
func TestNoInputAnswers500AndEveryErrorIsTheEnvelope(t *testing.T) {
	t.Parallel()
	sink := smtptest.New(t)
	fake := telegramtest.NewServer()
	defer fake.Close()
	ta := startApp(t, func(c *configs.Config) { // every route served
		withDocuments(c)
		c.SMTP = outmail.SMTPConfig{Host: sink.Host, Port: sink.Port, From: "docs@romashka.test"}
		c.Robokassa.MerchantLogin, c.Robokassa.Password1, c.Robokassa.Password2, c.Robokassa.Hash = "leadd-demo", "password-one-test", "password-two-test", "sha256"
		c.Telegram.Token, c.Telegram.Endpoint, c.Telegram.WebhookSecret = telegramtest.Token, fake.Endpoint(), "leadd-webhook-secret-0123"
		c.Telegram.CompanyToken = telegramtest.Token
	})
	doc, err := openapi3.NewLoader().LoadFromData(api.OpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	routes := registeredRoutes(t)
	var keys []string
	for k := range routes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	admin := "Authorization: Bearer " + adminToken
	check := func(what string, res response) {
		t.Helper()
		if res.Status >= 500 {
			t.Errorf("%s: answered %d %s", what, res.Status, excerpt(res.Body))
			return
		}
		method, pattern, _ := strings.Cut(what, " ")
		pattern, _, _ = strings.Cut(pattern, " ")
		if res.Status >= 400 && !textByDesign(doc, method, pattern, res) {
			var e struct {
				Error *struct{ Code, Message string }
			}
			if json.Unmarshal(res.Body, &e) != nil || e.Error == nil || e.Error.Code == "" {
				t.Errorf("%s: %d is not the JSON error envelope: %s", what, res.Status, excerpt(res.Body))
			}
		}
	}
	n := 0
	for _, k := range keys {
		method, pattern, _ := strings.Cut(k, " ")
		if method == "GET" && strings.HasPrefix(pattern, "/metrics") {
			continue // Prometheus' own text
		}
		valid := validPath(pattern)
		var queries []string
		if item := doc.Paths.Value(pattern); item != nil && item.GetOperation(method) != nil {
			params := append(openapi3.Parameters{}, item.Parameters...)
			for _, p := range append(params, item.GetOperation(method).Parameters...) {
				if p.Value.In == "query" {
					queries = append(queries, p.Value.Name)
				}
			}
		}
		queries = append(queries, "unknown")
		body := "{}"
		if method == "GET" || method == "DELETE" {
			body = ""
		}
		// Each path parameter in turn, hostile.
		for _, param := range pathParam.FindAllString(pattern, -1) {
			for _, v := range hostilePath {
				p := strings.Replace(valid, validSegment(param), v, 1)
				check(k+" path "+param+"="+v, ta.do(method, p, "application/json", strings.NewReader(body), admin))
				n++
			}
		}
		// Each query parameter, hostile.
		for _, q := range queries {
			for _, v := range hostileQuery {
				check(fmt.Sprintf("%s query %s=%q", k, q, v),
					ta.do(method, valid+"?"+url.Values{q: {v}}.Encode(), "application/json", strings.NewReader(body), admin))
				n++
			}
		}
		// Each header a handler reads, hostile.
		for _, h := range hostileHeaders {
			for _, v := range hostileHeader {
				headers := []string{admin, h + ": " + v}
				if h == "Authorization" {
					headers = headers[1:]
				}
				check(fmt.Sprintf("%s header %s=%q", k, h, v), ta.do(method, valid, "application/json", strings.NewReader(body), headers...))
				n++
			}
		}
		// A method the route does not serve, and a NUL in every text of the body.
		if other := otherMethod(method); other != "" && !routeServes(routes, other, pattern) {
			res := ta.do(other, valid, "", nil, admin)
			check(k+" as "+other, res)
			if strings.HasPrefix(pattern, "/api/") || strings.HasPrefix(pattern, "/hooks/") {
				if res.Status != 405 || res.Header.Get("Allow") == "" {
					t.Errorf("%s %s: answered %d (Allow %q), want 405 with Allow", other, valid, res.Status, res.Header.Get("Allow"))
				}
			}
		}
		if item := doc.Paths.Value(pattern); strings.HasPrefix(pattern, "/api/v1/") && item != nil && item.GetOperation(method) != nil {
			if rb := item.GetOperation(method).RequestBody; rb != nil && rb.Value.Content.Get("application/json") != nil {
				b, _ := json.Marshal(nulBody(rb.Value.Content.Get("application/json").Schema.Value))
				check(k+" NUL body "+string(b), ta.do(method, valid, "application/json", strings.NewReader(string(b)), admin))
				n++
			}
		}
	}
	// Unknown routes under /api and /hooks.
	for _, p := range []string{"/api/v1/no-such-thing", "/api/v2/leads", "/hooks/no-such-hook", "/api/v1/leads/1/no-such", "/api/%00", "/hooks/%ff"} {
		res := ta.do("GET", p, "", nil, admin)
		check("GET "+p, res)
		if res.Status != 404 && res.Status != 400 {
			t.Errorf("GET %s: answered %d, want 404 (or 400 for a NUL)", p, res.Status)
		}
	}
	// A NUL in a header never reaches a handler: the server refuses it.
	for _, h := range []string{"Authorization: Bearer \x00", "Idempotency-Key: a\x00b"} {
		if status := rawStatus(t, ta.srv.Listener.Addr().String(), "GET /api/v1/leads HTTP/1.1\r\nHost: x\r\n"+h+"\r\n\r\n"); status >= 500 || status == 0 {
			t.Errorf("a NUL in %q: answered %d", h, status)
		}
	}
	if n < 1000 {
		t.Errorf("only %d hostile requests made; the walk found too few routes", n)
	}
	t.Logf("%d routes, %d hostile requests", len(keys), n)
}

// textByDesign: the document says this error is plain text (Robokassa
// reads text), and it is.
func textByDesign(doc *openapi3.T, method, pattern string, res response) bool {
	item := doc.Paths.Value(pattern)
	if item == nil || item.GetOperation(method) == nil || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/plain") {
		return false
	}
	r := item.GetOperation(method).Responses.Status(res.Status)
	return r != nil && r.Value.Content.Get("text/plain") != nil
}

// validPath fills a route's parameters with values that exist or could.
func validPath(pattern string) string {
	return pathParam.ReplaceAllStringFunc(pattern, validSegment)
}

func validSegment(param string) string {
	switch param {
	case "{kind}":
		return "leads"
	case "{form}":
		return "contact"
	case "{provider}":
		return "generic"
	case "{token}":
		return "not-a-secret.ics"
	}
	return "1"
}

func otherMethod(m string) string {
	switch m {
	case "GET":
		return "PUT"
	case "POST", "PATCH", "DELETE":
		return "PUT"
	}
	return ""
}

func routeServes(routes map[string]string, method, pattern string) bool {
	_, ok := routes[method+" "+pattern]
	return ok
}

// nulBody is a body with every text of the schema holding a NUL.
func nulBody(s *openapi3.Schema) map[string]any {
	out := map[string]any{}
	if s == nil {
		return out
	}
	for _, sub := range s.AllOf {
		for k, v := range nulBody(sub.Value) {
			out[k] = v
		}
	}
	for name, p := range s.Properties {
		if p.Value == nil {
			continue
		}
		switch {
		case p.Value.Type.Is("string"):
			out[name] = "a\x00b"
		case p.Value.Type.Is("array") && p.Value.Items != nil && p.Value.Items.Value.Type.Is("string"):
			out[name] = []string{"a\x00b"}
		case p.Value.Type.Is("object") && len(p.Value.Properties) > 0:
			out[name] = nulBody(p.Value)
		case p.Value.Type.Is("object"):
			out[name] = map[string]string{"a\x00b": "c\x00d"}
		}
	}
	return out
}

// rawStatus sends a request as bytes (the client refuses a NUL in a
// header) and reads the status.
func rawStatus(t *testing.T, addr, req string) int {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return 0
	}
	res.Body.Close()
	return res.StatusCode
}
