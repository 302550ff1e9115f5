package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/redis/go-redis/v9"
	"golang.org/x/sync/errgroup"

	"github.com/leadd/leadd/configs"
	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/crm/documents"
	"github.com/leadd/leadd/crm/imports"
	"github.com/leadd/leadd/crm/scheduler"
	"github.com/leadd/leadd/dedupe"
	"github.com/leadd/leadd/ingest"
	"github.com/leadd/leadd/ingest/forms"
	"github.com/leadd/leadd/ingest/mail"
	outmail "github.com/leadd/leadd/notify/mail"
	"github.com/leadd/leadd/notify/telegram"
	"github.com/leadd/leadd/notify/webhook"
	"github.com/leadd/leadd/payments/robokassa"
	"github.com/leadd/leadd/routing"
	"github.com/leadd/leadd/telephony"
	"github.com/leadd/leadd/telephony/asterisk"
	"github.com/leadd/leadd/telephony/generic"
	"github.com/leadd/leadd/telephony/mango"
	"github.com/leadd/leadd/telephony/twilio"
	"github.com/leadd/leadd/telephony/zadarma"
	"github.com/leadd/leadd/web/api"
	"github.com/leadd/leadd/web/clientip"
	"github.com/leadd/leadd/web/console"
	"github.com/leadd/leadd/web/httperr"
)

// app is the wired daemon: the HTTP handler and the workers behind it.
type app struct {
	store      *crm.Store
	api        *api.Server
	rdb        *redis.Client
	breaker    *ingest.RedisBreaker
	router     *routing.Router
	inbox      *ingest.Inbox
	handler    http.Handler
	processors []*ingest.Processor
	pace       *ingest.Pace // whether processing is behind: the processors but the first help then
	scheduler  *scheduler.Scheduler
	asterisk   *asterisk.Client // nil unless configured
	mailboxes  []*mail.Client
	deliverer  *telegram.Deliverer // nil without a Telegram token
	webhooks   *webhook.Service
	mail       *outmail.Consumer // nil without an SMTP server
	bot        *telegram.Bot
	company    *telegram.Company // its own poller when telegram.company_token is set
	console    *console.Server
	log        *slog.Logger
}

