package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	mrand "math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// The machine's own limits, measured in the same run as Leadd so that the
// report can give ratios that do not move with the machine (docs/benchmarks.md):
//
//   - the INSERT ceiling: single-row INSERTs of an inbox-sized row, each its
//     own transaction, over the same number of connections — what accepting
//     a post cannot beat, since accepted means a committed row;
//   - the naive lead transaction: per event, look the caller up by phone,
//     insert a lead and its call activity, bump the manager's counter, and
//     commit — what processing one event at a time, the obvious way, costs.
//
// Both run against a database of their own with Leadd's schema (the same
// tables and indexes the daemon writes), seeded with the same contacts.

// baselines are the two limits, in operations per second.
type baselines struct {
	insert, naive float64
	conns         int
	took          time.Duration
}

// measureBaselines runs each limit for d over conns connections.
func measureBaselines(ctx context.Context, dsn string, contacts int, returning float64, conns int, d time.Duration,
	progress func(string, ...any)) (baselines, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return baselines{}, fmt.Errorf("base database: %w", err)
	}
	cfg.MaxConns = int32(conns)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return baselines{}, fmt.Errorf("base database: %w", err)
	}
	defer pool.Close()
	begin := time.Now()
	if err := prepareBase(ctx, pool, contacts); err != nil {
		return baselines{}, err
	}
	var b baselines
	b.conns = conns
	progress("baseline: single-row INSERT ceiling, %d connections, %s", conns, d)
	if b.insert, err = hammer(ctx, pool, conns, d, insertOne); err != nil {
		return b, fmt.Errorf("insert ceiling: %w", err)
	}
	phones, err := basePhones(ctx, pool)
	if err != nil {
		return b, err
	}
	progress("baseline: naive lead transaction, %d connections, %s", conns, d)
	if b.naive, err = hammer(ctx, pool, conns, d, naiveLead(phones, returning)); err != nil {
		return b, fmt.Errorf("naive transaction: %w", err)
	}
	b.took = time.Since(begin)
	return b, nil
}

// prepareBase makes the baselines' own tables and seeds managers and
// contacts as the daemon's database has them.
func prepareBase(ctx context.Context, pool *pgxpool.Pool, contacts int) error {
	_, err := pool.Exec(ctx, `
		CREATE TABLE IF NOT EXISTS bench_insert (
			id uuid PRIMARY KEY, source text NOT NULL, external_id text NOT NULL,
			received_at timestamptz NOT NULL DEFAULT now(), event jsonb NOT NULL);
		CREATE TABLE IF NOT EXISTS bench_manager_load (manager_id bigint PRIMARY KEY, open_leads int NOT NULL DEFAULT 0);
		INSERT INTO managers (name, role, time_zone)
			SELECT n, 'manager', 'Europe/Moscow' FROM unnest(ARRAY['Base One', 'Base Two']) n
			WHERE NOT EXISTS (SELECT 1 FROM managers);
		INSERT INTO bench_manager_load (manager_id) SELECT id FROM managers ON CONFLICT DO NOTHING`)
	if err != nil {
		return fmt.Errorf("prepare base database: %w", err)
	}
	if _, err := seedContacts(ctx, pool, contacts); err != nil {
		return err
	}
	return nil
}

func basePhones(ctx context.Context, pool *pgxpool.Pool) ([]string, error) {
	rows, err := pool.Query(ctx, `SELECT substr(identity, 5) FROM contact_identities WHERE identity LIKE 'tel:%'`)
	if err != nil {
		return nil, fmt.Errorf("base phones: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// op is one unit of a baseline's work on one connection.
type op func(ctx context.Context, conn *pgxpool.Conn, rng *mrand.Rand, n int64) error

// hammer runs op on conns connections for d and returns operations per
// second; the first error stops it.
func hammer(ctx context.Context, pool *pgxpool.Pool, conns int, d time.Duration, f op) (float64, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var done, seq atomic.Int64
	var first error
	var once sync.Once
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(d)
	for w := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, err := pool.Acquire(ctx)
			if err != nil {
				once.Do(func() { first = err; cancel() })
				return
			}
			defer conn.Release()
			rng := mrand.New(mrand.NewPCG(uint64(w)+1, uint64(start.UnixNano())))
			for time.Now().Before(deadline) && ctx.Err() == nil {
				if err := f(ctx, conn, rng, seq.Add(1)); err != nil {
					once.Do(func() { first = err; cancel() })
					return
				}
				done.Add(1)
			}
		}()
	}
	wg.Wait()
	if first != nil {
		return 0, first
	}
	return float64(done.Load()) / time.Since(start).Seconds(), nil
}

// insertOne is one accepted post as the cheapest possible write: one row
// the size of a form event, committed on its own.
func insertOne(ctx context.Context, conn *pgxpool.Conn, rng *mrand.Rand, n int64) error {
	var id [16]byte
	_, _ = rand.Read(id[:])
	id[6], id[8] = id[6]&0x0f|0x40, id[8]&0x3f|0x80
	event := fmt.Sprintf(`{"source":"form:contact","touch":{"channel":"form","name":"Иван Петров","phones":["+7916%07d"],`+
		`"text":"Перезвоните, пожалуйста","at":"%s"}}`, rng.IntN(1e7), time.Now().UTC().Format(time.RFC3339Nano))
	_, err := conn.Exec(ctx, `INSERT INTO bench_insert (id, source, external_id, event) VALUES ($1, $2, $3, $4)`,
		hex.EncodeToString(id[:]), "form:contact", "base-"+strconv.FormatInt(n, 10)+"-"+hex.EncodeToString(id[:4]), event)
	return err
}

// naiveLead processes one event the obvious way, in a transaction of its own.
func naiveLead(phones []string, returning float64) op {
	return func(ctx context.Context, conn *pgxpool.Conn, rng *mrand.Rand, n int64) error {
		phone := fmt.Sprintf("+7903%07d", n%1e7)
		if rng.Float64() < returning && len(phones) > 0 {
			phone = phones[rng.IntN(len(phones))]
		}
		return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			var contactID, managerID *int64
			err := tx.QueryRow(ctx, `SELECT c.id, c.manager_id FROM contact_identities ci JOIN contacts c ON c.id = ci.contact_id
				WHERE ci.identity = $1`, "tel:"+phone).Scan(&contactID, &managerID)
			if err != nil && err != pgx.ErrNoRows {
				return err
			}
			if managerID == nil {
				var m int64
				if err := tx.QueryRow(ctx, `SELECT manager_id FROM bench_manager_load ORDER BY open_leads, manager_id LIMIT 1`).Scan(&m); err != nil {
					return err
				}
				managerID = &m
			}
			now := time.Now()
			var leadID int64
			if err := tx.QueryRow(ctx, `INSERT INTO leads (channel, source, name, phones, contact_id, manager_id, sla_due_at, created_at, updated_at)
				VALUES ('form', 'contact', 'Иван Петров', ARRAY[$1], $2, $3, $4, $5, $5) RETURNING id`,
				phone, contactID, managerID, now.Add(5*time.Minute), now).Scan(&leadID); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO activities (type, subject, lead_id, contact_id, manager_id, due_at, created_at)
				VALUES ('call', 'Перезвонить', $1, $2, $3, $4, $5)`, leadID, contactID, managerID, now.Add(5*time.Minute), now); err != nil {
				return err
			}
			_, err = tx.Exec(ctx, `UPDATE bench_manager_load SET open_leads = open_leads + 1 WHERE manager_id = $1`, managerID)
			return err
		})
	}
}
