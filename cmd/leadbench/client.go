package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// poster sends one form post and returns the event id, or what went
// wrong; each posting goroutine has its own.
type poster interface {
	post(ctx context.Context, body string) (id, failure string)
	close()
}

// stdPoster posts through net/http's client (-client std).
type stdPoster struct {
	client   *http.Client
	endpoint string
}

func (p stdPoster) post(ctx context.Context, body string) (string, string) {
	return postOne(ctx, p.client, p.endpoint, body)
}

func (p stdPoster) close() {}

// leanPoster posts over one keep-alive HTTP/1.1 connection of its own,
// writing the request itself and reading the answer with net/http's
// parser (-client lean, the default). On this two-core machine the load
// generator's CPU is taken from the daemon: net/http's client hands each
// request between three goroutines and spent ~35 µs of CPU a post
// (docs/benchmarks.md). What is measured is the same — every post a
// request on one of -c connections, answered 202 with an event id — at
// less cost to the machine under test.
type leanPoster struct {
	addr, head string
	conn       net.Conn
	r          *bufio.Reader
	w          *bufio.Writer
	buf        []byte
}

// newLeanPoster posts to endpoint, an http:// address (parseFlags has
// checked it).
func newLeanPoster(endpoint string) *leanPoster {
	u, _ := url.Parse(endpoint)
	addr := u.Host
	if u.Port() == "" {
		addr = net.JoinHostPort(u.Hostname(), "80")
	}
	head := "POST " + u.RequestURI() + " HTTP/1.1\r\nHost: " + u.Host +
		"\r\nContent-Type: application/x-www-form-urlencoded\r\nAccept: application/json\r\nContent-Length: "
	return &leanPoster{addr: addr, head: head}
}

func (p *leanPoster) post(ctx context.Context, body string) (string, string) {
	if err := ctx.Err(); err != nil {
		return "", "transport error"
	}
	if p.conn == nil {
		c, err := (&net.Dialer{Timeout: 5 * time.Second}).DialContext(ctx, "tcp", p.addr)
		if err != nil {
			return "", "transport error"
		}
		p.conn, p.r, p.w = c, bufio.NewReader(c), bufio.NewWriter(c)
	}
	id, failure, keep := p.exchange(body)
	if !keep {
		p.close()
	}
	return id, failure
}

// exchange writes one request and reads its answer; keep says whether
// the connection may carry the next one.
func (p *leanPoster) exchange(body string) (id, failure string, keep bool) {
	_ = p.conn.SetDeadline(time.Now().Add(30 * time.Second))
	p.buf = append(append(append(append(p.buf[:0], p.head...), strconv.Itoa(len(body))...), "\r\n\r\n"...), body...)
	if _, err := p.w.Write(p.buf); err != nil {
		return "", "transport error", false
	}
	if err := p.w.Flush(); err != nil {
		return "", "transport error", false
	}
	resp, err := http.ReadResponse(p.r, nil)
	if err != nil {
		return "", "transport error", false
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return "", "reading the answer", false
	}
	keep = !resp.Close
	if resp.StatusCode != http.StatusAccepted {
		return "", "HTTP " + resp.Status, keep
	}
	var ans struct {
		EventID string `json:"event_id"`
	}
	if json.Unmarshal(b, &ans) != nil || ans.EventID == "" {
		return "", "202 without an event_id", keep
	}
	return ans.EventID, "", keep
}

func (p *leanPoster) close() {
	if p.conn != nil {
		p.conn.Close()
		p.conn = nil
	}
}
