package crm

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Drill is the list behind one figure of a report: the figure's name, the
// stage, reason or bucket it is about, and the report's filter. The lists
// of leads and deals take it (GET /api/v1/leads?drill=…), and their length
// — or the sum of the deals' amounts — is the figure. A report and its
// drill-down share the conditions below, so they cannot disagree.
type Drill struct {
	Figure string
	Key    string // a stage key, a junk reason or a speed bucket
	Reason string // a loss reason, with lost
	Filter ReportFilter
	SLA    time.Duration // within_sla, sla_missed
	Stuck  int           // days without activity, for stuck
	At     time.Time     // the moment "now" figures were counted at
}

// Figures of leads and of deals a drill-down can list.
var (
	LeadFigures = []string{"leads", "taken", "converted", "junk", "in_work", "responded", "within_sla", "sla_missed",
		"reassigned", "bucket", "bucket_reached", "bucket_converted", "open_leads"}
	DealFigures = []string{"cohort", "entered", "moved_on", "lost", "in_stage", "won", "lead_won", "open", "stuck", "closed_won", "open_deals"}
)

// Speed buckets: time from a lead's arrival to the first response.
var SpeedBuckets = []struct {
	Key, Name string
	Upto      time.Duration // exclusive; 0: no upper bound
}{
	{"lt5m", "до 5 мин", 5 * time.Minute},
	{"5_30m", "5–30 мин", 30 * time.Minute},
	{"30_60m", "30–60 мин", time.Hour},
	{"1_24h", "1–24 ч", 24 * time.Hour},
	{"gt24h", "больше 24 ч", 0},
	{"never", "без ответа", 0},
}

func bucketCond(q *listQuery, key string) error {
	var lower time.Duration
	for _, b := range SpeedBuckets {
		if b.Key != key {
			lower = b.Upto
			continue
		}
		if key == "never" {
			q.raw("l.first_response_at IS NULL")
			return nil
		}
		q.raw("l.first_response_at IS NOT NULL")
		if lower > 0 {
			q.add("l.first_response_at - l.created_at >= ?::interval", lower.String())
		}
		if b.Upto > 0 {
			q.add("l.first_response_at - l.created_at < ?::interval", b.Upto.String())
		}
		return nil
	}
	return Invalid("key", "a speed bucket is one of lt5m, 5_30m, 30_60m, 1_24h, gt24h, never, not %q", key)
}

// bucketExpr is the bucket of a lead (alias l) as SQL, the same borders as
// bucketCond.
func bucketExpr() string {
	var b strings.Builder
	b.WriteString("CASE WHEN l.first_response_at IS NULL THEN 'never'")
	for _, x := range SpeedBuckets {
		if x.Upto > 0 {
			b.WriteString(" WHEN l.first_response_at - l.created_at < interval '" + x.Upto.String() + "' THEN '" + x.Key + "'")
		}
	}
	b.WriteString(" ELSE 'gt24h' END")
	return b.String()
}

// Entity is what the figure counts: "leads", "deals", "activities" or
// "calls".
func (d Drill) Entity() string {
	switch {
	case slices.Contains(DealFigures, d.Figure):
		return "deals"
	case slices.Contains(ActivityFigures, d.Figure):
		return "activities"
	case slices.Contains(CallFigures, d.Figure):
		return "calls"
	}
	return "leads"
}

// atFigures are counted at a moment ("now"): their list is of that moment.
var atFigures = []string{"stuck", "sla_missed", "due_today", "overdue"}

// URL is the list behind the figure, as an API path with its query.
func (d Drill) URL() string {
	v := url.Values{}
	d.Filter.values(v)
	v.Set("drill", d.Figure)
	if d.Key != "" {
		v.Set("key", d.Key)
	}
	if d.Reason != "" {
		v.Set("reason", d.Reason)
	}
	if d.SLA > 0 && (d.Figure == "within_sla" || d.Figure == "sla_missed") {
		v.Set("sla", strconv.Itoa(int(d.SLA.Seconds())))
	}
	if d.Figure == "stuck" {
		v.Set("stuck_days", strconv.Itoa(d.Stuck))
	}
	if !d.At.IsZero() && slices.Contains(atFigures, d.Figure) {
		v.Set("at", d.At.UTC().Format(time.RFC3339))
	}
	return "/api/v1/" + d.Entity() + "?" + v.Encode()
}

