package documents

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leadd/leadd/crm"
)

// sberbank is a real, valid set of requisites (checked by CheckRequisites).
const sberAnswer = `{"suggestions": [{"value": "ПАО СБЕРБАНК", "unrestricted_value": "ПАО СБЕРБАНК",
  "data": {"inn": "7707083893", "kpp": "773601001", "ogrn": "1027700132195", "type": "LEGAL",
    "name": {"full_with_opf": "ПУБЛИЧНОЕ АКЦИОНЕРНОЕ ОБЩЕСТВО \"СБЕРБАНК РОССИИ\"", "short_with_opf": "ПАО СБЕРБАНК"},
    "address": {"value": "г Москва, ул Вавилова, д 19"},
    "management": {"name": "Греф Герман Оскарович", "post": "ПРЕЗИДЕНТ, ПРЕДСЕДАТЕЛЬ ПРАВЛЕНИЯ"},
    "state": {"status": "ACTIVE"}}}]}`

// fakeRegistry answers findById/party as DaData documents it and counts
// the requests; it checks the method, path, headers and body.
func fakeRegistry(t *testing.T, answer func(w http.ResponseWriter, inn string)) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		if r.Method != http.MethodPost || r.URL.Path != FindPartyPath {
			t.Errorf("asked %s %s", r.Method, r.URL.Path)
		}
		for k, want := range map[string]string{"Authorization": "Token secret", "Content-Type": "application/json", "Accept": "application/json"} {
			if got := r.Header.Get(k); got != want {
				t.Errorf("%s: %q, want %q", k, got, want)
			}
		}
		var q struct{ Query string }
		b, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(b, &q); err != nil {
			t.Errorf("body %s: %v", b, err)
		}
		answer(w, q.Query)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

// memCache is an in-memory RegistryCache.
type memCache struct {
	mu sync.Mutex
	m  map[string][]byte
}

func (c *memCache) CachedParty(_ context.Context, inn string, _ time.Duration) ([]byte, time.Time, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	b, ok := c.m[inn]
	return b, time.Now(), ok, nil
}

func (c *memCache) CacheParty(_ context.Context, inn string, b []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string][]byte{}
	}
	c.m[inn] = b
	return nil
}

func TestRegistryFindsAndCaches(t *testing.T) {
	srv, n := fakeRegistry(t, func(w http.ResponseWriter, inn string) {
		if inn == "7707083893" {
			_, _ = io.WriteString(w, sberAnswer)
			return
		}
		_, _ = io.WriteString(w, `{"suggestions": []}`)
	})
	cache := &memCache{}
	r := NewRegistry(RegistryConfig{URL: srv.URL, Token: "secret"}, cache)
	p, err := r.FindParty(context.Background(), "7707083893")
	if err != nil {
		t.Fatal(err)
	}
	want := crm.Party{INN: "7707083893", KPP: "773601001", OGRN: "1027700132195",
		Name: `ПУБЛИЧНОЕ АКЦИОНЕРНОЕ ОБЩЕСТВО "СБЕРБАНК РОССИИ"`, ShortName: "ПАО СБЕРБАНК",
		Address: "г Москва, ул Вавилова, д 19", Director: "Греф Герман Оскарович",
		DirectorPost: "ПРЕЗИДЕНТ, ПРЕДСЕДАТЕЛЬ ПРАВЛЕНИЯ", Status: "ACTIVE"}
	if p != want {
		t.Fatalf("party %+v, want %+v", p, want)
	}
	if _, err := r.FindParty(context.Background(), "7707083893"); err != nil {
		t.Fatal(err)
	}
	if got := n.Load(); got != 1 {
		t.Fatalf("%d requests; the second lookup should come from the cache", got)
	}

	// Nothing found: not_found, and not cached.
	if _, err := r.FindParty(context.Background(), "7736050003"); crm.ErrorCode(err) != crm.ENOTFOUND {
		t.Fatalf("unknown INN: %v, want not_found", err)
	}
	if _, ok := cache.m["7736050003"]; ok {
		t.Fatal("an empty answer was cached")
	}
	// A bad control digit: invalid naming inn, and no request.
	before := n.Load()
	_, err = r.FindParty(context.Background(), "7707083894")
	var e *crm.Error
	if !errors.As(err, &e) || e.Code != crm.EINVALID || e.Field != "inn" {
		t.Fatalf("bad INN: %v, want invalid inn", err)
	}
	if n.Load() != before {
		t.Fatal("a bad INN was sent to the registry")
	}
}

func TestRegistryFailures(t *testing.T) {
	for name, answer := range map[string]func(w http.ResponseWriter, inn string){
		"timeout": func(w http.ResponseWriter, _ string) {
			time.Sleep(500 * time.Millisecond)
			_, _ = io.WriteString(w, sberAnswer)
		},
		"http error":  func(w http.ResponseWriter, _ string) { http.Error(w, "boom", http.StatusInternalServerError) },
		"bad token":   func(w http.ResponseWriter, _ string) { http.Error(w, "no", http.StatusForbidden) },
		"not json":    func(w http.ResponseWriter, _ string) { _, _ = io.WriteString(w, "<html>") },
		"another inn": func(w http.ResponseWriter, _ string) { _, _ = io.WriteString(w, sberAnswer) },
	} {
		t.Run(name, func(t *testing.T) {
			srv, _ := fakeRegistry(t, answer)
			cache := &memCache{}
			r := NewRegistry(RegistryConfig{URL: srv.URL, Token: "secret", Timeout: 100 * time.Millisecond}, cache)
			inn := "7707083893"
			if name == "another inn" {
				inn = "7736050003"
			}
			start := time.Now()
			_, err := r.FindParty(context.Background(), inn)
			if crm.ErrorCode(err) != crm.EUNAVAILABLE {
				t.Fatalf("%v, want unavailable", err)
			}
			if d := time.Since(start); d > 400*time.Millisecond {
				t.Fatalf("took %s; the client's timeout is 100ms", d)
			}
			if len(cache.m) != 0 {
				t.Fatal("a failed answer was cached")
			}
		})
	}
}

func TestRegistryConfig(t *testing.T) {
	var c RegistryConfig
	c.Defaults()
	if c.Enabled() || c.Timeout != 5*time.Second || c.CacheTTL != 30*24*time.Hour {
		t.Fatalf("defaults: %+v", c)
	}
	if NewRegistry(c, &memCache{}) != nil {
		t.Fatal("a registry without url and token")
	}
	c = RegistryConfig{Token: "t"}
	c.Defaults()
	if !c.Enabled() || c.URL != "https://suggestions.dadata.ru" || len(c.Validate("registry")) != 0 {
		t.Fatalf("token only: %+v", c)
	}
	if errs := (&RegistryConfig{URL: "ftp://x"}).Validate("registry"); len(errs) != 2 {
		t.Fatalf("errors %v", errs)
	}
}
