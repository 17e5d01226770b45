package cli

import (
	"time"

	"github.com/spf13/cobra"

	"github.com/relaybook/relaybook/internal/delivery"
	"github.com/relaybook/relaybook/internal/queue"
)

func newCmdWorker(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "worker",
		Short: "Run a delivery worker (run as many as you like)",
		Long: `Run a delivery worker: take delivery tasks from Redis, sign and POST each
payload, retry on the schedule (delivery.retry_delays), and log every attempt
in PostgreSQL. It also sweeps PostgreSQL for due deliveries that Redis lost.
SIGTERM stops taking tasks and lets in-flight ones finish.`,
		Args: requireArgs(),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := f.Config()
			if err != nil {
				return err
			}
			if err := cfg.Require("security.encryption_key"); err != nil {
				return err
			}
			tuneGC()
			log := newLogger(f.IO.ErrOut)
			startPprof(cfg.Debug.PprofAddr, log)
			db, err := f.DB(cmd.Context())
			if err != nil {
				return err
			}
			if err := db.Warm(cmd.Context(), cfg.Database.MaxConns); err != nil {
				return err
			}
			opt, err := redisOpt(cfg)
			if err != nil {
				return err
			}
			w, err := delivery.StartWorker(delivery.WorkerConfig{
				DB:                   db,
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
				Log:                  log,
			})
			if err != nil {
				return err
			}
			log.Info("worker started", "concurrency", cfg.Worker.Concurrency, "queue", queue.DefaultQueue,
				"retry_delays", cfg.Delivery.RetryDelays, "timeout", cfg.Delivery.Timeout)
			<-cmd.Context().Done()
			log.Info("worker stopping: finishing in-flight deliveries", "timeout", cfg.Worker.ShutdownTimeout)
			start := time.Now()
			w.Stop()
			log.Info("worker stopped", "after", time.Since(start).Round(time.Millisecond))
			return nil
		},
	}
	cmd.Flags().Int("concurrency", 0, "deliveries in flight (default: worker.concurrency)")
	f.ConfigFlags["worker.concurrency"] = cmd.Flags().Lookup("concurrency")
	return cmd
}
