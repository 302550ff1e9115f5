package routing_test

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/crm/crmtest"
	"github.com/leadd/leadd/routing"
)

// The week of 2 March 2026: Monday 2 … Friday 6, Saturday 7, Sunday 8,
// Monday 9. Moscow is UTC+3, Yekaterinburg UTC+5, Vladivostok UTC+10, none
// with daylight saving time.
func utc(day, hour, min int) time.Time { return time.Date(2026, 3, day, hour, min, 0, 0, time.UTC) }

var weekdays = crm.Hours{"mon": "09:00-18:00", "tue": "09:00-18:00", "wed": "09:00-18:00", "thu": "09:00-18:00", "fri": "09:00-18:00"}

// team numbers managers from 1 in the order given; they work around the
// clock in UTC unless a test says otherwise.
func team(names ...string) []crm.Manager {
	ms := make([]crm.Manager, len(names))
	for i, n := range names {
		ms[i] = crm.Manager{ID: int64(i + 1), Name: n, Role: crm.RoleManager, TimeZone: "UTC", Active: true, Weight: 1}
	}
	return ms
}

// turns is one rotation store shared by everyone who decides with it, as
// Redis is shared by every replica.
func turns(c *routing.MemoryCursors) func(string) uint64 {
	return func(key string) uint64 {
		n, _ := c.Next(context.Background(), key)
		return n
	}
}

func pool(strategy string, members ...string) routing.Config {
	return routing.Config{
		Pools:   map[string]routing.Pool{"sales": {Strategy: strategy, Members: members}},
		Default: routing.Target{Pool: "sales"},
	}
}

// who names the manager a lead went to, or "queue".
func who(a crm.Assignment, ms []crm.Manager) string {
	if a.ManagerID == nil {
		return "queue"
	}
	for _, m := range ms {
		if m.ID == *a.ManagerID {
			return m.Name
		}
	}
	return fmt.Sprintf("unknown manager %d", *a.ManagerID)
}

// skipped is why each candidate was passed over, by name ("" for the
// chosen one).
func skipped(a crm.Assignment, ms []crm.Manager) map[string]string {
	out := map[string]string{}
	for _, c := range a.Candidates {
		for _, m := range ms {
			if m.ID == c.ManagerID {
				out[m.Name] = c.Skipped
			}
		}
	}
	return out
}

