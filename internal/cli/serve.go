package cli

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/spf13/cobra"

	"github.com/relaybook/relaybook/config"
	"github.com/relaybook/relaybook/internal/api"
	"github.com/relaybook/relaybook/internal/livestream"
	"github.com/relaybook/relaybook/internal/metrics"
	"github.com/relaybook/relaybook/internal/ratelimit"
	"github.com/relaybook/relaybook/internal/redisconn"
)

// rateLimitWindow is the rolling window of ratelimit.per_minute.
const rateLimitWindow = time.Minute

// liveQueue bounds the events waiting to be published to live listeners;
// liveBuffer bounds each listener's backlog on its serve process. Past
// either, events are dropped (and counted) rather than slowing anything.
const (
	liveQueue  = 4096
	liveBuffer = 256
)

// serveOptions hold the Factory itself: serve is wiring, and builds the
// database, the Redis client and the API server through it.
type serveOptions struct {
	Factory *Factory
	Addr    string // --addr; serve reads it as server.addr
}

func newCmdServe(f *Factory, runF func(*serveOptions) error) *cobra.Command {
	opts := &serveOptions{Factory: f}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the REST API server",
		Long: `Run the REST API: /api/v1 for API keys (contacts, books, labels) and
/api/teams/{team_id}/webhooks for team admins (JWT), plus GET /healthz,
/livez, /readyz, /metrics and /openapi.json without authentication.

Needs auth.jwt_secret and security.encryption_key. Runs until SIGINT or
SIGTERM, then lets in-flight requests finish (server.shutdown_timeout).
If Redis is down, the API keeps serving and rate-limits per process.`,
		Args: requireArgs(),
		RunE: func(cmd *cobra.Command, args []string) error {
			return run(cmd.Context(), opts, runF, serveRun)
		},
	}
	cmd.Flags().StringVar(&opts.Addr, "addr", "", "listen address, like :8080 or 127.0.0.1:8080 (server.addr)")
	// Registered before Config() first runs, so --addr overrides the file
	// and RELAYBOOK_SERVER_ADDR.
	f.ConfigFlags["server.addr"] = cmd.Flags().Lookup("addr")
	return cmd
}

func serveRun(ctx context.Context, opts *serveOptions) error {
	cfg, err := requireSetting(opts.Factory.Config, "auth.jwt_secret", "security.encryption_key")
	if err != nil {
		return err
	}
	redisConn, err := redisconn.New(cfg.Redis)
	if err != nil {
		return err
	}
	db, log, err := opts.Factory.startProcess(ctx, cfg)
	if err != nil {
		return err
	}
	// Keep Redis connections ready too: the rate limiter allows itself
	// 100 ms per call, which a burst of dials at start would blow.
	rdb := redisConn.Client(16)
	defer rdb.Close()
	pingCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
	if err := rdb.Ping(pingCtx).Err(); err != nil {
		log.Warn("redis unreachable at start; rate limiting falls back to a per-process limit until it answers",
			"redis", redisConn.String(), "error", err.Error())
	}
	cancel()

	limiter, err := ratelimit.New(rdb, cfg.RateLimit.PerMinute, rateLimitWindow, ratelimit.WithLogger(log))
	if err != nil {
		return &config.Error{Key: "ratelimit.per_minute", Msg: err.Error()}
	}
	defer limiter.Close()
	reg := metrics.NewRegistry()
	// Live streams for `relaybook listen`: events published after commit
	// reach listeners on every serve process through Redis pub/sub.
	publisher := livestream.NewPublisher(rdb, liveQueue, log)
	defer publisher.Close()
	db.Events = publisher
	srv := api.NewServer(apiServices(db, cfg), api.Options{
		JWTSecret: []byte(cfg.Auth.JWTSecret),
		Limiter:   limiter,
		Logger:    log,
		Ping:      db.Ping,
		Ready:     readiness(log, db.Ping, rdb.Ping),
		Metrics:   metrics.Handler(reg),
		Observer:  metrics.NewHTTP(reg),
		Events:    livestream.NewHub(ctx, rdb, liveBuffer, log),
	})

	ln, err := net.Listen("tcp", cfg.Server.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s (server.addr): %w", cfg.Server.Addr, err)
	}
	log.Info("relaybook serve listening", "addr", ln.Addr().String(), "version", version(),
		"rate_limit_per_minute", cfg.RateLimit.PerMinute)
	if err := srv.Serve(ctx, ln, cfg.Server.ShutdownTimeout); err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	log.Info("relaybook serve stopped")
	return nil
}