// newApp connects, migrates, seeds and wires every part; close releases it.
func newApp(ctx context.Context, cfg configs.Config, log *slog.Logger) (*app, error) {
	store, err := crm.Open(ctx, cfg.Database.URL, cfg.Database.MaxConns)
	if err != nil {
		return nil, err
	}
	a := &app{store: store, log: log}
	if cfg.Database.ReadURL != "" {
		if err := store.OpenReadPool(ctx, cfg.Database.ReadURL, cfg.Database.MaxConns); err != nil {
			a.close()
			return nil, err
		}
	}
	store.Automation = &crm.Automation{Rules: cfg.Automation}
	if applied, err := store.Migrate(ctx); err != nil {
		a.close()
		return nil, err
	} else if len(applied) > 0 {
		log.Info("migrated", "applied", applied)
	}
	store.SetJunkReasons(cfg.Leads.JunkReasons)
	store.SetTimeZone(cfg.ConsoleLocation())
	store.SetFields(cfg.FieldSet())
	store.SetSourceNames(sourceNames(cfg))
	if err := store.ReconcilePipelines(ctx, cfg.Pipelines); err != nil {
		a.close()
		return nil, err
	}
	if n, err := store.KeyCompanies(ctx); err != nil {
		a.close()
		return nil, err
	} else if n > 0 {
		log.Info("companies keyed by name", "count", n)
	}
	if n, err := store.SeedManagers(ctx, cfg.Seed.Managers); err != nil {
		a.close()
		return nil, err
	} else if n > 0 {
		log.Info("seeded demo managers", "count", n)
		if n, err := store.SeedProducts(ctx, cfg.Seed.Products, cfg.VATRates); err != nil {
			a.close()
			return nil, err
		} else if n > 0 {
			log.Info("seeded the demo catalogue", "count", n)
		}
	}
	if n, err := store.SeedTokens(ctx, cfg.API.Tokens); err != nil {
		a.close()
		return nil, err
	} else if n > 0 {
		log.Info("seeded API tokens from the configuration", "count", n)
	}
	a.breaker = &ingest.RedisBreaker{Cooldown: time.Second, Log: log}
	if a.rdb, err = newRedis(cfg, a.breaker); err != nil {
		a.close()
		return nil, err
	}

	norm := dedupe.Normalizer{Region: cfg.PhoneRegion}
	a.router = routing.NewRouter(routing.NewEngine(cfg.Routing, cfg.FollowUp.SLA), store,
		routing.RedisCursors{Client: a.rdb, Prefix: cfg.Redis.Prefix}, time.Second, log, nil)
	a.warnUnknownMembers(ctx, cfg.Routing)
	lander := &crm.Lander{Assigner: a.router, SLA: cfg.FollowUp.SLA, MissedCallGrace: cfg.FollowUp.MissedCallGrace, Now: time.Now}
	wake := make(chan struct{}, 1)
	// Two writers: while one waits for its commit's flush, the other
	// gathers what queues meanwhile. More writers make smaller groups and
	// more commits for the same posts (docs/benchmarks.md).
	a.inbox = ingest.NewInbox(store.Pool(), func() {
		select {
		case wake <- struct{}{}:
		default:
		}
	}, 2)
	host, _ := os.Hostname()
	// Identity locks live seconds and are extended while their batch runs:
	// a process killed mid-batch holds nobody up for longer than this.
	locks := &ingest.IdentityLocks{Client: a.rdb, Prefix: cfg.Redis.Prefix, TTL: 3 * time.Second}
	pace := &ingest.Pace{}
	a.pace = pace
	for i := range cfg.Processor.Workers {
		a.processors = append(a.processors, &ingest.Processor{Pool: store.Pool(), Lander: lander, Locks: locks, Log: log,
			Owner: fmt.Sprintf("%s/%d/%d", host, os.Getpid(), i), Batch: cfg.Processor.Batch, Poll: cfg.Processor.Poll,
			Linger: cfg.Processor.Linger, Wake: wake, MaxAttempts: cfg.Processor.MaxAttempts, Pace: pace})
		if i > 0 {
			// One processor keeps up with a steady intake; the others help
			// only while events wait (ingest.Pace), and take no nudges, so
			// a nudge always reaches the one that lands. During a burst
			// intake has the machine first: they wait until it passes (the
			// backlog is durable, a sender's timeout is not).
			a.processors[i].Wake = nil
			a.processors[i].Yield = func() bool { return a.inbox.Busy() || !pace.Behind() }
		} else {
			// The one that keeps landing lands a batch per pause, when
			// processor.burst_pause asks for one.
			a.processors[i].Slow, a.processors[i].SlowPause = a.inbox.Busy, cfg.Processor.BurstPause
		}
	}
	a.scheduler = scheduler.New(store.Pool(), a.jobs(cfg), log, nil)

	mux := http.NewServeMux()
	limiter := &ingest.RateLimiter{Client: a.rdb, Prefix: cfg.Redis.Prefix, Now: time.Now}
	fh := forms.New(&cfg.Forms, a.inbox, norm, limiter, log, time.Now)
	fh.Fields = store.FieldSet
	fh.Register(mux)
	intake := &telephony.Intake{Inbox: a.inbox, Norm: norm, Now: time.Now}
	phones := providers(cfg.Telephony)
	hooks := telephony.NewHandler(phones, intake, log)
	// Validate has read every list: the errors are not possible here.
	hooks.Sources = map[string]telephony.Sources{}
	for name, list := range cfg.Telephony.AllowedSources() {
		hooks.Sources[name], _ = telephony.ParseSources(list)
	}
	hooks.Register(mux)
	recordings := telephony.Recordings{}
	for name, p := range phones {
		if r, ok := p.(telephony.Recorder); ok {
			recordings[name] = r
		}
	}
	for _, mb := range cfg.Mail.Mailboxes {
		a.mailboxes = append(a.mailboxes, mail.New(mb, store, mail.InboxAccept(a.inbox), norm, log, time.Now))
	}
	if c := cfg.Telephony.Asterisk; c != nil {
		a.asterisk = &asterisk.Client{Addr: c.Addr, Username: c.Username, Secret: c.Secret, Lines: c.Lines, Log: log,
			Accept: func(ctx context.Context, call telephony.Call) error {
				_, _, err := intake.Accept(ctx, "asterisk", call)
				return err
			}}
	}
	var docs crm.DocumentMaker // a nil interface, not a nil *Renderer, while documents are off
	if cfg.Documents.Enabled() {
		r, err := documents.NewRenderer(cfg.Documents, cfg.VATRates)
		if err != nil {
			a.close()
			return nil, err
		}
		r.Fields = store.FieldSet
		docs = r
	}
	store.Automation.Documents = docs
	if cfg.SMTP.Enabled() {
		a.mail = &outmail.Consumer{Store: store, Mailer: outmail.NewMailer(cfg.SMTP), Log: log,
			Seller:   outmail.Signature{Name: cfg.Documents.Seller.Name, Phone: cfg.Documents.Seller.Phone},
			Location: docLocation(docs)}
		if err := a.mail.Register(ctx); err != nil {
			a.close()
			return nil, err
		}
	} else if err := store.RetireConsumer(ctx, crm.ConsumerMail); err != nil {
		a.close()
		return nil, err
	}
	var registry crm.PartyFinder // a nil interface while lookups are off
	if cfg.Registry.Enabled() {
		registry = documents.NewRegistry(cfg.Registry, store)
	}
	apiServer := api.New(store, api.Options{Phones: norm, SLA: cfg.FollowUp.SLA, StuckDays: cfg.Reports.StuckDays, Cadence: cfg.Cadence(), Lander: lander, VAT: cfg.VATRates, Documents: docs, Registry: registry, Package: cfg.Documents.Package, SendMail: a.mail != nil,
		WebhooksAllowPrivate: cfg.Webhooks.AllowPrivate, Recordings: recordings,
		LoginLinkTTL: cfg.Console.LoginLinkTTL}, log)
	apiServer.Register(mux)
	a.api = apiServer
	if a.console, err = console.New(store, console.Options{Tokens: apiServer.PrincipalOf, SessionTTL: cfg.Console.SessionTTL,
		TimeZone: cfg.Console.TimeZone, SLA: cfg.FollowUp.SLA, Cadence: cfg.Cadence(),
		VAT: cfg.VATRates, Phones: norm, Documents: docs, Package: cfg.Documents.Package, Registry: registry, SendMail: a.mail != nil,
		Importer: &imports.Importer{Store: store, Phones: norm}, Recordings: recordings, Forms: botTexts(cfg).Forms,
		Limiter: limiter}, log); err != nil {
		a.close()
		return nil, fmt.Errorf("console: %w", err)
	}
	if cfg.Robokassa.Enabled() {
		rk := robokassa.New(cfg.Robokassa, cfg.VATRates, store, log)
		rk.Register(mux) // POST and GET /hooks/payments/robokassa
		apiServer.Mount(mux, "POST /api/v1/deals/{id}/payment-link", rk.CreateLink)
		a.console.SetPayments(rk)
	}
	a.console.Register(mux)
	if c := cfg.Telegram; c.Token != "" {
		client, err := telegram.NewClient(telegram.Options{Token: c.Token, Endpoint: c.Endpoint, PerChat: c.PerChat, Global: c.Global})
		if err != nil {
			a.close()
			return nil, fmt.Errorf("telegram: %w", err)
		}
		texts := botTexts(cfg)
		a.deliverer = &telegram.Deliverer{Store: store, Client: client, Log: log, Texts: texts}
		if err := a.deliverer.Register(ctx); err != nil {
			a.close()
			return nil, err
		}
		bot := &telegram.Bot{Store: store, Client: client, Cadence: cfg.Cadence(), Log: log, PollTimeout: c.Poll,
			ConsoleURL: cfg.Console.PublicURL, LoginTTL: cfg.Console.LoginLinkTTL, SLA: cfg.FollowUp.SLA, Texts: texts}
		var ownToken *telegram.Company // a company bot with a token of its own
		if c.Company || c.CompanyToken != "" {
			company := &telegram.Company{Inbox: a.inbox, Client: client, Phones: norm, Log: log, PollTimeout: c.Poll, Texts: texts}
			if c.CompanyToken != "" {
				if company.Client, err = telegram.NewClient(telegram.Options{Token: c.CompanyToken, Endpoint: c.Endpoint,
					PerChat: c.PerChat, Global: c.Global}); err != nil {
					a.close()
					return nil, fmt.Errorf("telegram company bot: %w", err)
				}
				ownToken = company
			}
			bot.Company = company
		}
		switch {
		case c.WebhookSecret != "":
			// Telegram posts updates to every replica alike: nothing polls.
			mux.HandleFunc("POST /hooks/telegram/managers", telegram.Webhook(c.WebhookSecret, bot.HandleUpdate, log))
			if ownToken != nil {
				mux.HandleFunc("POST /hooks/telegram/company", telegram.Webhook(c.WebhookSecret, ownToken.HandleUpdate, log))
			}
		case c.Updates:
			a.bot, a.company = bot, ownToken
		}
	}
	if err := store.SyncWebhookConsumer(ctx); err != nil {
		a.close()
		return nil, err
	}
	a.webhooks = &webhook.Service{Store: store, Log: log, AllowPrivate: cfg.Webhooks.AllowPrivate,
		Timeout: cfg.Webhooks.Timeout, DisableAfter: cfg.Webhooks.DisableAfter}
	if cfg.Telegram.Token == "" {
		// Nobody sends to Telegram: its deliveries would only pile up.
		if err := store.RetireConsumer(ctx, crm.ConsumerTelegram); err != nil {
			a.close()
			return nil, err
		}
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		api.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", a.readyz)
	mux.Handle("GET /metrics", promhttp.Handler())
	// The client address is resolved once, by the trusted proxies, for
	// every handler (clientip.Of).
	a.handler = clientip.New(cfg.TrustedProxies()).Handler(httperr.Guard(mux, log))
	return a, nil
}

// botTexts are the bots' words: telegram.language, and the forms' titles.
func botTexts(cfg configs.Config) *telegram.Texts {
	texts, _ := telegram.TextsFor(cfg.Telegram.Language) // Validate refused any other
	texts.Forms = map[string]string{}
	for name, f := range cfg.Forms.Forms {
		texts.Forms[name] = f.Title
	}
	return texts
}

// sourceNames are the configuration's names of forms and mailboxes, for
// the sources report.
func sourceNames(cfg configs.Config) crm.SourceNames {
	n := crm.SourceNames{Forms: map[string]string{}, Mailboxes: map[string]string{}}
	for key, f := range cfg.Forms.Forms {
		n.Forms[key] = f.Title
	}
	for _, m := range cfg.Mail.Mailboxes {
		if strings.Contains(m.Username, "@") {
			n.Mailboxes[m.Name] = m.Username
		}
	}
	return n
}

// providers are the configured PBX webhooks by name.
func providers(cfg configs.Telephony) map[string]telephony.Provider {
	ps := map[string]telephony.Provider{}
	if c := cfg.Generic; c != nil {
		ps["generic"] = generic.Provider{Secret: c.Secret}
	}
	if c := cfg.Zadarma; c != nil {
		z := zadarma.Provider{Key: c.Key, Secret: c.Secret, API: c.API}
		if c.TimeZone != "" {
			z.Location, _ = time.LoadLocation(c.TimeZone)
		}
		ps["zadarma"] = z
	}
	if c := cfg.Mango; c != nil {
		ps["mango"] = mango.Provider{APIKey: c.APIKey, APISalt: c.APISalt}
	}
	if c := cfg.Twilio; c != nil {
		ps["twilio"] = twilio.Provider{AuthToken: c.AuthToken, PublicURL: cfg.PublicURL}
	}
	return ps
}

func newRedis(cfg configs.Config, breaker *ingest.RedisBreaker) (*redis.Client, error) {
	opts, err := redis.ParseURL(cfg.Redis.URL)
	if err != nil {
		return nil, fmt.Errorf("redis.url: %w", err)
	}
	// Redis only speeds things up: when it is gone, give up on it fast
	// rather than hold a request or a batch — no retries, short timeouts,
	// and a breaker that stops calling it for a second after it failed.
	opts.DialTimeout, opts.ReadTimeout, opts.WriteTimeout = 300*time.Millisecond, 300*time.Millisecond, 300*time.Millisecond
	opts.PoolTimeout = 300 * time.Millisecond
	opts.MaxRetries = -1
	// One dial a time: go-redis would otherwise try five times, 100 ms
	// apart, and every call the breaker lets through to see whether Redis
	// is back would hold its batch for half a second.
	opts.DialerRetries = 1
	c := redis.NewClient(opts)
	c.AddHook(breaker)
	return c, nil
}

// outboxKeep is how long the outbox keeps a row every consumer is done
// with: a manager may reply to a client's message that long after.
const outboxKeep = 90 * 24 * time.Hour

// webhookKeep is how long a webhook message and its attempts are kept
// (and can be replayed).
const webhookKeep = 30 * 24 * time.Hour

// jobs are the periodic jobs, each run once per tick across replicas.
func (a *app) jobs(cfg configs.Config) []scheduler.Job {
	count := func(what string, n int, err error) (string, error) {
		if n == 0 {
			return "", err
		}
		return fmt.Sprintf("%s %d", what, n), err
	}
	return []scheduler.Job{
		{Name: "sla", Spec: "*/15 * * * * *", Tick: 15 * time.Second,
			Run: func(ctx context.Context, tx pgx.Tx, now time.Time) (string, error) {
				n, err := crm.ReassignOverdue(ctx, tx, now, a.router, a.router.Engine().MaxHops(), 500)
				return count("re-assigned", n, err)
			}},
		{Name: "overdue", Spec: "*/30 * * * * *", Tick: 30 * time.Second,
			Run: func(ctx context.Context, tx pgx.Tx, now time.Time) (string, error) {
				n, err := crm.RemindOverdue(ctx, tx, now, 1000)
				return count("reminded", n, err)
			}},
		{Name: "digest", Spec: "0 * * * * *", Tick: time.Minute,
			Run: func(ctx context.Context, tx pgx.Tx, now time.Time) (string, error) {
				n, err := crm.EnqueueDigests(ctx, tx, now, cfg.FollowUp.DigestHour)
				return count("digests", n, err)
			}},
		{Name: "weekly_summary", Spec: "0 * * * * *", Tick: time.Minute,
			Run: func(ctx context.Context, tx pgx.Tx, now time.Time) (string, error) {
				n, err := a.store.EnqueueWeeklySummaries(ctx, tx, now, crm.WeeklyOptions{Hour: cfg.Reports.WeeklyHour, SLA: cfg.FollowUp.SLA,
					BaseURL: cfg.Reports.ConsoleURL})
				return count("weekly summaries", n, err)
			}},
		{Name: "automation", Spec: "*/15 * * * * *", Tick: 15 * time.Second,
			Run: func(ctx context.Context, tx pgx.Tx, now time.Time) (string, error) {
				n, err := a.store.Automation.RunDue(ctx, tx, now, 500)
				return count("automation ran", n, err)
			}},
		{Name: "counts", Spec: "*/10 * * * * *", Tick: 10 * time.Second,
			Run: func(ctx context.Context, tx pgx.Tx, now time.Time) (string, error) {
				n, err := crm.FoldCounts(ctx, tx)
				return count("folded count rows", n, err)
			}},
		{Name: "statistics", Spec: "*/5 * * * * *", Tick: 5 * time.Second,
			Run: func(ctx context.Context, tx pgx.Tx, now time.Time) (string, error) {
				tables, err := crm.AnalyzeGrown(ctx, tx)
				if len(tables) == 0 {
					return "", err
				}
				return "analyzed " + strings.Join(tables, ", "), err
			}},
		{Name: "prune", Spec: "0 17 * * * *", Tick: time.Hour,
			Run: func(ctx context.Context, tx pgx.Tx, now time.Time) (string, error) {
				runs, err := scheduler.Prune(ctx, tx, now.Add(-48*time.Hour))
				if err != nil {
					return "", err
				}
				rows, err := crm.PruneOutbox(ctx, tx, now.Add(-outboxKeep))
				if err != nil {
					return "", err
				}
				msgs, err := crm.PruneWebhooks(ctx, tx, now.Add(-webhookKeep))
				return count("pruned scheduler runs, outbox rows and webhook messages", runs+rows+msgs, err)
			}},
	}
}

// warnUnknownMembers logs pool members that name no manager: the rules
// still load (managers come and go), but the typo is shown.
func (a *app) warnUnknownMembers(ctx context.Context, cfg routing.Config) {
	ms, err := a.store.Managers(ctx)
	if err != nil {
		return
	}
	names := map[string]bool{}
	for _, m := range ms {
		names[m.Name] = true
	}
	for pool, p := range cfg.Pools {
		for i, name := range p.Members {
			if !names[name] {
				a.log.Warn("routing pool member names no manager", "key", fmt.Sprintf("routing.pools.%s.members[%d]", pool, i), "name", name)
			}
		}
	}
}

// reload re-reads the configuration file and swaps the routing rules, the
// pipelines, the VAT rates and the junk reasons; a broken file is refused
// and the running configuration stays (pipelines are reconciled in one
// transaction: a stage removed that holds deals refuses the whole reload).
func (a *app) reload(path string) error {
	cfg, err := configs.Load(path)
	if err != nil {
		return err
	}
	if errs := cfg.Validate(); len(errs) > 0 {
		return errors.Join(errs...)
	}
	if err := a.store.ReconcilePipelines(context.Background(), cfg.Pipelines); err != nil {
		return err
	}
	a.api.SetVAT(cfg.VATRates)
	a.store.SetJunkReasons(cfg.Leads.JunkReasons)
	a.store.SetTimeZone(cfg.ConsoleLocation())
	a.store.SetFields(cfg.FieldSet())
	a.store.SetSourceNames(sourceNames(cfg))
	a.router.SetEngine(routing.NewEngine(cfg.Routing, cfg.FollowUp.SLA))
	a.warnUnknownMembers(context.Background(), cfg.Routing)
	return nil
}

// close releases everything; the HTTP server must have drained first.
func (a *app) close() {
	if a.inbox != nil {
		a.inbox.Close()
	}
	if a.rdb != nil {
		a.rdb.Close()
	}
	a.store.Close()
}

// runWorkers runs the processors and the scheduler until ctx ends; each
// finishes the work it has in hand.
func (a *app) runWorkers(ctx context.Context) error {
	g, ctx := errgroup.WithContext(ctx)
	if len(a.processors) > 1 {
		// The pace looks at the inbox as often as the processors poll it.
		g.Go(func() error { a.pace.Watch(ctx, a.store.Pool(), a.processors[0].Poll); return nil })
	}
	for _, p := range a.processors {
		g.Go(func() error { return p.Run(ctx) })
	}
	g.Go(func() error { return a.scheduler.Run(ctx) })
	if a.asterisk != nil {
		g.Go(func() error { return a.asterisk.Run(ctx) })
	}
	for _, m := range a.mailboxes {
		g.Go(func() error { return m.Run(ctx) })
	}
	if a.deliverer != nil {
		g.Go(func() error { return a.deliverer.Run(ctx) })
	}
	g.Go(func() error { return a.webhooks.Run(ctx) })
	if a.mail != nil {
		g.Go(func() error { return a.mail.Run(ctx) })
	}
	if a.bot != nil {
		g.Go(func() error { return a.bot.Run(ctx) })
	}
	if a.company != nil {
		g.Go(func() error { return a.company.Run(ctx) })
	}
	return g.Wait()
}

// serve runs the HTTP server and the workers until ctx ends, then stops
// taking requests, drains them, and lets the work in flight finish.
// SIGHUP reloads the routing rules from path.
func serve(ctx context.Context, cfg configs.Config, path string, log *slog.Logger) error {
	a, err := newApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.close()
	srv := &http.Server{Addr: cfg.HTTP.Addr, Handler: a.handler, ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute}

	srv.RegisterOnShutdown(a.console.Stop) // live streams must not hold the drain
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		log.Info("listening", "addr", cfg.HTTP.Addr, "version", version)
		if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	})
	g.Go(func() error {
		<-gctx.Done()
		log.Info("shutting down")
		sctx, cancel := context.WithTimeout(context.Background(), cfg.HTTP.ShutdownTimeout)
		defer cancel()
		return srv.Shutdown(sctx)
	})
	g.Go(func() error { return a.runWorkers(gctx) })
	g.Go(func() error { return debugServer(gctx, log) })
	g.Go(func() error {
		hup := make(chan os.Signal, 1)
		signal.Notify(hup, syscall.SIGHUP)
		defer signal.Stop(hup)
		for {
			select {
			case <-gctx.Done():
				return nil
			case <-hup:
				if err := a.reload(path); err != nil {
					log.Error("reload refused; the running rules stay", "config", path, "err", err)
				} else {
					log.Info("routing rules reloaded, with the pipelines, VAT rates, junk reasons and custom fields", "config", path)
				}
			}
		}
	})
	err = g.Wait()
	log.Info("stopped", "err", err)
	return err
}

