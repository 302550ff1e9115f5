package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leadd/leadd/configs"
)

const sberParty = `{"suggestions": [{"value": "ПАО СБЕРБАНК", "data": {"inn": "7707083893", "kpp": "773601001",
  "ogrn": "1027700132195", "name": {"full_with_opf": "ПАО СБЕРБАНК", "short_with_opf": "ПАО СБЕРБАНК"},
  "address": {"value": "г Москва, ул Вавилова, д 19"},
  "management": {"name": "Греф Герман Оскарович", "post": "ПРЕЗИДЕНТ"}, "state": {"status": "ACTIVE"}}}]}`

func TestRequisitesLookup(t *testing.T) {
	var asked atomic.Int32
	registry := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked.Add(1)
		b, _ := io.ReadAll(r.Body)
		switch {
		case r.Header.Get("Authorization") != "Token test-token":
			http.Error(w, "no", http.StatusForbidden)
		case strings.Contains(string(b), "7707083893"):
			_, _ = io.WriteString(w, sberParty)
		case strings.Contains(string(b), "7736050003"): // slow: past the client's timeout
			time.Sleep(400 * time.Millisecond)
			_, _ = io.WriteString(w, `{"suggestions": []}`)
		default:
			_, _ = io.WriteString(w, `{"suggestions": []}`)
		}
	}))
	defer registry.Close()
	ta := startApp(t, func(c *configs.Config) {
		c.Registry.URL, c.Registry.Token, c.Registry.Timeout = registry.URL, "test-token", 100*time.Millisecond
	})

	type company struct {
		ID      int64   `json:"id"`
		Name    string  `json:"name"`
		INN     *string `json:"inn"`
		KPP     *string `json:"kpp"`
		OGRN    *string `json:"ogrn"`
		Address string  `json:"address"`
	}
	var answer struct {
		Company  company  `json:"company"`
		Director string   `json:"director"`
		Changed  []string `json:"changed"`
		Registry struct {
			Name string `json:"name"`
		} `json:"registry"`
	}
	var c company
	ta.api("POST", "/api/v1/companies", map[string]any{"name": "Сбер", "inn": "7707083893", "address": "Москва, Вавилова 19"}, &c)
	lookup := fmt.Sprint("/api/v1/companies/", c.ID, "/requisites/lookup")
	if s := ta.api("POST", lookup, nil, &answer); s != 200 {
		t.Fatalf("lookup: %d", s)
	}
	// What the manager typed stays; the empty fields are filled.
	if got := strings.Join(answer.Changed, ","); got != "kpp,ogrn,director" {
		t.Fatalf("changed %q", got)
	}
	a := answer.Company
	if a.Name != "Сбер" || a.Address != "Москва, Вавилова 19" || a.KPP == nil || *a.KPP != "773601001" ||
		a.OGRN == nil || *a.OGRN != "1027700132195" || answer.Director != "Греф Герман Оскарович" || answer.Registry.Name != "ПАО СБЕРБАНК" {
		t.Fatalf("after lookup %+v", answer)
	}
	// Again: from the cache, nothing more to change.
	if s := ta.api("POST", lookup, map[string]any{"inn": "7707083893"}, &answer); s != 200 || len(answer.Changed) != 0 {
		t.Fatalf("second lookup: %d %v", s, answer.Changed)
	}
	if n := asked.Load(); n != 1 {
		t.Fatalf("the registry was asked %d times; the second lookup is cached", n)
	}

	errorOf := func(path string, body any) (int, string, string) {
		var e struct {
			Error struct{ Code, Field string } `json:"error"`
		}
		s := ta.api("POST", path, body, &e)
		return s, e.Error.Code, e.Error.Field
	}
	var empty company
	ta.api("POST", "/api/v1/companies", map[string]any{"name": "Ввели руками"}, &empty)
	path := fmt.Sprint("/api/v1/companies/", empty.ID, "/requisites/lookup")
	if s, code, field := errorOf(path, map[string]any{"inn": "7707083894"}); s != 422 || code != "invalid" || field != "inn" {
		t.Fatalf("bad checksum: %d %s %s", s, code, field)
	}
	if s, code, _ := errorOf(path, map[string]any{"inn": "7736050003"}); s != 503 || code != "unavailable" {
		t.Fatalf("timeout: %d %s", s, code)
	}
	if s, code, _ := errorOf(path, map[string]any{"inn": "500100732259"}); s != 404 || code != "not_found" {
		t.Fatalf("nothing found: %d %s", s, code)
	}
	var after company
	ta.api("GET", fmt.Sprint("/api/v1/companies/", empty.ID), nil, &after)
	if after.Name != "Ввели руками" || after.INN != nil || after.KPP != nil || after.OGRN != nil || after.Address != "" {
		t.Fatalf("a failed lookup changed the company: %+v", after)
	}
}

func TestRequisitesLookupOff(t *testing.T) {
	ta := startApp(t, nil) // the demo: no registry
	var c struct {
		ID int64 `json:"id"`
	}
	ta.api("POST", "/api/v1/companies", map[string]any{"name": "Сбер", "inn": "7707083893"}, &c)
	var e struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	if s := ta.api("POST", fmt.Sprint("/api/v1/companies/", c.ID, "/requisites/lookup"), nil, &e); s != 503 || e.Error.Code != "unavailable" || !strings.Contains(e.Error.Message, "registry.url") {
		t.Fatalf("off: %d %+v", s, e)
	}
}

func TestConvertingForACompanyByINNFillsItsRequisites(t *testing.T) {
	t.Parallel()
	registry := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if strings.Contains(string(b), "7707083893") {
			_, _ = io.WriteString(w, sberParty)
			return
		}
		_, _ = io.WriteString(w, `{"suggestions": []}`)
	}))
	defer registry.Close()
	ta := startApp(t, func(c *configs.Config) {
		c.Registry.URL, c.Registry.Token, c.Registry.Timeout = registry.URL, "test-token", time.Second
	})
	var out struct {
		CompanyID int64    `json:"company_id"`
		Lookup    string   `json:"lookup"`
		Filled    []string `json:"filled"`
	}
	lead := ta.newLead("+7 919 800 00 01")
	if s := ta.api("POST", fmt.Sprint("/api/v1/leads/", lead.ID, "/convert"),
		map[string]any{"company": map[string]any{"name": "Сбер", "inn": "7707083893"}}, &out); s != 200 {
		t.Fatalf("convert: %d", s)
	}
	if out.Lookup != "ok" || !slices.Contains(out.Filled, "kpp") {
		t.Errorf("conversion with a lookup: %+v", out)
	}
	var co struct {
		KPP  *string `json:"kpp"`
		Name string  `json:"name"`
	}
	ta.api("GET", fmt.Sprint("/api/v1/companies/", out.CompanyID), nil, &co)
	if co.KPP == nil || *co.KPP == "" || co.Name != "Сбер" {
		t.Errorf("the company after the lookup: %+v (the typed name stays)", co)
	}
	// An INN the registry does not know: the conversion stands, and says so.
	lead = ta.newLead("+7 919 800 00 02")
	ta.api("POST", fmt.Sprint("/api/v1/leads/", lead.ID, "/convert"),
		map[string]any{"company": map[string]any{"name": "Неизвестно", "inn": "7736050003"}}, &out)
	if out.CompanyID == 0 || out.Lookup == "ok" || out.Lookup == "" {
		t.Errorf("a failed lookup on conversion: %+v", out)
	}
}