// available lists the candidates who could have taken the lead: the one
// chosen and those only not chosen by the strategy.
func available(a crm.Assignment, ms []crm.Manager) []string {
	var out []string
	for name, why := range skipped(a, ms) {
		if why == "" || strings.HasPrefix(why, "not chosen") {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

func decideN(e *routing.Engine, n int, in routing.Input) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = who(e.Decide(in), in.Managers)
	}
	return out
}

func tally(names []string) map[string]int {
	out := map[string]int{}
	for _, n := range names {
		out[n]++
	}
	return out
}

func TestWeightedSharesLeadsByWeight(t *testing.T) {
	ms := team("a", "b", "c")
	ms[0].Weight = 2
	e := routing.NewEngine(pool(routing.Weighted), 15*time.Minute)
	in := routing.Input{Now: utc(2, 10, 0), Managers: ms, Turn: turns(&routing.MemoryCursors{})}

	got := decideN(e, 1000, in)
	want := map[string]int{"a": 500, "b": 250, "c": 250}
	for name, n := range want {
		if d := tally(got)[name] - n; d < -1 || d > 1 {
			t.Errorf("%s got %d of 1000 leads, want %d (weights 2:1:1)", name, tally(got)[name], n)
		}
	}

	// Smooth: every four leads in a row split 2:1:1, so nobody waits long
	// and nobody gets a long run.
	for i := 0; i+4 <= 40; i++ {
		if w := tally(got[i : i+4]); w["a"] != 2 || w["b"] != 1 || w["c"] != 1 {
			t.Fatalf("leads %d-%d went to %v, want a twice, b and c once each (order %v)", i+1, i+4, got[i:i+4], got[:8])
		}
	}
	if got[0] != "a" {
		t.Errorf("the heaviest manager goes first: order %v", got[:8])
	}
	for i := 2; i < 40; i++ {
		if got[i] == got[i-1] && got[i] == got[i-2] {
			t.Fatalf("three leads in a row to %s: %v", got[i], got[:i+1])
		}
	}
}

func TestWeightedRebalancesAmongThoseAvailable(t *testing.T) {
	ms := team("a", "b", "c")
	ms[0].Weight, ms[1].Weight, ms[2].Weight = 3, 1, 5
	ms[2].Away = true
	e := routing.NewEngine(pool(routing.Weighted), 15*time.Minute)
	got := tally(decideN(e, 400, routing.Input{Now: utc(2, 10, 0), Managers: ms, Turn: turns(&routing.MemoryCursors{})}))
	if got["a"] != 300 || got["b"] != 100 || got["c"] != 0 {
		t.Errorf("with c away, a and b share 3:1: %v", got)
	}
}

func TestRoundRobinIsFair(t *testing.T) {
	ms := team("a", "b", "c")
	e := routing.NewEngine(pool(routing.RoundRobin), 15*time.Minute)
	got := decideN(e, 9, routing.Input{Now: utc(2, 10, 0), Managers: ms, Turn: turns(&routing.MemoryCursors{})})
	if want := []string{"a", "b", "c", "a", "b", "c", "a", "b", "c"}; !slices.Equal(got, want) {
		t.Errorf("9 leads went to %v, want %v", got, want)
	}
}

func TestRoundRobinTwoProcessorsShareOneRotation(t *testing.T) {
	ms := team("a", "b", "c")
	cursors := &routing.MemoryCursors{}
	first := routing.NewEngine(pool(routing.RoundRobin), 15*time.Minute)
	second := routing.NewEngine(pool(routing.RoundRobin), 15*time.Minute)
	in := routing.Input{Now: utc(2, 10, 0), Managers: ms, Turn: turns(cursors)}

	var got []string
	for i := range 9 {
		e := first
		if i%2 == 1 {
			e = second
		}
		got = append(got, who(e.Decide(in), ms))
	}
	if want := []string{"a", "b", "c", "a", "b", "c", "a", "b", "c"}; !slices.Equal(got, want) {
		t.Errorf("two processors taking turns gave %v, want %v", got, want)
	}
}

type directory []crm.Manager

func (d directory) Managers(context.Context) ([]crm.Manager, error) { return slices.Clone(d), nil }

func newRouter(e *routing.Engine, ms []crm.Manager, c routing.Cursors, ttl time.Duration) *routing.Router {
	now := utc(2, 10, 0)
	return routing.NewRouter(e, directory(ms), c, ttl, slog.New(slog.DiscardHandler), func() time.Time { return now })
}

func TestRoundRobinConcurrentRoutersStayFair(t *testing.T) {
	ms := team("a", "b", "c")
	cursors := &routing.MemoryCursors{}
	routers := []*routing.Router{
		newRouter(routing.NewEngine(pool(routing.RoundRobin), 15*time.Minute), ms, cursors, 0),
		newRouter(routing.NewEngine(pool(routing.RoundRobin), 15*time.Minute), ms, cursors, 0),
	}
	var mu sync.Mutex
	var got []string
	var wg sync.WaitGroup
	for i := range 300 {
		wg.Go(func() {
			a, err := routers[i%2].Assign(context.Background(), crm.AssignRequest{Inbound: &crm.Inbound{Channel: crm.ChannelForm}})
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			got = append(got, who(a, ms))
			mu.Unlock()
		})
	}
	wg.Wait()
	if n := tally(got); n["a"] != 100 || n["b"] != 100 || n["c"] != 100 {
		t.Errorf("300 leads through two routers at once: %v, want 100 each", n)
	}
}

func TestRoundRobinContinuesAfterARestart(t *testing.T) {
	ms := team("a", "b", "c")
	cursors := &routing.MemoryCursors{}
	before := newRouter(routing.NewEngine(pool(routing.RoundRobin), 15*time.Minute), ms, cursors, 0)
	var got []string
	for range 2 {
		a, _ := before.Assign(context.Background(), crm.AssignRequest{Inbound: &crm.Inbound{Channel: crm.ChannelForm}})
		got = append(got, who(a, ms))
	}
	// The process restarts: a new engine and router, the same cursor store.
	after := newRouter(routing.NewEngine(pool(routing.RoundRobin), 15*time.Minute), ms, cursors, 0)
	for range 4 {
		a, _ := after.Assign(context.Background(), crm.AssignRequest{Inbound: &crm.Inbound{Channel: crm.ChannelForm}})
		got = append(got, who(a, ms))
	}
	if want := []string{"a", "b", "c", "a", "b", "c"}; !slices.Equal(got, want) {
		t.Errorf("across a restart: %v, want %v", got, want)
	}
}

func TestExplainTakesNoTurn(t *testing.T) {
	ms := team("a", "b", "c")
	r := newRouter(routing.NewEngine(pool(routing.RoundRobin), 15*time.Minute), ms, &routing.MemoryCursors{}, 0)
	req := crm.AssignRequest{Inbound: &crm.Inbound{Channel: crm.ChannelForm}}
	for range 3 {
		if a, _ := r.Explain(context.Background(), req); who(a, ms) != "a" {
			t.Fatalf("explain said %s, want a every time", who(a, ms))
		}
	}
	if a, _ := r.Assign(context.Background(), req); who(a, ms) != "a" {
		t.Errorf("the first real lead went to %s after three explains, want a", who(a, ms))
	}
}

func TestLeastLoaded(t *testing.T) {
	e := routing.NewEngine(pool(routing.LeastLoaded), 15*time.Minute)
	ms := team("a", "b", "c")
	ms[0].OpenLeads, ms[1].OpenLeads, ms[2].OpenLeads = 5, 2, 7
	a := e.Decide(routing.Input{Now: utc(2, 10, 0), Managers: ms, Turn: turns(&routing.MemoryCursors{})})
	if who(a, ms) != "b" || a.Strategy != routing.LeastLoaded {
		t.Errorf("got %s by %s, want b (2 open leads) by least_loaded", who(a, ms), a.Strategy)
	}
	if !strings.Contains(a.Reason, "least loaded (2 open leads)") {
		t.Errorf("reason %q does not say why", a.Reason)
	}

	// a and c tie at one open lead each: they take turns, b never gets one.
	ms[0].OpenLeads, ms[1].OpenLeads, ms[2].OpenLeads = 1, 3, 1
	got := decideN(e, 6, routing.Input{Now: utc(2, 10, 0), Managers: ms, Turn: turns(&routing.MemoryCursors{})})
	if want := []string{"a", "c", "a", "c", "a", "c"}; !slices.Equal(got, want) {
		t.Errorf("ties: %v, want %v", got, want)
	}
}

func TestLeastLoadedBurstSpreadsWithinOneCachePeriod(t *testing.T) {
	ms := team("a", "b", "c")
	r := newRouter(routing.NewEngine(pool(routing.LeastLoaded), 15*time.Minute), ms, &routing.MemoryCursors{}, time.Minute)
	var got []string
	for range 6 {
		a, _ := r.Assign(context.Background(), crm.AssignRequest{Inbound: &crm.Inbound{Channel: crm.ChannelForm}})
		got = append(got, who(a, ms))
	}
	if n := tally(got); n["a"] != 2 || n["b"] != 2 || n["c"] != 2 {
		t.Errorf("a burst of 6 with a cached directory: %v, want 2 each", got)
	}
}

func TestOwnerFirst(t *testing.T) {
	cfg := routing.Config{
		Pools:   map[string]routing.Pool{"sales": {Strategy: routing.OwnerFirst, Then: routing.RoundRobin, Members: []string{"Анна", "Борис", "Вера"}}},
		Default: routing.Target{Pool: "sales"},
	}
	vera := int64(3)
	for _, tc := range []struct {
		name         string
		change       func(vera *crm.Manager)
		exclude      []int64
		want         string
		wantStrategy string
		wantReason   string
	}{
		{"their manager takes it though it is not her turn", func(*crm.Manager) {}, nil,
			"Вера", routing.OwnerFirst, "returning customer: their manager Вера"},
		{"their manager is away: the pool's turn", func(m *crm.Manager) { m.Away = true }, nil,
			"Анна", routing.RoundRobin, "their manager Вера is away"},
		{"their manager is on vacation", func(m *crm.Manager) { m.TimeOff = []crm.TimeOff{{From: "2026-03-01", To: "2026-03-10"}} }, nil,
			"Анна", routing.RoundRobin, "their manager Вера is time off until 2026-03-10"},
		{"their manager is off hours", func(m *crm.Manager) { m.TimeZone, m.Hours = "Asia/Vladivostok", weekdays }, nil,
			"Анна", routing.RoundRobin, "their manager Вера is off hours"},
		{"their manager already had it", func(*crm.Manager) {}, []int64{3},
			"Анна", routing.RoundRobin, "had it already"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ms := team("Анна", "Борис", "Вера")
			tc.change(&ms[2])
			e := routing.NewEngine(cfg, 15*time.Minute)
			// 10:00 UTC on Monday: 20:00 in Vladivostok.
			a := e.Decide(routing.Input{Facts: routing.Facts{Returning: true, OwnerID: &vera}, Now: utc(2, 10, 0),
				Managers: ms, Exclude: tc.exclude, Turn: turns(&routing.MemoryCursors{})})
			if who(a, ms) != tc.want || a.Strategy != tc.wantStrategy {
				t.Errorf("got %s by %s, want %s by %s (%s)", who(a, ms), a.Strategy, tc.want, tc.wantStrategy, a.Reason)
			}
			if !strings.Contains(a.Reason, tc.wantReason) || !strings.Contains(a.Reason, "Вера") {
				t.Errorf("reason %q does not say %q about Вера", a.Reason, tc.wantReason)
			}
		})
	}
}

