package console_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/crm/crmtest"
	"github.com/leadd/leadd/dedupe"
	"github.com/leadd/leadd/web/console"
)

// BenchmarkPages is each console page's server time with 1,000,000
// leads, 500,000 contacts, 100,000 companies and 100,000 deals in the
// tables, as a manager and as a supervisor. The target: 50 ms a
// page, 200 KB at most. Seeding takes minutes, so it runs only when asked:
//
//	LEADD_CONSOLE_BENCH=1 go test ./web/console -run x -bench Pages -benchtime 20x
//
// LEADD_CONSOLE_BENCH_DB=leadd_console_bench keeps the seeded database
// under that name and reuses it on the next run (migrated to the current
// schema first), for iterating on a page; drop it to seed afresh. Its
// times are relative to the seeding, so "today" drifts as it ages.
func BenchmarkPages(b *testing.B) {
	if os.Getenv("LEADD_CONSOLE_BENCH") == "" {
		b.Skip("set LEADD_CONSOLE_BENCH=1: it seeds a million leads")
	}
	ctx := context.Background()
	var db *crmtest.DB
	seed := true
	if name := os.Getenv("LEADD_CONSOLE_BENCH_DB"); name != "" {
		db, _ = crmtest.MustOpenKeptDB(b, name)
		seed = db.Count(b, `SELECT count(*) FROM pg_tables WHERE tablename = 'console_bench_seeded'`) == 0
		if seed && db.Count(b, `SELECT count(*) FROM managers`) > 0 {
			b.Fatalf("database %s is half seeded (an earlier run stopped): DROP DATABASE %s and run again", name, name)
		}
	} else {
		db = crmtest.MustOpenDB(b)
	}
	if seed {
		seedPages(b, db)
	} else {
		// Migrations added since the seeding may have brought indexes.
		db.Exec(b, `ANALYZE`)
	}

	srv, err := console.New(db.Store, console.Options{SLA: 5 * time.Minute, Phones: dedupe.Normalizer{Region: "RU"},
		VAT: crm.VATRates{"vat22": "22", "none": ""}}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	mux := http.NewServeMux()
	srv.Register(mux)
	manager := int64(7)
	var lead, deal, contact int64
	if err := db.Store.Pool().QueryRow(ctx, `SELECT max(id) FROM leads WHERE manager_id = 7`).Scan(&lead); err != nil {
		b.Fatal(err)
	}
	if err := db.Store.Pool().QueryRow(ctx, `SELECT max(id), (SELECT max(id) FROM contacts WHERE manager_id = 7) FROM deals WHERE manager_id = 7`).Scan(&deal, &contact); err != nil {
		b.Fatal(err)
	}
	cookie := func(p crm.Principal) *http.Cookie {
		tok, _, err := db.Store.CreateSession(ctx, p, time.Hour)
		if err != nil {
			b.Fatal(err)
		}
		return &http.Cookie{Name: "leadd_session", Value: tok}
	}
	people := []struct {
		who    string
		cookie *http.Cookie
	}{
		{"manager", cookie(crm.Principal{Name: "Менеджер 7", Role: crm.RoleManager, ManagerID: &manager})},
		{"supervisor", cookie(crm.Principal{Name: "Руководитель", Role: crm.RoleSupervisor})},
	}
	pages := []string{"/", fmt.Sprintf("/leads/%d", lead), "/deals", "/deals/list", fmt.Sprintf("/deals/%d", deal),
		"/clients", "/clients?q=" + url.QueryEscape("Клиент 1234"), "/clients?q=" + url.QueryEscape("8 (916) 000-12-34"),
		"/clients?q=7700001234", fmt.Sprintf("/contacts/%d", contact), "/work"}
	for _, person := range people {
		ps := pages
		if person.who == "supervisor" {
			ps = append(ps, "/team")
		}
		for _, page := range ps {
			b.Run(person.who+" "+page, func(b *testing.B) {
				size := 0
				for b.Loop() {
					req := httptest.NewRequest("GET", page, nil)
					req.AddCookie(person.cookie)
					rec := httptest.NewRecorder()
					mux.ServeHTTP(rec, req)
					if rec.Code != 200 {
						b.Fatalf("%s answered %d: %.300s", page, rec.Code, rec.Body.String())
					}
					size = rec.Body.Len()
				}
				b.ReportMetric(float64(size)/1024, "KB")
				if size > 200<<10 {
					b.Errorf("%s weighs %d KB, over 200", page, size>>10)
				}
			})
		}
	}
}

// seedPages fills db with the benchmark's department. With
// LEADD_CONSOLE_BENCH_DB the database is kept and marked seeded, so the
// next run skips the minutes this takes.
func seedPages(b *testing.B, db *crmtest.DB) {
	if err := db.Store.ReconcilePipelines(context.Background(), []crm.Pipeline{{Key: "sales", Name: "Продажи", Default: true,
		LossReasons: []string{"price", "other"}, Stages: []crm.Stage{
			{Key: "new", Name: "Новая", Semantic: "progress"}, {Key: "needs", Name: "Потребности", Semantic: "progress"}, {Key: "proposal", Name: "КП", Semantic: "progress"},
			{Key: "invoice", Name: "Счёт", Semantic: "progress"}, {Key: "payment", Name: "Оплата", Semantic: "progress"},
			{Key: "won", Name: "Успех", Semantic: "won"}, {Key: "lost", Name: "Провал", Semantic: "lost"}}}}); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	db.Exec(b, `INSERT INTO managers (name, time_zone) SELECT 'Менеджер ' || i, 'Europe/Moscow' FROM generate_series(1, 50) i`)
	db.Exec(b, `INSERT INTO companies (name, inn, manager_id) SELECT 'ООО Компания ' || i, lpad((7700000000 + i)::text, 10, '0'), 1 + i % 50
		FROM generate_series(1, 100000) i`)
	db.Exec(b, `INSERT INTO contacts (name, manager_id, phones, emails, company_id)
		SELECT 'Клиент ' || i, 1 + i % 50, ARRAY['+7916' || lpad(i::text, 7, '0')], ARRAY['c' || i || '@example.ru'],
			CASE WHEN i % 5 = 0 THEN 1 + i % 100000 END
		FROM generate_series(1, 500000) i`)
	db.Exec(b, `INSERT INTO leads (status, junk_reason, channel, source, name, manager_id, phones, contact_id, created_at, sla_due_at)
		SELECT (ARRAY['new', 'in_progress', 'converted', 'junk'])[1 + i % 4], CASE WHEN i % 4 = 3 THEN 'other' END,
			(ARRAY['form', 'call', 'mail', 'messenger'])[1 + i % 4], 'contact', 'Лид ' || i, 1 + i % 50,
			ARRAY['+7926' || lpad(i::text, 7, '0')], CASE WHEN i % 2 = 0 THEN 1 + i % 500000 END,
			now() - (1000000 - i) * interval '1 minute', CASE WHEN i % 4 = 0 THEN now() - (1000000 - i) * interval '1 minute' + interval '5 minutes' END
		FROM generate_series(1, 1000000) i`)
	db.Exec(b, `INSERT INTO deals (title, pipeline_id, stage_id, contact_id, manager_id, amount, lead_id, closed_at)
		SELECT 'Сделка ' || i, (SELECT id FROM pipelines), s.id, 1 + i % 500000, 1 + i % 50, (i % 1000) * 1000 + 0.5, 1 + i * 9,
			CASE WHEN s.semantic <> 'progress' THEN now() END
		FROM generate_series(1, 100000) i
		JOIN LATERAL (SELECT id, semantic FROM stages WHERE pipeline_id = (SELECT id FROM pipelines) + 0 * i
			ORDER BY position OFFSET i % 7 LIMIT 1) s ON TRUE`)
	db.Exec(b, `INSERT INTO activities (type, subject, lead_id, manager_id, due_at, done_at)
		SELECT 'call', 'Call back: new lead', i * 4, 1 + (i * 4) % 50, now() + (i % 200 - 100) * interval '1 hour',
			CASE WHEN i % 3 = 0 THEN now() END
		FROM generate_series(1, 250000) i`)
	db.Exec(b, `INSERT INTO activities (type, subject, deal_id, manager_id, due_at)
		SELECT 'task', 'Проверить оплату', d.id, 1 + d.id % 50, now() + (d.id % 100 - 50) * interval '1 hour' FROM deals d`)
	db.Exec(b, `INSERT INTO touches (lead_id, channel, kind, at, text, data)
		SELECT i, 'form', 'form', now(), 'Текст заявки ' || i, '{}' FROM generate_series(999000, 1000000) i`)
	db.Exec(b, `VACUUM ANALYZE`)
	b.Logf("seeded in %s", time.Since(start).Round(time.Second))
	if os.Getenv("LEADD_CONSOLE_BENCH_DB") != "" {
		db.Exec(b, `CREATE TABLE console_bench_seeded (at timestamptz NOT NULL DEFAULT now())`)
		db.Exec(b, `INSERT INTO console_bench_seeded DEFAULT VALUES`)
	}
}
