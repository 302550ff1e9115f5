package forms

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/leadd/leadd/dedupe"
	"github.com/leadd/leadd/ingest"
)

// checkingInbox takes what the real inbox would take: an event that
// passes Event.Check.
type checkingInbox struct{ t *testing.T }

func (c checkingInbox) Accept(_ context.Context, ev *ingest.Event, _ []byte) (string, bool, error) {
	if err := ev.Check(); err != nil {
		c.t.Fatalf("the form handler passed on an event the inbox refuses: %v", err)
	}
	return ev.ID, false, nil
}

// A form body is whatever a stranger posts: no body, in any content type,
// gets a 5xx, and what is accepted is processable.
func FuzzFormPost(f *testing.F) {
	f.Add("application/x-www-form-urlencoded", []byte("name=Иван&phone=%2B79123456789&comment=Перезвоните"), "")
	f.Add("application/x-www-form-urlencoded", []byte("name=a%00b&phone=%2B79123456789"), "key")
	f.Add("application/x-www-form-urlencoded", []byte("email=a%ff@b.ru&utm_source=%ff"), "\xff")
	f.Add("application/json", []byte(`{"Name":"Иван","Phone":"89123456789","x":{"y":[1,2,{"z":null}]}}`), "")
	f.Add("application/json", []byte(`{"phone":"+79123456789","name":"a\u0000"}`), "")
	f.Add("multipart/form-data; boundary=x", []byte("--x\r\nContent-Disposition: form-data; name=\"phone\"\r\n\r\n+79123456789\r\n--x--\r\n"), "")
	cfg := &Config{Forms: map[string]Form{"contact": {}}}
	cfg.Defaults()
	if errs := cfg.Validate("forms"); len(errs) > 0 {
		f.Fatal(errs)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	f.Fuzz(func(t *testing.T, ct string, body []byte, key string) {
		h := New(cfg, checkingInbox{t}, dedupe.Normalizer{Region: "RU"}, nil, log, time.Now)
		mux := http.NewServeMux()
		h.Register(mux)
		r := httptest.NewRequest("POST", "/hooks/forms/contact", bytes.NewReader(body))
		r.Header.Set("Content-Type", ct)
		r.Header.Set("Accept", "application/json")
		if key != "" {
			r.Header["Idempotency-Key"] = []string{key}
		}
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, r)
		if w.Code >= 500 {
			t.Fatalf("%s %q answered %d: %s", ct, body, w.Code, w.Body)
		}
	})
}