func TestOwnerFirstNewCustomerGoesByTurn(t *testing.T) {
	ms := team("a", "b", "c")
	cfg := routing.Config{
		Pools:   map[string]routing.Pool{"sales": {Strategy: routing.OwnerFirst}},
		Default: routing.Target{Pool: "sales"},
	}
	got := decideN(routing.NewEngine(cfg, 15*time.Minute), 3, routing.Input{Now: utc(2, 10, 0), Managers: ms, Turn: turns(&routing.MemoryCursors{})})
	if want := []string{"a", "b", "c"}; !slices.Equal(got, want) {
		t.Errorf("new customers: %v, want round-robin (owner_first's default then) %v", got, want)
	}
}

func TestAvailabilityFollowsEachManagersLocalHours(t *testing.T) {
	ms := team("Москва", "Екатеринбург", "Владивосток")
	for i, tz := range []string{"Europe/Moscow", "Asia/Yekaterinburg", "Asia/Vladivostok"} {
		ms[i].TimeZone, ms[i].Hours = tz, weekdays
	}
	e := routing.NewEngine(pool(routing.RoundRobin), 15*time.Minute)
	for _, tc := range []struct {
		now  time.Time
		want []string // sorted
	}{
		// Monday 2 March.
		{utc(2, 4, 0), []string{"Владивосток", "Екатеринбург"}},            // 07:00, 09:00, 14:00
		{utc(2, 6, 30), []string{"Владивосток", "Екатеринбург", "Москва"}}, // 09:30, 11:30, 16:30
		{utc(2, 8, 0), []string{"Екатеринбург", "Москва"}},                 // 11:00, 13:00, 18:00
		{utc(2, 13, 0), []string{"Москва"}},                                // 16:00, 18:00, 23:00
		{utc(2, 14, 59), []string{"Москва"}},                               // 17:59
		{utc(2, 15, 0), nil}, // 18:00 in Moscow
		{utc(1, 23, 30), []string{"Владивосток"}},           // Sunday in UTC, Monday 09:30 in Vladivostok
		{utc(6, 23, 30), nil},                               // Friday in UTC, Saturday everywhere else
		{utc(6, 8, 59), []string{"Екатеринбург", "Москва"}}, // Friday 18:59 in Vladivostok
		{utc(7, 12, 0), nil},                                // Saturday
	} {
		a := e.Decide(routing.Input{Now: tc.now, Managers: ms, Turn: turns(&routing.MemoryCursors{})})
		if got := available(a, ms); !slices.Equal(got, tc.want) {
			t.Errorf("%s: available %v, want %v (%+v)", tc.now.Format(time.RFC3339), got, tc.want, a.Candidates)
		}
		for name, why := range skipped(a, ms) {
			if !slices.Contains(tc.want, name) && why != "off hours" {
				t.Errorf("%s: %s skipped as %q, want \"off hours\"", tc.now.Format(time.RFC3339), name, why)
			}
		}
		if len(tc.want) == 0 && (a.ManagerID != nil || a.Strategy != routing.Queue) {
			t.Errorf("%s: nobody working, but assigned to %s by %s", tc.now.Format(time.RFC3339), who(a, ms), a.Strategy)
		}
	}
}

