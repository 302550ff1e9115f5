// Package crmtest gives each test its own real Postgres database and its
// own Redis key prefix, so tests run in parallel against the real parts.
//
// LEADD_TEST_PG is the admin URL of the Postgres server (default
// postgres://postgres@127.0.0.1:5432/postgres), LEADD_TEST_REDIS the Redis
// URL (default redis://127.0.0.1:6379/0).
package crmtest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/leadd/leadd/crm"
)

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// AdminURL is the URL of the test Postgres server's admin database.
func AdminURL() string {
	return env("LEADD_TEST_PG", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable")
}

// DB is a fresh, migrated database of one test.
type DB struct {
	URL   string
	Pool  *pgxpool.Pool
	Store *crm.Store
}

// MustOpenDB creates a migrated database for this test from a template
// (made once per schema), and drops it when the test ends.
func MustOpenDB(tb testing.TB) *DB {
	tb.Helper()
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, AdminURL())
	if err != nil {
		tb.Fatalf("connect to test Postgres (%s): %v", AdminURL(), err)
	}
	defer admin.Close(ctx)
	tmpl := ensureTemplate(tb, ctx, admin)
	name := "leadd_test_" + randomHex(6)
	if _, err := admin.Exec(ctx, fmt.Sprintf(`CREATE DATABASE %s TEMPLATE %s`, name, tmpl)); err != nil {
		tb.Fatalf("create test database: %v", err)
	}
	dbURL := withDatabase(tb, AdminURL(), name)
	pool, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		pool.Close()
		c, err := pgx.Connect(context.Background(), AdminURL())
		if err != nil {
			return
		}
		defer c.Close(context.Background())
		_, _ = c.Exec(context.Background(), fmt.Sprintf(`DROP DATABASE IF EXISTS %s WITH (FORCE)`, name))
	})
	return &DB{URL: dbURL, Pool: pool, Store: crm.NewStore(pool, nil)}
}

// MustOpenKeptDB opens the database called name, which outlives the
// test: made from the migrated template when missing (fresh is true), else
// migrated to the current schema and reused as it is. It is for benchmarks
// whose seeding takes minutes; name must be a plain SQL identifier.
func MustOpenKeptDB(tb testing.TB, name string) (db *DB, fresh bool) {
	tb.Helper()
	for _, r := range name {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			tb.Fatalf("kept database name %q: use a-z, 0-9 and _", name)
		}
	}
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, AdminURL())
	if err != nil {
		tb.Fatalf("connect to test Postgres (%s): %v", AdminURL(), err)
	}
	defer admin.Close(ctx)
	var exists bool
	if err := admin.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		tb.Fatal(err)
	}
	if !exists {
		tmpl := ensureTemplate(tb, ctx, admin)
		if _, err := admin.Exec(ctx, fmt.Sprintf(`CREATE DATABASE %s TEMPLATE %s`, name, tmpl)); err != nil {
			tb.Fatalf("create kept database: %v", err)
		}
	}
	dbURL := withDatabase(tb, AdminURL(), name)
	pool, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(pool.Close)
	store := crm.NewStore(pool, nil)
	if exists {
		if _, err := store.Migrate(ctx); err != nil {
			tb.Fatalf("migrate kept database %s: %v", name, err)
		}
	}
	return &DB{URL: dbURL, Pool: pool, Store: store}, !exists
}

// ensureTemplate makes the migrated template database for the current
// schema once, across parallel test binaries.
func ensureTemplate(tb testing.TB, ctx context.Context, admin *pgx.Conn) string {
	h := sha256.New()
	_ = fs.WalkDir(crm.Schema, ".", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := fs.ReadFile(crm.Schema, path)
			h.Write([]byte(path))
			h.Write(b)
		}
		return nil
	})
	name := "leadd_tmpl_" + hex.EncodeToString(h.Sum(nil))[:12]
	if _, err := admin.Exec(ctx, `SELECT pg_advisory_lock(4242)`); err != nil {
		tb.Fatal(err)
	}
	defer admin.Exec(ctx, `SELECT pg_advisory_unlock(4242)`)
	var exists bool
	if err := admin.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		tb.Fatal(err)
	}
	if exists {
		return name
	}
	build := name + "_build"
	_, _ = admin.Exec(ctx, fmt.Sprintf(`DROP DATABASE IF EXISTS %s WITH (FORCE)`, build))
	if _, err := admin.Exec(ctx, fmt.Sprintf(`CREATE DATABASE %s`, build)); err != nil {
		tb.Fatalf("create template: %v", err)
	}
	store, err := crm.Open(ctx, withDatabase(tb, AdminURL(), build), 2)
	if err != nil {
		tb.Fatal(err)
	}
	_, err = store.Migrate(ctx)
	store.Close()
	if err != nil {
		tb.Fatalf("migrate template: %v", err)
	}
	if _, err := admin.Exec(ctx, fmt.Sprintf(`ALTER DATABASE %s RENAME TO %s`, build, name)); err != nil {
		tb.Fatalf("rename template: %v", err)
	}
	return name
}

func withDatabase(tb testing.TB, raw, name string) string {
	u, err := url.Parse(raw)
	if err != nil {
		tb.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

// Redis is a client on the test Redis and a key prefix of this test only;
// the keys are deleted when the test ends.
type Redis struct {
	Client *redis.Client
	Prefix string
}

// MustRedis returns the test Redis with a fresh prefix.
func MustRedis(tb testing.TB) *Redis {
	tb.Helper()
	opts, err := redis.ParseURL(env("LEADD_TEST_REDIS", "redis://127.0.0.1:6379/0"))
	if err != nil {
		tb.Fatal(err)
	}
	c := redis.NewClient(opts)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		tb.Fatalf("test Redis: %v", err)
	}
	r := &Redis{Client: c, Prefix: "test:" + randomHex(6) + ":"}
	tb.Cleanup(func() {
		ctx := context.Background()
		iter := c.Scan(ctx, 0, r.Prefix+"*", 1000).Iterator()
		for iter.Next(ctx) {
			c.Del(ctx, iter.Val())
		}
		c.Close()
	})
	return r
}

// Exec runs SQL on the test database and fails the test on error.
func (db *DB) Exec(tb testing.TB, sql string, args ...any) {
	tb.Helper()
	if _, err := db.Pool.Exec(context.Background(), sql, args...); err != nil {
		tb.Fatalf("%s: %v", strings.TrimSpace(sql), err)
	}
}

// Count returns the result of a count query.
func (db *DB) Count(tb testing.TB, sql string, args ...any) int {
	tb.Helper()
	var n int
	if err := db.Pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		tb.Fatalf("%s: %v", strings.TrimSpace(sql), err)
	}
	return n
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
