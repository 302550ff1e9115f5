package main

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	_ "net/http/pprof" // registers /debug/pprof/ on http.DefaultServeMux, served only here
	"os"
	"time"
)

// debugServer serves Go's profiles (net/http/pprof) on LEADD_DEBUG_ADDR
// when it is set — a loopback address for whoever measures the daemon
// (`make bench` with BENCH_PROFILE=1), never the public one. It runs until
// ctx ends.
func debugServer(ctx context.Context, log *slog.Logger) error {
	addr := os.Getenv("LEADD_DEBUG_ADDR")
	if addr == "" {
		return nil
	}
	// The daemon's own handler is a mux of its own: the profiles are
	// reachable on this listener alone.
	srv := &http.Server{Addr: addr, Handler: http.DefaultServeMux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		_ = srv.Shutdown(context.Background())
	}()
	log.Info("profiles served", "addr", addr)
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
