package robokassa

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/leadd/leadd/crm"
)

// paidStore takes a notice as the real store does and checks that it
// could: the raw notice is kept as jsonb, which refuses a NUL anywhere.
type paidStore struct {
	Store
	t      *testing.T
	called bool
}

func (s *paidStore) MarkPaid(_ context.Context, invID int64, outSum, _ string, raw map[string]string) (crm.Payment, bool, error) {
	s.called = true
	b, err := json.Marshal(raw)
	if err != nil || !utf8.Valid(b) || strings.Contains(string(b), `\u0000`) {
		s.t.Fatalf("the notice's raw fields would fail in Postgres (jsonb): %s", b)
	}
	return crm.Payment{InvID: invID, Amount: outSum}, true, nil
}

// A ResultURL notice is whatever reaches the hook, by GET or POST, signed
// with password 2 (re-signed for every mutation) or not. It is never
// answered 5xx; OK{InvId} only when signed, for that InvId; unsigned it
// reaches no store; anything the store is given it can keep.
func FuzzResult(f *testing.F) {
	f.Add(false, "OutSum=1200.00&InvId=17&Shp_deal=5&Culture=ru&EMail=ivan%40example.ru&IsTest=1", true)
	f.Add(true, "OutSum=100&InvId=1&SignatureValue=abc", false)
	f.Add(false, "OutSum=1%2C5&InvId=-1&shp_x=%00&EMail=a%ff", true)
	f.Add(false, "OutSum=1&InvId=9223372036854775808", true)
	f.Add(false, "OutSum=100.00&InvId=2&SHP_b=2&Shp_a=1&Shp_a=3", true)
	cfg := Config{MerchantLogin: "shop", Password1: "p1", Password2: "fuzz-password-2", Hash: "sha256"}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	f.Fuzz(func(t *testing.T, get bool, fields string, sign bool) {
		form, err := url.ParseQuery(fields)
		if sign && err == nil {
			shp := map[string]string{}
			for k := range form {
				if isShp(k) {
					shp[k] = form.Get(k)
				}
			}
			form.Set("SignatureValue", Sign(cfg.Hash, ResultBase(form.Get("OutSum"), form.Get("InvId"), cfg.Password2, shp)))
			fields = form.Encode()
		}
		var r *http.Request
		if get {
			r = httptest.NewRequest("GET", "/hooks/payments/robokassa", nil)
			r.URL.RawQuery = fields
		} else {
			r = httptest.NewRequest("POST", "/hooks/payments/robokassa", strings.NewReader(fields))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		store := &paidStore{t: t}
		mux := http.NewServeMux()
		New(cfg, nil, store, log).Register(mux)
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, r)
		switch {
		case w.Code >= 500:
			t.Fatalf("%q answered %d: %s", fields, w.Code, w.Body)
		case w.Code == 200:
			id, err := strconv.ParseInt(form.Get("InvId"), 10, 64)
			if !sign || err != nil || w.Body.String() != "OK"+strconv.FormatInt(id, 10) {
				t.Fatalf("%q (signed %v) answered %q", fields, sign, w.Body)
			}
		case w.Code < 400:
			t.Fatalf("%q answered %d", fields, w.Code)
		}
		if store.called && !sign {
			t.Fatalf("an unsigned notice reached the store: %q", fields)
		}
	})
}
