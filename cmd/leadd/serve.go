package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/redis/go-redis/v9"
	"golang.org/x/sync/errgroup"

	"github.com/leadd/leadd/configs"
	"github.com/leadd/leadd/crm"
	"github.com/leadd/leadd/crm/api"
	"github.com/leadd/leadd/dedupe"
	"github.com/leadd/leadd/ingest"
	"github.com/leadd/leadd/ingest/forms"
	"github.com/leadd/leadd/routing"
)

// app is the wired daemon: the HTTP handler and the workers behind it.
type app struct {
	store      *crm.Store
	rdb        *redis.Client
	handler    http.Handler
	processors []*ingest.Processor
}

// newApp connects, migrates, seeds and wires every part; close releases it.
func newApp(ctx context.Context, cfg configs.Config, log *slog.Logger) (*app, error) {
	store, err := crm.Open(ctx, cfg.Database.URL, cfg.Database.MaxConns)
	if err != nil {
		return nil, err
	}
	a := &app{store: store}
	if applied, err := store.Migrate(ctx); err != nil {
		a.close()
		return nil, err
	} else if len(applied) > 0 {
		log.Info("migrated", "applied", applied)
	}
	if n, err := store.SeedManagers(ctx, cfg.Seed.Managers); err != nil {
		a.close()
		return nil, err
	} else if n > 0 {
		log.Info("seeded demo managers", "count", n)
	}
	ropts, err := redis.ParseURL(cfg.Redis.URL)
	if err != nil {
		a.close()
		return nil, fmt.Errorf("redis.url: %w", err)
	}
	// Redis only speeds things up: when it is gone, give up on it fast
	// rather than hold a request or a batch.
	ropts.DialTimeout, ropts.ReadTimeout, ropts.WriteTimeout = 300*time.Millisecond, 300*time.Millisecond, 300*time.Millisecond
	ropts.MaxRetries = 1
	a.rdb = redis.NewClient(ropts)

	norm := dedupe.Normalizer{Region: cfg.PhoneRegion}
	router := routing.NewRouter(store, routing.RedisCursors{Client: a.rdb, Prefix: cfg.Redis.Prefix}, 2*time.Second, log)
	lander := &crm.Lander{Assigner: router, SLA: cfg.FollowUp.SLA, Now: time.Now}
	wake := make(chan struct{}, 1)
	inbox := ingest.NewInbox(store.Pool(), func() {
		select {
		case wake <- struct{}{}:
		default:
		}
	})
	host, _ := os.Hostname()
	locks := &ingest.IdentityLocks{Client: a.rdb, Prefix: cfg.Redis.Prefix, TTL: 30 * time.Second}
	for i := range cfg.Processor.Workers {
		a.processors = append(a.processors, &ingest.Processor{Pool: store.Pool(), Lander: lander, Locks: locks, Log: log,
			Owner: fmt.Sprintf("%s/%d/%d", host, os.Getpid(), i), Batch: cfg.Processor.Batch, Poll: cfg.Processor.Poll, Wake: wake})
	}

	mux := http.NewServeMux()
	limiter := &ingest.RateLimiter{Client: a.rdb, Prefix: cfg.Redis.Prefix, Now: time.Now}
	forms.New(&cfg.Forms, inbox, norm, limiter, log, time.Now).Register(mux)
	api.New(store, cfg.API.Tokens, norm, log).Register(mux)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		api.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", a.readyz)
	mux.Handle("GET /metrics", promhttp.Handler())
	a.handler = mux
	return a, nil
}

func (a *app) close() {
	if a.rdb != nil {
		a.rdb.Close()
	}
	a.store.Close()
}

// runWorkers runs the processors until ctx ends; each finishes its batch.
func (a *app) runWorkers(ctx context.Context) error {
	g, ctx := errgroup.WithContext(ctx)
	for _, p := range a.processors {
		g.Go(func() error { return p.Run(ctx) })
	}
	return g.Wait()
}

// serve runs the HTTP server and the workers until ctx ends, then stops
// taking requests, drains them, and lets the batches in flight finish.
func serve(ctx context.Context, cfg configs.Config, log *slog.Logger) error {
	a, err := newApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.close()
	srv := &http.Server{Addr: cfg.HTTP.Addr, Handler: a.handler, ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute}

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
	err = g.Wait()
	log.Info("stopped", "err", err)
	return err
}

// readyz answers 200 when Postgres and Redis answer, 503 otherwise, with
// the state of each.
func (a *app) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	checks := map[string]string{"postgres": "ok", "redis": "ok"}
	status := http.StatusOK
	if err := a.store.Ping(ctx); err != nil {
		checks["postgres"], status = err.Error(), http.StatusServiceUnavailable
	}
	if err := a.rdb.Ping(ctx).Err(); err != nil {
		checks["redis"], status = err.Error(), http.StatusServiceUnavailable
	}
	api.WriteJSON(w, status, map[string]any{"status": http.StatusText(status), "checks": checks})
}
