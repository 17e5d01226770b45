package cli

import (
	"context"
	"time"

	"github.com/spf13/cobra"

	"github.com/relaybook/relaybook/internal/delivery"
	"github.com/relaybook/relaybook/internal/metrics"
	"github.com/relaybook/relaybook/internal/queue"
)

// workerOptions hold the Factory itself, like serve's.
type workerOptions struct {
	Factory     *Factory
	Concurrency int // --concurrency; the worker reads it as worker.concurrency
}

func newCmdWorker(f *Factory, runF func(*workerOptions) error) *cobra.Command {
	opts := &workerOptions{Factory: f}
	cmd := &cobra.Command{
		Use:   "worker",
		Short: "Run a delivery worker (run as many as you like)",
		Long: `Run a delivery worker: take delivery tasks from Redis, sign and POST each
payload, retry on the schedule (delivery.retry_delays), and log every attempt
in PostgreSQL. It also sweeps PostgreSQL for due deliveries that Redis lost.
SIGTERM stops taking tasks and lets in-flight ones finish.

It serves /livez, /readyz and /metrics on worker.admin_addr
(127.0.0.1:9464 by default; empty turns the listener off).`,
		Args: requireArgs(),
		RunE: func(cmd *cobra.Command, args []string) error {
			return run(cmd.Context(), opts, runF, workerRun)
		},
	}
	cmd.Flags().IntVar(&opts.Concurrency, "concurrency", 0, "deliveries in flight (default: worker.concurrency)")
	f.ConfigFlags["worker.concurrency"] = cmd.Flags().Lookup("concurrency")
	return cmd
}

func workerRun(ctx context.Context, opts *workerOptions) error {
	cfg, err := requireSetting(opts.Factory.Config, "security.encryption_key")
	if err != nil {
		return err
	}
	db, log, err := opts.Factory.startProcess(ctx, cfg)
	if err != nil {
		return err
	}
	opt, err := redisOpt(cfg)
	if err != nil {
		return err
	}
	reg := metrics.NewRegistry()
	if err := startWorkerAdmin(ctx, opts.Factory, cfg, reg, db.Ping, opt, log); err != nil {
		return err
	}
	w, err := delivery.StartWorker(delivery.WorkerConfig{
		Store:                db,
		Redis:                opt,
		Queue:                queue.DefaultQueue,
		Shards:               cfg.Queue.Shards,
		Concurrency:          cfg.Worker.Concurrency,
		PollInterval:         cfg.Worker.PollInterval,
		Timeout:              cfg.Delivery.Timeout,
		RetryDelays:          cfg.Delivery.RetryDelays,
		AllowPrivateNetworks: cfg.Webhooks.AllowPrivateNetworks,
		SweepInterval:        cfg.Worker.SweepInterval,
		SweepGrace:           cfg.Worker.SweepGrace,
		ShutdownTimeout:      cfg.Worker.ShutdownTimeout,
		Retention:            &delivery.Retention{Store: db, Period: cfg.Retention.Period, Pause: delivery.DefaultPrunePause, Log: log},
		Log:                  log,
		Observer:             metrics.NewDelivery(reg),
	})
	if err != nil {
		return err
	}
	log.Info("worker started", "concurrency", cfg.Worker.Concurrency, "queue", queue.DefaultQueue,
		"retry_delays", cfg.Delivery.RetryDelays, "timeout", cfg.Delivery.Timeout)
	<-ctx.Done()
	log.Info("worker stopping: finishing in-flight deliveries", "timeout", cfg.Worker.ShutdownTimeout)
	start := time.Now()
	w.Stop()
	log.Info("worker stopped", "after", time.Since(start).Round(time.Millisecond))
	return nil
}
