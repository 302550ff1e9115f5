package telegram

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/leadd/leadd/dedupe"
	"github.com/leadd/leadd/ingest"
	"github.com/leadd/leadd/notify/telegram/telegramtest"
)

// storingInbox takes what the real inbox would take: an event that passes
// Event.Check.
type storingInbox struct{ t *testing.T }

func (s storingInbox) Accept(_ context.Context, ev *ingest.Event, _ []byte) (string, bool, error) {
	if err := ev.Check(); err != nil {
		s.t.Fatalf("the company bot passed on an event the inbox refuses: %v", err)
	}
	if ev.Source != Source || !strings.Contains(ev.ExternalID, ":") {
		s.t.Fatalf("an event of source %q, external id %q", ev.Source, ev.ExternalID)
	}
	return ev.ID, false, nil
}

// An update is whatever reaches the company bot's webhook with the right
// secret: it is answered 200 (taken, or acknowledged as one Leadd will not
// take) or 400 (not an update), never 5xx, which would make Telegram send
// it forever; what it passes on, the inbox takes as it is.
func FuzzCompanyUpdate(f *testing.F) {
	f.Add([]byte(`{"update_id":1,"message":{"message_id":5,"date":1733480000,"chat":{"id":42,"type":"private"},"from":{"id":42,"first_name":"Иван","last_name":"Петров"},"text":"Здравствуйте, нужен станок"}}`))
	f.Add([]byte(`{"update_id":2,"message":{"message_id":6,"date":1733480001,"chat":{"id":42,"type":"private"},"from":{"id":42,"first_name":"Иван"},"contact":{"phone_number":"79123456789","first_name":"Иван","user_id":42}}}`))
	f.Add([]byte(`{"update_id":3,"message":{"message_id":7,"date":1733480002,"chat":{"id":43,"type":"private"},"from":{"id":43,"first_name":"a\u0000b"},"text":"\u0000","caption":"x"}}`))
	f.Add([]byte(`{"update_id":4,"message":{"message_id":8,"date":-1,"chat":{"id":44,"type":"private"},"from":{"id":44,"first_name":""},"document":{"file_id":"f","file_name":"счёт.pdf"},"contact":{"phone_number":"+7 (912) 345","user_id":7}}}`))
	f.Add([]byte(`{"update_id":5,"message":{"message_id":9,"date":1733480003,"chat":{"id":45,"type":"private"},"from":{"id":45,"first_name":"Б"},"text":"/start"}}`))
	f.Add([]byte(`{"update_id":6,"message":{"message_id":10,"chat":{"id":46,"type":"group"},"from":{"id":46},"text":"hi"}}`))
	f.Add([]byte(`{"update_id":7,"message":{"message_id":11,"date":1733480004,"chat":{"id":47,"type":"private"},"from":{"id":47,"first_name":"В"},"location":{"latitude":55.75,"longitude":37.61},"sticker":{"file_id":"s","emoji":"👍"}}}`))
	f.Add([]byte(`{"update_id":8,"callback_query":{"id":"1","data":"x"}}`))
	f.Add([]byte(`not json`))
	client, log := fuzzClient(f)
	f.Fuzz(func(t *testing.T, update []byte) {
		company := &Company{Inbox: storingInbox{t}, Client: client, Phones: dedupe.Normalizer{Region: "RU"}, Log: log}
		hook := Webhook("fuzz-secret-0123456789", company.HandleUpdate, log)
		r := httptest.NewRequest("POST", "/hooks/telegram/company", bytes.NewReader(update))
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

// fuzzClient is a Bot API client against a local fake that answers
// everything at once, and a logger that keeps nothing: what the fuzz
// targets share.
func fuzzClient(f *testing.F) (*Client, *slog.Logger) {
	api := telegramtest.NewServer()
	f.Cleanup(api.Close)
	client, err := NewClient(Options{Token: "fuzz", Endpoint: api.Endpoint(), PerChat: time.Nanosecond, Global: time.Nanosecond})
	if err != nil {
		f.Fatal(err)
	}
	return client, slog.New(slog.NewTextHandler(io.Discard, nil))
}
