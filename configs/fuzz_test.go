package configs

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/routing"
	"gopkg.in/yaml.v3"
)

// demoRouting is the fuller routing example the demo file keeps in
// comments, uncommented.
func demoRouting(tb testing.TB, demo string) string {
	_, after, ok := strings.Cut(demo, "# routing:\n")
	if !ok {
		tb.Fatal("the demo configuration has no commented routing example")
	}
	var b strings.Builder
	b.WriteString("routing:\n")
	for _, line := range strings.Split(after, "\n") {
		if !strings.HasPrefix(line, "# ") {
			break
		}
		b.WriteString(strings.TrimPrefix(line, "# ") + "\n")
	}
	return b.String()
}

// A configuration file is whatever an administrator writes. Read and
// validated, it never panics; one that validates builds a routing engine
// that decides for a lead, and written back as YAML it reads and
// validates the same (the loader and the settings agree on every key).
func FuzzParse(f *testing.F) {
	demo, err := os.ReadFile("leadd.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(demo))
	f.Add(demoRouting(f, string(demo)))
	f.Add("routing:\n  pools: {a: {strategy: weighted}}\n  rules:\n    - {name: r, when: {hours: \"22:00-06:00\", days: [sat, sun], time_zone: Asia/Yekaterinburg, returning: true}, pool: a, fallback: {manager: Анна, fallback: {queue: true}}}\n  default: {pool: a}\n")
	f.Add("http: {addr: ':1', trusted_proxies: [10.0.0.0/8, '::1', '::ffff:10.0.0.0/104']}\nforms: {rate_limit: 5, trusted_networks: [127.0.0.1], forms: {a: {rate_limit: 2}}}\n")
	f.Add("followup: {cadence: [15m, 2h, 'next_day 10:00'], sla: 1ns}\nprocessor: {batch: 500}\n")
	f.Add("vat_rates: {vat22: '22', none: ''}\npipelines: [{key: s, name: S, default: true, stages: [{key: n, name: N}, {key: w, name: W, semantic: won}, {key: l, name: L, semantic: lost}]}]\n")
	f.Add("seed: {managers: [{name: A, capacity: 0, hours: {mon: ['09:00-18:00']}}]}\n")
	managers := []crm.Manager{{ID: 1, Name: "Анна Смирнова", Active: true, TelegramReachable: true, Weight: 1},
		{ID: 2, Name: "Борис", Active: true, TelegramReachable: true, Weight: 3}}
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, text string) {
		c, err := Parse([]byte(text), ".")
		if err != nil {
			return
		}
		if errs := c.Validate(); len(errs) > 0 {
			return
		}
		_ = c.Cadence()
		_ = c.TrustedProxies()
		engine := routing.NewEngine(c.Routing, c.FollowUp.SLA)
		for _, facts := range []routing.Facts{
			{Channel: "form", Source: "contact", Phones: []string{"+74951234567"}, Text: "станок"},
			{Channel: "call", Source: "+74951234567", UTM: map[string]string{"utm_campaign": "cnc"}, Returning: true, OwnerID: &managers[1].ID},
		} {
			a := engine.Decide(routing.Input{Facts: facts, Now: now, Managers: managers, Turn: func(string) uint64 { return 7 }})
			if a.Rule == "" {
				t.Fatalf("a decision without a rule: %+v", a)
			}
		}
		out, err := yaml.Marshal(&c)
		if err != nil {
			t.Fatalf("a valid configuration does not write back: %v", err)
		}
		again, err := Parse(out, ".")
		if err != nil {
			t.Fatalf("a valid configuration written back does not read: %v\n%s", err, out)
		}
		if errs := again.Validate(); len(errs) > 0 {
			t.Fatalf("a valid configuration written back does not validate: %v\n%s", errs, out)
		}
		if out2, _ := yaml.Marshal(&again); string(out2) != string(out) {
			t.Fatalf("written back twice, it changed:\n%s\n---\n%s", out, out2)
		}
	})
}
