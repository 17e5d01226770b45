package cli

import (
	"log/slog"
	"time"

	"github.com/hibiken/asynq"

	"github.com/relaybook/relaybook/config"
	"github.com/relaybook/relaybook/internal/queue"
	"github.com/relaybook/relaybook/internal/redisconn"
	"github.com/relaybook/relaybook/internal/relaybook"
)

// newDispatcher builds the dispatcher that admin commands and the API use
// to hand new delivery jobs to the queue after commit. It never fails for a
// Redis that is down: jobs then wait in PostgreSQL for the sweeper.
func newDispatcher(cfg *config.Config) (relaybook.Dispatcher, func(), error) {
	opt, err := redisOpt(cfg)
	if err != nil {
		return nil, nil, err
	}
	client := asynq.NewClient(opt)
	d := queue.NewDispatcher(&queue.Enqueuer{Client: client, Queue: queue.DefaultQueue, Shards: cfg.Queue.Shards, DeliveryTimeout: cfg.Delivery.Timeout}, slog.Default())
	return d, func() {
		d.Close(3 * time.Second)
		client.Close()
	}, nil
}

// redisOpt is Asynq's connection to the configured Redis (one node,
// Sentinel or Cluster). internal/redisconn is the one parser of redis.url:
// serve's rate limiter gets its client from the same Conn, so the queue and
// the limits always agree on the server, the database and the credentials,
// ACL user included.
func redisOpt(cfg *config.Config) (asynq.RedisConnOpt, error) {
	conn, err := redisconn.New(cfg.Redis)
	if err != nil {
		return nil, err
	}
	return conn.Asynq(), nil
}
