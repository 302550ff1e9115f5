package routing_test

import (
	"strings"
	"testing"
	"time"

	"github.com/leadd/leadd/routing"
)

// validConfig has one of everything that can be configured.
func validConfig() routing.Config {
	return routing.Config{
		Pools: map[string]routing.Pool{
			"sales":    {Strategy: routing.RoundRobin, Members: []string{"Анна", "Борис"}},
			"machines": {Strategy: routing.Weighted},
			"service":  {Strategy: routing.LeastLoaded},
			"vip":      {Strategy: routing.OwnerFirst, Then: routing.Weighted},
		},
		Rules: []routing.Rule{
			{Name: "vip", When: routing.Conditions{Returning: yes()}, Target: routing.Target{Pool: "vip"}},
			{Name: "kz", When: routing.Conditions{Country: []string{"KZ"}, Channel: []string{"call", "form"}},
				Target: routing.Target{Manager: "Борис", Fallback: &routing.Target{Pool: "sales"}}},
			{Name: "machines", When: routing.Conditions{
				Words: []string{"станок"}, UTM: map[string][]string{"utm_source": {"yandex"}}, Region: []string{"+7495"},
				Days: []string{"mon", "Fri"}, Hours: "09:00-18:00", TimeZone: "Europe/Moscow",
			}, Target: routing.Target{Pool: "machines", AfterHours: "next_shift", SLA: 10 * time.Minute,
				Fallback: &routing.Target{Pool: "service", AfterHours: "fallback", Fallback: &routing.Target{Queue: true}}}},
			{Name: "night", When: routing.Conditions{Hours: "00:00-24:00"}, Target: routing.Target{Queue: true}},
		},
		Default: routing.Target{Pool: "sales", Fallback: &routing.Target{Queue: true}},
		MaxHops: 3,
	}
}

func TestValidConfigHasNoErrors(t *testing.T) {
	cfg := validConfig()
	if errs := cfg.Validate("routing"); len(errs) != 0 {
		t.Errorf("a valid config: %v", errs)
	}
	minimal := routing.Config{Pools: map[string]routing.Pool{"all": {Strategy: routing.RoundRobin}}, Default: routing.Target{Pool: "all"}}
	if errs := minimal.Validate("routing"); len(errs) != 0 {
		t.Errorf("one pool and a default: %v", errs)
	}
}

