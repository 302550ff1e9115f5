// Package routing chooses the manager for a lead. The Engine is pure: it
// takes the event's facts, the managers with their load and schedules, and
// a source of round-robin turns, and returns who gets the lead and why.
// The Router around it fetches those inputs.
package routing

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/dedupe"
)

// Facts are what rules look at.
type Facts struct {
	Channel   string            `json:"channel"`
	Source    string            `json:"source"` // form name, PBX line, mailbox
	UTM       map[string]string `json:"utm"`
	Phones    []string          `json:"phones"`
	Text      string            `json:"text"`
	Returning bool              `json:"returning"`
	OwnerID   *int64            `json:"owner_id"`
}

// FactsOf reads the facts of a new lead.
func FactsOf(req crm.AssignRequest) Facts {
	f := Facts{Returning: req.Returning, OwnerID: req.OwnerID}
	if in := req.Inbound; in != nil {
		f.Channel, f.Source, f.UTM, f.Phones, f.Text = in.Channel, in.Source, in.UTM, in.Phones, in.Text
	}
	return f
}

// Input is one decision's inputs.
type Input struct {
	Facts    Facts
	Now      time.Time
	Managers []crm.Manager // everyone, with load
	// Rule, when set, skips matching (a re-assignment stays in its rule).
	Rule string
	// Exclude are managers who already had the lead (SLA hops).
	Exclude []int64
	// Turn returns the next turn of a named rotation.
	Turn func(key string) uint64
}

// Engine evaluates the validated routing configuration.
type Engine struct {
	cfg        Config
	defaultSLA time.Duration

	mu  sync.Mutex
	seq map[string][]int // weighted sequences by pool and weights
}

// NewEngine returns an engine for cfg (which must have passed Validate);
// defaultSLA applies where a target sets none.
func NewEngine(cfg Config, defaultSLA time.Duration) *Engine {
	return &Engine{cfg: cfg, defaultSLA: defaultSLA, seq: map[string][]int{}}
}

// Config is the configuration the engine runs.
func (e *Engine) Config() Config { return e.cfg }

// MaxHops is how many SLA re-assignments a lead gets before the queue.
func (e *Engine) MaxHops() int { return e.cfg.MaxHops }

// Match returns the first rule whose conditions hold, or the default.
func (e *Engine) Match(f Facts, now time.Time) Rule {
	for _, r := range e.cfg.Rules {
		if r.When.match(f, now) {
			return r
		}
	}
	return Rule{Name: DefaultRule, Target: e.cfg.Default}
}

func (e *Engine) rule(name string) (Rule, bool) {
	for _, r := range e.cfg.Rules {
		if r.Name == name {
			return r, true
		}
	}
	return Rule{Name: DefaultRule, Target: e.cfg.Default}, name == DefaultRule
}

