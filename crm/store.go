package crm

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Querier is what both a pool and a transaction can do; helpers that must
// run inside a caller's transaction take one.
type Querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Store is the Postgres store of the domain.
type Store struct {
	pool *pgxpool.Pool
	read *pgxpool.Pool // reports' queries, when a replica is configured
	now  func() time.Time

	// Automation, when set, fires stage rules as deals move.
	Automation *Automation

	fresh  freshHints                    // the outbox consumers' watermarks (outbox_fresh.go)
	junk   atomic.Pointer[[]Reason]      // nil: DefaultJunkReasons
	fields atomic.Pointer[FieldSet]      // nil: no custom fields declared
	zone   atomic.Pointer[time.Location] // nil: UTC
	// sourceNames are the configuration's names of forms and mailboxes.
	sourceNames atomic.Pointer[SourceNames]
}

// SetTimeZone makes loc the company's time zone: the periods of those
// without a zone of their own (an admin's or an integration's token) are
// read in it, as the console reads them (console.time_zone). Safe while
// requests run.
func (s *Store) SetTimeZone(loc *time.Location) { s.zone.Store(loc) }

// Open connects to the database at url with at most maxConns connections.
func Open(ctx context.Context, url string, maxConns int32) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, Invalid("database.url", "%v", err)
	}
	if maxConns > 0 {
		cfg.MaxConns = maxConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	return &Store{pool: pool, now: time.Now}, nil
}

// NewStore wraps an existing pool; now is the clock (time.Now if nil).
func NewStore(pool *pgxpool.Pool, now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	return &Store{pool: pool, now: now}
}

// Pool is the connection pool, for the parts of intake that keep their own
// tables (the inbox) in the same database.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// OpenReadPool connects the reports to a replica at url; their queries go
// there from now on. Errors: EINVALID (database.read_url).
func (s *Store) OpenReadPool(ctx context.Context, url string, maxConns int32) error {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return Invalid("database.read_url", "%v", err)
	}
	if maxConns > 0 {
		cfg.MaxConns = maxConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("open read database: %w", err)
	}
	s.read = pool
	return nil
}

// Close closes every connection.
func (s *Store) Close() {
	if s.read != nil {
		s.read.Close()
	}
	s.pool.Close()
}

// Ping checks the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.pool.Ping(ctx) }