// readyz answers whether this replica can accept: 200 when Postgres
// answers (Redis down makes it "Degraded", still 200: intake goes on
// without Redis, and a load balancer must not drain every replica for
// it), 503 when Postgres does not. Each dependency is asked at once, in
// parallel, with its own timeout, so one slow is not blamed on another.
func (a *app) readyz(w http.ResponseWriter, r *http.Request) {
	type result struct {
		name string
		err  error
	}
	results := make(chan result, 2)
	ask := func(name string, timeout time.Duration, ping func(context.Context) error) {
		ctx, cancel := context.WithTimeout(r.Context(), timeout)
		defer cancel()
		results <- result{name, ping(ctx)}
	}
	go ask("postgres", 2*time.Second, a.store.Ping)
	go ask("redis", 500*time.Millisecond, func(ctx context.Context) error { return a.rdb.Ping(ctx).Err() })
	checks := map[string]string{}
	status, state := http.StatusOK, "OK"
	for range 2 {
		res := <-results
		switch {
		case res.err == nil:
			checks[res.name] = "ok"
		case res.name == "postgres":
			checks[res.name] = "down: " + res.err.Error()
			status, state = http.StatusServiceUnavailable, "Service Unavailable"
		default:
			checks[res.name] = "degraded: " + res.err.Error()
			if status == http.StatusOK {
				state = "Degraded"
			}
		}
	}
	body := map[string]any{"status": state, "checks": checks}
	// Mailboxes are detail: one being down must not take intake out of
	// the load balancer.
	if len(a.mailboxes) > 0 {
		boxes := make([]mail.Status, 0, len(a.mailboxes))
		for _, m := range a.mailboxes {
			boxes = append(boxes, m.Status())
		}
		body["mailboxes"] = boxes
	}
	api.WriteJSON(w, status, body)
}

// docLocation is where documents are dated; UTC while documents are off.
func docLocation(docs crm.DocumentMaker) *time.Location {
	if docs == nil {
		return time.UTC
	}
	return docs.Location()
}
