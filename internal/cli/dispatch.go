package cli

import (
	"log/slog"
	"time"

	"github.com/hibiken/asynq"

	"github.com/relaybook/relaybook/config"
	"github.com/relaybook/relaybook/internal/queue"
	"github.com/relaybook/relaybook/internal/relaybook"
)

// newDispatcher builds the dispatcher that admin commands and the API use
// to hand new delivery jobs to the queue after commit. It never fails for a
// Redis that is down: jobs then wait in PostgreSQL for the sweeper.
func newDispatcher(cfg *config.Config) (relaybook.Dispatcher, func(), error) {
	opt, err := asynqRedis(cfg)
	if err != nil {
		return nil, nil, err
	}
	client := asynq.NewClient(opt)
	d := queue.NewDispatcher(&queue.Enqueuer{Client: client, Queue: queue.DefaultQueue, DeliveryTimeout: cfg.Delivery.Timeout}, slog.Default())
	return d, func() {
		d.Close(3 * time.Second)
		client.Close()
	}, nil
}

// asynqRedis gives Asynq the connection settings of redis.url, as the
// configuration parsed them for every Redis client of the process.
func asynqRedis(cfg *config.Config) (asynq.RedisClientOpt, error) {
	o, err := cfg.Redis.Options()
	if err != nil {
		return asynq.RedisClientOpt{}, err
	}
	return asynq.RedisClientOpt{
		Network:      o.Network,
		Addr:         o.Addr,
		Username:     o.Username,
		Password:     o.Password,
		DB:           o.DB,
		DialTimeout:  o.DialTimeout,
		ReadTimeout:  o.ReadTimeout,
		WriteTimeout: o.WriteTimeout,
		PoolSize:     o.PoolSize,
		TLSConfig:    o.TLSConfig,
	}, nil
}
