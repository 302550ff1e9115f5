package crm

import (
	"context"
	"math"
	"slices"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"
)

// SpeedReport is how fast the leads that arrived in the period were first
// answered — taken, called (answered or not), a letter or message answered
// — per manager and per channel, against the SLA; and the response-speed
// curve: leads by their first-response time, with the share of each
// bucket that was reached and that became a deal.
type SpeedReport struct {
	From       time.Time     `json:"from"`
	To         time.Time     `json:"to"`
	TimeZone   string        `json:"time_zone"`
	SLASeconds int           `json:"sla_seconds"`
	At         time.Time     `json:"at"` // SLA misses of unanswered leads are counted as of this moment
	Managers   []SpeedRow    `json:"managers"`
	Channels   []SpeedRow    `json:"channels"`
	Total      SpeedRow      `json:"total"`
	Curve      []SpeedBucket `json:"curve"`
}

// SpeedRow is one manager's, one channel's or the department's speed.
// Times are seconds from arrival to the first response.
type SpeedRow struct {
	ManagerID     *int64            `json:"manager_id,omitempty"`
	Manager       string            `json:"manager,omitempty"`
	Channel       string            `json:"channel,omitempty"`
	Leads         int               `json:"leads"`
	Responded     int               `json:"responded"`
	MedianSeconds *int64            `json:"median_seconds"`
	P90Seconds    *int64            `json:"p90_seconds"`
	WithinSLA     int               `json:"within_sla"`
	WithinSLAPct  *float64          `json:"within_sla_pct"`
	SLAMissed     int               `json:"sla_missed"`
	Reassigned    int               `json:"reassigned"` // leads handed on at least once
	Hops          int               `json:"hops"`       // hand-overs in all
	Links         map[string]string `json:"links"`
}

// SpeedBucket is one bucket of the response-speed curve.
type SpeedBucket struct {
	Key   string   `json:"key"`
	Name  string   `json:"name"`
	Leads int      `json:"leads"`
	Share *float64 `json:"share_pct"` // of all leads
	// Reached counts the leads the department was in contact with
	// (leads.reached_at, migration 186): an answered call in or out, an
	// answer to the client's letter or message, a call activity done or
	// answered — not taking or converting the lead.
	Reached      int               `json:"reached"`
	ReachedPct   *float64          `json:"reached_pct"`
	Converted    int               `json:"converted"`
	ConvertedPct *float64          `json:"converted_pct"`
	Links        map[string]string `json:"links"`
}

// Speed computes the speed report.
func (s *Store) Speed(ctx context.Context, rq ReportQuery) (SpeedReport, error) {
	f := rq.Filter
	at := s.now()
	out := SpeedReport{From: f.From, To: f.To, TimeZone: rq.Loc.String(), SLASeconds: int(rq.SLA.Seconds()), At: at,
		Managers: []SpeedRow{}, Channels: []SpeedRow{}, Curve: []SpeedBucket{}}
	if rq.SLA <= 0 {
		return out, Invalid("sla", "the speed report needs the SLA")
	}
	err := s.readTx(ctx, func(tx pgx.Tx) error {
		names, err := managerNames(ctx, tx)
		if err != nil {
			return err
		}
		cells, err := speedCells(ctx, tx, f, rq.SLA, at)
		if err != nil {
			return err
		}
		// Fold the cells into managers, channels and the department.
		byManager, byChannel, total := map[int64]*speedAcc{}, map[string]*speedAcc{}, newSpeedAcc()
		curve := make([]int, 3*len(SpeedBuckets))
		for _, c := range cells {
			k := int64(0)
			if c.manager != nil {
				k = *c.manager
			}
			m := byManager[k]
			if m == nil {
				m = newSpeedAcc()
				m.row.ManagerID = c.manager
				byManager[k] = m
			}
			ch := byChannel[c.channel]
			if ch == nil {
				ch = newSpeedAcc()
				ch.row.Channel = c.channel
				byChannel[c.channel] = ch
			}
			for _, a := range []*speedAcc{m, ch, total} {
				a.add(c)
			}
			b := bucketOf(c.rs)
			curve[3*b], curve[3*b+1], curve[3*b+2] = curve[3*b]+c.n, curve[3*b+1]+c.reached, curve[3*b+2]+c.converted
		}
		for _, m := range byManager {
			r := m.finish()
			r.Manager = managerRef(names, r.ManagerID).Name
			r.Links = speedLinks(f.of(r.ManagerID), rq.SLA, at)
			out.Managers = append(out.Managers, r)
		}
		for _, c := range byChannel {
			r := c.finish()
			cf := f
			cf.Channel = r.Channel
			r.Links = speedLinks(cf, rq.SLA, at)
			out.Channels = append(out.Channels, r)
		}
		out.Total = total.finish()
		out.Total.Links = speedLinks(f, rq.SLA, at)
		out.Curve = foldCurve(f, curve, out.Total.Leads)
		sort.Slice(out.Managers, func(i, j int) bool { return out.Managers[i].Manager < out.Managers[j].Manager })
		sort.Slice(out.Channels, func(i, j int) bool { return out.Channels[i].Channel < out.Channels[j].Channel })
		return nil
	})
	return out, err
}

