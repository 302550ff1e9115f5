package routing

import (
	"context"
	"sync"

	"github.com/redis/go-redis/v9"
)

// RedisCursors keeps round-robin turns in Redis, so every replica and every
// restart continues the same rotation. Losing them only restarts a
// rotation; Postgres holds every decision already made.
type RedisCursors struct {
	Client *redis.Client
	Prefix string
}

// Next returns the next turn of the named rotation. Errors: Redis errors.
func (c RedisCursors) Next(ctx context.Context, key string) (uint64, error) {
	n, err := c.Client.Incr(ctx, c.Prefix+key).Uint64()
	return n - 1, err
}

// Peek returns the turn Next would give, without taking it.
func (c RedisCursors) Peek(ctx context.Context, key string) (uint64, error) {
	n, err := c.Client.Get(ctx, c.Prefix+key).Uint64()
	if err == redis.Nil {
		return 0, nil
	}
	return n, err
}

// MemoryCursors keeps turns in this process only: for tests and for a
// single replica without Redis.
type MemoryCursors struct {
	mu sync.Mutex
	n  map[string]uint64
}

// Next returns the next turn of the named rotation.
func (c *MemoryCursors) Next(_ context.Context, key string) (uint64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[string]uint64{}
	}
	t := c.n[key]
	c.n[key] = t + 1
	return t, nil
}

// Peek returns the turn Next would give, without taking it.
func (c *MemoryCursors) Peek(_ context.Context, key string) (uint64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[key], nil
}
