package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/leadd/leadd/configs"
	"github.com/leadd/leadd/crm/crmtest"
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
