package routing

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/leadd/leadd/crm"
)

// Strategies.
const (
	RoundRobin  = "round_robin"
	Weighted    = "weighted"
	LeastLoaded = "least_loaded"
	OwnerFirst  = "owner_first"
	Queue       = "queue"
	Manual      = "manual"
)

// maxFallbacks is the longest chain of fallbacks a target may have.
const maxFallbacks = 4

// DefaultRule names the rule that takes every event no other rule matches.
const DefaultRule = "default"

// Config is the routing section: pools of managers, rules evaluated in
// order (first match wins), and the default for what no rule matches.
type Config struct {
	Pools   map[string]Pool `yaml:"pools"`
	Rules   []Rule          `yaml:"rules"`
	Default Target          `yaml:"default"`
	// MaxHops is how many times a lead not taken within its SLA moves on
	// before it waits in the queue.
	MaxHops int `yaml:"max_hops"`
	// OwnerSLA is how long, in the owner's working hours, a returning
	// customer's lead given to their own manager may stay new before a
	// supervisor is told (0: 4h). It is re-assigned then only where the
	// target says reassign_owner.
	OwnerSLA time.Duration `yaml:"owner_sla"`
}

// DefaultOwnerSLA is the owner's SLA of a configuration that names none.
const DefaultOwnerSLA = 4 * time.Hour

// Pool is a group of managers and how a lead is chosen among them.
type Pool struct {
	// Strategy is round_robin, weighted (the managers' weights),
	// least_loaded (fewest open leads) or owner_first (a returning
	// customer's manager when available, else Then).
	Strategy string `yaml:"strategy"`
	Then     string `yaml:"then"`
	// Members are manager names; none means every active manager.
	Members []string `yaml:"members"`
}

// Target is where a rule sends a lead: a pool, a named manager or the
// queue; and what happens when nobody there can take it.
type Target struct {
	Pool     string  `yaml:"pool"`
	Manager  string  `yaml:"manager"`
	Queue    bool    `yaml:"queue"`
	Fallback *Target `yaml:"fallback"`
	// AfterHours "next_shift" assigns to whoever starts first, with the
	// call due at the start of their shift; "fallback" (default) goes on.
	AfterHours string `yaml:"after_hours"`
	// SLA is how soon the first call is due and how long the lead may stay
	// new before it moves on (0: followup.sla).
	SLA time.Duration `yaml:"sla"`
	// ReassignOwner: a returning customer's lead that their own manager
	// has not taken within routing.owner_sla moves on like any other;
	// without it the owner keeps it and a supervisor is told.
	ReassignOwner bool `yaml:"reassign_owner"`
}

// Rule is a condition and a target.
type Rule struct {
	Name   string     `yaml:"name"`
	When   Conditions `yaml:"when"`
	Target `yaml:",inline"`
}

// Conditions all must hold for a rule to match; each list matches any of
// its values; an empty condition matches everything.
type Conditions struct {
	Channel []string            `yaml:"channel"` // form, call, mail, messenger, manual
	Form    []string            `yaml:"form"`    // form names
	Line    []string            `yaml:"line"`    // the PBX number the client dialled
	Mailbox []string            `yaml:"mailbox"` // mailbox names
	UTM     map[string][]string `yaml:"utm"`     // utm_source: [yandex, google]
	Country []string            `yaml:"country"` // the phone's country, ISO: RU, KZ
	Region  []string            `yaml:"region"`  // the phone's prefix (area code): "+7495", "+7812"
	Words   []string            `yaml:"words"`   // any of these in the text, case-insensitive
	// Returning: true for known customers only, false for new people only.
	Returning *bool    `yaml:"returning"`
	Days      []string `yaml:"days"`      // mon … sun
	Hours     string   `yaml:"hours"`     // "09:00-18:00"
	TimeZone  string   `yaml:"time_zone"` // of days and hours; default UTC
}