func TestUnavailableManagersAreSkippedWithTheReason(t *testing.T) {
	three := 3
	ms := team("ready", "vacation", "away", "full", "inactive", "room left", "back from vacation")
	for i := range ms {
		ms[i].TimeZone, ms[i].Hours = "Europe/Moscow", weekdays
	}
	ms[1].TimeOff = []crm.TimeOff{{From: "2026-03-02", To: "2026-03-13"}}
	ms[2].Away = true
	ms[3].Capacity, ms[3].OpenNewLeads, ms[3].OpenLeads = &three, 3, 10
	ms[4].Active = false
	ms[5].Capacity, ms[5].OpenNewLeads, ms[5].OpenLeads = &three, 2, 10
	ms[6].TimeOff = []crm.TimeOff{{From: "2026-02-16", To: "2026-03-01"}}
	e := routing.NewEngine(pool(routing.LeastLoaded), 15*time.Minute)

	a := e.Decide(routing.Input{Now: utc(2, 7, 0), Managers: ms, Turn: turns(&routing.MemoryCursors{})}) // 10:00 Monday in Moscow
	want := map[string]string{
		"ready":              "",
		"vacation":           "time off until 2026-03-13",
		"away":               "away",
		"full":               "at capacity (3 of 3 new leads)",
		"inactive":           "inactive",
		"room left":          "not chosen: least loaded (0 open leads)",
		"back from vacation": "not chosen: least loaded (0 open leads)",
	}
	got := skipped(a, ms)
	for name, why := range want {
		if got[name] != why {
			t.Errorf("%s: skipped %q, want %q", name, got[name], why)
		}
	}
	if len(a.Candidates) != len(ms) {
		t.Errorf("%d candidates recorded, want all %d", len(a.Candidates), len(ms))
	}
	if who(a, ms) != "ready" {
		t.Errorf("assigned to %s, want ready", who(a, ms))
	}
}

func TestTimeOffIsByTheManagersLocalDate(t *testing.T) {
	ms := team("Владивосток")
	ms[0].TimeZone = "Asia/Vladivostok"
	ms[0].TimeOff = []crm.TimeOff{{From: "2026-03-02", To: "2026-03-02"}}
	e := routing.NewEngine(pool(routing.RoundRobin), 15*time.Minute)
	for _, tc := range []struct {
		now  time.Time
		want string
	}{
		{utc(1, 13, 59), ""},                          // Sunday 23:59 in Vladivostok
		{utc(1, 14, 0), "time off until 2026-03-02"},  // Monday 00:00 there, still Sunday in UTC
		{utc(2, 13, 59), "time off until 2026-03-02"}, // Monday 23:59
		{utc(2, 14, 0), ""},                           // Tuesday 00:00
	} {
		a := e.Decide(routing.Input{Now: tc.now, Managers: ms, Turn: turns(&routing.MemoryCursors{})})
		if got := skipped(a, ms)["Владивосток"]; got != tc.want {
			t.Errorf("%s: skipped %q, want %q", tc.now.Format(time.RFC3339), got, tc.want)
		}
	}
}

func TestFallbackWhenThePoolCannotTakeIt(t *testing.T) {
	ms := team("sales-1", "sales-2", "support-1", "Ольга")
	ms[0].Away, ms[1].Away = true, true
	pools := map[string]routing.Pool{
		"sales":   {Strategy: routing.RoundRobin, Members: []string{"sales-1", "sales-2"}},
		"support": {Strategy: routing.RoundRobin, Members: []string{"support-1"}},
		"nobody":  {Strategy: routing.RoundRobin, Members: []string{"left the company"}},
	}
	for _, tc := range []struct {
		name         string
		target       routing.Target
		change       func(ms []crm.Manager)
		want         string
		wantStrategy string
		wantReason   string
	}{
		{"to another pool", routing.Target{Pool: "sales", Fallback: &routing.Target{Pool: "support"}}, nil,
			"support-1", routing.RoundRobin, "pool sales: nobody available; pool support: support-1 by round-robin turn 1 of 1"},
		{"to the queue", routing.Target{Pool: "sales", Fallback: &routing.Target{Queue: true}}, nil,
			"queue", routing.Queue, "pool sales: nobody available; target: queue; queued"},
		{"to a named manager", routing.Target{Pool: "sales", Fallback: &routing.Target{Manager: "Ольга"}}, nil,
			"Ольга", "", "manager Ольга: Ольга by"},
		{"an empty pool", routing.Target{Pool: "nobody", Fallback: &routing.Target{Pool: "support"}}, nil,
			"support-1", routing.RoundRobin, "pool nobody: nobody available"},
		{"down the chain", routing.Target{Pool: "sales", Fallback: &routing.Target{Manager: "Ольга", Fallback: &routing.Target{Pool: "support"}}},
			func(ms []crm.Manager) { ms[3].Away = true },
			"support-1", routing.RoundRobin, "pool sales: nobody available; manager Ольга: nobody available; pool support: support-1"},
		{"no fallback: the queue", routing.Target{Pool: "sales"}, nil,
			"queue", routing.Queue, "pool sales: nobody available; queued"},
		{"every fallback unavailable: the queue", routing.Target{Pool: "sales", Fallback: &routing.Target{Pool: "support"}},
			func(ms []crm.Manager) { ms[2].Active = false },
			"queue", routing.Queue, "pool support: nobody available; queued"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ms := slices.Clone(ms)
			if tc.change != nil {
				tc.change(ms)
			}
			e := routing.NewEngine(routing.Config{Pools: pools, Rules: []routing.Rule{{Name: "site", Target: tc.target}},
				Default: routing.Target{Queue: true}}, 15*time.Minute)
			a := e.Decide(routing.Input{Now: utc(2, 10, 0), Managers: ms, Turn: turns(&routing.MemoryCursors{})})
			if who(a, ms) != tc.want || (tc.wantStrategy != "" && a.Strategy != tc.wantStrategy) || a.Rule != "site" {
				t.Errorf("got %s by %s (rule %s), want %s by %s (%s)", who(a, ms), a.Strategy, a.Rule, tc.want, tc.wantStrategy, a.Reason)
			}
			if !strings.Contains(a.Reason, tc.wantReason) {
				t.Errorf("reason %q does not say %q", a.Reason, tc.wantReason)
			}
			if a.ManagerID == nil && !a.DueAt.IsZero() {
				t.Errorf("a queued lead has a call due at %s", a.DueAt)
			}
		})
	}
}

