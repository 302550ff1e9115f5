package crm_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/crm/crmtest"
)

// A plan Postgres made for a prepared statement while a table was small is
// replaced once the table has grown: AnalyzeGrown refreshes the statistics
// of every table that more than doubled since they were taken — and of no
// table that only churned or is still small — and the statement's next
// execution probes the index instead of reading the whole table.
func TestPlansMadeOnASmallTableAreRemadeOnceItGrows(t *testing.T) {
	t.Parallel()
	db := crmtest.MustOpenDB(t)
	ctx := context.Background()
	identities := func(from, to int) {
		t.Helper()
		db.Exec(t, `INSERT INTO leads (id, channel, name) SELECT i, 'form', 'Лид ' || i FROM generate_series($1::bigint, $2) i`, from, to)
		db.Exec(t, `INSERT INTO lead_identities (identity, lead_id) SELECT 'tel:+7926' || lpad(i::text, 7, '0'), i
			FROM generate_series($1::bigint, $2) i`, from, to)
	}
	identities(1, 1200)
	db.Exec(t, `INSERT INTO contacts (name) SELECT 'Клиент ' || i FROM generate_series(1, 2000) i`)
	db.Exec(t, `ANALYZE leads, lead_identities, contacts`)

	// The processor's shape: a batch's identities joined to the table,
	// planned once for every execution, as a pooled connection keeps it.
	conn, err := pgx.Connect(ctx, db.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `SET plan_cache_mode = force_generic_plan`); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `PREPARE lookup(text[]) AS
		SELECT li.lead_id FROM unnest($1::text[]) q(identity) JOIN lead_identities li ON li.identity = q.identity`); err != nil {
		t.Fatal(err)
	}
	plan := func() string {
		t.Helper()
		rows, err := conn.Query(ctx, `EXPLAIN EXECUTE lookup('{tel:+79260000001,tel:+79260000002}')`)
		if err != nil {
			t.Fatal(err)
		}
		lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		return strings.Join(lines, "\n")
	}
	if p := plan(); !strings.Contains(p, "Seq Scan on lead_identities") {
		t.Fatalf("the premise: on 1,200 rows the plan reads the whole table; it is\n%s", p)
	}

	// lead_identities grows 25 times over; contacts churn in place.
	identities(1201, 30000)
	for range 3 {
		db.Exec(t, `UPDATE contacts SET name = name || '.'`)
	}
	waitForStatistics(t, db, "lead_identities", 30000)

	analyzed := analyzeGrown(t, db)
	for _, want := range []string{"public.lead_identities", "public.leads"} {
		if !slices.Contains(analyzed, want) {
			t.Errorf("analyzed %v, want %s among them", analyzed, want)
		}
	}
	for _, not := range []string{"public.contacts", "public.managers"} {
		if slices.Contains(analyzed, not) {
			t.Errorf("analyzed %v: %s only churned or is small", analyzed, not)
		}
	}
	if p := plan(); strings.Contains(p, "Seq Scan on lead_identities") {
		t.Errorf("after AnalyzeGrown the plan still reads all 30,000 rows:\n%s", p)
	}
	if again := analyzeGrown(t, db); len(again) != 0 {
		t.Errorf("nothing grew since, yet analyzed %v", again)
	}
}

func analyzeGrown(t *testing.T, db *crmtest.DB) []string {
	t.Helper()
	var tables []string
	err := pgx.BeginFunc(context.Background(), db.Pool, func(tx pgx.Tx) (err error) {
		tables, err = crm.AnalyzeGrown(context.Background(), tx)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return tables
}

// waitForStatistics waits until the statistics collector counts rows live
// rows in table: backends report their counts up to a second late.
func waitForStatistics(t *testing.T, db *crmtest.DB, table string, rows int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for db.Count(t, `SELECT coalesce(max(n_live_tup), 0) FROM pg_stat_user_tables WHERE relname = $1`, table) < rows {
		if time.Now().After(deadline) {
			t.Fatalf("the statistics never counted %d rows in %s", rows, table)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
