package crm_test

import (
	"context"
	"fmt"
	"math/big"
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/crm/crmtest"
)

// A simulated sales department: leads arrive over three weeks across a
// month boundary, are answered (or not) after a known delay, taken,
// called, converted or junked; deals walk the pipeline forwards, skip
// stages, step back, are won or lost. Everything goes through the store's
// own methods on a clock the test moves, and the test keeps its own record
// of what happened, from which it computes every report's answer.

var simStages = []string{"new", "needs", "proposal", "won", "lost"}

func simPipeline() crm.Pipeline {
	p := func(n int) *int { return &n }
	return crm.Pipeline{Key: "sales", Name: "Продажи", Default: true, LossReasons: []string{"price", "competitor"},
		Stages: []crm.Stage{{Key: "new", Name: "Новая", Probability: p(10)}, {Key: "needs", Name: "Потребность", Probability: p(30)},
			{Key: "proposal", Name: "Предложение", Probability: p(60)}, {Key: "won", Name: "Успех", Semantic: "won"},
			{Key: "lost", Name: "Провал", Semantic: "lost"}}}
}

func stagePos(key string) int {
	for i, s := range simStages {
		if s == key {
			return i
		}
	}
	return -1
}

type simMove struct {
	stage string
	at    time.Time
}

type simDeal struct {
	id       int64
	created  time.Time
	manager  int64
	cents    int64
	moves    []simMove // the first is "new" at created
	reason   string
	closedAt *time.Time
}

func (d *simDeal) final() string { return d.moves[len(d.moves)-1].stage }

func (d *simDeal) semantic() string {
	switch d.final() {
	case "won":
		return "won"
	case "lost":
		return "lost"
	}
	return "open"
}

// reached is the furthest progress stage visited.
func (d *simDeal) reached() int {
	r := 0
	for _, m := range d.moves {
		if p := stagePos(m.stage); p <= 2 && p > r {
			r = p
		}
	}
	return r
}

// lostFrom is the stage the deal left for lost.
func (d *simDeal) lostFrom() int { return stagePos(d.moves[len(d.moves)-2].stage) }

// stays is the completed time in each stage, in seconds, and whether the
// deal left it.
func (d *simDeal) stays() map[string]int64 {
	out := map[string]int64{}
	for i := 0; i+1 < len(d.moves); i++ {
		out[d.moves[i].stage] += int64(d.moves[i+1].at.Sub(d.moves[i].at) / time.Second)
	}
	return out
}

func (d *simDeal) lastActivity() time.Time { return d.moves[len(d.moves)-1].at }

// lastActivity is when anything last happened on the lead's deal: a move,
// or a call of the lead's, which the conversion moved onto the deal.
func (l *simLead) lastActivity() time.Time {
	last := l.deal.lastActivity()
	for _, c := range l.calls {
		if c.After(last) {
			last = c
		}
	}
	return last
}

type simLead struct {
	id                        int64
	created                   time.Time
	manager                   int64
	channel, origin, utm      string
	status, junk              string
	taken, response, reached  *time.Time
	hops                      int
	callOpen                  bool // the first call is still open
	callDone                  *time.Time
	deal                      *simDeal
	missedCalls, outgoingCall []time.Time
	calls                     []time.Time // every call on the lead's number: they move onto its deal
}

func (l *simLead) source() string {
	if l.utm != "" {
		return l.utm
	}
	return l.channel + ":" + l.origin
}

type sim struct {
	db       *crmtest.DB
	store    *crm.Store
	clock    time.Time
	managers []int64
	names    map[int64]string
	leads    []*simLead
	now      time.Time // when the reports are asked
	sla      time.Duration
	plans    map[string]crm.Plan          // manager:month
	spend    map[string]map[string]string // utm_source → month → spend
}

func minT(a *time.Time, b time.Time) *time.Time {
	if a == nil || b.Before(*a) {
		return &b
	}
	return a
}

