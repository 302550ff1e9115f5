package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/redis/go-redis/v9"

	"github.com/leadd/leadd/configs"
	"github.com/leadd/leadd/crm/crmtest"
	"github.com/leadd/leadd/web/api"
)

const adminToken = "dev-admin-token"

// testApp is the whole daemon on a fresh database and Redis prefix, with
// the demo configuration, served by httptest.
type testApp struct {
	*app
	t    *testing.T
	db   *crmtest.DB
	rds  *crmtest.Redis
	cfg  configs.Config
	srv  *httptest.Server
	stop context.CancelFunc
	done chan error
}

// startApp starts the daemon with the demo config, changed by edit.
func startApp(t *testing.T, edit func(*configs.Config)) *testApp {
	t.Helper()
	return startAppOn(t, crmtest.MustOpenDB(t), crmtest.MustRedis(t), edit)
}

// startAppOn starts another daemon on an existing database and Redis
// prefix: a restart, or a second replica.
func startAppOn(t *testing.T, db *crmtest.DB, rds *crmtest.Redis, edit func(*configs.Config)) *testApp {
	t.Helper()
	cfg, err := testConfig(db, rds)
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(&cfg)
	}
	if errs := cfg.Validate(); len(errs) > 0 {
		t.Fatalf("config: %v", errs)
	}
	a, err := newApp(context.Background(), cfg, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	ta := &testApp{app: a, t: t, db: db, rds: rds, cfg: cfg, srv: httptest.NewServer(a.handler), done: make(chan error, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	ta.stop = cancel
	go func() { ta.done <- a.runWorkers(ctx) }()
	t.Cleanup(func() {
		a.console.Stop() // the console's live streams would hold Close
		ta.srv.Close()
		cancel()
		<-ta.done
		a.close()
	})
	return ta
}

// testConfig is the demo configuration on the test's database and Redis.
func testConfig(db *crmtest.DB, rds *crmtest.Redis) (configs.Config, error) {
	cfg, err := configs.Load("../../configs/leadd.yaml")
	cfg.Database.URL = db.URL
	cfg.Redis.URL = "redis://" + rds.Client.Options().Addr + "/0"
	cfg.Redis.Prefix = rds.Prefix
	cfg.Processor.Poll = 50 * time.Millisecond
	cfg.Seed.Products = nil // tests make the catalogue they talk about
	return cfg, err
}

func init() { redis.SetLogger(redisLogger{testLogger(nil)}) }

func testLogger(t *testing.T) *slog.Logger {
	if os.Getenv("LEADD_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// response is an HTTP answer, read whole.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into a generic value.
func (r response) JSON(t *testing.T) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(r.Body, &v); err != nil {
		t.Fatalf("body is not a JSON object: %s", r.Body)
	}
	return v
}

// do sends a request and reads the answer; headers are "Name: value".
func (ta *testApp) do(method, path, contentType string, body io.Reader, headers ...string) response {
	ta.t.Helper()
	req, err := http.NewRequest(method, ta.srv.URL+path, body)
	if err != nil {
		ta.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ": ")
		req.Header.Set(k, v)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	if err != nil {
		ta.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if err := validateResponse(req, res, b); err != nil {
		ta.t.Errorf("%s %s: answered %d against the OpenAPI document: %v\nbody: %s", method, path, res.StatusCode, err, excerpt(b))
	}
	return response{Status: res.StatusCode, Header: res.Header, Body: b}
}

// postForm posts urlencoded values to a form as an API client.
func (ta *testApp) postForm(form string, values url.Values, headers ...string) response {
	ta.t.Helper()
	return ta.do("POST", "/hooks/forms/"+form, "application/x-www-form-urlencoded",
		strings.NewReader(values.Encode()), append([]string{"Accept: application/json"}, headers...)...)
}

// api calls the REST API as the demo admin and decodes the answer into out.
func (ta *testApp) api(method, path string, body any, out any) int {
	ta.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = strings.NewReader(string(b))
	}
	res := ta.do(method, path, "application/json", rd, "Authorization: Bearer "+adminToken)
	if out != nil && len(res.Body) > 0 {
		if err := json.Unmarshal(res.Body, out); err != nil {
			ta.t.Fatalf("%s %s: %v: %s", method, path, err, res.Body)
		}
	}
	return res.Status
}

// waitProcessed waits until the inbox has nothing left to process.
func (ta *testApp) waitProcessed() {
	ta.t.Helper()
	waitFor(ta.t, "the inbox to drain", func() bool {
		return ta.db.Count(ta.t, `SELECT count(*) FROM inbox WHERE processed_at IS NULL`) == 0
	})
}

// waitFor polls cond until it holds, failing the test after 15 seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func jsonInto(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
}

// The OpenAPI document every answer of do is checked against, loaded once.
var openAPI struct {
	once   sync.Once
	doc    *openapi3.T
	router routers.Router
	err    error
}

func openAPIRouter() (routers.Router, error) {
	openAPI.once.Do(func() {
		openapi3filter.RegisterBodyDecoder("text/html", openapi3filter.PlainBodyDecoder)
		openapi3filter.RegisterBodyDecoder("text/xml", openapi3filter.PlainBodyDecoder)
		openapi3filter.RegisterBodyDecoder("text/calendar", openapi3filter.PlainBodyDecoder)
		openapi3filter.RegisterBodyDecoder("text/javascript", openapi3filter.PlainBodyDecoder)
		loader := openapi3.NewLoader()
		openAPI.doc, openAPI.err = loader.LoadFromData(api.OpenAPI)
		if openAPI.err == nil {
			openAPI.err = openAPI.doc.Validate(loader.Context)
		}
		if openAPI.err == nil {
			openAPI.router, openAPI.err = gorillamux.NewRouter(openAPI.doc)
		}
		if openAPI.err != nil {
			openAPI.err = fmt.Errorf("crm/api/openapi.yaml: %w", openAPI.err)
		}
	})
	return openAPI.router, openAPI.err
}

// validateResponse checks an answer against the OpenAPI document: its
// status is documented for the operation, and its content type, headers
// and body match. A request the document has no operation for (a probe of
// an unknown route or method) is not checked.
func validateResponse(req *http.Request, res *http.Response, body []byte) error {
	router, err := openAPIRouter()
	if err != nil {
		return err
	}
	route, params, err := router.FindRoute(routable(req))
	if err != nil {
		return nil
	}
	opts := &openapi3filter.Options{
		IncludeResponseStatus: true,
		ExcludeRequestBody:    true,
		MultiError:            true,
		AuthenticationFunc:    openapi3filter.NoopAuthenticationFunc,
	}
	opts.WithCustomSchemaErrorFunc(schemaError)
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts},
		Status:                 res.StatusCode,
		Header:                 res.Header,
		Options:                opts,
	}
	in.SetBodyBytes(body)
	return openapi3filter.ValidateResponse(req.Context(), in)
}

