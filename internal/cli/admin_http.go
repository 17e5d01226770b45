package cli

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/relaybook/relaybook/internal/health"
)

// readiness is /readyz for serve and the worker: PostgreSQL and Redis must
// both answer. Why one is down goes to the log, not to the prober.
func readiness(log *slog.Logger, pingDB func(context.Context) error, pingRedis func(context.Context) *redis.StatusCmd) http.Handler {
	return health.Ready([]health.Check{
		{Name: "postgresql", Ping: pingDB},
		{Name: "redis", Ping: func(ctx context.Context) error { return pingRedis(ctx).Err() }},
	}, func(name string, err error) {
		log.Warn("readiness check failed", "check", name, "error", err.Error())
	})
}

// startAdmin serves the worker's /livez, /readyz and /metrics on addr
// (worker.admin_addr) until ctx ends. Its own listener and mux: nothing of
// the API is there, and nothing of it needs authentication.
func startAdmin(ctx context.Context, addr string, ready, metricsHandler http.Handler, log *slog.Logger) (net.Addr, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("GET /livez", health.Live())
	mux.Handle("GET /readyz", ready)
	mux.Handle("GET /metrics", metricsHandler)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Warn("admin listener stopped", "addr", addr, "error", err.Error())
		}
	}()
	go func() {
		<-ctx.Done()
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdownCtx)
	}()
	return ln.Addr(), nil
}
