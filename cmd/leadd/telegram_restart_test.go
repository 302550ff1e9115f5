package main

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/leadd/leadd/crm/crmtest"
	"github.com/leadd/leadd/notify/telegram/telegramtest"
)

// TestTelegramCardsSurviveSIGTERMAndSIGKILL runs the real binary against a
// fake Bot API and stops it in the middle of a flood of cards to one chat
// (a card every 300 ms): by SIGTERM, which finishes or releases what it
// claimed, and by SIGKILL, whose claims run out within the lease. The
// next process sends the rest: every card goes, none twice (SIGKILL may
// repeat the one card whose send it cut between Telegram's answer and its
// record: at least once, the outbox's promise).
func TestTelegramCardsSurviveSIGTERMAndSIGKILL(t *testing.T) {
	t.Parallel()
	bin := buildLeadd(t)
	db, rds := crmtest.MustOpenDB(t), crmtest.MustRedis(t)
	fake := telegramtest.NewServer()
	defer fake.Close()
	demo, _ := os.ReadFile("../../configs/leadd.yaml")
	s := demoTemplatesHere(string(demo))
	s = strings.Replace(s, "prefix: \"leadd:\"", fmt.Sprintf("prefix: %q", rds.Prefix), 1)
	s = strings.Replace(s, "\ntelegram:\n", fmt.Sprintf("\ntelegram:\n  endpoint: %q\n  per_chat: 300ms\n", fake.Endpoint()), 1)
	s = strings.Replace(s, `  token: ""          # or TELEGRAM_TOKEN`, fmt.Sprintf("  token: %q # or TELEGRAM_TOKEN", telegramtest.Token), 1)
	config := filepath.Join(t.TempDir(), "leadd.yaml")
	if err := os.WriteFile(config, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}

	d := startDaemon(t, bin, config, db, rds)
	// Every lead to manager 1, whose chat is the busy one.
	db.Exec(t, `UPDATE managers SET telegram_chat_id = 1000 + id`)
	db.Exec(t, `UPDATE managers SET away = true WHERE id <> 1`)
	const chat = 1001
	cards := func() map[int64]int {
		out := map[int64]int{}
		for _, m := range fake.Messages(chat) {
			if i := strings.Index(m.Text, "Заявка №"); strings.HasPrefix(m.Text, "Новая заявка") && i >= 0 {
				id, _ := strconv.ParseInt(strings.Fields(m.Text[i+len("Заявка №"):])[0], 10, 64)
				out[id]++
			}
		}
		return out
	}
	post := func(d *daemon, from, n int) {
		for i := from; i < from+n; i++ {
			res, err := http.PostForm(d.base+"/hooks/forms/contact", url.Values{"phone": {fmt.Sprintf("+7 919 600 %02d %02d", i/100, i%100)}})
			if err != nil || res.StatusCode != 202 {
				t.Fatalf("post %d: %v %v", i, err, res)
			}
			res.Body.Close()
		}
	}
	waitLong := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	check := func(stop string, leads, mostDoubled int) {
		t.Helper()
		waitLong(fmt.Sprintf("%d cards after %s", leads, stop), func() bool { return len(cards()) >= leads })
		time.Sleep(time.Second) // time for a duplicate to show, were there one
		got, doubled := cards(), 0
		for id, n := range got {
			if n > 1 {
				doubled += n - 1
				t.Logf("after %s: lead %d got %d cards", stop, id, n)
			}
		}
		if n := db.Count(t, `SELECT count(*) FROM leads`); len(got) != n || n != leads {
			t.Errorf("after %s: cards for %d leads of %d (want %d)", stop, len(got), n, leads)
		}
		if doubled > mostDoubled {
			t.Errorf("after %s: %d cards sent twice (at most %d)", stop, doubled, mostDoubled)
		}
		if n := db.Count(t, `SELECT count(*) FROM outbox o JOIN outbox_deliveries x ON x.outbox_id = o.id AND x.consumer = 'telegram'
			WHERE o.kind = 'lead.assigned' AND x.delivered_at IS NULL`); n != 0 {
			t.Errorf("after %s: %d cards still pending", stop, n)
		}
	}

	// SIGTERM in the middle of the flood.
	post(d, 0, 20)
	waitLong("the flood to start", func() bool { return len(cards()) >= 3 })
	d.cmd.Process.Signal(syscall.SIGTERM)
	if err := d.cmd.Wait(); err != nil {
		t.Errorf("SIGTERM: the daemon exited with %v", err)
	}
	before := len(cards())
	if before >= 20 {
		t.Fatalf("the flood was over before the stop: the test proves nothing")
	}
	// What it had claimed it sent or gave back (a row postponed for its
	// chat's turn counts no attempt; one given back neither).
	if n := db.Count(t, `SELECT count(*) FROM outbox_deliveries WHERE consumer = 'telegram' AND delivered_at IS NULL
		AND attempts > 0 AND last_error IS NULL AND next_attempt_at > now()`); n != 0 {
		t.Errorf("SIGTERM left %d rows claimed, not released", n)
	}
	d = startDaemon(t, bin, config, db, rds)
	check("SIGTERM", 20, 0)

	// SIGKILL in the middle of the next flood.
	post(d, 20, 20)
	waitLong("the second flood to start", func() bool { return len(cards()) >= 23 })
	d.cmd.Process.Kill()
	_ = d.cmd.Wait()
	if len(cards()) >= 40 {
		t.Fatalf("the second flood was over before the kill: the test proves nothing")
	}
	startDaemon(t, bin, config, db, rds)
	check("SIGKILL", 40, 1)
}
