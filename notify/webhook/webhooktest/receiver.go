// Package webhooktest is a webhook receiver for tests that verifies every
// delivery with the Standard Webhooks reference library — not with
// Leadd's own signing code.
package webhooktest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// Delivery is one request the receiver got.
type Delivery struct {
	ID        string // webhook-id
	Timestamp string // webhook-timestamp
	Signature string // webhook-signature
	Type      string // the body's type
	Body      []byte
	Data      map[string]any // the body's data
	Answered  int            // the status the receiver answered
	// Verified lists the secrets (by their index in SetSecrets) whose
	// signature the library accepted.
	Verified []int
}

// Receiver is an HTTP server that records and verifies deliveries.
type Receiver struct {
	*httptest.Server
	mu              sync.Mutex
	secrets         []*standardwebhooks.Webhook
	ignoreTimestamp bool
	answer          func(n int) int
	got             []Delivery
	problems        []string
}

// NewReceiver starts a receiver answering 204 to everything.
func NewReceiver() *Receiver {
	r := &Receiver{answer: func(int) int { return http.StatusNoContent }}
	r.Server = httptest.NewServer(http.HandlerFunc(r.serve))
	return r
}

// SetSecrets sets the secrets deliveries are verified with.
func (r *Receiver) SetSecrets(secrets ...string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.secrets = nil
	for _, s := range secrets {
		wh, err := standardwebhooks.NewWebhook(s)
		if err != nil {
			return err
		}
		r.secrets = append(r.secrets, wh)
	}
	return nil
}

// IgnoreTimestamp skips the library's five-minute tolerance: for senders
// on a faked clock.
func (r *Receiver) IgnoreTimestamp() {
	r.mu.Lock()
	r.ignoreTimestamp = true
	r.mu.Unlock()
}

// Answer sets the status of the nth request (1-based, counting all).
func (r *Receiver) Answer(f func(n int) int) {
	r.mu.Lock()
	r.answer = f
	r.mu.Unlock()
}

// Deliveries returns what was received, in order.
func (r *Receiver) Deliveries() []Delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Delivery(nil), r.got...)
}

// Problems are deliveries that did not verify or were not
// {"type", "timestamp", "data"}.
func (r *Receiver) Problems() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.problems...)
}

func (r *Receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	d := Delivery{ID: req.Header.Get("webhook-id"), Timestamp: req.Header.Get("webhook-timestamp"),
		Signature: req.Header.Get("webhook-signature"), Body: body}
	for i, wh := range r.secrets {
		verify := wh.Verify
		if r.ignoreTimestamp {
			verify = wh.VerifyIgnoringTimestamp
		}
		if verify(body, req.Header) == nil {
			d.Verified = append(d.Verified, i)
		}
	}
	if len(d.Verified) == 0 {
		r.problems = append(r.problems, fmt.Sprintf("%s: the signature %q does not verify", d.ID, d.Signature))
	}
	var env struct {
		Type      string         `json:"type"`
		Timestamp string         `json:"timestamp"`
		Data      map[string]any `json:"data"`
	}
	if err := json.Unmarshal(body, &env); err != nil || env.Type == "" || env.Timestamp == "" || env.Data == nil {
		r.problems = append(r.problems, fmt.Sprintf("%s: the body is not {type, timestamp, data}: %s", d.ID, body))
	}
	d.Type, d.Data = env.Type, env.Data
	d.Answered = r.answer(len(r.got) + 1)
	r.got = append(r.got, d)
	w.WriteHeader(d.Answered)
}