func TestAfterHoursNextShift(t *testing.T) {
	zones := map[string]string{"Москва": "Europe/Moscow", "Екатеринбург": "Asia/Yekaterinburg", "Владивосток": "Asia/Vladivostok"}
	for _, tc := range []struct {
		name    string
		members []string
		now     time.Time
		want    string
		wantDue time.Time
	}{
		{"Friday evening in Moscow: Monday 09:00 Moscow", []string{"Москва"},
			utc(6, 16, 0), "Москва", utc(9, 6, 0)},
		{"Friday evening: Vladivostok starts the week first", []string{"Москва", "Екатеринбург", "Владивосток"},
			utc(6, 16, 0), "Владивосток", utc(8, 23, 0)},
		{"Monday before dawn: Yekaterinburg before Moscow", []string{"Москва", "Екатеринбург"},
			utc(2, 2, 0), "Екатеринбург", utc(2, 4, 0)},
		{"Monday evening: Vladivostok's Tuesday starts first", []string{"Москва", "Владивосток"},
			utc(2, 15, 30), "Владивосток", utc(2, 23, 0)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var ms []crm.Manager
			for i, name := range tc.members {
				ms = append(ms, crm.Manager{ID: int64(i + 1), Name: name, Active: true, Weight: 1, TimeZone: zones[name], Hours: weekdays})
			}
			cfg := routing.Config{
				Pools:   map[string]routing.Pool{"sales": {Strategy: routing.RoundRobin, Members: tc.members}},
				Default: routing.Target{Pool: "sales", AfterHours: "next_shift", SLA: 10 * time.Minute},
			}
			a := routing.NewEngine(cfg, 15*time.Minute).Decide(routing.Input{Now: tc.now, Managers: ms, Turn: turns(&routing.MemoryCursors{})})
			if who(a, ms) != tc.want || a.Strategy != "next_shift" {
				t.Errorf("got %s by %s, want %s by next_shift (%s)", who(a, ms), a.Strategy, tc.want, a.Reason)
			}
			if !a.DueAt.Equal(tc.wantDue) {
				t.Errorf("call due %s, want the start of the shift %s", a.DueAt.UTC().Format(time.RFC3339), tc.wantDue.Format(time.RFC3339))
			}
			if want := tc.wantDue.Add(10 * time.Minute); !a.Deadline.Equal(want) {
				t.Errorf("SLA deadline %s, want %s (the shift start + SLA)", a.Deadline.UTC().Format(time.RFC3339), want.Format(time.RFC3339))
			}
			if !strings.Contains(a.Reason, "nobody working now; "+tc.want+" starts first, at "+tc.wantDue.Format(time.RFC3339)) {
				t.Errorf("reason %q does not say who starts first and when", a.Reason)
			}
		})
	}
}

func TestAfterHoursNextShiftPassesOverVacationAndAway(t *testing.T) {
	ms := []crm.Manager{
		{ID: 1, Name: "Москва", Active: true, TimeZone: "Europe/Moscow", Hours: weekdays},
		{ID: 2, Name: "Владивосток в отпуске", Active: true, TimeZone: "Asia/Vladivostok", Hours: weekdays,
			TimeOff: []crm.TimeOff{{From: "2026-03-09", To: "2026-03-13"}}},
		{ID: 3, Name: "Екатеринбург away", Active: true, TimeZone: "Asia/Yekaterinburg", Hours: weekdays, Away: true},
	}
	cfg := routing.Config{
		Pools:   map[string]routing.Pool{"sales": {Strategy: routing.RoundRobin}},
		Default: routing.Target{Pool: "sales", AfterHours: "next_shift"},
	}
	a := routing.NewEngine(cfg, 15*time.Minute).Decide(routing.Input{Now: utc(7, 12, 0), Managers: ms, Turn: turns(&routing.MemoryCursors{})})
	if who(a, ms) != "Москва" || !a.DueAt.Equal(utc(9, 6, 0)) {
		t.Errorf("got %s due %s, want Москва due Monday 06:00 UTC (%s)", who(a, ms), a.DueAt.UTC().Format(time.RFC3339), a.Reason)
	}
}

func TestAfterHoursNextShiftRespectsCapacity(t *testing.T) {
	one := 1
	ms := []crm.Manager{
		{ID: 1, Name: "Москва", Active: true, TimeZone: "Europe/Moscow", Hours: weekdays},
		{ID: 2, Name: "Екатеринбург full", Active: true, TimeZone: "Asia/Yekaterinburg", Hours: weekdays, Capacity: &one, OpenNewLeads: 1},
	}
	cfg := routing.Config{
		Pools:   map[string]routing.Pool{"sales": {Strategy: routing.RoundRobin}},
		Default: routing.Target{Pool: "sales", AfterHours: "next_shift"},
	}
	for _, tc := range []struct {
		name string
		now  time.Time
		want time.Time
	}{
		{"Monday: Yekaterinburg working but full, Moscow not yet working", utc(2, 5, 0), utc(2, 6, 0)},
		{"Saturday: Yekaterinburg starts first but is full", utc(7, 12, 0), utc(9, 6, 0)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := routing.NewEngine(cfg, 15*time.Minute).Decide(routing.Input{Now: tc.now, Managers: ms, Turn: turns(&routing.MemoryCursors{})})
			if who(a, ms) != "Москва" || a.Strategy != "next_shift" || !a.DueAt.Equal(tc.want) {
				t.Errorf("got %s by %s due %s, want Москва by next_shift due %s: a manager at capacity takes no lead (%s)",
					who(a, ms), a.Strategy, a.DueAt.UTC().Format(time.RFC3339), tc.want.Format(time.RFC3339), a.Reason)
			}
		})
	}
}

func TestAfterHoursByDefaultFallsBack(t *testing.T) {
	ms := team("Москва")
	ms[0].TimeZone, ms[0].Hours = "Europe/Moscow", weekdays
	a := routing.NewEngine(pool(routing.RoundRobin), 15*time.Minute).Decide(routing.Input{Now: utc(7, 12, 0), Managers: ms, Turn: turns(&routing.MemoryCursors{})})
	if a.ManagerID != nil || a.Strategy != routing.Queue {
		t.Errorf("nobody working and no after_hours: got %s by %s, want the queue", who(a, ms), a.Strategy)
	}
	if got := skipped(a, ms)["Москва"]; got != "off hours" {
		t.Errorf("skipped %q, want \"off hours\"", got)
	}
}