// ParseDrill reads a drill-down from a list's query parameters, or nil
// when there is none. Errors: EINVALID naming the parameter.
func ParseDrill(q url.Values, loc *time.Location, now time.Time) (*Drill, error) {
	fig := q.Get("drill")
	if fig == "" {
		return nil, nil
	}
	if !slices.ContainsFunc([][]string{LeadFigures, DealFigures, ActivityFigures, CallFigures}, func(f []string) bool { return slices.Contains(f, fig) }) {
		return nil, Invalid("drill", "not a figure of a report: %q", fig)
	}
	f, err := ParseReportFilter(q)
	if err != nil {
		return nil, err
	}
	d := &Drill{Figure: fig, Key: q.Get("key"), Reason: q.Get("reason"), Filter: f, At: now}
	if q.Get("from") != "" || q.Get("to") != "" || q.Get("period") != "" {
		if d.Filter.From, d.Filter.To, err = ParsePeriod(q.Get("period"), q.Get("from"), q.Get("to"), loc, now); err != nil {
			return nil, err
		}
	}
	if v := q.Get("sla"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return nil, Invalid("sla", "must be seconds, not %q", v)
		}
		d.SLA = time.Duration(n) * time.Second
	}
	if v := q.Get("stuck_days"); v != "" {
		if d.Stuck, err = strconv.Atoi(v); err != nil || d.Stuck <= 0 {
			return nil, Invalid("stuck_days", "must be a number of days, not %q", v)
		}
	}
	if v := q.Get("at"); v != "" {
		if d.At, err = time.Parse(time.RFC3339, v); err != nil {
			return nil, Invalid("at", "must be an RFC 3339 time, not %q", v)
		}
	}
	return d, nil
}

// leadCond adds the figure's conditions on leads (alias l).
func (d Drill) leadCond(q *listQuery) error {
	d.Filter.leadCond(q, d.Figure != "open_leads")
	switch d.Figure {
	case "leads":
	case "taken":
		q.raw("l.taken_at IS NOT NULL")
	case "converted":
		q.raw("l.status = 'converted'")
	case "junk":
		q.raw("l.status = 'junk'")
		if d.Key != "" {
			q.add("l.junk_reason = ?", d.Key)
		}
	case "in_work", "open_leads":
		q.raw("l.status IN ('new', 'in_progress')")
	case "responded":
		q.raw("l.first_response_at IS NOT NULL")
	case "within_sla", "sla_missed":
		if d.SLA <= 0 {
			return Invalid("sla", "this figure needs the SLA in seconds")
		}
		if d.Figure == "within_sla" {
			q.add("l.first_response_at - l.created_at <= ?::interval", d.SLA.String())
		} else {
			q.args = append(q.args, d.SLA.String(), d.At)
			n := len(q.args)
			q.raw(fmt.Sprintf("(l.first_response_at - l.created_at > $%d::interval OR (l.first_response_at IS NULL AND l.created_at + $%d::interval <= $%d))",
				n-1, n-1, n))
		}
	case "reassigned":
		q.raw("l.hops > 0")
	case "bucket", "bucket_reached", "bucket_converted":
		if err := bucketCond(q, d.Key); err != nil {
			return err
		}
		switch d.Figure {
		case "bucket_reached":
			q.raw("l.reached_at IS NOT NULL")
		case "bucket_converted":
			q.raw("l.status = 'converted'")
		}
	default:
		return Invalid("drill", "%q lists deals, not leads", d.Figure)
	}
	return nil
}

