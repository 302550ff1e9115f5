package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// The lean poster sends what net/http's client sends — the form body,
// its type, a JSON Accept — reads the event id of a 202, reports any
// other answer as a failure, and keeps one connection unless the server
// closes it.
func TestLeanPosterPostsAsTheStandardClientDoes(t *testing.T) {
	var conns atomic.Int64
	var answer atomic.Int64
	answer.Store(http.StatusAccepted)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if r.Method != http.MethodPost || r.URL.Path != "/hooks/forms/contact" || string(b) != "name=a&phone=1" ||
			r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" || r.Header.Get("Accept") != "application/json" {
			t.Errorf("got %s %s %q %q %q", r.Method, r.URL.Path, b, r.Header.Get("Content-Type"), r.Header.Get("Accept"))
		}
		switch answer.Load() {
		case http.StatusAccepted:
			w.WriteHeader(http.StatusAccepted)
			io.WriteString(w, `{"event_id":"e1"}`+"\n")
		case http.StatusServiceUnavailable:
			w.Header().Set("Connection", "close")
			w.WriteHeader(http.StatusServiceUnavailable)
		default:
			w.WriteHeader(http.StatusAccepted)
			io.WriteString(w, `{}`)
		}
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	ctx := context.Background()
	p := newLeanPoster(srv.URL + "/hooks/forms/contact")
	defer p.close()
	for range 3 {
		if id, failure := p.post(ctx, "name=a&phone=1"); id != "e1" || failure != "" {
			t.Fatalf("post: %q, %q", id, failure)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("three posts took %d connections", n)
	}
	answer.Store(http.StatusServiceUnavailable)
	if _, failure := p.post(ctx, "name=a&phone=1"); !strings.HasPrefix(failure, "HTTP 503") {
		t.Errorf("a 503 reads as %q", failure)
	}
	answer.Store(0)
	if _, failure := p.post(ctx, "name=a&phone=1"); failure != "202 without an event_id" {
		t.Errorf("a 202 without an id reads as %q", failure)
	}
	if n := conns.Load(); n != 2 {
		t.Errorf("after the server closed one, %d connections (want a second)", n)
	}
}
