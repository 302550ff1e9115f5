package crm_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math/big"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/crm/imports"
)

// The periods every report is checked over: the same dates read in two
// time zones, crossing the end of November.
var simPeriods = []struct{ tz, from, to string }{
	{"Europe/Moscow", "2026-11-25", "2026-12-05"},
	{"Asia/Vladivostok", "2026-11-25", "2026-12-05"},
	{"Europe/Moscow", "2026-11-01", "2026-12-31"},
}

func (s *sim) query(t *testing.T, tz, from, to string) crm.ReportQuery {
	t.Helper()
	loc, err := time.LoadLocation(tz)
	if err != nil {
		t.Fatal(err)
	}
	f, tt, err := crm.ParsePeriod("", from, to, loc, s.now)
	if err != nil {
		t.Fatal(err)
	}
	return crm.ReportQuery{Filter: crm.ReportFilter{From: f, To: tt, Pipeline: "sales"}, Loc: loc, SLA: s.sla, StuckDays: 14}
}

func in(t time.Time, rq crm.ReportQuery) bool {
	return !t.Before(rq.Filter.From) && t.Before(rq.Filter.To)
}

// roundTrip is what a JSON client reads of a report.
func roundTrip[T any](t *testing.T, v T) T {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out T
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func eq[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s: got %v, want %v", what, got, want)
	}
}

func eqPtr[T comparable](t *testing.T, what string, got, want *T) {
	t.Helper()
	switch {
	case got == nil && want == nil:
	case got == nil || want == nil:
		t.Errorf("%s: got %v, want %v", what, show(got), show(want))
	case *got != *want:
		t.Errorf("%s: got %v, want %v", what, *got, *want)
	}
}

func show[T any](p *T) string {
	if p == nil {
		return "nil"
	}
	return fmt.Sprint(*p)
}

// files are a report as CSV and as XLSX, read back as rows per table.
func files(t *testing.T, rep crm.Tabular) (csvRows, xlsxRows map[string][][]string) {
	t.Helper()
	var c, x bytes.Buffer
	if err := imports.WriteTables(&c, "csv", rep.Tables()); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(c.Bytes(), []byte("\ufeff")) {
		t.Error("CSV has no BOM")
	}
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(c.Bytes(), []byte("\ufeff"))))
	r.Comma, r.FieldsPerRecord = ';', -1
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	titles := map[string]bool{}
	for _, tb := range rep.Tables() {
		titles[tb.Title] = true
	}
	csvRows = map[string][][]string{}
	title := ""
	for _, rec := range recs {
		if strings.Join(rec[1:], "") != "" {
			csvRows[title] = append(csvRows[title], rec)
			continue
		}
		switch {
		case titles[rec[0]]:
			title = rec[0]
		case rec[0] != "":
			csvRows[title] = append(csvRows[title], rec)
		}
	}
	if len(csvRows) != len(titles) {
		t.Errorf("CSV has %d tables, want %d", len(csvRows), len(titles))
	}
	if err := imports.WriteTables(&x, "xlsx", rep.Tables()); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&x)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	xlsxRows = map[string][][]string{}
	for _, sh := range f.GetSheetList() {
		rows, err := f.GetRows(sh, excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		xlsxRows[rows[0][0]] = rows[1:]
	}
	return csvRows, xlsxRows
}

// cell finds the row whose first cell is name in a table and returns its
// column col (the header is row 0).
func cell(t *testing.T, rows [][]string, name, col string) string {
	t.Helper()
	if len(rows) == 0 {
		t.Fatalf("empty table looking for %s/%s", name, col)
	}
	c := -1
	for i, h := range rows[0] {
		if h == col {
			c = i
		}
	}
	for _, r := range rows[1:] {
		if len(r) > 0 && r[0] == name {
			if c < 0 || c >= len(r) {
				return ""
			}
			return r[c]
		}
	}
	t.Fatalf("no row %q (column %q) in %v", name, col, rows)
	return ""
}

func inFiles(t *testing.T, csvT, xlsxT map[string][][]string, table, row, col, want string) {
	t.Helper()
	got := cell(t, csvT[table], row, col)
	if w := strings.Replace(want, ".", ",", 1); got != w {
		t.Errorf("CSV %s / %s / %s: %q, want %q", table, row, col, got, w)
	}
	got = cell(t, xlsxT[table], row, col)
	if x, err := strconv.ParseFloat(got, 64); err == nil {
		if y, err := strconv.ParseFloat(want, 64); err == nil && x == y {
			return
		}
	}
	if got != want {
		t.Errorf("XLSX %s / %s / %s: %q, want %q", table, row, col, got, want)
	}
}

func TestReportsAgreeWithAnIndependentlyComputedDepartmentHistory(t *testing.T) {
	t.Parallel()
	s := newSim(t, 15)
	s.clock = s.now
	ctx := context.Background()
	for _, p := range simPeriods {
		t.Run(p.tz+" "+p.from+".."+p.to, func(t *testing.T) {
			rq := s.query(t, p.tz, p.from, p.to)
			s.checkFunnel(t, ctx, rq)
			s.checkSources(t, ctx, rq)
			s.checkSpeed(t, ctx, rq)
			s.checkPipeline(t, ctx, rq)
			s.checkWorkload(t, ctx, rq)
			s.checkPlan(t, ctx, rq)
		})
	}
}