// routable is req as the document's router can find it: the telephony
// hooks' trailing wildcard ({event...} in the mux, {event} in the
// document) is one path segment there.
func routable(req *http.Request) *http.Request {
	rest, ok := strings.CutPrefix(req.URL.EscapedPath(), "/hooks/telephony/")
	provider, event, nested := strings.Cut(rest, "/")
	if !ok || !nested || !strings.Contains(event, "/") {
		return req
	}
	r := req.Clone(req.Context())
	r.URL.RawPath = "/hooks/telephony/" + provider + "/" + strings.ReplaceAll(event, "/", "%2F")
	r.URL.Path, _ = url.PathUnescape(r.URL.RawPath)
	return r
}

// excerpt is the start of a body, for a failure message.
func excerpt(b []byte) string {
	const limit = 600
	if len(b) > limit {
		return strings.ToValidUTF8(string(b[:limit]), "") + "…"
	}
	return string(b)
}

// schemaError says where a body breaks the schema and how, without the
// schema itself.
func schemaError(err *openapi3.SchemaError) string {
	msg := "at /" + strings.Join(err.JSONPointer(), "/") + ": " + err.Reason
	switch err.Value.(type) {
	case map[string]any, []any:
	default:
		b, _ := json.Marshal(err.Value)
		msg += " (value " + string(b) + ")"
	}
	return msg
}

// demoTemplatesHere points a copy of the demo configuration, written
// elsewhere, at the repository's document templates.
func demoTemplatesHere(config string) string {
	abs, _ := filepath.Abs("../../configs/templates")
	return strings.Replace(config, "templates: templates", "templates: "+abs, 1)
}
