package main

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"
)

// walState is what the server's write-ahead log looked like at a moment:
// commits wait for it, so its volume, its new segments and its checkpoints
// explain a tail of slow accepts that the daemon's CPU does not.
type walState struct {
	lsnBytes    int64 // pg_current_wal_lsn as bytes
	segments    int   // files in pg_wal
	checkpoints int64 // begun, timed or requested
	settings    string
	ok          bool
}

func walSnapshot(ctx context.Context, pool *pgxpool.Pool) walState {
	var s walState
	err := pool.QueryRow(ctx, `SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint,
			(SELECT count(*) FROM pg_ls_waldir() WHERE name ~ '^[0-9A-F]{24}$'),
			(SELECT checkpoints_timed + checkpoints_req FROM pg_stat_bgwriter),
			format('checkpoint_timeout %s, max_wal_size %s, min_wal_size %s, wal_init_zero %s',
				current_setting('checkpoint_timeout'), current_setting('max_wal_size'),
				current_setting('min_wal_size'), current_setting('wal_init_zero'))`).
		Scan(&s.lsnBytes, &s.segments, &s.checkpoints, &s.settings)
	s.ok = err == nil // pg_ls_waldir needs a superuser or pg_monitor: then no WAL line
	return s
}

// walLine says how much WAL a phase wrote, per post, how many segments
// pg_wal gained (each one created while commits wait, zero-filled unless
// wal_init_zero is off) and how many checkpoints began.
func walLine(before, after walState, posts int) string {
	if !before.ok || !after.ok {
		return ""
	}
	mb := float64(after.lsnBytes-before.lsnBytes) / (1 << 20)
	per := float64(after.lsnBytes-before.lsnBytes) / 1024 / float64(max(posts, 1))
	return fmt.Sprintf("%.0f MB (%.1f KB per post), pg_wal %+d segments, %d checkpoints begun (%s)",
		mb, per, after.segments-before.segments, after.checkpoints-before.checkpoints, after.settings)
}