func (s *sim) checkFunnel(t *testing.T, ctx context.Context, rq crm.ReportQuery) {
	rep, err := s.store.Funnel(ctx, rq)
	if err != nil {
		t.Fatal(err)
	}
	csvT, xlsxT := files(t, rep)
	rep = roundTrip(t, rep)
	type want struct {
		entered, movedOn, lost, inStage int
		reasons                         map[string]int
		stays                           []int64
	}
	w := map[string]*want{}
	for _, k := range simStages {
		w[k] = &want{reasons: map[string]int{}}
	}
	deals, won := 0, 0
	for _, l := range s.leads {
		d := l.deal
		if d == nil || !in(d.created, rq) {
			continue
		}
		deals++
		if d.semantic() == "won" {
			won++
		}
		w[d.final()].inStage++
		for _, k := range simStages[:3] {
			p := stagePos(k)
			if d.semantic() == "won" || d.reached() >= p {
				w[k].entered++
			}
			if d.semantic() == "won" || d.reached() > p {
				w[k].movedOn++
			}
			if d.semantic() == "lost" && d.lostFrom() == p {
				w[k].lost++
				w[k].reasons[d.reason]++
			}
		}
		switch d.semantic() {
		case "won":
			w["won"].entered++
		case "lost":
			w["lost"].entered++
			w["lost"].lost++
			w["lost"].reasons[d.reason]++
		}
		for k, sec := range d.stays() {
			w[k].stays = append(w[k].stays, sec)
		}
	}
	eq(t, "funnel deals", rep.Deals, deals)
	if len(rep.Stages) != len(simStages) {
		t.Fatalf("funnel has %d stages, want %d", len(rep.Stages), len(simStages))
	}
	for i, st := range rep.Stages {
		k := simStages[i]
		x := w[k]
		eq(t, "stage order", st.Key, k)
		eq(t, k+" entered", st.Entered, x.entered)
		eq(t, k+" moved_on", st.MovedOn, x.movedOn)
		eq(t, k+" lost", st.Lost, x.lost)
		eq(t, k+" in_stage", st.InStage, x.inStage)
		got := map[string]int{}
		for _, r := range st.LostByReason {
			got[r.Reason] = r.Count
		}
		if !reflect.DeepEqual(got, x.reasons) {
			t.Errorf("%s lost by reason: got %v, want %v", k, got, x.reasons)
		}
		eq(t, k+" stays", st.Stays, len(x.stays))
		eqPtr(t, k+" median", st.MedianSeconds, percentileDisc(x.stays, 0.5))
		eqPtr(t, k+" p90", st.P90Seconds, percentileDisc(x.stays, 0.9))
		if i < 3 {
			eqPtr(t, k+" conversion to won", st.ConversionWon, pctOf(won, x.entered))
			next := won // after the last progress stage, the next is won
			if i < 2 {
				next = w[simStages[i+1]].entered
			}
			eqPtr(t, k+" conversion to next", st.ConversionNext, pctOf(next, x.entered))
		} else {
			// Won and lost are where deals end: no conversion, a dash in the files.
			eqPtr(t, k+" conversion to won", st.ConversionWon, nil)
			eqPtr(t, k+" conversion to next", st.ConversionNext, nil)
			inFiles(t, csvT, xlsxT, "Воронка «Продажи»", st.Name, "Конверсия в успех, %", "")
			inFiles(t, csvT, xlsxT, "Воронка «Продажи»", st.Name, "Конверсия в следующую, %", "")
		}
		inFiles(t, csvT, xlsxT, "Воронка «Продажи»", st.Name, "Вошли", strconv.Itoa(x.entered))
		lost := strconv.Itoa(x.lost)
		if st.Semantic == crm.StageWon {
			lost = "" // a won deal is lost nowhere: a dash, not a zero
		}
		inFiles(t, csvT, xlsxT, "Воронка «Продажи»", st.Name, "Проиграны", lost)
	}
	var leads, taken, converted, junk int
	for _, l := range s.leads {
		if !in(l.created, rq) {
			continue
		}
		leads++
		if l.taken != nil {
			taken++
		}
		switch l.status {
		case crm.StatusConverted:
			converted++
		case crm.StatusJunk:
			junk++
		}
	}
	eq(t, "leads", rep.Leads.Leads, leads)
	eq(t, "taken", rep.Leads.Taken, taken)
	eq(t, "converted", rep.Leads.Converted, converted)
	eq(t, "junk", rep.Leads.Junk, junk)
	inFiles(t, csvT, xlsxT, "Лиды", "Взято в работу", "Количество", strconv.Itoa(taken))
	inFiles(t, csvT, xlsxT, "Менеджеры", "Итого", "Сделки", strconv.Itoa(deals))
}

// simSourceNames are the sim's sources as a person reads them: a form by
// its configured title (or its key when it has none), a PBX line by its
// number written out, a mailbox by its address, a utm_source as it is.
var simSourceNames = map[string]string{
	"form:site": "Форма «Обратная связь»", "form:landing": "Форма «landing»", "call:+74950000001": "Звонок на +7 495 000-00-01",
	"mail:sales": "Письмо на sales@example.ru", "yandex": "yandex", "google": "google", "mytarget": "mytarget",
}

