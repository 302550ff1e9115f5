package crm

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// inTxRetrying runs fn in a transaction, again when Postgres broke a
// deadlock or a serialization failure by rolling it back: nothing of the
// failed run stays, so the next is a clean try. Up to three runs; the
// last error is returned as it is.
func inTxRetrying(ctx context.Context, db interface {
	Begin(context.Context) (pgx.Tx, error)
}, fn func(pgx.Tx) error) error {
	var err error
	for range 3 {
		if err = pgx.BeginFunc(ctx, db, fn); !retryable(err) || ctx.Err() != nil {
			return err
		}
	}
	return err
}

// retryable reports whether err is Postgres giving up a transaction that
// may simply be run again: a deadlock (40P01) or a serialization failure
// (40001).
func retryable(err error) bool {
	var pg *pgconn.PgError
	return errors.As(err, &pg) && (pg.Code == "40P01" || pg.Code == "40001")
}