// speedCell is the leads of one manager and channel first answered after
// the same whole number of seconds (rs nil: not yet), with what became of
// them: the speed report reads the period's leads once, hashed into these
// cells (no sort, whatever the period), and folds them in Go — exact
// medians and percentiles included, as percentile_disc takes them.
type speedCell struct {
	manager                              *int64
	channel                              string
	rs                                   *int64
	inSLA                                bool
	n, missed, reassigned, hops, reached int
	converted                            int
}

func speedCells(ctx context.Context, tx pgx.Tx, f ReportFilter, sla time.Duration, at time.Time) ([]speedCell, error) {
	q := newListQuery("TRUE")
	f.leadCond(q, true)
	n := len(q.args) + 1
	args := append(q.args, sla.String(), at)
	// The planner takes every lead for a cell of its own (it cannot tell
	// how few distinct response times there are) and sorts a year of
	// leads; hashing them is a quarter of the time.
	if _, err := tx.Exec(ctx, `SET LOCAL enable_sort = off`); err != nil {
		return nil, err
	}
	defer tx.Exec(ctx, `SET LOCAL enable_sort = on`)
	rows, err := tx.Query(ctx, `SELECT manager_id, channel, rs, coalesce(first_response_at - created_at <= $`+itoa(n)+`::interval, false), count(*),
			count(*) FILTER (WHERE first_response_at - created_at > $`+itoa(n)+`::interval
				OR (first_response_at IS NULL AND created_at + $`+itoa(n)+`::interval <= $`+itoa(n+1)+`)),
			count(*) FILTER (WHERE hops > 0), coalesce(sum(hops), 0),
			count(*) FILTER (WHERE reached_at IS NOT NULL), count(*) FILTER (WHERE status = 'converted')
		FROM (SELECT l.manager_id, l.channel, l.created_at, l.first_response_at, l.hops, l.reached_at, l.status,
				CASE WHEN l.first_response_at IS NOT NULL
					THEN greatest(0, floor(extract(epoch FROM l.first_response_at - l.created_at)))::bigint END AS rs
			FROM leads l WHERE `+q.where+`) l
		GROUP BY 1, 2, 3, 4`, args...)
	if err != nil {
		return nil, translate(err, "speed")
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (speedCell, error) {
		var c speedCell
		err := r.Scan(&c.manager, &c.channel, &c.rs, &c.inSLA, &c.n, &c.missed, &c.reassigned, &c.hops, &c.reached, &c.converted)
		return c, err
	})
	return out, translate(err, "speed")
}

// speedAcc gathers cells into one row of the report.
type speedAcc struct {
	row  SpeedRow
	hist map[int64]int // seconds to the first response → leads
}

func newSpeedAcc() *speedAcc { return &speedAcc{hist: map[int64]int{}} }

func (a *speedAcc) add(c speedCell) {
	r := &a.row
	r.Leads, r.SLAMissed, r.Reassigned, r.Hops = r.Leads+c.n, r.SLAMissed+c.missed, r.Reassigned+c.reassigned, r.Hops+c.hops
	if c.rs != nil {
		r.Responded += c.n
		a.hist[*c.rs] += c.n
	}
	if c.inSLA {
		r.WithinSLA += c.n
	}
}

