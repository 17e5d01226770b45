package config

import (
	"net"
	"strconv"
	"strings"
)

// Redis is one of three topologies: URL (one node), Sentinel, or Cluster.
// Load leaves at most one of Sentinel and Cluster set; when either is, URL
// is ignored.
type Redis struct {
	URL      string
	Sentinel RedisSentinel
	Cluster  RedisCluster
}

type RedisSentinel struct {
	Master string
	Addrs  []string
}

type RedisCluster struct {
	Addrs []string
}

// Queue is how deliveries spread over Redis: Shards queues (queue.shards).
type Queue struct {
	Shards int
}

// redis reads the Redis topology: redis.url, unless a Sentinel or Cluster
// is configured, in which case redis.url is ignored (not even checked, so
// a leftover default never gets in the way).
func (p *parser) redis() Redis {
	r := Redis{
		Sentinel: RedisSentinel{
			Master: p.str("redis.sentinel.master"),
			Addrs:  p.hostPorts("redis.sentinel.addrs"),
		},
		Cluster: RedisCluster{Addrs: p.hostPorts("redis.cluster.addrs")},
	}
	sentinel := r.Sentinel.Master != "" || len(r.Sentinel.Addrs) > 0
	switch {
	case sentinel && len(r.Cluster.Addrs) > 0:
		p.fail("redis.cluster.addrs", "cannot be set together with redis.sentinel.master/redis.sentinel.addrs: choose Sentinel or Cluster")
	case r.Sentinel.Master != "" && len(r.Sentinel.Addrs) == 0:
		p.fail("redis.sentinel.addrs", "is required with redis.sentinel.master: list the Sentinels as host:port,host:port")
	case r.Sentinel.Master == "" && len(r.Sentinel.Addrs) > 0:
		p.fail("redis.sentinel.master", "is required with redis.sentinel.addrs: the name the Sentinels monitor the primary under")
	case !sentinel && len(r.Cluster.Addrs) == 0:
		r.URL = p.url("redis.url", "redis", "rediss")
	}
	return r
}

// hostPorts reads a list of host:port addresses, as a YAML list or a
// comma-separated string (the environment's form). Empty is no list.
func (p *parser) hostPorts(key string) []string {
	s := p.raw(key)
	if s == "" {
		return nil
	}
	var out []string
	for _, part := range strings.Split(s, ",") {
		addr := strings.TrimSpace(part)
		host, port, err := net.SplitHostPort(addr)
		if n, perr := strconv.Atoi(port); err != nil || host == "" || perr != nil || n <= 0 || n > 65535 {
			p.fail(key, "%q is not a host:port address (a comma-separated list like 10.0.0.1:6379,10.0.0.2:6379)", addr)
			return nil
		}
		out = append(out, addr)
	}
	return out
}

// maxShards bounds queue.shards: every worker polls every shard, so a
// number far beyond the Redis nodes only adds idle polling.
const maxShards = 256

func (p *parser) shards(key string) int {
	n := p.positiveInt(key)
	if n > maxShards {
		p.fail(key, "must be at most %d, got %d", maxShards, n)
	}
	return n
}
