package ingest

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"
)

// IdentityLocks are short Redis locks per person identity. They keep two
// processors from racing to open a lead for the same person; the Postgres
// constraint on open leads stays the guarantee when Redis is gone.
type IdentityLocks struct {
	Client *redis.Client
	Prefix string
	TTL    time.Duration
}

// TryLock takes every identity for owner, or none: it returns false when
// another owner holds one of them. Errors: Redis errors (the caller goes on
// without the lock).
func (l *IdentityLocks) TryLock(ctx context.Context, owner string, ids []string) (bool, error) {
	if len(ids) == 0 {
		return true, nil
	}
	pipe := l.Client.Pipeline()
	cmds := make([]*redis.BoolCmd, len(ids))
	for i, id := range ids {
		cmds[i] = pipe.SetNX(ctx, l.Prefix+"lock:"+id, owner, l.TTL)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return false, err
	}
	var got []string
	for i, c := range cmds {
		if c.Val() {
			got = append(got, ids[i])
		}
	}
	if len(got) == len(ids) {
		return true, nil
	}
	return false, l.Unlock(ctx, owner, got)
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
