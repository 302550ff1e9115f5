package crm

import (
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// ReportFilter is what every report and every drill-down list is narrowed
// by: a period (instants, From inclusive, To exclusive; zero for none), a
// pipeline, a manager and where the leads came from.
type ReportFilter struct {
	From, To    time.Time
	Pipeline    string // a pipeline key (funnel, pipeline; deals' lists)
	ManagerID   *int64
	Unassigned  bool   // the leads or deals nobody is responsible for (unassigned=true)
	Channel     string // form, call, mail, messenger, manual
	Origin      string // the form, PBX line or mailbox (a lead's source)
	UTMSource   string
	UTMCampaign string
	Source      string // the sources report's key: utm_source, else channel:origin
	// Currency narrows deals to one currency: a report's sums are of one
	// currency each, so the list behind a sum names it (lists of counts
	// do not).
	Currency string
}

// Period presets a report accepts instead of from/to.
var PeriodPresets = []string{"today", "yesterday", "this_week", "last_week", "this_month", "last_month", "quarter", "last_quarter", "year"}

// ParsePeriod turns a preset, or from/to, into instants in loc: a date
// ("2026-12-01") is that whole local day, to inclusive; an RFC 3339 time is
// that instant, to exclusive. With neither, the period is this month.
// Errors: EINVALID naming the parameter.
func ParsePeriod(preset, from, to string, loc *time.Location, now time.Time) (time.Time, time.Time, error) {
	if loc == nil {
		loc = time.UTC
	}
	local := now.In(loc)
	day := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, loc)
	month := time.Date(local.Year(), local.Month(), 1, 0, 0, 0, 0, loc)
	if preset != "" && (from != "" || to != "") {
		return time.Time{}, time.Time{}, Invalid("period", "give a period preset or from/to, not both")
	}
	if preset == "" && from == "" && to == "" {
		preset = "this_month"
	}
	monday := day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7))
	quarter := time.Date(local.Year(), local.Month()-(local.Month()-1)%3, 1, 0, 0, 0, 0, loc)
	switch preset {
	case "":
	case "today":
		return day, day.AddDate(0, 0, 1), nil
	case "yesterday":
		return day.AddDate(0, 0, -1), day, nil
	case "this_week":
		return monday, monday.AddDate(0, 0, 7), nil
	case "last_week":
		return monday.AddDate(0, 0, -7), monday, nil
	case "this_month":
		return month, month.AddDate(0, 1, 0), nil
	case "last_month":
		return month.AddDate(0, -1, 0), month, nil
	case "quarter":
		return quarter, quarter.AddDate(0, 3, 0), nil
	case "last_quarter":
		return quarter.AddDate(0, -3, 0), quarter, nil
	case "year":
		y := time.Date(local.Year(), 1, 1, 0, 0, 0, 0, loc)
		return y, y.AddDate(1, 0, 0), nil
	default:
		return time.Time{}, time.Time{}, Invalid("period", "must be one of %s, not %q", strings.Join(PeriodPresets, ", "), preset)
	}
	f, err := parseBound(from, "from", loc, false)
	if err != nil {
		return f, f, err
	}
	t, err := parseBound(to, "to", loc, true)
	if err != nil {
		return f, t, err
	}
	switch {
	case from == "":
		return f, t, Invalid("from", "a period needs its start")
	case to == "":
		t = day.AddDate(0, 0, 1)
	}
	if !t.After(f) {
		return f, t, Invalid("to", "must be after from")
	}
	if t.Sub(f) > 3*366*24*time.Hour {
		return f, t, Invalid("to", "a report covers at most three years")
	}
	return f, t, nil
}

func parseBound(v, field string, loc *time.Location, end bool) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseInLocation(time.DateOnly, v, loc); err == nil {
		if end {
			d = d.AddDate(0, 0, 1)
		}
		return d, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return t, Invalid(field, "must be a date YYYY-MM-DD or an RFC 3339 time, not %q", v)
	}
	return t, nil
}

// leadCond narrows leads (alias l) by the filter; createdIn says whether
// the period applies to when they arrived.
func (f ReportFilter) leadCond(q *listQuery, createdIn bool) {
	if createdIn && !f.From.IsZero() {
		q.add("l.created_at >= ?", f.From)
		q.add("l.created_at < ?", f.To)
	}
	if f.ManagerID != nil {
		q.add("l.manager_id = ?", *f.ManagerID)
	}
	if f.Unassigned {
		q.raw("l.manager_id IS NULL")
	}
	f.originCond(q)
}

