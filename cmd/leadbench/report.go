package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

type report struct {
	opts      options
	plan      *plan
	posted    posted
	processed processedResult
	waitedOut bool
	seeded    int
	rss       rssReport

	postCPU, processCPU, totalCPU cpuUse
	daemon                        map[string]histogram // deltas over the run
	base                          *baselines           // the machine's limits, measured in this run

	// With -webhooks: deliveries the receiver had when the last event was
	// processed, in all, and how long the rest took to arrive.
	hooksAtProcessed, hooksTotal int64
	hooksDrain                   time.Duration

	wal string // the server's WAL while posting (walLine)
}

func (r report) print(w io.Writer) {
	o, got, pr := r.opts, r.posted, r.processed
	line := func(format string, a ...any) { fmt.Fprintf(w, format+"\n", a...) }

	line("== Leadd benchmark: %s ==", o.title)
	line("  daemon     %s (pid %d), %s", o.url, o.pid, time.Now().Format(time.RFC3339))
	line("  load       %d form posts, %d connections, rate %s", len(r.plan.posts), o.c, rateString(o.rate))
	line("             %d (%.0f%%) from %d known contacts (%d seeded now), the rest new phones; %.0f%% of new callers leave an e-mail",
		r.plan.returningCount(), 100*float64(r.plan.returningCount())/float64(len(r.plan.posts)), o.contacts, r.seeded, 100*o.emails)
	line("")

	line("accept (client side: POST sent → 202 read)")
	line("  accepted   %d of %d%s", got.accepted, len(r.plan.posts), failures(got.statuses))
	acceptRate := float64(got.accepted) / got.elapsed.Seconds()
	line("  rate       %.0f posts/s over %s", acceptRate, secs(got.elapsed))
	lat := slices.Clone(got.latencies)
	slices.Sort(lat)
	line("  latency    p50 %s   p90 %s   p99 %s   max %s", ms(pct(lat, .5)), ms(pct(lat, .9)), ms(pct(lat, .99)), ms(pct(lat, 1)))
	if o.rate > 0 {
		line("             (counted from each post's due time; the sender ran at most %s behind schedule)", ms(got.behind))
		if by := slowBySecond(got, o.targets.acceptP99); by != "" {
			line("  over %s  by second of the run: %s", ms(o.targets.acceptP99), by)
		}
	}
	if h, ok := r.daemon["leadd_intake_seconds"]; ok && h.count > 0 {
		over := ""
		if f := h.over(o.targets.acceptP99.Seconds()); !math.IsNaN(f) {
			over = fmt.Sprintf("   %.2f%% over %s", 100*f, ms(o.targets.acceptP99))
		}
		line("  in daemon  mean %s   p50 ≤ %s   p99 ≤ %s%s   (leadd_intake_seconds buckets)",
			ms(seconds(h.mean())), bound(h.quantile(.5)), bound(h.quantile(.99)), over)
	}
	if h, ok := r.daemon["leadd_inbox_accept_seconds"]; ok && h.count > 0 {
		line("  in inbox   mean %s   p50 ≤ %s   p99 ≤ %s   (leadd_inbox_accept_seconds: queued for a writer → committed)",
			ms(seconds(h.mean())), bound(h.quantile(.5)), bound(h.quantile(.99)))
	}
	line("")

	line("processing (inbox.received_at → inbox.processed_at, from the database)")
	line("  processed  %d of %d accepted: %d new leads, %d attached to an open lead, %d other%s",
		pr.processed, got.accepted, pr.created, pr.attached, pr.other, map[bool]string{true: " (gave up waiting)", false: ""}[r.waitedOut])
	line("  complete   %d on a lead with a manager and a call activity", pr.complete)
	line("  returning  %d of %d known callers landed on their contact's lead with the contact's manager; %d new callers wrongly linked to a contact",
		pr.recognised, pr.returning, pr.misLinked)
	line("  rate       %.0f events/s (%d from the first accept to the last processed, %s)", pr.throughput(), pr.processed, secs(pr.span()))
	if d := pr.drainRate(); d > 0 {
		line("  drain      %.0f events/s (%d processed after the last post was answered, %s: processing on its own)",
			d, pr.drained, secs(pr.lastProcessed.Sub(pr.postEnd)))
	}
	line("  latency    p50 %s   p90 %s   p99 %s   max %s", ms(pr.p50), ms(pr.p90), ms(pr.p99), ms(pr.max))
	line("             (processed_at is the processing transaction's start: the commit comes up to one batch later)")
	if h, ok := r.daemon["leadd_process_lag_seconds"]; ok && h.count > 0 {
		line("  committed  p50 ≤ %s   p99 ≤ %s   (leadd_process_lag_seconds buckets, to the commit)", bound(h.quantile(.5)), bound(h.quantile(.99)))
	}
	if h, ok := r.daemon["leadd_process_batch_events"]; ok && h.count > 0 {
		line("  batches    %.0f transactions, %.1f events each on average", h.count, h.mean())
	}
	line("")

	if o.webhooks > 0 {
		line("webhooks (%d endpoints at a local receiver, every event)", o.webhooks)
		line("  delivered  %d when the last event was processed; %d in all, the last %s later (%.0f deliveries/s over the run)",
			r.hooksAtProcessed, r.hooksTotal, secs(r.hooksDrain), float64(r.hooksTotal)/(pr.span()+r.hooksDrain).Seconds())
		line("")
	}

	if o.pid != 0 {
		line("daemon memory")
		line("  RSS        peak %s during the run (sampled every 50 ms); high-water mark since start %s; now %s",
			mb(r.rss.peakKB), mb(r.rss.hwmKB), mb(r.rss.nowKB))
		line("")
	}

	line("CPU, in cores busy (this machine has %d)   posting   draining   whole run", r.totalCPU.cores)
	row := func(name string, f func(cpuUse) float64) {
		line("  %-38s %7.2f   %8.2f   %9.2f", name, f(r.postCPU), f(r.processCPU), f(r.totalCPU))
	}
	row("leadd", func(u cpuUse) float64 { return u.leadd })
	row("postgres (this database + background)", func(u cpuUse) float64 { return u.postgres })
	row("redis", func(u cpuUse) float64 { return u.redis })
	row("leadbench (this load generator)", func(u cpuUse) float64 { return u.self })
	row("everything else", func(u cpuUse) float64 { return u.other })
	row("idle", func(u cpuUse) float64 { return u.idle })
	line("  %-38s %6.1fs   %7.1fs   %8.1fs", "wall", r.postCPU.wall.Seconds(), r.processCPU.wall.Seconds(), r.totalCPU.wall.Seconds())
	if got.accepted > 0 {
		// What one accepted post cost the machine while posting: moves far
		// less with the neighbours than a rate does (docs/benchmarks.md).
		u := r.postCPU
		per := func(cores float64) float64 { return cores * u.wall.Seconds() / float64(got.accepted) * 1e6 }
		line("  CPU per accepted post while posting: %.0f µs = leadd %.0f + postgres %.0f + leadbench %.0f (redis %.0f)",
			per(u.leadd+u.postgres+u.self), per(u.leadd), per(u.postgres), per(u.self), per(u.redis))
	}
	if r.wal != "" {
		line("  WAL while posting: %s", r.wal)
	}
	line("")

	if b := r.base; b != nil && o.rate == 0 {
		line("the machine's limits, measured in this run (%d connections, the same Postgres, Leadd's tables)", b.conns)
		line("  insert ceiling              %6.0f rows/s   (single-row INSERT of an inbox-sized row, one commit each)", b.insert)
		line("  naive lead transaction      %6.0f events/s (look up the caller, insert lead + call, bump a counter, commit)", b.naive)
		proc := pr.drainRate()
		if proc == 0 {
			proc = pr.throughput()
		}
		line("ratio accepted/insert-ceiling %.2f", acceptRate/b.insert)
		line("ratio processed/naive-transaction %.2f", proc/b.naive)
		line("ratio processed-end-to-end/naive-transaction %.2f   (processing while sharing the machine with intake)", pr.throughput()/b.naive)
		line("")
	}

	line("targets (this machine)")
	t := o.targets
	check := func(what string, ok bool, got string) {
		line("  %-44s %-14s %s", what, got, map[bool]string{true: "met", false: "MISSED"}[ok])
	}
	if o.rate == 0 {
		check(fmt.Sprintf("accepted ≥ %.0f posts/s", t.acceptRate), acceptRate >= t.acceptRate, fmt.Sprintf("%.0f/s", acceptRate))
		check(fmt.Sprintf("processed ≥ %.0f events/s", t.processRate), pr.throughput() >= t.processRate, fmt.Sprintf("%.0f/s", pr.throughput()))
	} else {
		p99 := pct(lat, .99)
		check(fmt.Sprintf("accept p99 ≤ %s at %g posts/s", ms(t.acceptP99), o.rate), p99 <= t.acceptP99, ms(p99))
		if acceptRate < o.rate*0.97 {
			line("  (the daemon accepted %.0f posts/s, short of the %g/s asked)", acceptRate, o.rate)
		}
	}
	if o.pid != 0 {
		peak := max(r.rss.peakKB, r.rss.hwmKB)
		check(fmt.Sprintf("daemon RSS ≤ %.0f MB", t.rssMB), float64(peak)/1024 <= t.rssMB, mb(peak))
	}
	line("")
}