func (s *sim) checkSources(t *testing.T, ctx context.Context, rq crm.ReportQuery) {
	rep, err := s.store.Sources(ctx, rq)
	if err != nil {
		t.Fatal(err)
	}
	csvT, xlsxT := files(t, rep)
	rep = roundTrip(t, rep)
	type want struct {
		leads, junk, converted, won int
		cents                       int64
	}
	w := map[string]*want{}
	for _, l := range s.leads {
		if !in(l.created, rq) {
			continue
		}
		x := w[l.source()]
		if x == nil {
			x = &want{}
			w[l.source()] = x
		}
		x.leads++
		switch l.status {
		case crm.StatusJunk:
			x.junk++
		case crm.StatusConverted:
			x.converted++
			if l.deal.semantic() == "won" {
				x.won++
				x.cents += l.deal.cents
			}
		}
	}
	// Every source with spend in the period has a row, leads or not.
	spend := s.spendIn(rq)
	for src := range spend {
		if w[src] == nil {
			w[src] = &want{}
		}
	}
	if len(rep.Items) != len(w) {
		t.Errorf("%d sources, want %d", len(rep.Items), len(w))
	}
	total := want{}
	spendTotal := new(big.Rat)
	for _, it := range rep.Items {
		x := w[it.Source]
		if x == nil {
			t.Errorf("unexpected source %q", it.Source)
			continue
		}
		eq(t, it.Source+" name", it.Name, simSourceNames[it.Source])
		eq(t, it.Source+" leads", it.Leads, x.leads)
		eq(t, it.Source+" junk", it.Junk, x.junk)
		eq(t, it.Source+" converted", it.Converted, x.converted)
		eq(t, it.Source+" won", it.Won, x.won)
		eq(t, it.Source+" revenue", it.Revenue, money(x.cents))
		inFiles(t, csvT, xlsxT, "Источники", it.Name, "Выручка, ₽", money(x.cents))
		inFiles(t, csvT, xlsxT, "Источники", it.Name, "Лиды", strconv.Itoa(x.leads))
		total.leads, total.won, total.cents = total.leads+x.leads, total.won+x.won, total.cents+x.cents
		if sp, ok := spend[it.Source]; ok {
			if it.Spend == nil || *it.Spend != ratKopecks(sp) {
				t.Errorf("%s spend %v, want %s", it.Source, show(it.Spend), ratKopecks(sp))
			}
			var cpl *string
			if x.leads > 0 {
				c := ratKopecks(new(big.Rat).Quo(mustRat(ratKopecks(sp)), big.NewRat(int64(x.leads), 1)))
				cpl = &c
			}
			eqPtr(t, it.Source+" cost per lead", it.CostPerLead, cpl)
			spendTotal.Add(spendTotal, mustRat(ratKopecks(sp)))
			inFiles(t, csvT, xlsxT, "Источники", it.Name, "Расход, ₽", ratKopecks(sp))
		} else if it.Spend != nil {
			t.Errorf("%s has spend %s, but none was entered", it.Source, *it.Spend)
		}
	}
	// The total spend is the sum of the rows; its cost per lead is that
	// spend over all the total's leads, as every row's is over its own.
	var wantSpend, wantCPL *string
	if len(spend) > 0 {
		v := ratKopecks(spendTotal)
		wantSpend = &v
		if total.leads > 0 {
			c := ratKopecks(new(big.Rat).Quo(spendTotal, big.NewRat(int64(total.leads), 1)))
			wantCPL = &c
		}
	}
	eqPtr(t, "total spend", rep.Total.Spend, wantSpend)
	eqPtr(t, "total cost per lead", rep.Total.CostPerLead, wantCPL)
	eq(t, "total leads", rep.Total.Leads, total.leads)
	eq(t, "total won", rep.Total.Won, total.won)
	eq(t, "total revenue", rep.Total.Revenue, money(total.cents))
	inFiles(t, csvT, xlsxT, "Источники", "Итого", "Выручка, ₽", money(total.cents))
}

// spendIn is each utm_source's spend in the period: a month's spend spread
// evenly over the month (to the second, in the viewer's zone), the period
// taking its share of each month it covers.
func (s *sim) spendIn(rq crm.ReportQuery) map[string]*big.Rat {
	out := map[string]*big.Rat{}
	for src, months := range s.spend {
		for m, a := range months {
			start, _ := time.ParseInLocation("2006-01", m, rq.Loc)
			end := start.AddDate(0, 1, 0)
			from, to := start, end
			if rq.Filter.From.After(from) {
				from = rq.Filter.From
			}
			if rq.Filter.To.Before(to) {
				to = rq.Filter.To
			}
			if !to.After(from) {
				continue
			}
			r, _ := new(big.Rat).SetString(a)
			if out[src] == nil {
				out[src] = new(big.Rat)
			}
			out[src].Add(out[src], r.Mul(r, big.NewRat(int64(to.Sub(from)/time.Second), int64(end.Sub(start)/time.Second))))
		}
	}
	return out
}

func mustRat(s string) *big.Rat {
	r, _ := new(big.Rat).SetString(s)
	return r
}

