package crm_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/crm/crmtest"
)

// BenchmarkReports answers every report for a month and for a year over a
// department with 1,000,000 leads, 100,000 deals and 3,000,000 stage
// changes (docs/benchmarks.md). The seed writes the raw tables with
// generate_series, triggers off, and then derives the deals' facts from
// the stage history with report_rebuild_deals(), as the migration would.
//
//	go test -run '^$' -bench BenchmarkReports -benchtime 5x ./crm/
func BenchmarkReports(b *testing.B) {
	db := crmtest.MustOpenDB(b)
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	st := crm.NewStore(db.Pool, func() time.Time { return now })
	start := time.Now()
	seedReports(b, db, st, now)
	b.Logf("seeded in %s", time.Since(start).Round(time.Second))
	msk, _ := time.LoadLocation("Europe/Moscow")
	month := crm.ReportFilter{From: time.Date(2026, 11, 1, 0, 0, 0, 0, msk), To: time.Date(2026, 12, 1, 0, 0, 0, 0, msk), Pipeline: "sales"}
	year := crm.ReportFilter{From: now.AddDate(-1, 0, 0), To: now, Pipeline: "sales"}
	for _, name := range crm.ReportNames {
		for _, p := range []struct {
			name string
			f    crm.ReportFilter
		}{{"month", month}, {"year", year}} {
			b.Run(name+"/"+p.name, func(b *testing.B) {
				rq := crm.ReportQuery{Filter: p.f, Loc: msk, SLA: 15 * time.Minute, StuckDays: 14}
				for i := 0; i < b.N; i++ {
					runReport(b, st, name, rq)
				}
			})
		}
	}
}