func failures(m map[string]int) string {
	if len(m) == 0 {
		return " (none failed)"
	}
	var parts []string
	for k, v := range m {
		parts = append(parts, fmt.Sprintf("%d × %s", v, k))
	}
	slices.Sort(parts)
	return " — FAILED: " + strings.Join(parts, ", ")
}

// pct is the q-quantile of sorted durations (nearest rank).
func pct(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func ms(d time.Duration) string {
	switch {
	case d >= 10*time.Second:
		return fmt.Sprintf("%.1f s", d.Seconds())
	case d >= 100*time.Millisecond:
		return fmt.Sprintf("%.0f ms", float64(d)/1e6)
	default:
		return fmt.Sprintf("%.1f ms", float64(d)/1e6)
	}
}

func secs(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }

func seconds(f float64) time.Duration { return time.Duration(f * float64(time.Second)) }

func bound(f float64) string {
	if math.IsInf(f, 1) {
		return "∞ (beyond the last bucket)"
	}
	if math.IsNaN(f) {
		return "n/a"
	}
	return ms(seconds(f))
}

func mb(kb int64) string { return fmt.Sprintf("%.1f MB", float64(kb)/1024) }

// slowBySecond counts the posts slower than limit in each second of the
// run, "" when there are none: a stall shows as one crowded second,
// queueing as a spread.
func slowBySecond(got posted, limit time.Duration) string {
	var counts []int
	for i, l := range got.latencies {
		if l <= limit {
			continue
		}
		sec := int(got.at[i] / time.Second)
		for len(counts) <= sec {
			counts = append(counts, 0)
		}
		counts[sec]++
	}
	if len(counts) == 0 {
		return ""
	}
	parts := make([]string, len(counts))
	for i, c := range counts {
		parts[i] = strconv.Itoa(c)
	}
	return strings.Join(parts, " ")
}