func (s *sim) checkSpeed(t *testing.T, ctx context.Context, rq crm.ReportQuery) {
	rep, err := s.store.Speed(ctx, rq)
	if err != nil {
		t.Fatal(err)
	}
	csvT, xlsxT := files(t, rep)
	rep = roundTrip(t, rep)
	type want struct {
		leads, responded, within, missed, reassigned, hops int
		secs                                               []int64
	}
	byManager, byChannel, total := map[int64]*want{}, map[string]*want{}, &want{}
	buckets := map[string][3]int{}
	for _, l := range s.leads {
		if !in(l.created, rq) {
			continue
		}
		m, c := byManager[l.manager], byChannel[l.channel]
		if m == nil {
			m = &want{}
			byManager[l.manager] = m
		}
		if c == nil {
			c = &want{}
			byChannel[l.channel] = c
		}
		bucket := "never"
		for _, x := range []*want{m, c, total} {
			x.leads++
			x.hops += l.hops
			if l.hops > 0 {
				x.reassigned++
			}
			if l.response == nil {
				if !l.created.Add(s.sla).After(s.now) {
					x.missed++
				}
				continue
			}
			d := l.response.Sub(l.created)
			x.responded++
			x.secs = append(x.secs, max(0, int64(d/time.Second)))
			if d <= s.sla {
				x.within++
			} else {
				x.missed++
			}
		}
		if l.response != nil {
			d := l.response.Sub(l.created)
			switch {
			case d < 5*time.Minute:
				bucket = "lt5m"
			case d < 30*time.Minute:
				bucket = "5_30m"
			case d < time.Hour:
				bucket = "30_60m"
			case d < 24*time.Hour:
				bucket = "1_24h"
			default:
				bucket = "gt24h"
			}
		}
		b := buckets[bucket]
		b[0]++
		if l.reached != nil {
			b[1]++
		}
		if l.status == crm.StatusConverted {
			b[2]++
		}
		buckets[bucket] = b
	}
	check := func(name string, got crm.SpeedRow, x *want) {
		eq(t, name+" leads", got.Leads, x.leads)
		eq(t, name+" responded", got.Responded, x.responded)
		eq(t, name+" within SLA", got.WithinSLA, x.within)
		eq(t, name+" SLA missed", got.SLAMissed, x.missed)
		eq(t, name+" reassigned", got.Reassigned, x.reassigned)
		eq(t, name+" hops", got.Hops, x.hops)
		eqPtr(t, name+" median", got.MedianSeconds, percentileDisc(x.secs, 0.5))
		eqPtr(t, name+" p90", got.P90Seconds, percentileDisc(x.secs, 0.9))
	}
	check("total", rep.Total, total)
	eq(t, "managers in speed", len(rep.Managers), len(byManager))
	for _, r := range rep.Managers {
		check(r.Manager, r, byManager[*r.ManagerID])
		inFiles(t, csvT, xlsxT, "Скорость по менеджерам", r.Manager, "В SLA", strconv.Itoa(byManager[*r.ManagerID].within))
	}
	eq(t, "channels in speed", len(rep.Channels), len(byChannel))
	for _, r := range rep.Channels {
		check(r.Channel, r, byChannel[r.Channel])
	}
	inFiles(t, csvT, xlsxT, "Скорость по менеджерам", "Итого", "Лиды", strconv.Itoa(total.leads))
	for _, b := range rep.Curve {
		x := buckets[b.Key]
		eq(t, b.Key+" leads", b.Leads, x[0])
		eq(t, b.Key+" reached", b.Reached, x[1])
		eq(t, b.Key+" converted", b.Converted, x[2])
		eqPtr(t, b.Key+" converted %", b.ConvertedPct, pctOf(x[2], x[0]))
		inFiles(t, csvT, xlsxT, "Кривая скорости ответа", b.Name, "Сделки", strconv.Itoa(x[2]))
	}
}

func (s *sim) checkPipeline(t *testing.T, ctx context.Context, rq crm.ReportQuery) {
	rep, err := s.store.PipelineNow(ctx, rq)
	if err != nil {
		t.Fatal(err)
	}
	csvT, xlsxT := files(t, rep)
	rep = roundTrip(t, rep)
	open, cents, stuck := map[string]int{}, map[string]int64{}, map[string]int{}
	for _, l := range s.leads {
		if d := l.deal; d != nil && d.semantic() == "open" {
			open[d.final()]++
			cents[d.final()] += d.cents
			if l.lastActivity().Before(s.now.AddDate(0, 0, -14)) {
				stuck[d.final()]++
			}
		}
	}
	prob := map[string]int64{"new": 10, "needs": 30, "proposal": 60}
	weighted := new(big.Rat)
	for _, st := range rep.Stages {
		eq(t, st.Key+" open", st.Open, open[st.Key])
		eq(t, st.Key+" sum", st.Sum, money(cents[st.Key]))
		eq(t, st.Key+" stuck", st.Stuck, stuck[st.Key])
		wv := ratKopecks(big.NewRat(cents[st.Key]*prob[st.Key], 10000))
		if st.Weighted == nil || *st.Weighted != wv {
			t.Errorf("%s weighted %v, want %s", st.Key, show(st.Weighted), wv)
		}
		weighted.Add(weighted, mustRat(wv))
		inFiles(t, csvT, xlsxT, "Воронка «Продажи» сейчас", st.Name, "Сумма, ₽", money(cents[st.Key]))
	}
	if rep.Total.Weighted == nil || *rep.Total.Weighted != ratKopecks(weighted) {
		t.Errorf("total weighted %v, want %s", show(rep.Total.Weighted), ratKopecks(weighted))
	}
}

func (s *sim) checkWorkload(t *testing.T, ctx context.Context, rq crm.ReportQuery) {
	rep, err := s.store.Workload(ctx, rq)
	if err != nil {
		t.Fatal(err)
	}
	csvT, xlsxT := files(t, rep)
	rep = roundTrip(t, rep)
	type want struct {
		openLeads, openDeals, overdue, completed, made, missed int
		oldest                                                 *time.Time
	}
	w := map[int64]*want{}
	for _, id := range s.managers {
		w[id] = &want{}
	}
	for _, l := range s.leads {
		x := w[l.manager]
		if l.status == crm.StatusNew || l.status == crm.StatusInProgress {
			x.openLeads++
		}
		if l.deal != nil && l.deal.semantic() == "open" {
			x.openDeals++
		}
		if l.callOpen {
			x.overdue++
			x.oldest = minT(x.oldest, l.created.Add(5*time.Minute))
		}
		if l.callDone != nil && in(*l.callDone, rq) {
			x.completed++
		}
		for _, c := range l.outgoingCall {
			if in(c, rq) {
				x.made++
			}
		}
		for _, c := range l.missedCalls {
			if in(c, rq) {
				x.missed++
			}
		}
	}
	eq(t, "workload managers", len(rep.Managers), len(s.managers))
	for _, r := range rep.Managers {
		x := w[r.ID]
		eq(t, r.Name+" open leads", r.OpenLeads, x.openLeads)
		eq(t, r.Name+" open deals", r.OpenDeals, x.openDeals)
		eq(t, r.Name+" overdue", r.Overdue, x.overdue)
		eq(t, r.Name+" completed", r.Completed, x.completed)
		eq(t, r.Name+" calls made", r.CallsMade, x.made)
		eq(t, r.Name+" calls missed", r.CallsMissed, x.missed)
		if (r.OldestOverdue == nil) != (x.oldest == nil) || r.OldestOverdue != nil && !r.OldestOverdue.Equal(*x.oldest) {
			t.Errorf("%s oldest overdue %v, want %v", r.Name, show(r.OldestOverdue), show(x.oldest))
		}
		inFiles(t, csvT, xlsxT, "Загрузка", r.Name, "Просрочено", strconv.Itoa(x.overdue))
	}
}

