package ingest

import (
	"context"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// RateLimiter counts requests per key in fixed one-minute windows in Redis,
// shared by every replica. When Redis is unreachable it allows: intake
// keeps accepting without Redis.
type RateLimiter struct {
	Client *redis.Client
	Prefix string
	Now    func() time.Time
}

// Allow reports whether one more request under key fits in perMinute, and
// when to retry if not.
func (l *RateLimiter) Allow(ctx context.Context, key string, perMinute int) (bool, time.Duration) {
	if l == nil || l.Client == nil || perMinute <= 0 {
		return true, 0
	}
	now := l.Now()
	window := now.Unix() / 60
	k := l.Prefix + "rl:" + key + ":" + strconv.FormatInt(window, 10)
	pipe := l.Client.TxPipeline()
	incr := pipe.Incr(ctx, k)
	pipe.Expire(ctx, k, 2*time.Minute)
	if _, err := pipe.Exec(ctx); err != nil {
		return true, 0
	}
	if incr.Val() <= int64(perMinute) {
		return true, 0
	}
	return false, time.Unix((window+1)*60, 0).Sub(now)
}
