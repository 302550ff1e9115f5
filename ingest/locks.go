package ingest

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"
)

// IdentityLocks are short Redis locks per person identity. They keep two
// processors from racing to open a lead for the same person; the Postgres
// constraint on open leads stays the guarantee when Redis is gone.
//
// A lock lives TTL (a few seconds) and its owner extends it while its
// batch runs (Keep): a process that dies, even by SIGKILL, holds nobody
// up for longer than TTL.
type IdentityLocks struct {
	Client *redis.Client
	Prefix string
	TTL    time.Duration
}

var extendScript = redis.NewScript(`
local n = 0
for i, key in ipairs(KEYS) do
  if redis.call("GET", key) == ARGV[1] then n = n + redis.call("PEXPIRE", key, ARGV[2]) end
end
return n`)

// Keep extends owner's locks on ids every TTL/3 until the returned stop is
// called; stop waits for the keeper to end.
func (l *IdentityLocks) Keep(ctx context.Context, owner string, ids []string) (stop func()) {
	if len(ids) == 0 {
		return func() {}
	}
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = l.Prefix + "lock:" + id
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(max(l.TTL/3, 10*time.Millisecond))
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				_ = extendScript.Run(ctx, l.Client, keys, owner, l.TTL.Milliseconds()).Err()
			}
		}
	}()
	return func() { cancel(); <-done }
}

// Acquire takes for owner, in one round trip, every identity that nobody
// holds, and returns those it took. Errors: Redis errors (the caller goes
// on without locks; the database constraint still holds).
func (l *IdentityLocks) Acquire(ctx context.Context, owner string, ids []string) ([]string, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	pipe := l.Client.Pipeline()
	cmds := make([]*redis.BoolCmd, len(ids))
	for i, id := range ids {
		cmds[i] = pipe.SetNX(ctx, l.Prefix+"lock:"+id, owner, l.TTL)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, err
	}
	var got []string
	for i, c := range cmds {
		if c.Val() {
			got = append(got, ids[i])
		}
	}
	return got, nil
}

var unlockScript = redis.NewScript(`
local n = 0
for i, key in ipairs(KEYS) do
  if redis.call("GET", key) == ARGV[1] then n = n + redis.call("DEL", key) end
end
return n`)

// Unlock releases the identities owner holds; locks taken over by someone
// else after a TTL are left alone.
func (l *IdentityLocks) Unlock(ctx context.Context, owner string, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = l.Prefix + "lock:" + id
	}
	return unlockScript.Run(ctx, l.Client, keys, owner).Err()
}
