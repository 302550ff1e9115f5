// Command leadd is the Leadd daemon: it takes inbound touches, turns them
// into assigned leads with due calls, and serves the API.
//
//	leadd serve         HTTP + workers
//	leadd migrate       apply database migrations
//	leadd check-config  validate a configuration file
//	leadd route --explain < event.json   dry-run the routing rules
//	leadd version       print the version
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"
	_ "time/tzdata" // managers' time zones work on any image

	"github.com/redis/go-redis/v9"

	"github.com/leadd/leadd/configs"
	"github.com/leadd/leadd/crm"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

const usage = `usage: leadd <command> [--config configs/leadd.yaml]

commands:
  serve         run the HTTP server and the workers
  migrate       apply database migrations and exit
  check-config  validate the configuration and print every problem
  route         route --explain < event.json: the routing decision for an event, written nowhere
  automation    automation --dry-run --deal N: the stage rules that fire for a deal, written nowhere
  manager       manager link-code --manager N: a one-time code that links the manager's Telegram
  import        import --kind contacts|companies|deals [--dry-run] [--mapping '{"Тел":"phone"}'] file.xlsx|file.csv
  version       print the version
`

func main() {
	tuneGC()
	if err := run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, errReported) {
			fmt.Fprintln(os.Stderr, "leadd:", err)
		}
		os.Exit(1)
	}
}

// tuneGC lets the heap grow to four times what is live before a
// collection, under a soft limit of 256 MiB. The accept path allocates per
// request, and at Go's default (GOGC=100) the collector took a seventh of
// the daemon's CPU at full intake: 300 took accepts from 9,600 to 11,400
// posts/s and the peak RSS from 58 to 82 MB (docs/benchmarks.md). GOGC and
// GOMEMLIMIT in the environment still decide.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(300)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(256 << 20)
	}
}

// errReported means the command already told the user what went wrong.
var errReported = errors.New("reported")

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errReported
	}
	cmd, args := args[0], args[1:]
	if cmd == "import" { // its own flags, --config among them, before or after the file
		return runImport(args, stdout, stderr)
	}
	if cmd == "manager" {
		if len(args) == 0 || args[0] != "link-code" {
			fmt.Fprintln(stderr, "usage: leadd manager link-code --manager N [--config file]")
			return errReported
		}
		cmd, args = "manager link-code", args[1:]
	}
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "configs/leadd.yaml", "configuration file")
	var explain, dryRun *bool
	var dealID *int64
	switch cmd {
	case "route":
		explain = fs.Bool("explain", false, "print the routing decision for the event on standard input (JSON), writing nothing")
	case "manager link-code":
		dealID = fs.Int64("manager", 0, "the manager to link")
	case "automation":
		dryRun = fs.Bool("dry-run", false, "list what would fire for the deal, writing nothing")
		dealID = fs.Int64("deal", 0, "the deal")
	}
	if err := fs.Parse(args); err != nil {
		return errReported
	}
	switch cmd {
	case "version":
		fmt.Fprintf(stdout, "leadd %s (%s)\n", version, runtime.Version())
		return nil
	case "check-config":
		_, err := loadConfig(*path, stdout)
		if err == nil {
			fmt.Fprintf(stdout, "%s: ok\n", *path)
		}
		return err
	case "migrate":
		cfg, err := loadConfig(*path, stderr)
		if err != nil {
			return err
		}
		return migrate(cfg, stdout)
	case "serve":
		cfg, err := loadConfig(*path, stderr)
		if err != nil {
			return err
		}
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		log := newLogger(cfg, stderr)
		redis.SetLogger(redisLogger{log})
		return serve(ctx, cfg, *path, log)
	case "route":
		if !*explain {
			fmt.Fprintln(stderr, "usage: leadd route --explain [--config file] < event.json")
			return errReported
		}
		cfg, err := loadConfig(*path, stderr)
		if err != nil {
			return err
		}
		return route(context.Background(), cfg, stdin, stdout, newLogger(cfg, stderr))
	case "automation":
		if !*dryRun || *dealID <= 0 {
			fmt.Fprintln(stderr, "usage: leadd automation --dry-run --deal N [--config file]")
			return errReported
		}
		cfg, err := loadConfig(*path, stderr)
		if err != nil {
			return err
		}
		return automationDryRun(context.Background(), cfg, *dealID, stdout)
	case "manager link-code":
		if *dealID <= 0 {
			fmt.Fprintln(stderr, "usage: leadd manager link-code --manager N [--config file]")
			return errReported
		}
		cfg, err := loadConfig(*path, stderr)
		if err != nil {
			return err
		}
		store, err := crm.Open(context.Background(), cfg.Database.URL, 2)
		if err != nil {
			return err
		}
		defer store.Close()
		code, err := store.CreateLinkCode(context.Background(), *dealID)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s\nThe manager sends /start %s to the bot within %s.\n", code, code, crm.LinkCodeTTL)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprintf(stderr, "unknown command %q\n\n%s", cmd, usage)
	return errReported
}

// loadConfig loads and validates; it prints every problem to w.
func loadConfig(path string, w io.Writer) (configs.Config, error) {
	cfg, err := configs.Load(path)
	if err != nil {
		fmt.Fprintln(w, err)
		return cfg, errReported
	}
	if errs := cfg.Validate(); len(errs) > 0 {
		for _, e := range errs {
			fmt.Fprintf(w, "%s: %v\n", path, e)
		}
		return cfg, errReported
	}
	for _, d := range cfg.Deprecated() {
		fmt.Fprintf(w, "%s: warning: %s\n", path, d)
	}
	return cfg, nil
}

func newLogger(cfg configs.Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel()}
	if cfg.Log.Format == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// redisLogger sends the Redis client's own complaints to slog.
type redisLogger struct{ log *slog.Logger }

// A connection that cannot be made is the outage the breaker logs once
// when it begins and once when it ends (ingest.RedisBreaker): each failed
// dial is only a debug line, not one a lead.
func (l redisLogger) Printf(ctx context.Context, format string, v ...any) {
	msg := fmt.Sprintf(format, v...)
	if strings.Contains(msg, "failed to dial") {
		l.log.Debug("redis", "msg", msg)
		return
	}
	l.log.Warn("redis", "msg", msg)
}

// automationDryRun prints the stage rules a deal's current stage fires.
func automationDryRun(ctx context.Context, cfg configs.Config, dealID int64, w io.Writer) error {
	store, err := crm.Open(ctx, cfg.Database.URL, 2)
	if err != nil {
		return err
	}
	defer store.Close()
	checks, err := store.AutomationFor(ctx, &crm.Automation{Rules: cfg.Automation}, dealID)
	if err != nil {
		return err
	}
	if checks == nil {
		checks = []crm.RuleCheck{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(checks)
}

func migrate(cfg configs.Config, w io.Writer) error {
	ctx := context.Background()
	store, err := crm.Open(ctx, cfg.Database.URL, 2)
	if err != nil {
		return err
	}
	defer store.Close()
	applied, err := store.Migrate(ctx)
	for _, name := range applied {
		fmt.Fprintln(w, "applied", name)
	}
	if err == nil && len(applied) == 0 {
		fmt.Fprintln(w, "up to date")
	}
	return err
}