// newSim builds the department's history from seed.
func newSim(t *testing.T, seed int64) *sim {
	t.Helper()
	ctx := context.Background()
	db := crmtest.MustOpenDB(t)
	s := &sim{db: db, names: map[int64]string{}, plans: map[string]crm.Plan{}, spend: map[string]map[string]string{},
		now: time.Date(2026, 12, 16, 12, 0, 0, 0, time.UTC), sla: 15 * time.Minute}
	s.store = crm.NewStore(db.Pool, func() time.Time { return s.clock })
	s.store.SetSourceNames(crm.SourceNames{Forms: map[string]string{"site": "Обратная связь"},
		Mailboxes: map[string]string{"sales": "sales@example.ru"}})
	ps := []crm.Pipeline{simPipeline()}
	if errs := crm.ValidatePipelines("pipelines", ps); len(errs) > 0 {
		t.Fatal(errs)
	}
	if err := s.store.ReconcilePipelines(ctx, ps); err != nil {
		t.Fatal(err)
	}
	for i, tz := range []string{"Europe/Moscow", "Europe/Moscow", "Asia/Yekaterinburg"} {
		m, err := s.store.CreateManager(ctx, crm.Manager{Name: fmt.Sprintf("Менеджер %c", 'А'+i), TimeZone: tz, Active: true})
		if err != nil {
			t.Fatal(err)
		}
		s.managers = append(s.managers, m.ID)
		s.names[m.ID] = m.Name
	}
	cadence, _ := crm.ParseCadence([]string{"1000h"})
	rng := rand.New(rand.NewSource(seed))
	base := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	delays := []time.Duration{20 * time.Second, 2 * time.Minute, 10 * time.Minute, 20 * time.Minute, 45 * time.Minute,
		2 * time.Hour, 5 * time.Hour, 30 * time.Hour, 50 * time.Hour}
	for i := 0; i < 160; i++ {
		l := &simLead{created: base.Add(time.Duration(rng.Int63n(int64(20 * 24 * time.Hour)))).Truncate(time.Second),
			manager: s.managers[rng.Intn(3)], status: crm.StatusNew, callOpen: true}
		switch rng.Intn(4) {
		case 0, 1:
			l.channel, l.origin = "form", []string{"site", "landing"}[rng.Intn(2)]
			l.utm = []string{"", "yandex", "google"}[rng.Intn(3)]
		case 2:
			l.channel, l.origin = "call", "+74950000001"
		default:
			l.channel, l.origin = "mail", "sales"
		}
		if rng.Intn(6) == 0 {
			l.hops = 1 + rng.Intn(2)
		}
		utm := map[string]string{}
		if l.utm != "" {
			// People and ad systems spell a source as they like: the
			// reports read every spelling as one (lower-cased, trimmed).
			utm["utm_source"] = []string{l.utm, strings.ToUpper(l.utm[:1]) + l.utm[1:], " " + strings.ToUpper(l.utm) + "\t"}[rng.Intn(3)]
			utm["utm_campaign"] = []string{"winter", "Winter "}[rng.Intn(2)]
		}
		if err := db.Pool.QueryRow(ctx, `INSERT INTO leads (status, channel, source, utm, manager_id, hops, created_at, updated_at, status_changed_at, name)
			VALUES ('new', $1, $2, $3, $4, $5, $6, $6, $6, $7) RETURNING id`, l.channel, l.origin, utm, l.manager, l.hops, l.created, fmt.Sprintf("Клиент %d", i)).Scan(&l.id); err != nil {
			t.Fatal(err)
		}
		var callID int64
		if err := db.Pool.QueryRow(ctx, `INSERT INTO activities (type, subject, lead_id, manager_id, due_at, created_at)
			VALUES ('call', 'Call back: new lead', $1, $2, $3, $4) RETURNING id`, l.id, l.manager, l.created.Add(5*time.Minute), l.created).Scan(&callID); err != nil {
			t.Fatal(err)
		}
		// Calls on the lead's number: missed ones and ones we made.
		for k := rng.Intn(3); k > 0; k-- {
			at := l.created.Add(time.Duration(rng.Intn(48*60)) * time.Minute)
			dir, answered := "in", rng.Intn(4) == 0
			if rng.Intn(2) == 0 {
				dir = "out"
				l.outgoingCall = append(l.outgoingCall, at)
			} else if !answered {
				l.missedCalls = append(l.missedCalls, at)
			}
			l.calls = append(l.calls, at)
			if answered { // a conversation: the person is reached
				l.reached = minT(l.reached, at)
			}
			db.Exec(t, `INSERT INTO touches (lead_id, channel, at, data) VALUES ($1, 'call', $2, $3)`, l.id, at,
				map[string]any{"call": map[string]any{"direction": dir, "answered": answered, "states": []string{"ended", "ringing"}}})
		}
		s.leads = append(s.leads, l)
		if rng.Intn(7) == 0 {
			continue // never answered
		}
		resp := l.created.Add(delays[rng.Intn(len(delays))])
		at := resp
		s.clock = at
		switch rng.Intn(10) {
		case 0, 1, 2, 3: // taken
			if _, err := s.store.SetLeadStatus(ctx, l.id, crm.StatusInProgress, ""); err != nil {
				t.Fatal(err)
			}
			// Taking a lead is no contact with the client: not reached.
			l.status, l.taken, l.response = crm.StatusInProgress, &resp, &resp
		case 4, 5, 6: // called and talked
			if _, err := s.store.CompleteActivity(ctx, callID, crm.Completion{Outcome: crm.OutcomeDone}, cadence); err != nil {
				t.Fatal(err)
			}
			l.response, l.reached, l.callOpen, l.callDone = &resp, minT(l.reached, resp), false, &resp
		default: // called, no answer: the next call is far away
			if _, err := s.store.CompleteActivity(ctx, callID, crm.Completion{Outcome: crm.OutcomeNoAnswer}, cadence); err != nil {
				t.Fatal(err)
			}
			l.response, l.callOpen, l.callDone = &resp, false, &resp
		}
		at = at.Add(time.Duration(1+rng.Intn(48)) * time.Hour)
		s.clock = at
		switch r := rng.Intn(20); {
		case r < 9:
			cv, err := s.store.ConvertLead(ctx, l.id, crm.Conversion{Pipeline: "sales"}, crm.Actor{})
			if err != nil {
				t.Fatal(err)
			}
			conv := at
			if l.status == crm.StatusNew {
				l.taken = &conv
			}
			l.status, l.response = crm.StatusConverted, minT(l.response, conv) // converting is no contact either
			l.callOpen = false                                                 // qualifying the lead closes its call-back
			d := &simDeal{id: cv.DealID, created: at, manager: l.manager, cents: 100000 + rng.Int63n(10000000),
				moves: []simMove{{"new", at}}}
			amount := fmt.Sprintf("%d.%02d", d.cents/100, d.cents%100)
			if _, err := s.store.UpdateDeal(ctx, d.id, crm.DealInput{Amount: &amount}); err != nil {
				t.Fatal(err)
			}
			s.walk(t, rng, d, at)
			l.deal = d
		case r < 13:
			l.junk = []string{"spam", "test", "duplicate", "other"}[rng.Intn(4)]
			if _, err := s.store.SetLeadStatus(ctx, l.id, crm.StatusJunk, l.junk); err != nil {
				t.Fatal(err)
			}
			l.status, l.callOpen = crm.StatusJunk, false
		}
	}
	// Targets and spend.
	s.clock = s.now
	for _, m := range []string{"2026-11", "2026-12"} {
		p, err := s.store.SetPlan(ctx, crm.Plan{ManagerID: s.managers[0], Month: m, Revenue: "250000.00", Won: 4})
		if err != nil {
			t.Fatal(err)
		}
		s.plans[fmt.Sprint(s.managers[0], ":", m)] = p
	}
	// Spend on yandex, which brings leads, and on mytarget, which brings
	// none: its money went all the same.
	s.spend["yandex"] = map[string]string{"2026-11": "30000.00", "2026-12": "62000.00"}
	s.spend["mytarget"] = map[string]string{"2026-12": "30000.00"}
	spelt := map[string]string{"yandex": "Yandex", "mytarget": " MyTarget"} // as a supervisor typed them
	for src, months := range s.spend {
		for m, a := range months {
			if _, err := s.store.SetAdSpend(ctx, spelt[src], m, a); err != nil {
				t.Fatal(err)
			}
		}
	}
	return s
}