func TestValidateNamesTheKey(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(c *routing.Config)
		want   string // the start of the only error
	}{
		{"a fallback's unknown pool", func(c *routing.Config) { c.Rules[1].Fallback.Pool = "parts" },
			`routing.rules[1].fallback.pool: unknown pool "parts"`},
		{"a rule's pool", func(c *routing.Config) { c.Rules[1].Target = routing.Target{Pool: "parts"} },
			`routing.rules[1].pool: unknown pool "parts"`},
		{"the default's unknown pool", func(c *routing.Config) { c.Default.Pool = "parts" },
			`routing.default.pool: unknown pool "parts"`},
		{"unknown strategy", func(c *routing.Config) { c.Pools["sales"] = routing.Pool{Strategy: "random"} },
			`routing.pools.sales.strategy: must be round_robin, weighted, least_loaded or owner_first, not "random"`},
		{"no strategy", func(c *routing.Config) { c.Pools["sales"] = routing.Pool{} },
			`routing.pools.sales.strategy: `},
		{"then without owner_first", func(c *routing.Config) {
			c.Pools["sales"] = routing.Pool{Strategy: routing.RoundRobin, Then: routing.Weighted}
		},
			`routing.pools.sales.then: only owner_first has a then`},
		{"owner_first then owner_first", func(c *routing.Config) {
			c.Pools["vip"] = routing.Pool{Strategy: routing.OwnerFirst, Then: routing.OwnerFirst}
		},
			`routing.pools.vip.then: must be round_robin, weighted or least_loaded, not "owner_first"`},
		{"an empty member", func(c *routing.Config) {
			c.Pools["sales"] = routing.Pool{Strategy: routing.RoundRobin, Members: []string{"Анна", " "}}
		},
			`routing.pools.sales.members[1]: is empty`},
		{"no pools", func(c *routing.Config) { *c = routing.Config{Default: routing.Target{Queue: true}} },
			`routing.pools: at least one pool is needed`},
		{"a default with nowhere to go", func(c *routing.Config) { c.Default = routing.Target{} },
			`routing.default: needs exactly one of pool, manager or queue`},
		{"a default with two places to go", func(c *routing.Config) { c.Default = routing.Target{Pool: "sales", Queue: true} },
			`routing.default: needs exactly one of pool, manager or queue`},
		{"a rule with nowhere to go", func(c *routing.Config) { c.Rules[0].Target = routing.Target{} },
			`routing.rules[0]: needs exactly one of pool, manager or queue`},
		{"a fallback with two places to go", func(c *routing.Config) { c.Default.Fallback = &routing.Target{Pool: "sales", Manager: "Анна"} },
			`routing.default.fallback: needs exactly one of pool, manager or queue`},
		{"a rule without a name", func(c *routing.Config) { c.Rules[2].Name = "" },
			`routing.rules[2].name: is required`},
		{"two rules with one name", func(c *routing.Config) { c.Rules[3].Name = "kz" },
			`routing.rules[3].name: "kz" is used twice`},
		{"a rule named default", func(c *routing.Config) { c.Rules[0].Name = routing.DefaultRule },
			`routing.rules[0].name: "default"`},
		{"not a weekday", func(c *routing.Config) { c.Rules[2].When.Days = []string{"пн"} },
			`routing.rules[2].when.days[0]: not a weekday: "пн"`},
		{"the second day is wrong", func(c *routing.Config) { c.Rules[2].When.Days = []string{"mon", "monday"} },
			`routing.rules[2].when.days[1]: not a weekday: "monday"`},
		{"hours without minutes", func(c *routing.Config) { c.Rules[2].When.Hours = "9-18" },
			`routing.rules[2].when.hours: `},
		{"hours backwards", func(c *routing.Config) { c.Rules[2].When.Hours = "18:00-09:00" },
			`routing.rules[2].when.hours: "18:00-09:00" ends before it starts`},
		{"hours past midnight", func(c *routing.Config) { c.Rules[2].When.Hours = "09:00-25:00" },
			`routing.rules[2].when.hours: `},
		{"a time zone that does not exist", func(c *routing.Config) { c.Rules[2].When.TimeZone = "Moscow" },
			`routing.rules[2].when.time_zone: unknown time zone "Moscow"`},
		{"a UTM key without utm_", func(c *routing.Config) { c.Rules[2].When.UTM = map[string][]string{"source": {"yandex"}} },
			`routing.rules[2].when.utm.source: `},
		{"a channel that does not exist", func(c *routing.Config) { c.Rules[1].When.Channel = []string{"call", "sms"} },
			`routing.rules[1].when.channel[1]: must be form, call, mail, messenger or manual, not "sms"`},
		{"a region without +", func(c *routing.Config) { c.Rules[2].When.Region = []string{"7495"} },
			`routing.rules[2].when.region[0]: a region is a number prefix like +7495, not "7495"`},
		{"bad after_hours", func(c *routing.Config) { c.Rules[2].AfterHours = "wait" },
			`routing.rules[2].after_hours: must be fallback or next_shift, not "wait"`},
		{"bad after_hours in a fallback", func(c *routing.Config) { c.Rules[2].Fallback.AfterHours = "next shift" },
			`routing.rules[2].fallback.after_hours: must be fallback or next_shift, not "next shift"`},
		{"negative SLA", func(c *routing.Config) { c.Default.SLA = -time.Minute },
			`routing.default.sla: must not be negative`},
		{"negative max_hops", func(c *routing.Config) { c.MaxHops = -1 },
			`routing.max_hops: must not be negative`},
		{"fallbacks nested too deep", func(c *routing.Config) {
			t := &routing.Target{Queue: true}
			for range 8 {
				t = &routing.Target{Pool: "sales", Fallback: t}
			}
			c.Default = *t
		}, `routing.default.fallback.fallback.fallback.fallback.fallback: at most 4 fallbacks`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := validConfig()
			tc.change(&cfg)
			errs := cfg.Validate("routing")
			if len(errs) != 1 || !strings.HasPrefix(errs[0].Error(), tc.want) {
				t.Errorf("errors %q, want one starting %q", errs, tc.want)
			}
		})
	}
}

func TestValidateReturnsEveryProblem(t *testing.T) {
	cfg := validConfig()
	cfg.Rules[0].Pool = "parts"
	cfg.Rules[2].When.TimeZone = "Mars/Olympus"
	cfg.Default = routing.Target{}
	errs := cfg.Validate("routing")
	want := []string{
		`routing.rules[0].pool: unknown pool "parts"`,
		`routing.rules[2].when.time_zone: unknown time zone "Mars/Olympus"`,
		`routing.default: needs exactly one of pool, manager or queue`,
	}
	if len(errs) != len(want) {
		t.Fatalf("errors %q, want %q", errs, want)
	}
	for i, w := range want {
		if errs[i].Error() != w {
			t.Errorf("error %d: %q, want %q", i, errs[i], w)
		}
	}
}

func TestValidateUnderAnotherPrefix(t *testing.T) {
	cfg := validConfig()
	cfg.MaxHops = -1
	if errs := cfg.Validate("tenants[0].routing"); len(errs) != 1 || errs[0].Error() != "tenants[0].routing.max_hops: must not be negative" {
		t.Errorf("errors %q", errs)
	}
}
