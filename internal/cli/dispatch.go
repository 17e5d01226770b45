package cli

import (
	"log/slog"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/relaybook/relaybook/config"
	"github.com/relaybook/relaybook/internal/queue"
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
	d := queue.NewDispatcher(&queue.Enqueuer{Client: client, Queue: queue.DefaultQueue, DeliveryTimeout: cfg.Delivery.Timeout}, slog.Default())
	return d, func() {
		d.Close(3 * time.Second)
		client.Close()
	}, nil
}

// redisOptions parses redis.url. It is the one parser of the URL: serve's
// rate limiter takes the options as they are and Asynq takes the same
// settings (redisOpt), so the queue and the limits always agree on the
// server, the database and the credentials, ACL user included.
func redisOptions(cfg *config.Config) (*redis.Options, error) {
	opts, err := redis.ParseURL(cfg.Redis.URL)
	if err != nil {
		return nil, &config.Error{Key: "redis.url", Msg: err.Error()}
	}
	return opts, nil
}

// redisOpt is Asynq's connection to redis.url.
func redisOpt(cfg *config.Config) (asynq.RedisConnOpt, error) {
	o, err := redisOptions(cfg)
	if err != nil {
		return nil, err
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