// Validate returns every problem, each naming its key under prefix
// ("routing.rules[2].pool: unknown pool \"parts\"").
func (c *Config) Validate(prefix string) []error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s.%s: %s", prefix, key, fmt.Sprintf(format, args...)))
	}
	if len(c.Pools) == 0 {
		bad("pools", "at least one pool is needed")
	}
	for name, p := range c.Pools {
		key := "pools." + name
		switch p.Strategy {
		case RoundRobin, Weighted, LeastLoaded:
			if p.Then != "" {
				bad(key+".then", "only owner_first has a then")
			}
		case OwnerFirst:
			if p.Then != "" && p.Then != RoundRobin && p.Then != Weighted && p.Then != LeastLoaded {
				bad(key+".then", "must be round_robin, weighted or least_loaded, not %q", p.Then)
			}
		default:
			bad(key+".strategy", "must be round_robin, weighted, least_loaded or owner_first, not %q", p.Strategy)
		}
		for i, m := range p.Members {
			if strings.TrimSpace(m) == "" {
				bad(fmt.Sprintf("%s.members[%d]", key, i), "is empty")
			}
		}
	}
	names := map[string]bool{}
	for i, r := range c.Rules {
		key := fmt.Sprintf("rules[%d]", i)
		if r.Name == "" {
			bad(key+".name", "is required (it is recorded with each assignment)")
		} else if names[r.Name] || r.Name == DefaultRule {
			bad(key+".name", "%q is used twice", r.Name)
		}
		names[r.Name] = true
		c.validateTarget(&r.Target, key, bad, 0)
		w := r.When
		for j, ch := range w.Channel {
			if !slices.Contains([]string{crm.ChannelForm, crm.ChannelCall, crm.ChannelMail, crm.ChannelMessenger, crm.ChannelManual}, ch) {
				bad(fmt.Sprintf("%s.when.channel[%d]", key, j), "must be form, call, mail, messenger or manual, not %q", ch)
			}
		}
		for j, d := range w.Days {
			if _, ok := crm.Weekday(d); !ok {
				bad(fmt.Sprintf("%s.when.days[%d]", key, j), "not a weekday: %q", d)
			}
		}
		if w.Hours != "" {
			if _, _, err := crm.ParseSpan(w.Hours); err != nil {
				bad(key+".when.hours", "%v", err)
			}
		}
		if w.TimeZone != "" {
			if _, err := time.LoadLocation(w.TimeZone); err != nil {
				bad(key+".when.time_zone", "unknown time zone %q", w.TimeZone)
			}
		}
		for k := range w.UTM {
			if !strings.HasPrefix(k, "utm_") {
				bad(key+".when.utm."+k, "UTM fields are utm_source, utm_medium, utm_campaign, utm_term, utm_content")
			}
		}
		for j, r := range w.Region {
			if !strings.HasPrefix(r, "+") || len(digits(r)) < 2 {
				bad(fmt.Sprintf("%s.when.region[%d]", key, j), "a region is a number prefix like +7495, not %q", r)
			}
		}
	}
	c.validateTarget(&c.Default, "default", bad, 0)
	if c.MaxHops < 0 {
		bad("max_hops", "must not be negative")
	}
	if c.OwnerSLA < 0 {
		bad("owner_sla", "must not be negative")
	}
	return errs
}

func (c *Config) validateTarget(t *Target, key string, bad func(string, string, ...any), depth int) {
	n := 0
	if t.Pool != "" {
		n++
		if _, ok := c.Pools[t.Pool]; !ok {
			bad(key+".pool", "unknown pool %q", t.Pool)
		}
	}
	if t.Manager != "" {
		n++
	}
	if t.Queue {
		n++
	}
	if n != 1 {
		bad(key, "needs exactly one of pool, manager or queue")
	}
	if t.AfterHours != "" && t.AfterHours != "fallback" && t.AfterHours != "next_shift" {
		bad(key+".after_hours", "must be fallback or next_shift, not %q", t.AfterHours)
	}
	if t.SLA < 0 {
		bad(key+".sla", "must not be negative")
	}
	if t.Fallback != nil {
		if depth >= maxFallbacks {
			bad(key+".fallback", "at most %d fallbacks in a chain", maxFallbacks)
			return
		}
		c.validateTarget(t.Fallback, key+".fallback", bad, depth+1)
	}
}

func digits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}
