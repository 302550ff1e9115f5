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

// serve runs the HTTP server and the inbox processors until ctx ends, then
// stops taking requests, drains them, and lets the batches in flight finish.
func serve(ctx context.Context, cfg configs.Config, log *slog.Logger) error {
	store, err := crm.Open(ctx, cfg.Database.URL, cfg.Database.MaxConns)
	if err != nil {
		return err
	}
	defer store.Close()
	if applied, err := store.Migrate(ctx); err != nil {
		return err
	} else if len(applied) > 0 {
		log.Info("migrated", "applied", applied)
	}
	if n, err := store.SeedManagers(ctx, cfg.Seed.Managers); err != nil {
		return err
	} else if n > 0 {
		log.Info("seeded demo managers", "count", n)
	}

	ropts, err := redis.ParseURL(cfg.Redis.URL)
	if err != nil {
		return fmt.Errorf("redis.url: %w", err)
	}
	rdb := redis.NewClient(ropts)
	defer rdb.Close()

	norm := dedupe.Normalizer{Region: cfg.PhoneRegion}
	router := routing.NewRouter(store, routing.RedisCursors{Client: rdb, Prefix: cfg.Redis.Prefix}, 2*time.Second, log)
	lander := &crm.Lander{Assigner: router, SLA: cfg.FollowUp.SLA, Now: time.Now}

	wake := make(chan struct{}, 1)
	inbox := ingest.NewInbox(store.Pool(), func() {
		select {
		case wake <- struct{}{}:
		default:
		}
	})
	host, _ := os.Hostname()
	locks := &ingest.IdentityLocks{Client: rdb, Prefix: cfg.Redis.Prefix, TTL: 30 * time.Second}

	mux := http.NewServeMux()
	forms.New(&cfg.Forms, inbox, norm, &ingest.RateLimiter{Client: rdb, Prefix: cfg.Redis.Prefix, Now: time.Now}, log, time.Now).Register(mux)
	api.New(store, cfg.API.Tokens, norm, log).Register(mux)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		api.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", readyz(store, rdb))
	mux.Handle("GET /metrics", promhttp.Handler())

	srv := &http.Server{Addr: cfg.HTTP.Addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second,
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
		sctx, cancel := context.WithTimeout(context.Background(), cfg.HTTP.ShutdownTimeout)
		defer cancel()
		log.Info("shutting down")
		return srv.Shutdown(sctx)
	})
	for i := range cfg.Processor.Workers {
		p := &ingest.Processor{Pool: store.Pool(), Lander: lander, Locks: locks, Log: log,
			Owner: fmt.Sprintf("%s/%d/%d", host, os.Getpid(), i), Batch: cfg.Processor.Batch, Poll: cfg.Processor.Poll, Wake: wake}
		g.Go(func() error { return p.Run(gctx) })
	}
	err = g.Wait()
	log.Info("stopped", "err", err)
	return err
}

// readyz answers 200 when Postgres and Redis answer, 503 otherwise, with
// the state of each.
func readyz(store *crm.Store, rdb *redis.Client) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		checks := map[string]string{"postgres": "ok", "redis": "ok"}
		status := http.StatusOK
		if err := store.Ping(ctx); err != nil {
			checks["postgres"], status = err.Error(), http.StatusServiceUnavailable
		}
		if err := rdb.Ping(ctx).Err(); err != nil {
			checks["redis"], status = err.Error(), http.StatusServiceUnavailable
		}
		api.WriteJSON(w, status, map[string]any{"status": http.StatusText(status), "checks": checks})
	}
}