func TestDueAtIsNowPlusTheSLA(t *testing.T) {
	ms := team("a")
	cfg := routing.Config{
		Pools:   map[string]routing.Pool{"sales": {Strategy: routing.RoundRobin}},
		Rules:   []routing.Rule{{Name: "calls", When: routing.Conditions{Channel: []string{"call"}}, Target: routing.Target{Pool: "sales", SLA: 5 * time.Minute}}},
		Default: routing.Target{Pool: "sales"},
	}
	e := routing.NewEngine(cfg, 15*time.Minute)
	now := utc(2, 10, 0)
	for _, tc := range []struct {
		channel string
		want    time.Duration
	}{{"call", 5 * time.Minute}, {"form", 15 * time.Minute}} {
		a := e.Decide(routing.Input{Facts: routing.Facts{Channel: tc.channel}, Now: now, Managers: ms, Turn: turns(&routing.MemoryCursors{})})
		if !a.DueAt.Equal(now.Add(tc.want)) || !a.Deadline.Equal(now.Add(tc.want)) || !a.At.Equal(now) {
			t.Errorf("%s: due %s, deadline %s, want both now+%s", tc.channel, a.DueAt, a.Deadline, tc.want)
		}
	}
}

func yes() *bool { b := true; return &b }
func no() *bool  { b := false; return &b }

func TestRuleConditions(t *testing.T) {
	monday10 := utc(2, 7, 0) // 10:00 in Moscow
	for _, tc := range []struct {
		name  string
		when  routing.Conditions
		facts routing.Facts
		now   time.Time
		want  bool
	}{
		{"channel", routing.Conditions{Channel: []string{"call"}}, routing.Facts{Channel: "call"}, monday10, true},
		{"another channel", routing.Conditions{Channel: []string{"call"}}, routing.Facts{Channel: "form"}, monday10, false},
		{"any of the channels", routing.Conditions{Channel: []string{"mail", "messenger"}}, routing.Facts{Channel: "messenger"}, monday10, true},

		{"form", routing.Conditions{Form: []string{"contacts"}}, routing.Facts{Channel: "form", Source: "contacts"}, monday10, true},
		{"form, another case", routing.Conditions{Form: []string{"contacts"}}, routing.Facts{Channel: "form", Source: "Contacts"}, monday10, true},
		{"another form", routing.Conditions{Form: []string{"contacts"}}, routing.Facts{Channel: "form", Source: "price"}, monday10, false},
		{"a call from a line named like the form", routing.Conditions{Form: []string{"contacts"}}, routing.Facts{Channel: "call", Source: "contacts"}, monday10, false},

		{"line, as written in the config", routing.Conditions{Line: []string{"+7 495 123-45-67"}}, routing.Facts{Channel: "call", Source: "74951234567"}, monday10, true},
		{"line, E.164", routing.Conditions{Line: []string{"+7 495 123-45-67"}}, routing.Facts{Channel: "call", Source: "+74951234567"}, monday10, true},
		{"another line", routing.Conditions{Line: []string{"+7 495 123-45-67"}}, routing.Facts{Channel: "call", Source: "74951234568"}, monday10, false},
		{"line on a form", routing.Conditions{Line: []string{"+7 495 123-45-67"}}, routing.Facts{Channel: "form", Source: "74951234567"}, monday10, false},

		{"mailbox", routing.Conditions{Mailbox: []string{"sales"}}, routing.Facts{Channel: "mail", Source: "sales"}, monday10, true},
		{"another mailbox", routing.Conditions{Mailbox: []string{"sales"}}, routing.Facts{Channel: "mail", Source: "hr"}, monday10, false},

		{"utm", routing.Conditions{UTM: map[string][]string{"utm_source": {"yandex", "google"}}},
			routing.Facts{UTM: map[string]string{"utm_source": "google", "utm_medium": "cpc"}}, monday10, true},
		{"utm, another case", routing.Conditions{UTM: map[string][]string{"utm_source": {"yandex"}}},
			routing.Facts{UTM: map[string]string{"utm_source": "Yandex"}}, monday10, true},
		{"utm, another source", routing.Conditions{UTM: map[string][]string{"utm_source": {"yandex"}}},
			routing.Facts{UTM: map[string]string{"utm_source": "vk"}}, monday10, false},
		{"utm missing", routing.Conditions{UTM: map[string][]string{"utm_source": {"yandex"}}}, routing.Facts{}, monday10, false},
		{"utm, every key must hold", routing.Conditions{UTM: map[string][]string{"utm_source": {"yandex"}, "utm_campaign": {"machines"}}},
			routing.Facts{UTM: map[string]string{"utm_source": "yandex", "utm_campaign": "parts"}}, monday10, false},

		{"Kazakhstan", routing.Conditions{Country: []string{"KZ"}}, routing.Facts{Phones: []string{"+77011234567"}}, monday10, true},
		{"Russia is not Kazakhstan", routing.Conditions{Country: []string{"KZ"}}, routing.Facts{Phones: []string{"+79161234567"}}, monday10, false},
		{"Russia", routing.Conditions{Country: []string{"RU"}}, routing.Facts{Phones: []string{"+79161234567"}}, monday10, true},
		{"country, any phone", routing.Conditions{Country: []string{"KZ"}}, routing.Facts{Phones: []string{"+79161234567", "+77011234567"}}, monday10, true},
		{"country, no phone", routing.Conditions{Country: []string{"RU"}}, routing.Facts{}, monday10, false},

		{"region", routing.Conditions{Region: []string{"+7495"}}, routing.Facts{Phones: []string{"+74951234567"}}, monday10, true},
		{"region written with a space", routing.Conditions{Region: []string{"+7 495"}}, routing.Facts{Phones: []string{"+74951234567"}}, monday10, true},
		{"another region", routing.Conditions{Region: []string{"+7495"}}, routing.Facts{Phones: []string{"+74991234567"}}, monday10, false},
		{"any of the regions", routing.Conditions{Region: []string{"+7812", "+7495"}}, routing.Facts{Phones: []string{"+74951234567"}}, monday10, true},

		{"words, Cyrillic in another case", routing.Conditions{Words: []string{"Станок"}}, routing.Facts{Text: "Добрый день, нужен станок с ЧПУ"}, monday10, true},
		{"words, capitals in the text", routing.Conditions{Words: []string{"станок"}}, routing.Facts{Text: "НУЖЕН СТАНОК"}, monday10, true},
		{"no such words", routing.Conditions{Words: []string{"станок", "фрезер"}}, routing.Facts{Text: "Нужны запчасти"}, monday10, false},

		{"returning: a known customer", routing.Conditions{Returning: yes()}, routing.Facts{Returning: true}, monday10, true},
		{"returning: a new person", routing.Conditions{Returning: yes()}, routing.Facts{Returning: false}, monday10, false},
		{"new only: a new person", routing.Conditions{Returning: no()}, routing.Facts{Returning: false}, monday10, true},
		{"new only: a known customer", routing.Conditions{Returning: no()}, routing.Facts{Returning: true}, monday10, false},

		{"office hours: 09:00 Moscow", moscowOffice, routing.Facts{}, utc(2, 6, 0), true},
		{"office hours: 08:59 Moscow", moscowOffice, routing.Facts{}, utc(2, 5, 59), false},
		{"office hours: 17:59 Moscow", moscowOffice, routing.Facts{}, utc(2, 14, 59), true},
		{"office hours: 18:00 Moscow", moscowOffice, routing.Facts{}, utc(2, 15, 0), false},
		{"office hours: Saturday", moscowOffice, routing.Facts{}, utc(7, 10, 0), false},
		{"office hours: Friday 17:30 Moscow, Friday in UTC too", moscowOffice, routing.Facts{}, utc(6, 14, 30), true},
		{"days: Monday in Moscow, Sunday in UTC", routing.Conditions{Days: []string{"mon"}, TimeZone: "Europe/Moscow"}, routing.Facts{}, utc(1, 21, 30), true},
		{"days: Sunday in UTC without a time zone", routing.Conditions{Days: []string{"mon"}}, routing.Facts{}, utc(1, 21, 30), false},
		{"hours without a time zone are UTC", routing.Conditions{Hours: "09:00-18:00"}, routing.Facts{}, utc(2, 7, 0), false},

		{"nothing to hold: everything matches", routing.Conditions{}, routing.Facts{Channel: "mail"}, monday10, true},
		{"every condition must hold", routing.Conditions{Channel: []string{"call"}, Region: []string{"+7495"}},
			routing.Facts{Channel: "call", Phones: []string{"+78121234567"}}, monday10, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := routing.NewEngine(routing.Config{
				Pools:   map[string]routing.Pool{"sales": {Strategy: routing.RoundRobin}},
				Rules:   []routing.Rule{{Name: "rule", When: tc.when, Target: routing.Target{Pool: "sales"}}},
				Default: routing.Target{Queue: true},
			}, 15*time.Minute)
			if got := e.Match(tc.facts, tc.now).Name == "rule"; got != tc.want {
				t.Errorf("matched %v, want %v", got, tc.want)
			}
		})
	}
}

