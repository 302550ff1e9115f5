package console_test

import (
	"context"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/crm/crmtest"
	"github.com/leadd/leadd/web/console"
)

var (
	completeRe = regexp.MustCompile(`action="/activities/(\d+)/complete"`)
	moreRe     = regexp.MustCompile(`<a href="([^"]+)">Показать ещё`)
)

// The work page shows a page of each list and a "show more" link through
// the rest, however many there are; a supervisor sees the department's or
// one manager's.
func TestWorkPageListsPageThroughEveryActivity(t *testing.T) {
	t.Parallel()
	db := crmtest.MustOpenDB(t)
	ctx := context.Background()
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC) // a Monday, 15:00 in Moscow
	store := crm.NewStore(db.Pool, func() time.Time { return now })
	srv, err := console.New(store, console.Options{Now: func() time.Time { return now }}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	mux := http.NewServeMux()
	srv.Register(mux)
	anna, _ := store.CreateManager(ctx, crm.Manager{Name: "Анна", TimeZone: "Europe/Moscow", Active: true})
	oleg, _ := store.CreateManager(ctx, crm.Manager{Name: "Олег", TimeZone: "Europe/Moscow", Active: true})
	// Anna: 120 overdue (one a minute before now, the same minute twice so
	// that the order needs the id too), 3 later today, 2 this week, 1 done.
	db.Exec(t, `INSERT INTO activities (type, subject, manager_id, due_at)
		SELECT 'call', 'Просрочено ' || i, $1, $2::timestamptz - (i / 2) * interval '1 minute' - interval '1 minute' FROM generate_series(1, 120) i`, anna.ID, now)
	db.Exec(t, `INSERT INTO activities (type, subject, manager_id, due_at)
		SELECT 'call', 'Сегодня ' || i, $1, $2::timestamptz + i * interval '1 hour' FROM generate_series(1, 3) i`, anna.ID, now)
	db.Exec(t, `INSERT INTO activities (type, subject, manager_id, due_at)
		SELECT 'meeting', 'Неделя ' || i, $1, $2::timestamptz + i * interval '1 day' FROM generate_series(1, 2) i`, anna.ID, now)
	db.Exec(t, `INSERT INTO activities (type, subject, manager_id, due_at, done_at) VALUES ('call', 'Сделано', $1, $2, $2)`, anna.ID, now.Add(-time.Hour))
	db.Exec(t, `INSERT INTO activities (type, subject, manager_id, due_at) VALUES ('call', 'Олега', $1, $2)`, oleg.ID, now.Add(-time.Hour))
	// A missed call's call-back 5 minutes ago with 15 of grace is today's
	// still; one 20 minutes ago is overdue.
	db.Exec(t, `INSERT INTO activities (type, subject, manager_id, due_at, grace)
		VALUES ('call', 'Missed call: call back', $1, $2, '15 minutes'), ('call', 'Missed call: call back', $1, $3, '15 minutes')`,
		anna.ID, now.Add(-5*time.Minute), now.Add(-20*time.Minute))
	open := map[int64]bool{}
	rows, _ := db.Pool.Query(ctx, `SELECT id FROM activities WHERE manager_id = $1 AND done_at IS NULL AND due_at + grace < $2`, anna.ID, now)
	for rows.Next() {
		var id int64
		_ = rows.Scan(&id)
		open[id] = true
	}
	rows.Close()

	get := func(p crm.Principal, path string) string {
		t.Helper()
		tok, _, err := store.CreateSession(ctx, p, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		req := httptest.NewRequest("GET", path, nil)
		req.AddCookie(&http.Cookie{Name: "leadd_session", Value: tok})
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		if rec.Code != 200 {
			t.Fatalf("%s answered %d", path, rec.Code)
		}
		return rec.Body.String()
	}
	section := func(page, id string) string {
		i := strings.Index(page, `<section id="`+id+`"`)
		if i < 0 {
			t.Fatalf("no section %s", id)
		}
		j := strings.Index(page[i:], "</section>")
		return page[i : i+j]
	}
	annaP := crm.Principal{Name: "Анна", Role: crm.RoleManager, ManagerID: &anna.ID}
	seen := map[int64]bool{}
	path, pages := "/work", 0
	for path != "" {
		page := get(annaP, path)
		overdue := section(page, "overdue")
		ids := completeRe.FindAllStringSubmatch(overdue, -1)
		if len(ids) == 0 || len(ids) > 50 {
			t.Fatalf("%s: %d overdue shown, want 1 to 50", path, len(ids))
		}
		for _, m := range ids {
			var id int64
			fmt.Sscan(m[1], &id)
			if seen[id] || !open[id] {
				t.Fatalf("%s: activity %d shown twice or not Anna's open overdue", path, id)
			}
			seen[id] = true
		}
		if pages == 0 {
			if n := len(completeRe.FindAllString(section(page, "today"), -1)); n != 4 {
				t.Errorf("today: %d, want 4 (one in its grace)", n)
			}
			if n := len(completeRe.FindAllString(section(page, "week"), -1)); n != 2 {
				t.Errorf("this week: %d, want 2", n)
			}
			if strings.Contains(page, "Олега") {
				t.Error("Anna's page shows Oleg's activity")
			}
		}
		path = ""
		if m := moreRe.FindStringSubmatch(overdue); m != nil {
			path, _, _ = strings.Cut(html.UnescapeString(m[1]), "#") // a browser does not send the fragment
		}
		pages++
	}
	if len(seen) != 121 || pages != 3 {
		t.Errorf("%d overdue seen over %d pages, want 121 over 3", len(seen), pages)
	}

	// The supervisor: the department's, then Oleg's only.
	boss := crm.Principal{Name: "Руководитель", Role: crm.RoleSupervisor}
	page := get(boss, "/work")
	if !strings.Contains(section(page, "overdue"), "Показать ещё") {
		t.Error("the department's overdue list has no show more")
	}
	page = get(boss, fmt.Sprintf("/work?manager=%d", oleg.ID))
	if got := completeRe.FindAllString(section(page, "overdue"), -1); len(got) != 1 || !strings.Contains(page, "Олега") {
		t.Errorf("Oleg's work: %d overdue shown, want his one", len(got))
	}
	// The calendar shows at most 20 a day and says there are more.
	db.Exec(t, `INSERT INTO activities (type, subject, manager_id, due_at)
		SELECT 'call', 'Звонок ' || i, $1, $2::timestamptz + i * interval '1 second' FROM generate_series(1, 30) i`, oleg.ID, now)
	page = get(boss, fmt.Sprintf("/work?manager=%d", oleg.ID))
	cal := page[strings.Index(page, `class="cal"`):]
	if n := strings.Count(cal, `class="ev"`); n > 7*20 || !strings.Contains(cal, "Показаны первые 20") {
		t.Errorf("calendar: %d events and no note of more", n)
	}
	// A manager cannot look at another's work by the query.
	if strings.Contains(get(annaP, fmt.Sprintf("/work?manager=%d", oleg.ID)), "Олега") {
		t.Error("a manager saw another's work through ?manager=")
	}
}
