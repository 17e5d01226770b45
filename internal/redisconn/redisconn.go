// Package redisconn turns the configured Redis topology — one node
// (redis.url), a Sentinel-watched primary, or a Redis Cluster — into the two
// kinds of connection the product uses: Asynq's RedisConnOpt for the queue,
// and a go-redis UniversalClient for the rate limiter. Both come from the
// same choice, so the queue and the limits never end up on different Redis
// deployments.
package redisconn

import (
	"strings"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/relaybook/relaybook/config"
)

// Kind names a topology.
type Kind string

const (
	Single   Kind = "single"
	Sentinel Kind = "sentinel"
	Cluster  Kind = "cluster"
)

// Conn is how this process reaches Redis.
type Conn struct {
	kind   Kind
	single *redis.Options // Single: parsed redis.url
	master string         // Sentinel: the monitored name
	addrs  []string       // Sentinel: the Sentinels; Cluster: seed nodes
}

// New reads the topology from the configuration (config.Load has already
// made sure at most one of Sentinel and Cluster is set).
func New(cfg config.Redis) (Conn, error) {
	switch {
	case len(cfg.Cluster.Addrs) > 0:
		return Conn{kind: Cluster, addrs: cfg.Cluster.Addrs}, nil
	case cfg.Sentinel.Master != "":
		return Conn{kind: Sentinel, master: cfg.Sentinel.Master, addrs: cfg.Sentinel.Addrs}, nil
	}
	opts, err := redis.ParseURL(cfg.URL)
	if err != nil {
		return Conn{}, &config.Error{Key: "redis.url", Msg: err.Error()}
	}
	return Conn{kind: Single, single: opts}, nil
}

// Kind reports the topology.
func (c Conn) Kind() Kind { return c.kind }

// String describes the connection for logs: no password.
func (c Conn) String() string {
	switch c.kind {
	case Sentinel:
		return "sentinel " + c.master + "@" + strings.Join(c.addrs, ",")
	case Cluster:
		return "cluster " + strings.Join(c.addrs, ",")
	}
	return c.single.Addr
}

// Asynq returns the queue's connection options.
func (c Conn) Asynq() asynq.RedisConnOpt {
	switch c.kind {
	case Sentinel:
		return asynq.RedisFailoverClientOpt{MasterName: c.master, SentinelAddrs: c.addrs}
	case Cluster:
		return asynq.RedisClusterClientOpt{Addrs: c.addrs}
	}
	o := c.single
	return asynq.RedisClientOpt{
		Network: o.Network, Addr: o.Addr, Username: o.Username, Password: o.Password, DB: o.DB,
		DialTimeout: o.DialTimeout, ReadTimeout: o.ReadTimeout, WriteTimeout: o.WriteTimeout,
		PoolSize: o.PoolSize, TLSConfig: o.TLSConfig,
	}
}

// Client returns a go-redis client that keeps at least minIdle connections
// open (per node on a Cluster), so a latency-bound caller such as the rate
// limiter does not meet a burst with a burst of dials. The caller closes it.
func (c Conn) Client(minIdle int) redis.UniversalClient {
	switch c.kind {
	case Sentinel:
		return redis.NewFailoverClient(&redis.FailoverOptions{
			MasterName: c.master, SentinelAddrs: c.addrs, MinIdleConns: minIdle,
		})
	case Cluster:
		return redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.addrs, MinIdleConns: minIdle})
	}
	o := *c.single
	o.MinIdleConns = max(o.MinIdleConns, minIdle)
	return redis.NewClient(&o)
}
