package main

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/web/api"
)

func TestTheOpenAPIDocumentIsServedWithoutAToken(t *testing.T) {
	t.Parallel()
	ta := startApp(t, nil)
	res := ta.do("GET", "/api/openapi.yaml", "", nil)
	if res.Status != 200 {
		t.Fatalf("answered %d: %s", res.Status, excerpt(res.Body))
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/yaml") {
		t.Errorf("Content-Type %q, want application/yaml", ct)
	}
	if !bytes.Equal(res.Body, api.OpenAPI) {
		t.Error("the served document is not the embedded one")
	}
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(res.Body)
	if err != nil {
		t.Fatalf("the served document does not parse: %v", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		t.Fatalf("the served document is not valid OpenAPI 3: %v", err)
	}
	if doc.OpenAPI != "3.0.3" {
		t.Errorf("openapi %q, want 3.0.3", doc.OpenAPI)
	}
}

// routePattern finds the routes the daemon registers on its mux: the API's
// s.route(mux, "METHOD /path", ...) and mux.HandleFunc / mux.Handle.
var routePattern = regexp.MustCompile(`\.(?:(?:route|Mount)\(\s*\w+\s*,\s*|HandleFunc\(\s*|Handle\(\s*)"(?:([A-Z]+) +)?(/[^"]*)"`)

// registeredRoutes reads the routes from the Go sources of the daemon:
// every non-test file of the module but the other commands' and the
// console's (pages for people, documented in the README, not the API).
func registeredRoutes(t *testing.T) map[string]string {
	t.Helper()
	root := filepath.Join("..", "..")
	routes := map[string]string{} // "METHOD /openapi/path" → where
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() {
			name := d.Name()
			if rel != "." && (strings.HasPrefix(name, ".") || name == "testdata" || name == "vendor" ||
				(filepath.Dir(rel) == "cmd" && name != "leadd") || rel == filepath.Join("web", "console")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range routePattern.FindAllSubmatchIndex(src, -1) {
			method, pattern := "", string(src[m[4]:m[5]])
			if m[2] >= 0 {
				method = string(src[m[2]:m[3]])
			}
			where := rel + ":" + lineOf(src, m[0])
			if method == "" {
				t.Errorf("%s: %q is registered for every method; name the method so it can be documented", where, pattern)
				continue
			}
			routes[method+" "+openAPIPath(pattern)] = where
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return routes
}

// openAPIPath writes a ServeMux pattern as an OpenAPI path: {rest...}
// becomes {rest}.
func openAPIPath(pattern string) string {
	return strings.ReplaceAll(strings.TrimSuffix(pattern, "{$}"), "...}", "}")
}

func lineOf(src []byte, at int) string {
	return strconv.Itoa(bytes.Count(src[:at], []byte("\n")) + 1)
}

func TestEveryRouteIsDocumented(t *testing.T) {
	t.Parallel()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(api.OpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		t.Fatalf("crm/api/openapi.yaml is not valid OpenAPI 3: %v", err)
	}
	routes := registeredRoutes(t)
	// The scan must see the routes, or it proves nothing.
	for _, known := range []string{"GET /api/v1/leads", "POST /hooks/forms/{form}", "POST /hooks/telephony/{provider}", "GET /healthz", "GET /metrics"} {
		if _, ok := routes[known]; !ok {
			t.Fatalf("the route scan did not find %s; found %d routes", known, len(routes))
		}
	}
	var keys []string
	for k := range routes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		method, path, _ := strings.Cut(k, " ")
		item := doc.Paths.Value(path)
		if item == nil || item.GetOperation(method) == nil {
			t.Errorf("%s (registered at %s) has no operation in crm/api/openapi.yaml", k, routes[k])
		}
	}
	// And the document promises nothing the daemon does not serve.
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			if _, ok := routes[method+" "+path]; !ok {
				t.Errorf("crm/api/openapi.yaml documents %s %s, which no code registers", method, path)
			}
		}
	}
}

// TestTheDocumentCatchesAChangedShape checks that the schemas are strict
// enough to notice a renamed field, a missing one, or a number for money.
func TestTheDocumentCatchesAChangedShape(t *testing.T) {
	t.Parallel()
	doc, err := openapi3.NewLoader().LoadFromData(api.OpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	asJSON := func(v any) map[string]any {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	now := time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)
	lead := asJSON(crm.Lead{ID: 7, Status: crm.StatusNew, Channel: crm.ChannelForm, Phones: []string{"+79161234567"},
		RawPhones: []string{}, Emails: []string{}, UTM: map[string]string{}, Fields: map[string]string{}, CreatedAt: now, UpdatedAt: now})
	deal := asJSON(crm.Deal{ID: 3, Title: "Станок", Pipeline: "sales", Stage: "new", StageName: "Новая", Status: crm.DealOpen,
		Currency: "RUB", Amount: "1200.50", VATAmount: "200.08", CreatedAt: now, UpdatedAt: now})
	schema := func(name string) *openapi3.Schema { return doc.Components.Schemas[name].Value }
	if err := schema("Lead").VisitJSON(lead); err != nil {
		t.Fatalf("a real lead does not validate: %v", err)
	}
	if err := schema("Deal").VisitJSON(deal); err != nil {
		t.Fatalf("a real deal does not validate: %v", err)
	}
	for _, tc := range []struct {
		name, schema string
		value        map[string]any
		change       func(map[string]any)
	}{
		{"a renamed field", "Lead", lead, func(m map[string]any) { m["phone"] = m["phones"]; delete(m, "phones") }},
		{"a missing field", "Lead", lead, func(m map[string]any) { delete(m, "manager_id") }},
		{"an extra field", "Lead", lead, func(m map[string]any) { m["score"] = 1 }},
		{"null where never null", "Lead", lead, func(m map[string]any) { m["phones"] = nil }},
		{"money as a number", "Deal", deal, func(m map[string]any) { m["amount"] = 1200.5 }},
		{"money with three places", "Deal", deal, func(m map[string]any) { m["amount"] = "1200.505" }},
	} {
		v := map[string]any{}
		for k, x := range tc.value {
			v[k] = x
		}
		tc.change(v)
		if err := schema(tc.schema).VisitJSON(v); err == nil {
			t.Errorf("%s: %s passes the %s schema", tc.name, asJSONString(v), tc.schema)
		}
	}
}

func asJSONString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestServiceEndpointsAnswerAsDocumented calls what no other test does
// through do, so that their answers are checked against the document too.
func TestServiceEndpointsAnswerAsDocumented(t *testing.T) {
	t.Parallel()
	ta := startApp(t, nil)
	for _, tc := range []struct {
		method, path string
		headers      []string
		status       int
	}{
		{"GET", "/healthz", nil, 200},
		{"GET", "/readyz", nil, 200},
		{"GET", "/metrics", nil, 200},
		{"GET", "/hooks/forms/contact/thanks", nil, 200},
		{"GET", "/hooks/forms/no-such-form/thanks", nil, 404},
		{"GET", "/hooks/forms/contact/embed.js", nil, 200},
		{"GET", "/hooks/forms/no-such-form/embed.js", nil, 404},
		{"POST", "/hooks/forms/no-such-form", []string{"Accept: text/html"}, 404},
		{"OPTIONS", "/hooks/forms/contact", []string{"Origin: https://example.ru"}, 204},
		{"OPTIONS", "/hooks/forms/no-such-form", []string{"Origin: https://example.ru"}, 404},
		{"POST", "/hooks/forms/no-such-form", []string{"Accept: application/json"}, 404},
		{"GET", "/hooks/telephony/no-such-pbx", nil, 404},
		{"POST", "/hooks/telephony/no-such-pbx/events/call", nil, 404},
		{"GET", "/api/v1/managers/1", []string{"Authorization: Bearer " + adminToken}, 200},
		{"GET", "/api/v1/managers/abc", []string{"Authorization: Bearer " + adminToken}, 404},
		{"GET", "/api/v1/products?all=true", []string{"Authorization: Bearer " + adminToken}, 200},
		{"POST", "/api/v1/merges/1/undo", []string{"Authorization: Bearer " + adminToken}, 404},
	} {
		if res := ta.do(tc.method, tc.path, "", nil, tc.headers...); res.Status != tc.status {
			t.Errorf("%s %s: answered %d %s, want %d", tc.method, tc.path, res.Status, excerpt(res.Body), tc.status)
		}
	}
	// Import and export, which no other test here calls through the API.
	admin := "Authorization: Bearer " + adminToken
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", "contacts.csv")
	_, _ = fw.Write([]byte("Имя;Телефон;Должность\nОльга;+7 916 400-00-01;инженер\nБез телефона;;\n"))
	_ = mw.Close()
	for _, tc := range []struct {
		method, path, contentType string
		body                      []byte
		status                    int
	}{
		{"POST", "/api/v1/import?kind=contacts", mw.FormDataContentType(), body.Bytes(), 200},
		{"POST", "/api/v1/import?kind=contacts&dry_run=false", mw.FormDataContentType(), body.Bytes(), 200},
		{"POST", "/api/v1/import?kind=leads", mw.FormDataContentType(), body.Bytes(), 422},
		{"POST", "/api/v1/import?kind=contacts", "text/csv", []byte("name\n"), 415},
		{"GET", "/api/v1/export/contacts", "", nil, 200},
		{"GET", "/api/v1/export/deals?format=xlsx", "", nil, 200},
		{"GET", "/api/v1/export/managers", "", nil, 404},
		{"GET", "/api/v1/export/leads?format=pdf", "", nil, 422},
	} {
		if res := ta.do(tc.method, tc.path, tc.contentType, bytes.NewReader(tc.body), admin); res.Status != tc.status {
			t.Errorf("%s %s: answered %d %s, want %d", tc.method, tc.path, res.Status, excerpt(res.Body), tc.status)
		}
	}
}

// TestAnAnswerOffTheDocumentIsCaught checks the check itself: an
// undocumented status, a renamed field and a wrong content type fail; a
// route the document does not have is left alone.
func TestAnAnswerOffTheDocumentIsCaught(t *testing.T) {
	t.Parallel()
	check := func(method, path string, status int, contentType, body string) error {
		req, err := http.NewRequest(method, "http://leadd.test"+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		res := &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {contentType}}}
		return validateResponse(req, res, []byte(body))
	}
	const jsonCT = "application/json; charset=utf-8"
	if err := check("GET", "/healthz", 200, jsonCT, `{"status":"ok"}`); err != nil {
		t.Fatalf("the documented answer fails: %v", err)
	}
	for _, tc := range []struct {
		name, contentType, body string
		status                  int
	}{
		{"an undocumented status", jsonCT, `{"status":"ok"}`, 418},
		{"a renamed field", jsonCT, `{"state":"ok"}`, 200},
		{"another content type", "text/plain", `ok`, 200},
		{"an error off the envelope", jsonCT, `{"error":"boom"}`, 500},
	} {
		if err := check("GET", "/api/v1/counters", tc.status, tc.contentType, tc.body); err == nil {
			t.Errorf("%s passes", tc.name)
		}
	}
	if err := check("GET", "/api/v1/no-such-route", 404, "text/plain", "404 page not found"); err != nil {
		t.Errorf("a route the document does not have was checked: %v", err)
	}
}
