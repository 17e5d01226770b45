package redisconn_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/relaybook/relaybook/config"
	"github.com/relaybook/relaybook/internal/redisconn"
)

// TestTopologies: each configured topology gives the matching Asynq option
// and go-redis client, and logs never show a password. (Talking to a real
// Sentinel and Cluster is tested in internal/scaleout.)
func TestTopologies(t *testing.T) {
	cases := []struct {
		name   string
		cfg    config.Redis
		kind   redisconn.Kind
		asynq  any
		client any
		logs   string
	}{
		{"url", config.Redis{URL: "redis://:hunter2@127.0.0.1:6390/3"}, redisconn.Single,
			asynq.RedisClientOpt{}, &redis.Client{}, "127.0.0.1:6390"},
		{"sentinel", config.Redis{Sentinel: config.RedisSentinel{Master: "m", Addrs: []string{"a:1", "b:2"}}}, redisconn.Sentinel,
			asynq.RedisFailoverClientOpt{}, &redis.Client{}, "sentinel m@a:1,b:2"},
		{"cluster", config.Redis{Cluster: config.RedisCluster{Addrs: []string{"a:1", "b:2"}}}, redisconn.Cluster,
			asynq.RedisClusterClientOpt{}, &redis.ClusterClient{}, "cluster a:1,b:2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			conn, err := redisconn.New(c.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if conn.Kind() != c.kind {
				t.Errorf("kind %s, want %s", conn.Kind(), c.kind)
			}
			if got, want := typeName(conn.Asynq()), typeName(c.asynq); got != want {
				t.Errorf("asynq option %s, want %s", got, want)
			}
			client := conn.Client(4)
			defer client.Close()
			if got, want := typeName(client), typeName(c.client); got != want {
				t.Errorf("client %s, want %s", got, want)
			}
			if s := conn.String(); s != c.logs || strings.Contains(s, "hunter2") {
				t.Errorf("String() = %q, want %q", s, c.logs)
			}
		})
	}
}

func TestURLKeepsItsSettings(t *testing.T) {
	conn, err := redisconn.New(config.Redis{URL: "redis://user:pw@127.0.0.1:6390/3?pool_size=7"})
	if err != nil {
		t.Fatal(err)
	}
	opt := conn.Asynq().(asynq.RedisClientOpt)
	if opt.Addr != "127.0.0.1:6390" || opt.DB != 3 || opt.Username != "user" || opt.Password != "pw" || opt.PoolSize != 7 {
		t.Errorf("asynq option lost settings of the URL: %+v", opt)
	}
	client := conn.Client(16).(*redis.Client)
	defer client.Close()
	if o := client.Options(); o.DB != 3 || o.MinIdleConns != 16 || o.PoolSize != 7 {
		t.Errorf("client options: DB %d, MinIdleConns %d, PoolSize %d", o.DB, o.MinIdleConns, o.PoolSize)
	}
}

func TestBadURLNamesTheKey(t *testing.T) {
	_, err := redisconn.New(config.Redis{URL: "redis://127.0.0.1:6390/notanumber"})
	var cerr *config.Error
	if !errors.As(err, &cerr) || cerr.Key != "redis.url" {
		t.Fatalf("got %v, want a config error on redis.url", err)
	}
}

func typeName(v any) string { return fmt.Sprintf("%T", v) }