// originCond narrows leads (alias l) by where they came from.
func (f ReportFilter) originCond(q *listQuery) {
	if f.Channel != "" {
		q.add("l.channel = ?", f.Channel)
	}
	if f.Origin != "" {
		q.add("l.rep_origin = left(?, 200)", f.Origin)
	}
	if f.UTMSource != "" {
		q.add("l.rep_utm_source = left(?, 200)", f.UTMSource)
	}
	if f.UTMCampaign != "" {
		q.add("l.rep_utm_campaign = left(?, 200)", f.UTMCampaign)
	}
	if f.Source != "" {
		q.add("l.rep_source = left(?, 200)", f.Source)
	}
}

func (f ReportFilter) hasOrigin() bool {
	return f.Channel != "" || f.Origin != "" || f.UTMSource != "" || f.UTMCampaign != "" || f.Source != ""
}

// dealCond narrows deals (alias d) by manager and by their lead's origin.
func (f ReportFilter) dealCond(q *listQuery) {
	if f.ManagerID != nil {
		q.add("d.manager_id = ?", *f.ManagerID)
	}
	if f.Unassigned {
		q.raw("d.manager_id IS NULL")
	}
	if f.Currency != "" {
		q.add("d.currency = ?", f.Currency)
	}
	if f.hasOrigin() {
		sub := &listQuery{where: "l.id = d.lead_id", args: q.args}
		f.originCond(sub)
		q.args = sub.args
		q.raw("EXISTS (SELECT 1 FROM leads l WHERE " + sub.where + ")")
	}
}

// values are the filter as the query parameters of a list or report.
func (f ReportFilter) values(v url.Values) {
	if !f.From.IsZero() {
		v.Set("from", f.From.UTC().Format(time.RFC3339))
		v.Set("to", f.To.UTC().Format(time.RFC3339))
	}
	for k, x := range map[string]string{"pipeline": f.Pipeline, "channel": f.Channel, "origin": f.Origin,
		"utm_source": f.UTMSource, "utm_campaign": f.UTMCampaign, "source": f.Source, "currency": f.Currency} {
		if x != "" {
			v.Set(k, x)
		}
	}
	if f.ManagerID != nil {
		v.Set("manager_id", strconv.FormatInt(*f.ManagerID, 10))
	}
	if f.Unassigned {
		v.Set("unassigned", "true")
	}
}

// ParseReportFilter reads the filter's query parameters (not the period,
// which ParsePeriod reads). Errors: EINVALID naming the parameter.
func ParseReportFilter(q url.Values) (ReportFilter, error) {
	f := ReportFilter{Pipeline: q.Get("pipeline"), Channel: q.Get("channel"), Origin: q.Get("origin"),
		UTMSource: NormalizeUTM(q.Get("utm_source")), UTMCampaign: NormalizeUTM(q.Get("utm_campaign")), Source: q.Get("source"), Currency: q.Get("currency")}
	if src := q.Get("source"); src != "" && !strings.Contains(src, ":") { // a utm_source's row
		f.Source = NormalizeUTM(src)
	}
	if f.Currency != "" && !currencyCode.MatchString(f.Currency) {
		return f, Invalid("currency", "must be an ISO 4217 code like RUB, not %q", f.Currency)
	}
	switch q.Get("unassigned") {
	case "":
	case "true":
		f.Unassigned = true
	default:
		return f, Invalid("unassigned", "must be true or absent, not %q", q.Get("unassigned"))
	}
	if v := q.Get("manager_id"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			return f, Invalid("manager_id", "must be a manager's id, not %q", v)
		}
		f.ManagerID = &id
	}
	switch f.Channel {
	case "", ChannelForm, ChannelCall, ChannelMail, ChannelMessenger, ChannelManual:
	default:
		return f, Invalid("channel", "must be form, call, mail, messenger or manual, not %q", f.Channel)
	}
	return f, nil
}

var currencyCode = regexp.MustCompile(`^[A-Z]{3}$`)

// NormalizeUTM is a utm_source or utm_campaign as the reports key it:
// lower-cased and trimmed of spaces, tabs and line breaks, so "Yandex",
// "yandex" and " yandex" are one source. Migration 185 computes the leads'
// report columns by the same rule (lower(btrim(v, E' \t\r\n'))); ad
// spend is stored under it.
func NormalizeUTM(v string) string {
	return strings.ToLower(strings.Trim(v, " \t\r\n"))
}

// money is the filter of a sum's list: the same deals, in one currency.
func (f ReportFilter) money(currency string) ReportFilter {
	f.Currency = currency
	return f
}

// of is the filter narrowed to one manager's records, or to nobody's
// (id nil).
func (f ReportFilter) of(id *int64) ReportFilter {
	if id == nil {
		f.Unassigned = true
	} else {
		f.ManagerID = idPtr(*id)
	}
	return f
}
