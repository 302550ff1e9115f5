package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"time"
)

// hooks is the webhook fan-out of a run: a local receiver answering 204
// at once, and endpoints at it subscribed to every event, made through
// the API before the run and removed after it.
type hooks struct {
	srv       *http.Server
	url       string
	received  atomic.Int64
	endpoints []int64
	base      string
	token     string
}

// startHooks starts the receiver and subscribes n endpoints (each a path
// of its own) to every event type the daemon offers.
func startHooks(ctx context.Context, base, token string, n int) (*hooks, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	h := &hooks{url: "http://" + l.Addr().String(), base: base, token: token}
	h.srv = &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		h.received.Add(1)
		w.WriteHeader(http.StatusNoContent)
	})}
	go func() { _ = h.srv.Serve(l) }()
	var list struct {
		Events []string `json:"events"`
	}
	if err := h.call(ctx, "GET", "/api/v1/webhooks", nil, &list); err != nil {
		h.stop(ctx)
		return nil, err
	}
	for i := range n {
		var w struct {
			ID int64 `json:"id"`
		}
		body := map[string]any{"url": fmt.Sprintf("%s/hook/%d", h.url, i), "events": list.Events, "description": "leadbench"}
		if err := h.call(ctx, "POST", "/api/v1/webhooks", body, &w); err != nil {
			h.stop(ctx)
			return nil, err
		}
		h.endpoints = append(h.endpoints, w.ID)
	}
	return h, nil
}

// drain waits until no delivery has come for quiet (at most limit) and
// returns how long it waited.
func (h *hooks) drain(ctx context.Context, quiet, limit time.Duration) time.Duration {
	start := time.Now()
	last, lastAt := h.received.Load(), time.Now()
	for time.Since(start) < limit && ctx.Err() == nil {
		time.Sleep(100 * time.Millisecond)
		if n := h.received.Load(); n != last {
			last, lastAt = n, time.Now()
		} else if time.Since(lastAt) >= quiet {
			return lastAt.Sub(start)
		}
	}
	return time.Since(start)
}

// stop removes the endpoints and the receiver.
func (h *hooks) stop(ctx context.Context) {
	for _, id := range h.endpoints {
		_ = h.call(ctx, "DELETE", fmt.Sprintf("/api/v1/webhooks/%d", id), nil, nil)
	}
	_ = h.srv.Close()
}

func (h *hooks) call(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, h.base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+h.token)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %d %s (webhooks need an admin token, -token, and webhooks.allow_private for a local receiver)",
			method, path, res.StatusCode, b)
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}
