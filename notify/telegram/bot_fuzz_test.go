package telegram

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/crm/crmtest"
)

// An update reaching the managers' bot — a command, a press on any button
// with any data, a reply, from a linked manager or a stranger — is answered
// 200 or 400 in the envelope, never 5xx (Telegram would send it forever),
// against the real store.
func FuzzManagerUpdate(f *testing.F) {
	for _, s := range []string{
		`{"update_id":1,"message":{"message_id":1,"date":1733480000,"chat":{"id":42,"type":"private"},"from":{"id":42,"first_name":"Анна"},"text":"/today"}}`,
		`{"update_id":2,"message":{"message_id":2,"date":1733480000,"chat":{"id":42,"type":"private"},"from":{"id":42},"text":"/overdue"}}`,
		`{"update_id":3,"message":{"message_id":3,"date":1733480000,"chat":{"id":7,"type":"private"},"from":{"id":7},"text":"/start abcdef"}}`,
		`{"update_id":4,"message":{"message_id":4,"date":1733480000,"chat":{"id":42,"type":"private"},"from":{"id":42},"text":"/login"}}`,
		`{"update_id":5,"callback_query":{"id":"c1","from":{"id":42},"message":{"message_id":9,"chat":{"id":42,"type":"private"}},"data":"t:1"}}`,
		`{"update_id":6,"callback_query":{"id":"c2","from":{"id":42},"message":{"message_id":9,"chat":{"id":42,"type":"private"}},"data":"n:1:1"}}`,
		`{"update_id":7,"callback_query":{"id":"c3","from":{"id":42},"message":{"message_id":9,"chat":{"id":42,"type":"private"}},"data":"jr:1:spam"}}`,
		`{"update_id":8,"callback_query":{"id":"c4","from":{"id":42},"message":{"message_id":9,"chat":{"id":42,"type":"private"}},"data":"qc:1"}}`,
		`{"update_id":9,"callback_query":{"id":"c5","from":{"id":42},"message":{"message_id":9,"chat":{"id":42,"type":"private"}},"data":"sa:1:99999999999999999999"}}`,
		`{"update_id":10,"message":{"message_id":5,"date":1733480000,"chat":{"id":42,"type":"private"},"from":{"id":42},"text":"7707083893 ООО Ромашка","reply_to_message":{"message_id":9,"chat":{"id":42,"type":"private"}}}}`,
		`{"update_id":11,"callback_query":{"id":"c6","from":{"id":5},"data":"d:-1"}}`,
		`not json`,
	} {
		f.Add([]byte(s))
	}
	db := crmtest.MustOpenDB(f)
	ctx := context.Background()
	m, err := db.Store.CreateManager(ctx, crm.Manager{Name: "Анна", Active: true, TimeZone: "Europe/Moscow"})
	if err != nil {
		f.Fatal(err)
	}
	if _, err := db.Pool.Exec(ctx, `UPDATE managers SET telegram_chat_id = 42 WHERE id = $1`, m.ID); err != nil {
		f.Fatal(err)
	}
	client, log := fuzzClient(f)
	bot := &Bot{Store: db.Store, Client: client, Log: log, SLA: 5 * time.Minute}
	hook := Webhook("fuzz-secret-0123456789", bot.HandleUpdate, log)
	f.Fuzz(func(t *testing.T, update []byte) {
		r := httptest.NewRequest("POST", "/hooks/telegram", bytes.NewReader(update))
		r.Header.Set("X-Telegram-Bot-Api-Secret-Token", "fuzz-secret-0123456789")
		w := httptest.NewRecorder()
		hook(w, r)
		if w.Code != http.StatusOK && w.Code != http.StatusBadRequest {
			t.Fatalf("%q answered %d: %s", update, w.Code, w.Body)
		}
		if w.Code == http.StatusBadRequest && !strings.Contains(w.Body.String(), `"malformed"`) {
			t.Fatalf("%q answered 400 without the envelope: %s", update, w.Body)
		}
	})
}