// dealCond adds the figure's conditions on deals (alias d, its pipeline p
// and its stage s). Funnel figures need the pipeline's stages.
func (d Drill) dealCond(ctx context.Context, q *listQuery, qr Querier) error {
	f := d.Filter
	f.dealCond(q)
	if f.Pipeline != "" {
		q.add("p.key = ?", f.Pipeline)
	}
	switch d.Figure {
	case "cohort", "entered", "moved_on", "lost", "in_stage", "won":
		if f.Pipeline == "" {
			return Invalid("pipeline", "a funnel figure names its pipeline")
		}
		if !f.From.IsZero() {
			q.add("d.created_at >= ?", f.From)
			q.add("d.created_at < ?", f.To)
		}
		if d.Figure == "won" {
			q.raw("s.semantic = 'won'")
			return nil
		}
		if d.Figure == "cohort" { // the deals that entered the pipeline, by what became of them
			switch d.Key {
			case "":
			case StageWon, StageLost:
				q.add("s.semantic = ?", d.Key)
			case "open":
				q.raw("s.semantic = 'progress'")
			default:
				return Invalid("key", "the cohort is all, won, lost or open, not %q", d.Key)
			}
			return nil
		}
		p, err := pipelineByKey(ctx, qr, f.Pipeline, "pipeline")
		if err != nil {
			return err
		}
		st, ok := p.stage(d.Key)
		if !ok || d.Key == "" {
			return Invalid("key", "pipeline %s has no stage %q", p.Key, d.Key)
		}
		return funnelCond(q, st, d.Figure, d.Reason)
	case "lead_won":
		sub := &listQuery{where: "l.id = d.lead_id", args: q.args}
		f.leadCond(sub, true)
		q.args = sub.args
		q.raw("s.semantic = 'won' AND " + originalDeal + " AND EXISTS (SELECT 1 FROM leads l WHERE " + sub.where + ")")
	case "open", "open_deals":
		q.raw("d.closed_at IS NULL")
		if d.Key != "" {
			q.add("s.key = ?", d.Key)
		}
	case "stuck":
		if d.Stuck <= 0 {
			return Invalid("stuck_days", "stuck deals need the number of days")
		}
		q.raw("d.closed_at IS NULL")
		q.add("coalesce(d.last_activity_at, d.created_at) < ?", d.At.AddDate(0, 0, -d.Stuck))
		if d.Key != "" {
			q.add("s.key = ?", d.Key)
		}
	case "closed_won":
		q.raw("s.semantic = 'won' AND " + originalDeal)
		if !f.From.IsZero() {
			q.add("d.closed_at >= ?", f.From)
			q.add("d.closed_at < ?", f.To)
		}
	default:
		return Invalid("drill", "%q lists leads, not deals", d.Figure)
	}
	return nil
}

// funnelCond is a funnel figure of one stage: entered (reached it or a
// later stage, or won), moved on (a later stage, or won), lost there, or
// in it now.
func funnelCond(q *listQuery, st Stage, figure, reason string) error {
	switch {
	case figure == "in_stage":
		q.add("d.stage_id = ?", st.ID)
	case st.Semantic == StageWon && figure == "entered":
		q.raw("s.semantic = 'won'")
	case st.Semantic == StageLost && (figure == "entered" || figure == "lost"):
		q.add("d.stage_id = ?", st.ID)
	case st.Semantic != StageProgress:
		q.raw("FALSE")
	case figure == "entered":
		q.add("(s.semantic = 'won' OR d.reached_position >= ?)", st.Position)
	case figure == "moved_on":
		q.add("(s.semantic = 'won' OR d.reached_position > ?)", st.Position)
	case figure == "lost":
		q.add("s.semantic = 'lost' AND "+lostPosition+" = ?", st.Position)
	}
	if figure == "lost" && reason != "" {
		q.add("d.loss_reason = ?", reason)
	}
	return nil
}

// originalDeal excludes the deals a tunnel copied from a won deal into
// another pipeline (delivery, say): the copy carries the same sale, so a
// count of wins or a sum of revenue across pipelines takes the original
// only. (Within one pipeline's funnel a copy is that pipeline's own deal.)
const originalDeal = "d.source_deal_id IS NULL"

// lostPosition is the progress stage a lost deal was lost at: the one it
// left for the lost stage, else the furthest it reached.
const lostPosition = `coalesce((SELECT ls.position FROM stages ls WHERE ls.id = d.lost_from_stage_id AND ls.semantic = 'progress'), d.reached_position)`

// apply narrows a list of entity ("leads" or "deals") to the figure.
// Errors: EINVALID.
func (d *Drill) apply(ctx context.Context, q *listQuery, qr Querier, entity string) error {
	if d.Entity() != entity {
		return Invalid("drill", "%q lists %s, not %s", d.Figure, d.Entity(), entity)
	}
	if entity == "leads" {
		return d.leadCond(q)
	}
	return d.dealCond(ctx, q, qr)
}