func (s *sim) checkPlan(t *testing.T, ctx context.Context, rq crm.ReportQuery) {
	rep, err := s.store.PlanFact(ctx, rq)
	if err != nil {
		t.Fatal(err)
	}
	csvT, xlsxT := files(t, rep)
	rep = roundTrip(t, rep)
	type key struct {
		m     int64
		month string
	}
	won, cents := map[key]int{}, map[key]int64{}
	for _, l := range s.leads {
		if d := l.deal; d != nil && d.semantic() == "won" {
			k := key{d.manager, d.closedAt.In(rq.Loc).Format("2006-01")}
			won[k]++
			cents[k] += d.cents
		}
	}
	for _, r := range rep.Managers {
		k := key{r.ID, r.Month}
		eq(t, r.Name+" "+r.Month+" won", r.Won, won[k])
		eq(t, r.Name+" "+r.Month+" revenue", r.Revenue, money(cents[k]))
		if p, ok := s.plans[fmt.Sprint(r.ID, ":", r.Month)]; ok {
			eqPtr(t, r.Name+" target", r.TargetRevenue, &p.Revenue)
			eqPtr(t, r.Name+" won %", r.WonPct, pctOf(won[k], p.Won))
		}
	}
	for _, m := range rep.Months {
		for _, id := range s.managers {
			k := key{id, m}
			if won[k] == 0 {
				continue
			}
			found := false
			for _, r := range rep.Managers {
				if r.ID == id && r.Month == m {
					found = true
				}
			}
			if !found {
				t.Errorf("no plan row for %s in %s, who won %d", s.names[id], m, won[k])
			}
		}
	}
	if len(rep.Managers) > 0 {
		r := rep.Managers[0]
		if len(csvT["План и факт"]) < 2 || len(xlsxT["План и факт"]) < 2 {
			t.Errorf("plan table empty: %v", csvT)
		}
		_ = r
	}
}

// TestEveryFigureEqualsTheListBehindIt follows every drill-down link of
// every report and counts (or sums) the list it opens.
func TestEveryFigureEqualsTheListBehindIt(t *testing.T) {
	t.Parallel()
	s := newSim(t, 42)
	s.clock = s.now
	ctx := context.Background()
	for _, p := range simPeriods[:2] {
		rq := s.query(t, p.tz, p.from, p.to)
		for _, manager := range []*int64{nil, &s.managers[1]} {
			rq.Filter.ManagerID = manager
			for _, name := range crm.ReportNames {
				rep := runReport(t, s.store, name, rq)
				var doc any
				b, _ := json.Marshal(rep)
				_ = json.Unmarshal(b, &doc)
				n := 0
				walkLinks(doc, func(obj map[string]any, figure, link string) {
					n++
					s.checkLink(t, ctx, rq.Loc, name, obj, figure, link)
				})
				if n == 0 {
					t.Errorf("%s has no drill-down links", name)
				}
			}
		}
	}
}