// walk moves a deal through the pipeline at random: forwards, skipping,
// back, to won or lost.
func (s *sim) walk(t *testing.T, rng *rand.Rand, d *simDeal, at time.Time) {
	t.Helper()
	next := map[string][]string{
		"new":      {"needs", "needs", "needs", "proposal", "lost", "", ""},
		"needs":    {"proposal", "proposal", "won", "new", "lost", ""},
		"proposal": {"won", "won", "needs", "lost", "lost", ""},
	}
	for k := 0; k < 6; k++ {
		options := next[d.final()]
		if options == nil {
			return
		}
		to := options[rng.Intn(len(options))]
		if to == "" {
			return
		}
		at = at.Add(time.Duration(1+rng.Intn(96))*time.Hour + time.Duration(rng.Intn(3600))*time.Second)
		if at.After(s.now) {
			return
		}
		s.clock = at
		reason := ""
		if to == "lost" {
			reason = []string{"price", "competitor"}[rng.Intn(2)]
			d.reason = reason
		}
		if _, err := s.store.MoveDeal(context.Background(), d.id, to, reason, crm.Actor{}); err != nil {
			t.Fatal(err)
		}
		d.moves = append(d.moves, simMove{to, at})
		if to == "won" || to == "lost" {
			c := at
			d.closedAt = &c
		}
	}
}

func pctOf(part, whole int) *float64 {
	if whole == 0 {
		return nil
	}
	v := float64(int64(float64(part)*1000/float64(whole)+0.5)) / 10
	return &v
}

// percentileDisc is Postgres's percentile_disc: the first value whose
// cumulative share reaches p.
func percentileDisc(xs []int64, p float64) *int64 {
	if len(xs) == 0 {
		return nil
	}
	s := append([]int64{}, xs...)
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	i := 0
	for float64(i+1)/float64(len(s)) < p {
		i++
	}
	return &s[i]
}

func money(cents int64) string { return fmt.Sprintf("%d.%02d", cents/100, cents%100) }

func ratKopecks(r *big.Rat) string {
	x := new(big.Rat).Mul(r, big.NewRat(100, 1))
	n := new(big.Int).Quo(new(big.Int).Add(new(big.Int).Mul(x.Num(), big.NewInt(2)), x.Denom()), new(big.Int).Mul(x.Denom(), big.NewInt(2)))
	return money(n.Int64())
}