// Decide chooses the manager for a lead: the rule's target, then its
// fallbacks, then the queue. Every candidate is recorded with why it was
// skipped.
func (e *Engine) Decide(in Input) crm.Assignment {
	rule, ok := e.rule(in.Rule)
	if in.Rule == "" || !ok {
		rule = e.Match(in.Facts, in.Now)
	}
	a := crm.Assignment{Rule: rule.Name, At: in.Now, Candidates: []crm.Candidate{}}
	var notes []string
	byName := map[string]*crm.Manager{}
	byID := map[int64]*crm.Manager{}
	for i := range in.Managers {
		m := &in.Managers[i]
		byName[strings.ToLower(m.Name)] = m
		byID[m.ID] = m
	}
	target := &rule.Target
	for depth := 0; target != nil && depth < maxFallbacks+1; depth, target = depth+1, target.Fallback {
		sla := target.SLA
		if sla == 0 {
			sla = e.defaultSLA
		}
		if target.Queue {
			notes = append(notes, "target: queue")
			break
		}
		label, strategy, then, members := e.members(target, in.Managers, byName)
		// A returning customer goes to their manager first, if they can take it.
		if strategy == OwnerFirst && in.Facts.OwnerID != nil {
			if m, ok := byID[*in.Facts.OwnerID]; ok {
				if why, _ := unavailable(m, in.Now, in.Exclude); why == "" {
					a.Candidates = append(a.Candidates, crm.Candidate{ManagerID: m.ID, Pool: label})
					e.chose(&a, m.ID, OwnerFirst, in.Now, sla)
					// Their own client: the owner has routing.owner_sla of
					// their working time, not the new-lead SLA.
					ownerSLA := e.cfg.OwnerSLA
					if ownerSLA == 0 {
						ownerSLA = DefaultOwnerSLA
					}
					a.Deadline = m.Schedule().AddWorking(in.Now, ownerSLA)
					a.OwnerHold, a.ReassignOwner = true, target.ReassignOwner
					notes = append(notes, fmt.Sprintf("returning customer: their manager %s", m.Name))
					a.Reason = strings.Join(notes, "; ")
					return a
				} else {
					notes = append(notes, fmt.Sprintf("their manager %s is %s", m.Name, why))
				}
			}
		}
		if strategy == OwnerFirst {
			strategy = then
		}
		var avail, offHours []*crm.Manager
		start := len(a.Candidates)
		for _, m := range members {
			why, off := unavailable(m, in.Now, in.Exclude)
			a.Candidates = append(a.Candidates, crm.Candidate{ManagerID: m.ID, Pool: label, Skipped: why})
			if why == "" {
				avail = append(avail, m)
			} else if off {
				offHours = append(offHours, m)
			}
		}
		if len(avail) > 0 {
			chosen, how := e.pick(strategy, label, avail, in.Turn)
			for i := start; i < len(a.Candidates); i++ {
				if a.Candidates[i].ManagerID != chosen.ID && a.Candidates[i].Skipped == "" {
					a.Candidates[i].Skipped = "not chosen: " + how
				}
			}
			e.chose(&a, chosen.ID, strategy, in.Now, sla)
			notes = append(notes, fmt.Sprintf("%s: %s by %s", label, chosen.Name, how))
			a.Reason = strings.Join(notes, "; ")
			return a
		}
		if target.AfterHours == "next_shift" && len(offHours) > 0 {
			first, at := offHours[0], time.Time{}
			for _, m := range offHours {
				if t, ok := m.Schedule().NextWorking(in.Now); ok && (at.IsZero() || t.Before(at)) {
					first, at = m, t
				}
			}
			if !at.IsZero() {
				e.chose(&a, first.ID, "next_shift", at, sla)
				a.DueAt = at
				notes = append(notes, fmt.Sprintf("%s: nobody working now; %s starts first, at %s", label, first.Name, at.UTC().Format(time.RFC3339)))
				a.Reason = strings.Join(notes, "; ")
				return a
			}
		}
		notes = append(notes, label+": nobody available")
	}
	a.Strategy = Queue
	notes = append(notes, "queued")
	a.Reason = strings.Join(notes, "; ")
	return a
}

func (e *Engine) chose(a *crm.Assignment, id int64, strategy string, from time.Time, sla time.Duration) {
	a.ManagerID, a.Strategy = &id, strategy
	a.DueAt, a.Deadline = from.Add(sla), from.Add(sla)
}

// members resolves a target to its managers, in id order.
func (e *Engine) members(t *Target, all []crm.Manager, byName map[string]*crm.Manager) (label, strategy, then string, out []*crm.Manager) {
	if t.Manager != "" {
		if m, ok := byName[strings.ToLower(t.Manager)]; ok {
			out = append(out, m)
		}
		return "manager " + t.Manager, RoundRobin, "", out
	}
	p := e.cfg.Pools[t.Pool]
	then = p.Then
	if then == "" {
		then = RoundRobin
	}
	if len(p.Members) == 0 {
		for i := range all {
			if all[i].Role != crm.RoleAdmin {
				out = append(out, &all[i])
			}
		}
	} else {
		for _, name := range p.Members {
			if m, ok := byName[strings.ToLower(name)]; ok {
				out = append(out, m)
			}
		}
		slices.SortFunc(out, func(a, b *crm.Manager) int { return int(a.ID - b.ID) })
	}
	return "pool " + t.Pool, p.Strategy, then, out
}

// unavailable says why a manager cannot take a lead now ("" if they can),
// and whether it is only because of their hours.
func unavailable(m *crm.Manager, now time.Time, exclude []int64) (string, bool) {
	switch {
	case !m.Active:
		return "inactive", false
	case slices.Contains(exclude, m.ID):
		return "had it already", false
	case m.Away:
		return "away", false
	case m.TelegramChatID != nil && !m.TelegramReachable:
		return "unreachable in Telegram (the chat refused the last message)", false
	}
	if m.Capacity != nil && m.OpenNewLeads >= *m.Capacity {
		return fmt.Sprintf("at capacity (%d of %d new leads)", m.OpenNewLeads, *m.Capacity), false
	}
	s := m.Schedule()
	if off, ok := s.OffOn(now); ok {
		return "time off until " + off.To, false
	}
	if !s.Working(now) {
		return "off hours", true
	}
	return "", false
}