func runReport(t testing.TB, st *crm.Store, name string, rq crm.ReportQuery) any {
	t.Helper()
	ctx := context.Background()
	var rep any
	var err error
	switch name {
	case "funnel":
		rep, err = st.Funnel(ctx, rq)
	case "pipeline":
		rep, err = st.PipelineNow(ctx, rq)
	case "sources":
		rep, err = st.Sources(ctx, rq)
	case "speed":
		rep, err = st.Speed(ctx, rq)
	case "workload":
		rep, err = st.Workload(ctx, rq)
	case "plan":
		rep, err = st.PlanFact(ctx, rq)
	}
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// walkLinks calls f for every figure with a link: an object's "links"
// name the object's own fields; a {"count", "link"} pair is one figure.
func walkLinks(v any, f func(obj map[string]any, figure, link string)) {
	switch x := v.(type) {
	case map[string]any:
		if links, ok := x["links"].(map[string]any); ok {
			for k, l := range links {
				f(x, k, l.(string))
			}
		}
		if l, ok := x["link"].(string); ok {
			f(x, "count", l)
		}
		for k, c := range x {
			if k != "links" {
				walkLinks(c, f)
			}
		}
	case []any:
		for _, c := range x {
			walkLinks(c, f)
		}
	}
}

func (s *sim) checkLink(t *testing.T, ctx context.Context, loc *time.Location, report string, obj map[string]any, figure, link string) {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := crm.ParseDrill(u.Query(), loc, s.now); err != nil {
		t.Fatalf("%s %s: %s: %v", report, figure, link, err)
	}
	count, sum := s.listOf(t, ctx, loc, link)
	switch v := obj[figure].(type) {
	case float64:
		if int(v) != count {
			t.Errorf("%s %s = %v, but its list has %d: %s", report, figure, v, count, link)
		}
	case string:
		if sum != v {
			t.Errorf("%s %s = %s, but its list sums to %s: %s", report, figure, v, sum, link)
		}
	default:
		t.Errorf("%s: link %s names no figure (%T)", report, figure, obj[figure])
	}
}

// TestFactsKeptByTriggersEqualFactsRebuiltFromTheRawTables: every report
// reads facts the triggers keep as the records change; rebuilding them
// from the raw history from scratch changes no figure.
func TestFactsKeptByTriggersEqualFactsRebuiltFromTheRawTables(t *testing.T) {
	t.Parallel()
	s := newSim(t, 7)
	s.clock = s.now
	before := map[string]string{}
	for _, p := range simPeriods {
		rq := s.query(t, p.tz, p.from, p.to)
		for _, name := range crm.ReportNames {
			b, _ := json.Marshal(runReport(t, s.store, name, rq))
			before[p.tz+p.from+p.to+name] = string(b)
		}
	}
	var facts1 string
	factsSQL := `SELECT (SELECT string_agg(format('%s/%s/%s/%s', deal_id, stage_id, seconds, exits) || coalesce(since::text, '-'), ',' ORDER BY deal_id, stage_id)
		FROM deal_stage_time) || '|' || (SELECT string_agg(format('%s/%s/%s/%s', id, reached_position, lost_from_stage_id, last_activity_at), ',' ORDER BY id) FROM deals)`
	if err := s.db.Pool.QueryRow(context.Background(), factsSQL).Scan(&facts1); err != nil {
		t.Fatal(err)
	}
	s.db.Exec(t, `SELECT report_rebuild()`)
	var facts2 string
	if err := s.db.Pool.QueryRow(context.Background(), factsSQL).Scan(&facts2); err != nil {
		t.Fatal(err)
	}
	if facts1 != facts2 {
		a, b := strings.Split(facts1, ","), strings.Split(facts2, ",")
		for i := range min(len(a), len(b)) {
			if a[i] != b[i] {
				t.Errorf("time in stages or the deals' facts differ after the rebuild: kept %s, rebuilt %s", a[i], b[i])
				break
			}
		}
	}
	for _, p := range simPeriods {
		rq := s.query(t, p.tz, p.from, p.to)
		for _, name := range crm.ReportNames {
			b, _ := json.Marshal(runReport(t, s.store, name, rq))
			if string(b) != before[p.tz+p.from+p.to+name] {
				t.Errorf("%s %s..%s in %s differs after the rebuild:\n%s\n%s", name, p.from, p.to, p.tz, before[p.tz+p.from+p.to+name], b)
			}
		}
	}
}

func TestPeriodPresetsAreTheViewersCalendar(t *testing.T) {
	t.Parallel()
	msk, _ := time.LoadLocation("Europe/Moscow")
	now := time.Date(2026, 12, 6, 22, 30, 0, 0, time.UTC) // Monday 01:30 in Moscow
	for _, c := range []struct{ preset, from, to string }{
		{"today", "2026-12-07T00:00:00+03:00", "2026-12-08T00:00:00+03:00"},
		{"yesterday", "2026-12-06T00:00:00+03:00", "2026-12-07T00:00:00+03:00"},
		{"this_week", "2026-12-07T00:00:00+03:00", "2026-12-14T00:00:00+03:00"},
		{"last_week", "2026-11-30T00:00:00+03:00", "2026-12-07T00:00:00+03:00"},
		{"this_month", "2026-12-01T00:00:00+03:00", "2027-01-01T00:00:00+03:00"},
		{"last_month", "2026-11-01T00:00:00+03:00", "2026-12-01T00:00:00+03:00"},
		{"quarter", "2026-10-01T00:00:00+03:00", "2027-01-01T00:00:00+03:00"},
	} {
		f, to, err := crm.ParsePeriod(c.preset, "", "", msk, now)
		if err != nil {
			t.Fatal(err)
		}
		if f.Format(time.RFC3339) != c.from || to.Format(time.RFC3339) != c.to {
			t.Errorf("%s: %s..%s, want %s..%s", c.preset, f.Format(time.RFC3339), to.Format(time.RFC3339), c.from, c.to)
		}
	}
	f, to, err := crm.ParsePeriod("", "2026-11-30", "2026-12-01", msk, now)
	if err != nil || f.Format(time.RFC3339) != "2026-11-30T00:00:00+03:00" || to.Format(time.RFC3339) != "2026-12-02T00:00:00+03:00" {
		t.Errorf("dates: %v..%v %v (to is inclusive)", f, to, err)
	}
	for _, bad := range [][3]string{{"week", "", ""}, {"", "2026-13-01", ""}, {"", "2026-12-05", "2026-12-01"}, {"today", "2026-12-01", ""}, {"", "", "2026-12-01"}} {
		if _, _, err := crm.ParsePeriod(bad[0], bad[1], bad[2], msk, now); crm.ErrorCode(err) != crm.EINVALID {
			t.Errorf("%v: %v, want invalid", bad, err)
		}
	}
}

// TestWeeklySummaryGoesToSupervisorsOnMondayMorningTheirTime: 9:00 on
// Monday in the supervisor's own zone, once, with the week's figures.
func TestWeeklySummaryGoesToSupervisorsOnMondayMorningTheirTime(t *testing.T) {
	t.Parallel()
	s := newSim(t, 3)
	ctx := context.Background()
	chat := int64(777)
	sup, err := s.store.CreateManager(ctx, crm.Manager{Name: "Руководитель", Role: crm.RoleSupervisor, TimeZone: "Asia/Vladivostok",
		Active: true, TelegramChatID: &chat})
	if err != nil {
		t.Fatal(err)
	}
	vlad, _ := time.LoadLocation("Asia/Vladivostok")
	opts := crm.WeeklyOptions{Hour: 9, SLA: s.sla, BaseURL: "https://crm.example.ru"}
	run := func(at time.Time) int {
		s.clock = at
		n := 0
		tx, err := s.db.Pool.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n, err = s.store.EnqueueWeeklySummaries(ctx, tx, at, opts); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := run(time.Date(2026, 11, 30, 8, 59, 0, 0, vlad)); n != 0 {
		t.Errorf("before 9:00 on Monday: %d summaries", n)
	}
	if n := run(time.Date(2026, 12, 1, 9, 0, 0, 0, vlad)); n != 0 {
		t.Errorf("on a Tuesday: %d summaries", n)
	}
	if n := run(time.Date(2026, 11, 30, 9, 0, 0, 0, vlad)); n != 1 {
		t.Errorf("at 9:00 on Monday: %d summaries, want 1", n)
	}
	if n := run(time.Date(2026, 11, 30, 9, 1, 0, 0, vlad)); n != 0 {
		t.Errorf("a minute later: %d summaries, want none (once a week)", n)
	}
	var payload []byte
	if err := s.db.Pool.QueryRow(ctx, `SELECT payload FROM outbox WHERE kind = $1`, crm.KindWeeklySummary).Scan(&payload); err != nil {
		t.Fatal(err)
	}
	v, err := crm.DecodeOutbox(crm.KindWeeklySummary, payload)
	if err != nil {
		t.Fatal(err)
	}
	sum := v.(crm.WeeklySummary)
	eq(t, "to", sum.ManagerID, sup.ID)
	from, to := time.Date(2026, 11, 23, 0, 0, 0, 0, vlad), time.Date(2026, 11, 30, 0, 0, 0, 0, vlad)
	leads, won := 0, 0
	for _, l := range s.leads {
		if !l.created.Before(from) && l.created.Before(to) {
			leads++
		}
		if d := l.deal; d != nil && d.semantic() == "won" && !d.closedAt.Before(from) && d.closedAt.Before(to) {
			won++
		}
	}
	f := sum.Figures
	if f == nil {
		t.Fatalf("the summary has no figures: %+v", sum)
	}
	eq(t, "week", sum.Week+" – "+sum.Last, "2026-11-23 – 2026-11-29")
	eq(t, "leads", f.Leads, leads)
	eq(t, "won", f.Won, won)
	if f.Responded > 0 && f.MedianSeconds == nil {
		t.Error("leads were answered, but the summary has no median")
	}
	eq(t, "link", sum.URL, "https://crm.example.ru/reports/funnel?from=2026-11-23&to=2026-11-29&tz=Asia%2FVladivostok")
}

// Spend entered for a month shows on any period that touches it — a day
// («Вчера»), two days across a month's end, the two months — on the row of
// its source even when the source brought no lead in the period, and the
// total spend is the sum of the rows. A report narrowed to a manager has
// no share of the department's spend to show.
func TestSpendShowsOnEveryPeriodAndEverySourceWithSpend(t *testing.T) {
	t.Parallel()
	s := newSim(t, 7)
	s.clock = s.now
	ctx := context.Background()
	for _, p := range []struct{ tz, from, to string }{
		{"Europe/Moscow", "2026-12-15", "2026-12-15"}, // yesterday
		{"Asia/Vladivostok", "2026-11-30", "2026-12-01"},
		{"Europe/Moscow", "2026-11-01", "2026-12-31"},
	} {
		rq := s.query(t, p.tz, p.from, p.to)
		s.checkSources(t, ctx, rq)
		rep, err := s.store.Sources(ctx, rq)
		if err != nil {
			t.Fatal(err)
		}
		var mytarget *crm.SourceItem
		for i, it := range rep.Items {
			if it.Source == "mytarget" {
				mytarget = &rep.Items[i]
			}
		}
		if p.to >= "2026-12-01" && (mytarget == nil || mytarget.Leads != 0 || mytarget.Spend == nil || mytarget.CostPerLead != nil) {
			t.Errorf("%s..%s: mytarget (spend, no leads) is %+v, want a row with its spend, 0 leads and no cost per lead", p.from, p.to, mytarget)
		}
		rq.Filter.ManagerID = &s.managers[0]
		rep, err = s.store.Sources(ctx, rq)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range append(rep.Items, rep.Total) {
			if it.Spend != nil || it.CostPerLead != nil || it.Source == "mytarget" {
				t.Errorf("a manager's sources show the department's spend: %+v", it)
			}
		}
	}
}

// A won deal that a tunnel copies into another pipeline (deals.source_deal_id)
// is one sale: the plan's fact, its lists and the weekly summary count
// the original only, as the sources report always has.
func TestACopyOfAWonDealIsNotASecondWin(t *testing.T) {
	t.Parallel()
	s := newSim(t, 15)
	s.clock = s.now
	ctx := context.Background()
	delivery := crm.Pipeline{Key: "delivery", Name: "Доставка", Stages: []crm.Stage{{Key: "new", Name: "Новая"},
		{Key: "done", Name: "Доставлено", Semantic: "won"}, {Key: "failed", Name: "Сорвалось", Semantic: "lost"}}}
	ps := []crm.Pipeline{simPipeline(), delivery}
	if errs := crm.ValidatePipelines("pipelines", ps); len(errs) > 0 {
		t.Fatal(errs)
	}
	if err := s.store.ReconcilePipelines(ctx, ps); err != nil {
		t.Fatal(err)
	}
	// Every won deal's copy, delivered (won) an hour after the sale.
	s.db.Exec(t, `INSERT INTO deals (title, pipeline_id, stage_id, manager_id, lead_id, currency, amount, closed_at, created_at, updated_at, source_deal_id)
		SELECT d.title, p.id, st.id, d.manager_id, d.lead_id, d.currency, d.amount, d.closed_at + interval '1 hour', d.closed_at, d.closed_at, d.id
		FROM deals d JOIN stages s ON s.id = d.stage_id, pipelines p JOIN stages st ON st.pipeline_id = p.id AND st.key = 'done'
		WHERE s.semantic = 'won' AND p.key = 'delivery'`)
	if s.db.Count(t, `SELECT count(*) FROM deals WHERE source_deal_id IS NOT NULL`) == 0 {
		t.Fatal("the sim won no deal to copy")
	}
	for _, p := range simPeriods {
		rq := s.query(t, p.tz, p.from, p.to)
		rq.Filter.Pipeline = "" // every pipeline: the copies are in
		s.checkPlan(t, ctx, rq)
		rep := runReport(t, s.store, "plan", rq)
		var doc any
		b, _ := json.Marshal(rep)
		_ = json.Unmarshal(b, &doc)
		walkLinks(doc, func(obj map[string]any, figure, link string) {
			s.checkLink(t, ctx, rq.Loc, "plan", obj, figure, link)
		})
	}
	sup, err := s.store.CreateManager(ctx, crm.Manager{Name: "Руководитель", Role: crm.RoleSupervisor, TimeZone: "Europe/Moscow", Active: true})
	if err != nil {
		t.Fatal(err)
	}
	from, to := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC), s.now
	sum, err := s.store.WeeklySummaryFor(ctx, sup.ID, from, to, time.UTC, crm.WeeklyOptions{Hour: 9, SLA: s.sla})
	if err != nil {
		t.Fatal(err)
	}
	won := 0
	for _, l := range s.leads {
		if d := l.deal; d != nil && d.semantic() == "won" && !d.closedAt.Before(from) && d.closedAt.Before(to) {
			won++
		}
	}
	if sum.Figures == nil {
		t.Fatal("the summary has no figures")
	}
	eq(t, "weekly won", sum.Figures.Won, won)
}

// «Yandex», «yandex» and « YANDEX » are one source: the sources report has
// one row for them, spend entered under any spelling is its spend, and a
// filter typed in any spelling lists all of its leads.
func TestEverySpellingOfAUTMSourceIsOneSource(t *testing.T) {
	t.Parallel()
	s := newSim(t, 5)
	s.clock = s.now
	ctx := context.Background()
	rq := s.query(t, "Europe/Moscow", "2026-11-01", "2026-12-31")
	s.checkSources(t, ctx, rq) // the sim spells its sources and spend every way
	want := 0
	for _, l := range s.leads {
		if l.utm == "yandex" && in(l.created, rq) {
			want++
		}
	}
	for _, spelling := range []string{"yandex", "Yandex", " YANDEX\t"} {
		v := url.Values{"drill": {"leads"}, "utm_source": {spelling}, "utm_campaign": {"WINTER"},
			"from": {rq.Filter.From.Format(time.RFC3339)}, "to": {rq.Filter.To.Format(time.RFC3339)}}
		d, err := crm.ParseDrill(v, rq.Loc, s.now)
		if err != nil {
			t.Fatal(err)
		}
		page, _, err := s.store.Leads(ctx, crm.LeadFilter{Drill: d, Limit: 500})
		if err != nil {
			t.Fatal(err)
		}
		eq(t, "leads of utm_source "+strconv.Quote(spelling), len(page), want)
	}
}

// A report and a drill-down list answer the same about the manager they
// are asked for: a manager who does not exist is a 422 naming manager_id
// (not an empty report); a manager asking for another's figures, or for
// nobody's, gets the reports' own refusal, in Russian, naming the
// parameter; a manager's report is their own.
func TestTheManagerAReportIsAskedForIsCheckedAlikeForReportsAndLists(t *testing.T) {
	t.Parallel()
	s := newSim(t, 9)
	s.clock = s.now
	ctx := context.Background()
	admin := crm.Principal{Name: "admin", Role: crm.RoleAdmin}
	own := crm.Principal{Name: "m", Role: crm.RoleManager, ManagerID: &s.managers[0]}
	other := strconv.FormatInt(s.managers[1], 10)
	for _, c := range []struct {
		p           crm.Principal
		query       url.Values
		code, field string
	}{
		{admin, url.Values{"manager_id": {"99999"}}, crm.EINVALID, "manager_id"},
		{own, url.Values{"manager_id": {"99999"}}, crm.EINVALID, "manager_id"},
		{own, url.Values{"manager_id": {other}}, crm.EFORBIDDEN, "manager_id"},
		{own, url.Values{"unassigned": {"true"}}, crm.EFORBIDDEN, "unassigned"},
		{admin, url.Values{"manager_id": {other}}, "", ""},
		{own, url.Values{}, "", ""},
	} {
		_, err := s.store.ReportRequest(ctx, c.query, c.p, s.sla, 0)
		lq := url.Values{"drill": {"leads"}}
		for k, v := range c.query {
			lq[k] = v
		}
		d, derr := crm.ParseDrill(lq, time.UTC, s.now)
		if derr != nil {
			t.Fatal(derr)
		}
		lerr := s.store.ReportScope(ctx, &d.Filter, c.p)
		for what, err := range map[string]error{"report": err, "list": lerr} {
			e := crm.AsError(err)
			switch {
			case c.code == "" && err != nil:
				t.Errorf("%s %v as %s: %v", what, c.query, c.p.Role, err)
			case c.code == "":
			case e == nil || e.Code != c.code || e.Field != c.field:
				t.Errorf("%s %v as %s: %v, want %s naming %s", what, c.query, c.p.Role, err, c.code, c.field)
			case c.code == crm.EFORBIDDEN && !strings.Contains(crm.Localize(err, "ru"), "свои показатели"):
				t.Errorf("%s %v: the refusal in Russian is %q", what, c.query, crm.Localize(err, "ru"))
			}
		}
		if c.code == "" && c.p.Role == crm.RoleManager && (d.Filter.ManagerID == nil || *d.Filter.ManagerID != s.managers[0]) {
			t.Errorf("a manager's list is not their own: %v", d.Filter.ManagerID)
		}
	}
}
