package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/relaybook/relaybook/config"
	"github.com/relaybook/relaybook/internal/health"
	"github.com/relaybook/relaybook/internal/metrics"
	"github.com/relaybook/relaybook/internal/queue"
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

// backlogRefresh is how often the worker reads the backlog gauges from
// PostgreSQL: often enough for an alert, rare enough to cost nothing.
const backlogRefresh = 5 * time.Second

// startWorkerAdmin registers the worker's gauges (the backlog from
// PostgreSQL, Asynq's queue sizes from Redis) and serves /livez, /readyz and
// /metrics on worker.admin_addr, until ctx ends. Empty admin_addr: nothing.
func startWorkerAdmin(ctx context.Context, f *Factory, cfg *config.Config, reg *prometheus.Registry,
	pingDB func(context.Context) error, opt asynq.RedisConnOpt, log *slog.Logger) error {
	if cfg.Worker.AdminAddr == "" {
		return nil
	}
	status, err := f.Status(ctx)
	if err != nil {
		return err
	}
	go metrics.NewBacklog(reg, status, log).Run(ctx, backlogRefresh)
	inspector := asynq.NewInspector(opt)
	metrics.NewQueues(reg, inspector, queue.DefaultQueue)
	rdb, ok := opt.MakeRedisClient().(redis.UniversalClient)
	if !ok {
		return fmt.Errorf("redis: unexpected client type for readiness")
	}
	addr, err := startAdmin(ctx, cfg.Worker.AdminAddr, readiness(log, pingDB, rdb.Ping), metrics.Handler(reg), log)
	if err != nil {
		// Delivering matters more than being scraped: a second worker on
		// a host with the default address still delivers, and says loudly
		// that it serves no metrics until it gets an address of its own.
		log.Warn("worker admin listener off: cannot listen; give each worker on this host its own worker.admin_addr",
			"addr", cfg.Worker.AdminAddr, "error", err.Error())
		rdb.Close()
		inspector.Close()
		return nil
	}
	go func() {
		<-ctx.Done()
		inspector.Close()
		rdb.Close()
	}()
	log.Info("worker admin listening", "addr", addr.String(), "paths", "/livez /readyz /metrics")
	return nil
}
