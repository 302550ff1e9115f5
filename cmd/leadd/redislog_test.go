package main

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
)

// With Redis down, go-redis complains on every failed dial; the outage is
// the breaker's one line when it begins and one when it ends, so those
// complaints are debug lines, and anything else the client says is still
// a warning.
func TestRedisDialFailuresAreNotALineALead(t *testing.T) {
	var buf bytes.Buffer
	l := redisLogger{slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))}
	for range 1000 {
		l.Printf(context.Background(), "redis: connection pool: failed to dial after %d attempts: %v", 1, "dial tcp 127.0.0.1:1: connect: connection refused")
	}
	l.Printf(context.Background(), "redis: discarding bad PubSub connection: %v", "EOF")
	if got := strings.Count(buf.String(), "\n"); got != 1 || !strings.Contains(buf.String(), "level=WARN") || !strings.Contains(buf.String(), "PubSub") {
		t.Errorf("1,000 failed dials and one other complaint logged %d lines at info and above:\n%s", got, buf.String())
	}
}