var moscowOffice = routing.Conditions{Days: []string{"mon", "tue", "wed", "thu", "fri"}, Hours: "09:00-18:00", TimeZone: "Europe/Moscow"}

func TestRulesFirstMatchWins(t *testing.T) {
	cfg := routing.Config{
		Pools: map[string]routing.Pool{
			"vip":      {Strategy: routing.RoundRobin, Members: []string{"vip"}},
			"kz":       {Strategy: routing.RoundRobin, Members: []string{"kz"}},
			"machines": {Strategy: routing.RoundRobin, Members: []string{"machines"}},
			"sales":    {Strategy: routing.RoundRobin, Members: []string{"sales"}},
		},
		Rules: []routing.Rule{
			{Name: "vip", When: routing.Conditions{Returning: yes()}, Target: routing.Target{Pool: "vip"}},
			{Name: "kz", When: routing.Conditions{Country: []string{"KZ"}}, Target: routing.Target{Pool: "kz"}},
			{Name: "machines", When: routing.Conditions{Words: []string{"станок"}}, Target: routing.Target{Pool: "machines"}},
		},
		Default: routing.Target{Pool: "sales"},
	}
	ms := team("vip", "kz", "machines", "sales")
	e := routing.NewEngine(cfg, 15*time.Minute)
	for _, tc := range []struct {
		name  string
		facts routing.Facts
		rule  string
	}{
		{"matches every rule: the first", routing.Facts{Returning: true, Phones: []string{"+77011234567"}, Text: "станок"}, "vip"},
		{"matches the second and third", routing.Facts{Phones: []string{"+77011234567"}, Text: "станок"}, "kz"},
		{"matches the third only", routing.Facts{Phones: []string{"+79161234567"}, Text: "Станок"}, "machines"},
		{"matches none: the default", routing.Facts{Phones: []string{"+79161234567"}, Text: "фреза"}, routing.DefaultRule},
	} {
		a := e.Decide(routing.Input{Facts: tc.facts, Now: utc(2, 10, 0), Managers: ms, Turn: turns(&routing.MemoryCursors{})})
		want := tc.rule
		if want == routing.DefaultRule {
			want = "sales"
		}
		if a.Rule != tc.rule || who(a, ms) != want {
			t.Errorf("%s: rule %q to %s, want rule %q to %s", tc.name, a.Rule, who(a, ms), tc.rule, want)
		}
	}
}

