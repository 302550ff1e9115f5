// Command leadbench is the load generator behind `make bench`: it seeds
// known contacts, posts website-form events at a running daemon, waits
// until every one of them is an assigned lead with a call activity, and
// reports accept and processing throughput and latency, the daemon's peak
// RSS and where the CPU went.
//
//	leadbench -url http://127.0.0.1:18080 -db postgres://... -pid 1234 -rate 0
//	leadbench ... -rate 1000    # the fixed-rate latency run
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

type options struct {
	url       string
	client    string
	db        string
	form      string
	n         int
	c         int
	rate      float64
	contacts  int
	returning float64
	emails    float64
	pid       int
	wait      time.Duration
	seed      uint64
	title     string
	webhooks  int    // endpoints subscribed to every event during the run
	token     string // an admin token, for the webhooks
	targets   targets
	baseDB    string        // a database with Leadd's schema for the machine's limits ("" skips them)
	baseTime  time.Duration // how long each limit is measured
	baseConns int           // connections for the limits
	pprof     string        // the daemon's debug address ("" takes no profile)
	pprofOut  string        // where the profile goes
	pprofTime time.Duration // how long the profile runs from the first post
}

// targets are the figures the issue asks for; the report checks each one
// that the run's mode can speak to.
type targets struct {
	acceptRate  float64       // posts/s, at -rate 0
	processRate float64       // events/s, at -rate 0
	acceptP99   time.Duration // at the fixed rate
	rssMB       float64
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "leadbench:", err)
		}
		os.Exit(1)
	}
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("leadbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.url, "url", "http://127.0.0.1:18080", "base URL of the running daemon")
	fs.StringVar(&o.db, "db", envOr("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/leadd_bench?sslmode=disable"),
		"the daemon's database, for seeding and measuring")
	fs.StringVar(&o.form, "form", "contact", "form name to post to")
	fs.IntVar(&o.n, "n", 20000, "events to post")
	fs.IntVar(&o.c, "c", 64, "concurrent posters (connections)")
	fs.StringVar(&o.client, "client", "lean", "how posts are sent: lean (one keep-alive connection per poster, the request written directly) or std (net/http's client)")
	fs.Float64Var(&o.rate, "rate", 0, "posts per second; 0 posts as fast as the daemon answers")
	fs.IntVar(&o.contacts, "contacts", 10000, "known contacts the database should hold (seeded when fewer)")
	fs.Float64Var(&o.returning, "returning", 0.3, "share of events from known contacts")
	fs.Float64Var(&o.emails, "emails", 0.3, "share of new callers who also leave an e-mail")
	fs.IntVar(&o.pid, "pid", 0, "daemon process id, to sample its RSS and CPU (0: skip)")
	fs.DurationVar(&o.wait, "wait", 5*time.Minute, "how long to wait for the events to be processed")
	fs.Uint64Var(&o.seed, "seed", 0, "random seed (0: from the clock)")
	fs.StringVar(&o.title, "title", "", "title of the report (default: from the mode)")
	fs.IntVar(&o.webhooks, "webhooks", 0, "webhook endpoints (at a local receiver) subscribed to every event during the run")
	fs.StringVar(&o.token, "token", envOr("LEADD_TOKEN", "dev-admin-token"), "an admin API token, for -webhooks")
	fs.Float64Var(&o.targets.acceptRate, "target-accept", 3000, "target accepted posts/s at -rate 0")
	fs.Float64Var(&o.targets.processRate, "target-process", 1500, "target processed events/s at -rate 0")
	fs.DurationVar(&o.targets.acceptP99, "target-p99", 10*time.Millisecond, "target accept p99 at a fixed rate (issue 20: 10 ms at 1,000 posts/s)")
	fs.Float64Var(&o.targets.rssMB, "target-rss", 150, "target peak daemon RSS, MB")
	fs.StringVar(&o.baseDB, "base-db", "", "a migrated database of its own for measuring the INSERT ceiling and the naive transaction (empty: skip)")
	fs.DurationVar(&o.baseTime, "base-time", 5*time.Second, "how long each limit is measured")
	fs.IntVar(&o.baseConns, "base-conns", 16, "connections for the limits (the daemon's database.max_conns)")
	fs.StringVar(&o.pprof, "pprof", "", "the daemon's debug URL (LEADD_DEBUG_ADDR): a CPU profile from the first post on (empty: none)")
	fs.StringVar(&o.pprofOut, "pprof-out", "leadd.pprof", "where -pprof writes the profile")
	fs.DurationVar(&o.pprofTime, "pprof-time", 5*time.Second, "how long -pprof profiles")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	switch {
	case o.n <= 0:
		return o, errors.New("-n must be positive")
	case o.c <= 0:
		return o, errors.New("-c must be positive")
	case o.client != "lean" && o.client != "std":
		return o, errors.New("-client must be lean or std")
	case o.client == "lean" && !strings.HasPrefix(o.url, "http://"):
		return o, errors.New("-client lean posts to http:// addresses only (use -client std)")
	case o.rate < 0:
		return o, errors.New("-rate must be 0 or positive")
	case o.returning < 0 || o.returning > 1:
		return o, errors.New("-returning must be between 0 and 1")
	case o.returning > 0 && o.contacts <= 0:
		return o, errors.New("-returning needs -contacts")
	}
	o.url = strings.TrimRight(o.url, "/")
	if o.seed == 0 {
		o.seed = uint64(time.Now().UnixNano())
	}
	if o.title == "" {
		o.title = "max throughput (-rate 0)"
		if o.rate > 0 {
			o.title = fmt.Sprintf("fixed rate (-rate %g)", o.rate)
		}
		if o.webhooks > 0 {
			o.title += fmt.Sprintf(", %d webhook endpoints subscribed to every event", o.webhooks)
		}
	}
	return o, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	progress := func(format string, a ...any) { fmt.Fprintf(stderr, "leadbench: "+format+"\n", a...) }

	pool, err := pgxpool.New(ctx, o.db)
	if err != nil {
		return fmt.Errorf("database: %w", err)
	}
	defer pool.Close()
	if err := checkDaemon(ctx, o.url); err != nil {
		return err
	}

	seeded, err := seedContacts(ctx, pool, o.contacts)
	if err != nil {
		return err
	}
	if seeded > 0 {
		progress("seeded %d contacts", seeded)
	}
	var base *baselines
	if o.baseDB != "" {
		b, err := measureBaselines(ctx, o.baseDB, o.contacts, o.returning, o.baseConns, o.baseTime, progress)
		if err != nil {
			return err
		}
		base = &b
	}
	plan, err := newPlan(ctx, pool, o)
	if err != nil {
		return err
	}
	progress("posting %d events (%d from known contacts) to %s/hooks/forms/%s, %d connections, rate %s",
		len(plan.posts), plan.returningCount(), o.url, o.form, o.c, rateString(o.rate))

	var hk *hooks
	if o.webhooks > 0 {
		if hk, err = startHooks(ctx, o.url, o.token, o.webhooks); err != nil {
			return fmt.Errorf("webhooks: %w", err)
		}
		defer hk.stop(context.WithoutCancel(ctx))
		progress("%d webhook endpoints at %s subscribed to every event", o.webhooks, hk.url)
	}

	mon := newMonitor(pool, o.pid)
	mon.sampleRSS(ctx, 50*time.Millisecond)
	metricsBefore := scrape(ctx, o.url, daemonMetrics(o.form))
	begin := mon.snapshot(ctx)
	walBefore := walSnapshot(ctx, pool)

	profiled := func() error { return nil }
	if o.pprof != "" {
		profiled = profileDaemon(ctx, strings.TrimRight(o.pprof, "/"), o.pprofOut, o.pprofTime)
	}
	posted := post(ctx, o, plan)
	afterPost := mon.snapshot(ctx)
	walAfter := walSnapshot(ctx, pool)
	var postEnd time.Time
	if err := pool.QueryRow(ctx, `SELECT clock_timestamp()`).Scan(&postEnd); err != nil {
		return fmt.Errorf("database clock: %w", err)
	}
	progress("posted: %d accepted, %d failed in %s; waiting for processing",
		posted.accepted, posted.failed(), posted.elapsed.Round(time.Millisecond))

	waited, err := waitProcessed(ctx, pool, posted.ids, o.wait, progress)
	if err != nil {
		return err
	}
	afterProcess := mon.snapshot(ctx)
	mon.stop()
	metricsAfter := scrape(ctx, o.url, daemonMetrics(o.form))
	daemon := map[string]histogram{}
	for name, h := range metricsAfter {
		daemon[name] = h.minus(metricsBefore[name])
	}

	res, err := measure(ctx, pool, plan, posted, postEnd)
	if err != nil {
		return err
	}
	r := report{
		opts: o, plan: plan, posted: posted, processed: res, waitedOut: !waited,
		seeded: seeded, rss: mon.rss(), postCPU: afterPost.since(begin), processCPU: afterProcess.since(afterPost),
		totalCPU: afterProcess.since(begin), daemon: daemon, base: base,
		wal: walLine(walBefore, walAfter, posted.accepted),
	}
	if hk != nil {
		r.hooksAtProcessed = hk.received.Load()
		r.hooksDrain = hk.drain(ctx, 3*time.Second, time.Minute)
		r.hooksTotal = hk.received.Load()
	}
	r.print(stdout)
	if err := profiled(); err != nil {
		progress("%v", err)
	}
	if !waited || posted.failed() > 0 || res.processed < posted.accepted || res.complete < res.processed {
		return errors.New("the run did not complete cleanly; see the report")
	}
	return nil
}

// daemonMetrics are the daemon's own histograms the report adds: its
// accept time, its accept-to-commit lag and its batch sizes.
func daemonMetrics(form string) map[string]string {
	return map[string]string{
		"leadd_intake_seconds":       `source="form:` + form + `"`,
		"leadd_inbox_accept_seconds": "",
		"leadd_process_lag_seconds":  "",
		"leadd_process_batch_events": "",
	}
}

func rateString(r float64) string {
	if r == 0 {
		return "unlimited"
	}
	return fmt.Sprintf("%g/s", r)
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
