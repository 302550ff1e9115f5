package crm

import (
	"context"
	"sort"
	"strings"
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
	Key          string            `json:"key"`
	Name         string            `json:"name"`
	Leads        int               `json:"leads"`
	Share        *float64          `json:"share_pct"` // of all leads
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
		q := newListQuery("TRUE")
		f.leadCond(q, true)
		sla := len(q.args) + 1
		args := append(q.args, rq.SLA.String(), at)
		rows, err := tx.Query(ctx, `SELECT manager_id, channel, GROUPING(manager_id), GROUPING(channel), count(*), count(rs),
				percentile_disc(0.5) WITHIN GROUP (ORDER BY rs), percentile_disc(0.9) WITHIN GROUP (ORDER BY rs),
				count(*) FILTER (WHERE first_response_at - created_at <= $`+itoa(sla)+`::interval),
				count(*) FILTER (WHERE first_response_at - created_at > $`+itoa(sla)+`::interval
					OR (first_response_at IS NULL AND created_at + $`+itoa(sla)+`::interval <= $`+itoa(sla+1)+`)),
				count(*) FILTER (WHERE hops > 0), coalesce(sum(hops), 0)`+curveColumns()+`
			FROM (SELECT l.manager_id, l.channel, l.created_at, l.first_response_at, l.hops,
					`+bucketExpr()+` AS bucket, l.reached_at IS NOT NULL AS reached, l.status = 'converted' AS converted,
					CASE WHEN l.first_response_at IS NOT NULL
						THEN greatest(0, floor(extract(epoch FROM l.first_response_at - l.created_at)))::bigint END AS rs
				FROM leads l WHERE `+q.where+`) l
			GROUP BY GROUPING SETS ((manager_id), (channel), ())`, args...)
		if err != nil {
			return translate(err, "speed")
		}
		for rows.Next() {
			var r SpeedRow
			var channel *string
			var gm, gc int
			curve := make([]int, 3*len(SpeedBuckets))
			dest := []any{&r.ManagerID, &channel, &gm, &gc, &r.Leads, &r.Responded, &r.MedianSeconds, &r.P90Seconds,
				&r.WithinSLA, &r.SLAMissed, &r.Reassigned, &r.Hops}
			for i := range curve {
				dest = append(dest, &curve[i])
			}
			if err := rows.Scan(dest...); err != nil {
				rows.Close()
				return err
			}
			if gm == 1 && gc == 1 { // the department: the curve is of all its leads
				out.Curve = foldCurve(f, curve, r.Leads)
			}
			r.WithinSLAPct = Percent(r.WithinSLA, r.Leads)
			rf := f
			switch {
			case gm == 0:
				ref := managerRef(names, r.ManagerID)
				r.Manager = ref.Name
				if r.ManagerID != nil {
					rf.ManagerID = r.ManagerID
				}
			case gc == 0:
				r.Channel = *channel
				rf.Channel = *channel
			}
			if gm == 0 && r.ManagerID == nil {
				rf.Unassigned = true
			}
			r.Links = speedLinks(rf, rq.SLA, at)
			switch {
			case gm == 0:
				out.Managers = append(out.Managers, r)
			case gc == 0:
				out.Channels = append(out.Channels, r)
			default:
				out.Total = r
			}
		}
		if err := rows.Err(); err != nil {
			return translate(err, "speed")
		}
		if out.Total.Links == nil {
			out.Total.Links = speedLinks(f, rq.SLA, at)
		}
		sort.Slice(out.Managers, func(i, j int) bool { return out.Managers[i].Manager < out.Managers[j].Manager })
		sort.Slice(out.Channels, func(i, j int) bool { return out.Channels[i].Channel < out.Channels[j].Channel })
		if len(out.Curve) == 0 {
			out.Curve = foldCurve(f, make([]int, 3*len(SpeedBuckets)), 0)
		}
		return nil
	})
	return out, err
}

func speedLinks(f ReportFilter, sla time.Duration, at time.Time) map[string]string {
	l := map[string]string{}
	for _, fig := range []string{"leads", "responded", "within_sla", "sla_missed", "reassigned"} {
		l[fig] = Drill{Figure: fig, Filter: f, SLA: sla, At: at}.URL()
	}
	return l
}

// curveColumns count, in the same pass as the speed, each bucket's leads,
// those reached and those converted.
func curveColumns() string {
	var b strings.Builder
	for _, x := range SpeedBuckets {
		k := "'" + x.Key + "'"
		b.WriteString(",\n\t\t\t\tcount(*) FILTER (WHERE bucket = " + k + "), count(*) FILTER (WHERE bucket = " + k + " AND reached)," +
			" count(*) FILTER (WHERE bucket = " + k + " AND converted)")
	}
	return b.String()
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
		lbl("rep.c.sla_missed", "Нарушений SLA"), lbl("rep.c.reassigned", "Передано"), lbl("rep.c.hops", "Передач")}
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