func TestReassignmentStaysInItsRuleAndSkipsWhoHadIt(t *testing.T) {
	cfg := routing.Config{
		Pools: map[string]routing.Pool{
			"kz":    {Strategy: routing.RoundRobin, Members: []string{"kz-1", "kz-2"}},
			"sales": {Strategy: routing.RoundRobin, Members: []string{"sales-1", "sales-2", "sales-3"}},
		},
		Rules:   []routing.Rule{{Name: "kz", When: routing.Conditions{Country: []string{"KZ"}}, Target: routing.Target{Pool: "kz"}}},
		Default: routing.Target{Pool: "sales"},
	}
	ms := team("kz-1", "kz-2", "sales-1", "sales-2", "sales-3")
	kazakh := routing.Facts{Channel: "form", Phones: []string{"+77011234567"}}
	for _, tc := range []struct {
		name     string
		rule     string
		exclude  []int64
		want     string
		wantRule string
	}{
		{"the rule is forced though another matches", routing.DefaultRule, nil, "sales-1", routing.DefaultRule},
		{"who had it already is skipped", "kz", []int64{1}, "kz-2", "kz"},
		{"everyone had it: the queue", "kz", []int64{1, 2}, "queue", "kz"},
		{"several hops in the default rule", routing.DefaultRule, []int64{3, 4}, "sales-3", routing.DefaultRule},
		{"a rule no longer configured: matched again", "removed", nil, "kz-1", "kz"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := routing.NewEngine(cfg, 15*time.Minute)
			a := e.Decide(routing.Input{Facts: kazakh, Now: utc(2, 10, 0), Managers: ms, Rule: tc.rule, Exclude: tc.exclude, Turn: turns(&routing.MemoryCursors{})})
			if who(a, ms) != tc.want || a.Rule != tc.wantRule {
				t.Errorf("got %s by rule %q, want %s by rule %q (%s)", who(a, ms), a.Rule, tc.want, tc.wantRule, a.Reason)
			}
			for _, id := range tc.exclude {
				if why := skipped(a, ms)[ms[id-1].Name]; why != "had it already" {
					t.Errorf("%s skipped %q, want \"had it already\"", ms[id-1].Name, why)
				}
			}
		})
	}
}

func TestPoolWithoutMembersIsEveryActiveManagerButAdmins(t *testing.T) {
	ms := team("a", "admin", "b")
	ms[1].Role = crm.RoleAdmin
	got := decideN(routing.NewEngine(pool(routing.RoundRobin), 15*time.Minute), 4,
		routing.Input{Now: utc(2, 10, 0), Managers: ms, Turn: turns(&routing.MemoryCursors{})})
	if want := []string{"a", "b", "a", "b"}; !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

// BenchmarkDecidePool100 is one decision over 100 managers in six time
// zones, each with working hours, some away, some on vacation, some with a
// capacity; the target is at most 1 ms. "store" decides over the managers
// as the Router gets them (read from Postgres, schedules parsed once);
// "unparsed" over managers built in memory, whose schedules are parsed
// again for every decision.
func BenchmarkDecidePool100(b *testing.B) {
	zones := []string{"Europe/Kaliningrad", "Europe/Moscow", "Europe/Samara", "Asia/Yekaterinburg", "Asia/Novosibirsk", "Asia/Vladivostok"}
	ms := make([]crm.Manager, 100)
	names := make([]string, 100)
	for i := range ms {
		capacity := 20
		ms[i] = crm.Manager{
			ID: int64(i + 1), Name: fmt.Sprintf("manager-%03d", i), Role: crm.RoleManager, Active: i%23 != 0,
			TimeZone: zones[i%len(zones)], Hours: crm.Hours{"mon": "09:00-13:00,14:00-18:00", "tue": "09:00-18:00",
				"wed": "09:00-18:00", "thu": "09:00-18:00", "fri": "09:00-17:00"},
			Away: i%7 == 0, Weight: 1 + i%4, OpenLeads: i % 13, OpenNewLeads: i % 5, TimeOff: []crm.TimeOff{},
		}
		if i%11 == 0 {
			ms[i].TimeOff = []crm.TimeOff{{From: "2026-03-01", To: "2026-03-14"}}
		}
		if i%5 == 0 {
			ms[i].Capacity = &capacity
		}
		names[i] = ms[i].Name
	}

	db := crmtest.MustOpenDB(b)
	ctx := context.Background()
	for _, m := range ms {
		if _, err := db.Store.CreateManager(ctx, m); err != nil {
			b.Fatal(err)
		}
	}
	stored, err := db.Store.Managers(ctx)
	if err != nil || len(stored) != len(ms) {
		b.Fatalf("%d managers stored: %v", len(stored), err)
	}
	for i := range stored {
		stored[i].OpenLeads, stored[i].OpenNewLeads = ms[i].OpenLeads, ms[i].OpenNewLeads
	}

	now := utc(3, 8, 0) // Tuesday: working from Kaliningrad to Novosibirsk, not in Vladivostok
	for _, set := range []struct {
		name     string
		managers []crm.Manager
	}{{"store", stored}, {"unparsed", ms}} {
		for _, strategy := range []string{routing.Weighted, routing.RoundRobin} {
			b.Run(set.name+"/"+strategy, func(b *testing.B) {
				e := routing.NewEngine(routing.Config{
					Pools:   map[string]routing.Pool{"sales": {Strategy: strategy, Members: names}},
					Default: routing.Target{Pool: "sales", Fallback: &routing.Target{Queue: true}},
				}, 15*time.Minute)
				in := routing.Input{Facts: routing.Facts{Channel: "form", Phones: []string{"+79161234567"}}, Now: now,
					Managers: set.managers, Turn: turns(&routing.MemoryCursors{})}
				if a := e.Decide(in); a.ManagerID == nil || len(available(a, set.managers)) < 30 {
					b.Fatalf("%d available: %s", len(available(a, set.managers)), a.Reason)
				}
				b.ReportAllocs()
				for b.Loop() {
					e.Decide(in)
				}
			})
		}
	}
}
