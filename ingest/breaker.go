package ingest

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// ErrRedisDown is what every Redis call answers, at once, while the
// breaker is open.
var ErrRedisDown = errors.New("redis is unavailable (circuit open)")

// RedisBreaker is a go-redis hook that stops calling Redis for Cooldown
// after a call found it unreachable: with Redis down, locks, rate limits
// and cursors fail at once instead of each waiting for a connection
// timeout, and the outage is logged once when it starts and once when it
// ends, not once per lead. Redis only speeds Leadd up; what uses it goes
// on without it.
type RedisBreaker struct {
	Cooldown time.Duration // how long calls are refused before one is tried again (1s)
	Log      *slog.Logger
	Now      func() time.Time

	mu        sync.Mutex
	down      bool
	since     time.Time
	openUntil time.Time
	refused   int
}

var _ redis.Hook = (*RedisBreaker)(nil)

// Down reports whether Redis is taken for unreachable now, and since when.
func (b *RedisBreaker) Down() (bool, time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.down, b.since
}

func (b *RedisBreaker) now() time.Time {
	if b.Now != nil {
		return b.Now()
	}
	return time.Now()
}

// allow refuses a call while the breaker is open.
func (b *RedisBreaker) allow() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.down && b.now().Before(b.openUntil) {
		b.refused++
		return ErrRedisDown
	}
	return nil
}

// record opens the breaker on an outage and closes it on an answer.
func (b *RedisBreaker) record(err error) {
	outage := unreachable(err)
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	switch {
	case outage:
		cool := b.Cooldown
		if cool <= 0 {
			cool = time.Second
		}
		b.openUntil = now.Add(cool)
		if !b.down {
			b.down, b.since, b.refused = true, now, 0
			b.log().Warn("redis unavailable; going on without it (locks in Postgres, no rate limits) until it answers", "err", err)
		}
	case b.down:
		b.down = false
		b.log().Info("redis answers again", "down_for", now.Sub(b.since).Round(time.Millisecond).String(), "calls_refused", b.refused)
	}
}

func (b *RedisBreaker) log() *slog.Logger {
	if b.Log == nil {
		return slog.Default()
	}
	return b.Log
}

// unreachable tells an outage (no connection, a timeout) from an answer
// (a value, nil, or an error Redis itself replied).
func unreachable(err error) bool {
	if err == nil || errors.Is(err, redis.Nil) || errors.Is(err, ErrRedisDown) ||
		errors.Is(err, context.Canceled) {
		return false
	}
	var reply redis.Error
	if errors.As(err, &reply) {
		return false
	}
	return true
}

// DialHook passes dials through: a failed dial fails the call it was for.
func (b *RedisBreaker) DialHook(next redis.DialHook) redis.DialHook { return next }

// ProcessHook refuses a call at once while the breaker is open.
func (b *RedisBreaker) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if err := b.allow(); err != nil {
			cmd.SetErr(err)
			return err
		}
		err := next(ctx, cmd)
		b.record(err)
		return err
	}
}

// ProcessPipelineHook refuses a pipeline at once while the breaker is open.
func (b *RedisBreaker) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if err := b.allow(); err != nil {
			for _, c := range cmds {
				c.SetErr(err)
			}
			return err
		}
		err := next(ctx, cmds)
		b.record(err)
		return err
	}
}