func seedReports(tb testing.TB, db *crmtest.DB, st *crm.Store, now time.Time) {
	ctx := context.Background()
	p := func(n int) *int { return &n }
	ps := []crm.Pipeline{{Key: "sales", Name: "Продажи", Default: true, LossReasons: []string{"price", "competitor"},
		Stages: []crm.Stage{{Key: "new", Probability: p(10)}, {Key: "needs", Probability: p(20)}, {Key: "proposal", Probability: p(40)},
			{Key: "invoice", Probability: p(70)}, {Key: "payment", Probability: p(90)}, {Key: "won", Semantic: "won"}, {Key: "lost", Semantic: "lost"}}}}
	if errs := crm.ValidatePipelines("pipelines", ps); len(errs) > 0 {
		tb.Fatal(errs)
	}
	if err := st.ReconcilePipelines(ctx, ps); err != nil {
		tb.Fatal(err)
	}
	for i := 1; i <= 20; i++ {
		if _, err := st.CreateManager(ctx, crm.Manager{Name: fmt.Sprintf("Менеджер %02d", i), TimeZone: "Europe/Moscow", Active: true}); err != nil {
			tb.Fatal(err)
		}
	}
	conn, err := db.Pool.Acquire(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	defer conn.Release()
	t0 := now.AddDate(-1, 0, 0)
	for _, step := range []struct{ what, sql string }{
		{"triggers off", `SET session_replication_role = replica`},
		{"leads", `INSERT INTO leads (status, junk_reason, channel, source, utm, manager_id, hops, name, created_at, updated_at,
				status_changed_at, taken_at, first_response_at, first_response_kind, reached_at)
			SELECT status, CASE WHEN status = 'junk' THEN (ARRAY['spam', 'test', 'duplicate', 'other'])[1 + g % 4] END,
				(ARRAY['form', 'call', 'mail', 'messenger'])[1 + g % 4], (ARRAY['site', 'landing', '+74950000001', 'sales'])[1 + (g / 4) % 4],
				CASE WHEN g % 4 = 0 AND g % 3 <> 0 THEN jsonb_build_object('utm_source', (ARRAY['yandex', 'google', 'vk'])[1 + g % 3],
					'utm_campaign', 'c' || (g % 20)) ELSE '{}' END,
				1 + g % 20, (g % 11 = 0)::int, 'Клиент ' || g, created, created, created + resp,
				CASE WHEN status IN ('in_progress', 'converted') THEN created + resp END,
				CASE WHEN g % 9 <> 0 THEN created + resp END, CASE WHEN g % 9 <> 0 THEN 'call' END,
				CASE WHEN g % 9 <> 0 AND g % 5 <> 0 THEN created + resp END
			FROM (SELECT g, $1::timestamptz + g * interval '31.536 seconds' AS created,
					((g::bigint * 7919) % 3000) * interval '1 minute' / 10 AS resp,
					CASE WHEN g % 10 = 0 THEN 'converted' WHEN g % 7 = 0 THEN 'junk' WHEN g % 3 = 0 THEN 'new' ELSE 'in_progress' END AS status
				FROM generate_series(1, 1000000) g) x`},
		{"deals", `INSERT INTO deals (title, pipeline_id, stage_id, manager_id, lead_id, amount, created_at, updated_at, closed_at, loss_reason)
			SELECT 'Сделка ' || l.id, s.pipeline_id, s.st[f.fin], l.manager_id, l.id, ((l.id * 7919) % 50000000) / 100.0,
				l.created_at + interval '2 hours', l.created_at + interval '2 hours',
				CASE WHEN f.fin >= 6 THEN l.created_at + interval '2 hours' + 29 * interval '20 hours' END,
				CASE WHEN f.fin = 7 THEN 'price' END
			FROM leads l, (SELECT pipeline_id, array_agg(id ORDER BY position) AS st FROM stages GROUP BY pipeline_id) s,
				LATERAL (SELECT CASE WHEN l.id % 10 < 3 THEN 6 WHEN l.id % 10 < 6 THEN 7 ELSE 1 + l.id % 5 END AS fin) f
			WHERE l.status = 'converted'`},
		{"stage history", `INSERT INTO deal_stage_history (deal_id, from_stage_id, to_stage_id, at)
			SELECT d.id, CASE WHEN k > 1 THEN s.st[pos(k - 1, d.id, d.fin)] END, s.st[pos(k, d.id, d.fin)], d.created_at + (k - 1) * interval '20 hours'
			FROM (SELECT d.*, array_position(s.st, d.stage_id) AS fin FROM deals d,
					(SELECT array_agg(id ORDER BY position) AS st FROM stages) s) d,
				(SELECT array_agg(id ORDER BY position) AS st FROM stages) s, generate_series(1, 30) k`},
		{"activities", `INSERT INTO activities (type, subject, lead_id, manager_id, due_at, done_at, outcome, created_at)
			SELECT 'call', 'Call back: new lead', id, manager_id, created_at + interval '5 minutes', first_response_at,
				CASE WHEN first_response_at IS NOT NULL THEN 'done' END, created_at FROM leads`},
		{"calls", `INSERT INTO touches (lead_id, channel, at, data)
			SELECT id, 'call', created_at, jsonb_build_object('call', jsonb_build_object('direction', CASE WHEN id % 2 = 0 THEN 'in' ELSE 'out' END,
				'answered', id % 3 = 0, 'states', jsonb_build_array('ended', 'ringing'))) FROM leads WHERE channel = 'call'`},
		{"triggers on", `SET session_replication_role = DEFAULT`},
		{"deal facts", `SELECT report_rebuild_deals()`},
		{"statistics", `VACUUM ANALYZE`},
	} {
		start := time.Now()
		sql := step.sql
		args := []any{}
		if step.what == "leads" {
			args = append(args, t0)
		}
		if step.what == "stage history" {
			if _, err := conn.Exec(ctx, `CREATE FUNCTION pg_temp.pos(k int, id bigint, fin int) RETURNS int IMMUTABLE LANGUAGE sql AS
				$$ SELECT CASE WHEN k = 1 THEN 1 WHEN k = 30 THEN fin ELSE 1 + ((k + id) % 5)::int END $$`); err != nil {
				tb.Fatal(err)
			}
			sql = replacePos(sql)
		}
		if _, err := conn.Exec(ctx, sql, args...); err != nil {
			tb.Fatalf("seed %s: %v", step.what, err)
		}
		tb.Logf("seed %s: %s", step.what, time.Since(start).Round(time.Millisecond))
	}
	var leads, deals, moves int
	if err := db.Pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM leads), (SELECT count(*) FROM deals), (SELECT count(*) FROM deal_stage_history)`).
		Scan(&leads, &deals, &moves); err != nil {
		tb.Fatal(err)
	}
	tb.Logf("seeded %d leads, %d deals, %d stage changes", leads, deals, moves)
}

func replacePos(sql string) string {
	out := ""
	for i := 0; i < len(sql); i++ {
		if i+4 <= len(sql) && sql[i:i+4] == "pos(" && (i == 0 || sql[i-1] == '[') {
			out += "pg_temp.pos("
			i += 3
			continue
		}
		out += string(sql[i])
	}
	return out
}