// pick chooses among available managers (in id order) by strategy.
func (e *Engine) pick(strategy, label string, avail []*crm.Manager, turn func(string) uint64) (*crm.Manager, string) {
	switch strategy {
	case LeastLoaded:
		best := []*crm.Manager{avail[0]}
		for _, m := range avail[1:] {
			switch {
			case m.OpenLeads < best[0].OpenLeads:
				best = []*crm.Manager{m}
			case m.OpenLeads == best[0].OpenLeads:
				best = append(best, m)
			}
		}
		m := best[0]
		if len(best) > 1 {
			m = best[turn("ll:"+label)%uint64(len(best))]
		}
		return m, fmt.Sprintf("least loaded (%d open leads)", m.OpenLeads)
	case Weighted:
		seq := e.sequence(label, avail)
		i := seq[turn("wr:"+label)%uint64(len(seq))]
		return avail[i], fmt.Sprintf("weighted turn (weight %d)", avail[i].Weight)
	default:
		t := turn("rr:" + label)
		i := int(t % uint64(len(avail)))
		return avail[i], fmt.Sprintf("round-robin turn %d of %d", i+1, len(avail))
	}
}

// sequence is the smooth weighted round-robin order of the available
// managers (nginx's algorithm): weights 2:1:1 give a, b, c, a — no one
// gets two in a row while others wait, and every stretch is as fair as it
// can be.
func (e *Engine) sequence(label string, avail []*crm.Manager) []int {
	var key strings.Builder
	key.WriteString(label)
	total := 0
	weights := make([]int, len(avail))
	for i, m := range avail {
		weights[i] = m.Weight
		total += m.Weight
		key.WriteString("|" + strconv.FormatInt(m.ID, 10) + ":" + strconv.Itoa(m.Weight))
	}
	if total == 0 {
		for i := range weights {
			weights[i] = 1
		}
		total = len(weights)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if s, ok := e.seq[key.String()]; ok {
		return s
	}
	cur := make([]int, len(weights))
	seq := make([]int, 0, total)
	for range total {
		best := 0
		for i, w := range weights {
			cur[i] += w
			if cur[i] > cur[best] {
				best = i
			}
		}
		cur[best] -= total
		seq = append(seq, best)
	}
	if len(e.seq) > 256 {
		clear(e.seq)
	}
	e.seq[key.String()] = seq
	return seq
}

// match reports whether every condition holds.
func (c Conditions) match(f Facts, now time.Time) bool {
	in := func(list []string, v string) bool {
		return len(list) == 0 || slices.ContainsFunc(list, func(s string) bool { return strings.EqualFold(s, v) })
	}
	if !in(c.Channel, f.Channel) {
		return false
	}
	if len(c.Form) > 0 && (f.Channel != crm.ChannelForm || !in(c.Form, f.Source)) {
		return false
	}
	if len(c.Mailbox) > 0 && (f.Channel != crm.ChannelMail || !in(c.Mailbox, f.Source)) {
		return false
	}
	if len(c.Line) > 0 {
		if f.Channel != crm.ChannelCall || !slices.ContainsFunc(c.Line, func(l string) bool { return digits(l) == digits(f.Source) }) {
			return false
		}
	}
	for k, vs := range c.UTM {
		if v, ok := f.UTM[k]; !ok || !in(vs, v) {
			return false
		}
	}
	if len(c.Country) > 0 && !slices.ContainsFunc(f.Phones, func(p string) bool { return in(c.Country, dedupe.Country(p)) }) {
		return false
	}
	if len(c.Region) > 0 && !slices.ContainsFunc(f.Phones, func(p string) bool {
		return slices.ContainsFunc(c.Region, func(r string) bool { return strings.HasPrefix(p, "+"+digits(r)) })
	}) {
		return false
	}
	if len(c.Words) > 0 {
		text := strings.ToLower(f.Text)
		if !slices.ContainsFunc(c.Words, func(w string) bool { return strings.Contains(text, strings.ToLower(w)) }) {
			return false
		}
	}
	if c.Returning != nil && *c.Returning != f.Returning {
		return false
	}
	if len(c.Days) > 0 || c.Hours != "" {
		loc := time.UTC
		if c.TimeZone != "" {
			loc, _ = time.LoadLocation(c.TimeZone)
		}
		l := now.In(loc)
		if len(c.Days) > 0 && !slices.ContainsFunc(c.Days, func(d string) bool { wd, _ := crm.Weekday(d); return wd == l.Weekday() }) {
			return false
		}
		if c.Hours != "" {
			from, to, _ := crm.ParseSpan(c.Hours)
			m := l.Hour()*60 + l.Minute()
			if m < from || m >= to {
				return false
			}
		}
	}
	return true
}
