package forms

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/leadd/leadd/dedupe"
	"github.com/leadd/leadd/ingest"
)

// preparingInbox does what ingest.Inbox.Accept does to an event before it
// queues it for a commit: checks it and encodes it.
type preparingInbox struct{}

func (preparingInbox) Accept(_ context.Context, ev *ingest.Event, _ []byte) (string, bool, error) {
	if err := ev.Check(); err != nil {
		return "", false, err
	}
	if _, err := json.Marshal(ev); err != nil {
		return "", false, err
	}
	return ev.ID, false, nil
}

// BenchmarkFormPost is a post as cmd/leadbench sends it, through the
// handler up to the inbox's commit: the accept path's CPU apart from HTTP
// and Postgres (docs/benchmarks.md).
func BenchmarkFormPost(b *testing.B) {
	cfg := &Config{Forms: map[string]Form{"contact": {}}}
	cfg.Defaults()
	if errs := cfg.Validate("forms"); len(errs) > 0 {
		b.Fatal(errs)
	}
	// At warn, as make bench runs the daemon.
	log := slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelWarn}))
	h := New(cfg, preparingInbox{}, dedupe.Normalizer{Region: "RU"}, nil, log, time.Now)
	mux := http.NewServeMux()
	h.Register(mux)
	bodies := []string{
		"comment=%D0%9F%D0%B5%D1%80%D0%B5%D0%B7%D0%B2%D0%BE%D0%BD%D0%B8%D1%82%D0%B5&name=%D0%98%D0%B2%D0%B0%D0%BD+%D0%9F%D0%B5%D1%82%D1%80%D0%BE%D0%B2&phone=8+%28925%29+123-45-67",
		"name=%D0%9E%D0%BB%D1%8C%D0%B3%D0%B0+%D0%A1%D0%BC%D0%B8%D1%80%D0%BD%D0%BE%D0%B2%D0%B0&phone=%2B7+925+123+45+67&email=lb-x-1%40example.ru",
		"name=%D0%98%D0%B2%D0%B0%D0%BD&phone=89251234567",
		"name=%D0%98%D0%B2%D0%B0%D0%BD&phone=7-925-123-45-67",
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		r := httptest.NewRequest("POST", "/hooks/forms/contact", strings.NewReader(bodies[i%len(bodies)]))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("Accept", "application/json")
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, r)
		if w.Code != http.StatusAccepted {
			b.Fatalf("answered %d: %s", w.Code, w.Body)
		}
	}
}
