package crm

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// AnalyzeGrown refreshes the planner's statistics of the tables that have
// grown to more than twice the size their statistics describe, and returns
// their names.
//
// Postgres plans a prepared statement once for all its executions after
// the first few, with the table sizes of that moment, and keeps the plan
// until the table's statistics change. Autovacuum refreshes them a minute
// or more after a table grew by a tenth: right for a settled base, but a
// new database taking its first thousands of leads in that minute (day
// one, an import, a burst) runs on plans made for empty tables — a scan of
// every row of lead_identities or leads per batch where an index probe
// was meant (docs/benchmarks.md). Growth is what makes a plan wrong, so
// growth is what this looks at: a table that only churns is autovacuum's.
// Only the tables of the schemas on the search path are looked at (a
// database shared with another application keeps its own), and tables
// another ANALYZE or a migration holds are skipped until the next call.
func AnalyzeGrown(ctx context.Context, tx pgx.Tx) ([]string, error) {
	rows, err := tx.Query(ctx, `SELECT format('%I.%I', s.schemaname, s.relname)
		FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
		WHERE s.n_live_tup > 2 * greatest(c.reltuples, $1) AND s.schemaname = ANY (current_schemas(false))
		ORDER BY 1`, analyzeFloor)
	if err != nil {
		return nil, fmt.Errorf("grown tables: %w", err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("grown tables: %w", err)
	}
	if len(tables) == 0 {
		return nil, nil
	}
	// A tenth of the usual sample: sizes and the rough shape are what a
	// growing table's plans lack, and the full sample of leads or the inbox
	// takes a core for a quarter of a second, which the accepts waiting
	// meanwhile feel. Autovacuum takes the full one later.
	if _, err := tx.Exec(ctx, `SET LOCAL default_statistics_target = 10`); err != nil {
		return nil, fmt.Errorf("analyze: %w", err)
	}
	for _, t := range tables {
		// The name comes from format('%I'), quoted as an identifier.
		if _, err := tx.Exec(ctx, `ANALYZE (SKIP_LOCKED) `+t); err != nil {
			return nil, fmt.Errorf("analyze %s: %w", t, err)
		}
	}
	return tables, nil
}

// analyzeFloor is the size below which a table's plans are not worth
// refreshing: under a thousand rows every plan is fast.
const analyzeFloor = 500