func (a *speedAcc) finish() SpeedRow {
	r := a.row
	r.WithinSLAPct = Percent(r.WithinSLA, r.Leads)
	if r.Responded > 0 {
		keys := make([]int64, 0, len(a.hist))
		for k := range a.hist {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		r.MedianSeconds, r.P90Seconds = percentileOf(keys, a.hist, r.Responded, 0.5), percentileOf(keys, a.hist, r.Responded, 0.9)
	}
	return r
}

// percentileOf is percentile_disc(p) of n values given as a histogram:
// the first value whose position reaches ceil(p·n), as Postgres takes it.
func percentileOf(keys []int64, hist map[int64]int, n int, p float64) *int64 {
	pos := int(math.Ceil(p * float64(n)))
	cum := 0
	for _, k := range keys {
		if cum += hist[k]; cum >= pos {
			return &k
		}
	}
	return &keys[len(keys)-1]
}

// bucketOf is the curve's bucket of a first response rs seconds after
// arrival (nil: never), by the borders bucketCond lists with.
func bucketOf(rs *int64) int {
	last := 0
	for i, b := range SpeedBuckets {
		switch {
		case b.Key == "never":
			if rs == nil {
				return i
			}
		case rs == nil:
		case b.Upto > 0 && time.Duration(*rs)*time.Second < b.Upto:
			return i
		case b.Upto == 0:
			last = i
		}
	}
	return last
}

func speedLinks(f ReportFilter, sla time.Duration, at time.Time) map[string]string {
	l := map[string]string{}
	for _, fig := range []string{"leads", "responded", "within_sla", "sla_missed", "reassigned"} {
		l[fig] = Drill{Figure: fig, Filter: f, SLA: sla, At: at}.URL()
	}
	return l
}

// foldCurve is the response-speed curve from curveColumns' counts.
func foldCurve(f ReportFilter, n []int, total int) []SpeedBucket {
	out := make([]SpeedBucket, 0, len(SpeedBuckets))
	for i, b := range SpeedBuckets {
		leads, reached, conv := n[3*i], n[3*i+1], n[3*i+2]
		out = append(out, SpeedBucket{Key: b.Key, Name: b.Name, Leads: leads, Share: Percent(leads, total),
			Reached: reached, ReachedPct: Percent(reached, leads), Converted: conv, ConvertedPct: Percent(conv, leads),
			Links: map[string]string{"leads": Drill{Figure: "bucket", Key: b.Key, Filter: f}.URL(),
				"reached":   Drill{Figure: "bucket_reached", Key: b.Key, Filter: f}.URL(),
				"converted": Drill{Figure: "bucket_converted", Key: b.Key, Filter: f}.URL()}})
	}
	return out
}

// Tables are the speed per manager (with the total), per channel, and the curve.
func (r SpeedReport) Tables() []Table {
	cols := []Label{lbl("rep.c.leads", "Лиды"), lbl("rep.c.responded", "С ответом"), lbl("rep.c.median_m", "Медиана, мин"),
		lbl("rep.c.p90_m", "90-й перцентиль, мин"), lbl("rep.c.within_sla", "В SLA"), lbl("rep.c.within_sla_pct", "В SLA, %"),
		lbl("rep.c.sla_missed", "Нарушений SLA"), lbl("rep.c.reassigned", "Лидов передано"), lbl("rep.c.hops", "Передач всего")}
	row := func(t *Table, name any, x SpeedRow) {
		t.row(name, link(x.Leads, x.Links["leads"]), link(x.Responded, x.Links["responded"]), minutes(x.MedianSeconds), minutes(x.P90Seconds),
			link(x.WithinSLA, x.Links["within_sla"]), pct(x.WithinSLAPct), link(x.SLAMissed, x.Links["sla_missed"]),
			link(x.Reassigned, x.Links["reassigned"]), x.Hops)
	}
	m := newTable(lbl("rep.t.speed_managers", "Скорость по менеджерам"), append([]Label{lbl("rep.c.manager", "Менеджер")}, cols...)...)
	for _, x := range r.Managers {
		var id int64
		if x.ManagerID != nil {
			id = *x.ManagerID
		}
		row(&m, managerCell(ManagerRef{ID: id, Name: x.Manager}), x)
	}
	row(&m, totalLabel, r.Total)
	c := newTable(lbl("rep.t.speed_channels", "Скорость по каналам"), append([]Label{lbl("rep.c.channel", "Канал")}, cols...)...)
	for _, x := range r.Channels {
		row(&c, Label{Key: "channel." + x.Channel, Text: ChannelName(x.Channel)}, x)
	}
	row(&c, totalLabel, r.Total)
	k := newTable(lbl("rep.t.curve", "Кривая скорости ответа"), lbl("rep.c.first_response", "Первый ответ"), lbl("rep.c.leads", "Лиды"),
		lbl("rep.c.share", "Доля, %"), lbl("rep.c.reached", "Дозвонились"), lbl("rep.c.reached_pct", "Дозвонились, %"),
		lbl("rep.c.converted", "Сделки"), lbl("rep.c.converted_pct", "Сделки, %"))
	for _, b := range r.Curve {
		k.row(Label{Key: "bucket." + b.Key, Text: b.Name}, link(b.Leads, b.Links["leads"]), pct(b.Share), link(b.Reached, b.Links["reached"]),
			pct(b.ReachedPct), link(b.Converted, b.Links["converted"]), pct(b.ConvertedPct))
	}
	return []Table{m, c, k}
}

// minutes is seconds as minutes with one decimal.
func minutes(s *int64) any {
	if s == nil {
		return nil
	}
	return Decimal(formatTenths(*s * 10 / 60))
}

// ChannelName is a channel as a person reads it.
func ChannelName(c string) string {
	switch c {
	case ChannelForm:
		return "Форма"
	case ChannelCall:
		return "Звонок"
	case ChannelMail:
		return "Почта"
	case ChannelMessenger:
		return "Мессенджер"
	case ChannelManual:
		return "Вручную"
	}
	return c
}
