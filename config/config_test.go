package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

func writeFile(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "relaybook.yaml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestDefaults(t *testing.T) {
	cfg, err := Load(Options{})
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"database.url", cfg.Database.URL, "postgres://postgres@127.0.0.1:5432/relaybook?sslmode=disable"},
		{"redis.url", cfg.Redis.URL, "redis://127.0.0.1:6379/0"},
		{"server.addr", cfg.Server.Addr, ":8080"},
		{"auth.jwt_secret", cfg.Auth.JWTSecret, ""},
		{"security.encryption_key", cfg.Security.EncryptionKey, ""},
		{"ratelimit.per_minute", cfg.RateLimit.PerMinute, 100},
		{"delivery.timeout", cfg.Delivery.Timeout, 10 * time.Second},
		{"delivery.retry_delays", len(cfg.Delivery.RetryDelays), 3},
		{"worker.concurrency", cfg.Worker.Concurrency, 100},
		{"webhooks.allow_http", cfg.Webhooks.AllowHTTP, false},
		{"webhooks.allow_private_networks", cfg.Webhooks.AllowPrivateNetworks, false},
		{"database.pgbouncer", cfg.Database.PgBouncer, false},
		{"queue.shards", cfg.Queue.Shards, 1},
		{"webhooks.disable_after_failures", cfg.Webhooks.DisableAfterFailures, 50},
		{"webhooks.disable_after", cfg.Webhooks.DisableAfter, 24 * time.Hour},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	want := []time.Duration{10 * time.Second, time.Minute, 5 * time.Minute}
	for i, d := range want {
		if cfg.Delivery.RetryDelays[i] != d {
			t.Errorf("retry delay %d = %s, want %s", i, cfg.Delivery.RetryDelays[i], d)
		}
	}
}

// TestPrecedence checks defaults < file < environment < flags, key by key.
func TestPrecedence(t *testing.T) {
	file := writeFile(t, `
server:
  addr: ":7000"
ratelimit:
  per_minute: 50
worker:
  concurrency: 8
delivery:
  retry_delays: [1s, 2s]
webhooks:
  allow_http: true
`)
	t.Setenv("RELAYBOOK_RATELIMIT_PER_MINUTE", "60")
	t.Setenv("RELAYBOOK_WORKER_CONCURRENCY", "9")
	flags := pflag.NewFlagSet("test", pflag.ContinueOnError)
	flags.Int("concurrency", 0, "")
	if err := flags.Parse([]string{"--concurrency=10"}); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(Options{File: file, Flags: map[string]*pflag.Flag{"worker.concurrency": flags.Lookup("concurrency")}})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Server.Addr != ":7000" {
		t.Errorf("file should beat default: server.addr = %q", cfg.Server.Addr)
	}
	if cfg.RateLimit.PerMinute != 60 {
		t.Errorf("env should beat file: ratelimit.per_minute = %d", cfg.RateLimit.PerMinute)
	}
	if cfg.Worker.Concurrency != 10 {
		t.Errorf("flag should beat env: worker.concurrency = %d", cfg.Worker.Concurrency)
	}
	if !cfg.Webhooks.AllowHTTP {
		t.Error("file should set webhooks.allow_http")
	}
	if len(cfg.Delivery.RetryDelays) != 2 || cfg.Delivery.RetryDelays[1] != 2*time.Second {
		t.Errorf("YAML list retry_delays = %v", cfg.Delivery.RetryDelays)
	}
	if cfg.File != file {
		t.Errorf("File = %q, want %q", cfg.File, file)
	}
}

func TestUnsetFlagDoesNotOverride(t *testing.T) {
	t.Setenv("RELAYBOOK_WORKER_CONCURRENCY", "9")
	flags := pflag.NewFlagSet("test", pflag.ContinueOnError)
	flags.Int("concurrency", 3, "")
	cfg, err := Load(Options{Flags: map[string]*pflag.Flag{"worker.concurrency": flags.Lookup("concurrency")}})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Worker.Concurrency != 9 {
		t.Errorf("an unset flag must not override env: got %d", cfg.Worker.Concurrency)
	}
}

func TestEnvRetryDelays(t *testing.T) {
	t.Setenv("RELAYBOOK_DELIVERY_RETRY_DELAYS", "100ms, 200ms,300ms")
	cfg, err := Load(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Delivery.RetryDelays; len(got) != 3 || got[2] != 300*time.Millisecond {
		t.Errorf("retry delays = %v", got)
	}
}

func TestEnvAutoDisable(t *testing.T) {
	t.Setenv("RELAYBOOK_WEBHOOKS_DISABLE_AFTER_FAILURES", "5")
	t.Setenv("RELAYBOOK_WEBHOOKS_DISABLE_AFTER", "90m")
	cfg, err := Load(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if w := cfg.Webhooks; w.DisableAfterFailures != 5 || w.DisableAfter != 90*time.Minute {
		t.Errorf("webhooks = %+v", w)
	}
}

func TestSearchPaths(t *testing.T) {
	dir := filepath.Dir(writeFile(t, "server:\n  addr: \":9999\"\n"))
	cfg, err := Load(Options{SearchPaths: []string{filepath.Join(dir, "missing"), dir}})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Server.Addr != ":9999" {
		t.Errorf("search path file not read: %q", cfg.Server.Addr)
	}
}

// TestInvalid checks that each bad value is one line naming its key.
func TestInvalid(t *testing.T) {
	cases := []struct {
		env, value, key string
	}{
		{"RELAYBOOK_RATELIMIT_PER_MINUTE", "abc", "ratelimit.per_minute"},
		{"RELAYBOOK_RATELIMIT_PER_MINUTE", "0", "ratelimit.per_minute"},
		{"RELAYBOOK_DELIVERY_TIMEOUT", "ten", "delivery.timeout"},
		{"RELAYBOOK_DELIVERY_TIMEOUT", "-1s", "delivery.timeout"},
		{"RELAYBOOK_DELIVERY_RETRY_DELAYS", "10s,,5m", "delivery.retry_delays"},
		{"RELAYBOOK_WORKER_CONCURRENCY", "-3", "worker.concurrency"},
		{"RELAYBOOK_WEBHOOKS_ALLOW_HTTP", "maybe", "webhooks.allow_http"},
		{"RELAYBOOK_WEBHOOKS_ALLOW_PRIVATE_NETWORKS", "2", "webhooks.allow_private_networks"},
		{"RELAYBOOK_WEBHOOKS_DISABLE_AFTER_FAILURES", "0", "webhooks.disable_after_failures"},
		{"RELAYBOOK_WEBHOOKS_DISABLE_AFTER", "a day", "webhooks.disable_after"},
		{"RELAYBOOK_SECURITY_ENCRYPTION_KEY", "abcd", "security.encryption_key"},
		{"RELAYBOOK_SECURITY_ENCRYPTION_KEY", strings.Repeat("zz", 32), "security.encryption_key"},
		{"RELAYBOOK_DATABASE_URL", "mysql://x@localhost/db", "database.url"},
		{"RELAYBOOK_DATABASE_URL", "not a url", "database.url"},
		{"RELAYBOOK_DATABASE_URL", "postgres:///relaybook", "database.url"},
		{"RELAYBOOK_DATABASE_URL", "postgres:///relaybook?host=relative/dir", "database.url"},
		{"RELAYBOOK_REDIS_URL", "redis:///0?host=/var/run/redis", "redis.url"},
		{"RELAYBOOK_REDIS_URL", "http://localhost:6379", "redis.url"},
		{"RELAYBOOK_SERVER_ADDR", "8080", "server.addr"},
		{"RELAYBOOK_WORKER_SHUTDOWN_TIMEOUT", "5s", "worker.shutdown_timeout"},
	}
	for _, c := range cases {
		t.Run(c.env+"="+c.value, func(t *testing.T) {
			t.Setenv(c.env, c.value)
			_, err := Load(Options{})
			var cerr *Error
			if !errors.As(err, &cerr) {
				t.Fatalf("got %v, want *config.Error", err)
			}
			if cerr.Key != c.key {
				t.Errorf("error names %q, want %q: %v", cerr.Key, c.key, err)
			}
			if msg := err.Error(); strings.Contains(msg, "\n") || !strings.Contains(msg, c.key) {
				t.Errorf("error should be one line naming the key: %q", msg)
			}
		})
	}
}

// TestDatabaseSocketURL: a URL that names PostgreSQL's socket directory
// instead of a host is accepted as written.
func TestDatabaseSocketURL(t *testing.T) {
	const socket = "postgres://relaybook@/relaybook?host=/var/run/postgresql"
	t.Setenv("RELAYBOOK_DATABASE_URL", socket)
	cfg, err := Load(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Database.URL != socket {
		t.Errorf("database.url = %q, want %q", cfg.Database.URL, socket)
	}
}

func TestPasswordNotInError(t *testing.T) {
	t.Setenv("RELAYBOOK_DATABASE_URL", "mysql://user:hunter2@localhost/db")
	_, err := Load(Options{})
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("error must not show the password: %v", err)
	}
}

func TestBadFile(t *testing.T) {
	_, err := Load(Options{File: writeFile(t, "server: [unclosed")})
	var cerr *Error
	if !errors.As(err, &cerr) || cerr.Key != "config" {
		t.Fatalf("bad YAML: got %v", err)
	}
	_, err = Load(Options{File: filepath.Join(t.TempDir(), "nope.yaml")})
	if !errors.As(err, &cerr) {
		t.Fatalf("missing explicit file: got %v", err)
	}
}

func TestRequire(t *testing.T) {
	cfg, err := Load(Options{})
	if err != nil {
		t.Fatal(err)
	}
	err = cfg.Require("auth.jwt_secret")
	var cerr *Error
	if !errors.As(err, &cerr) || cerr.Key != "auth.jwt_secret" || !strings.Contains(err.Error(), "RELAYBOOK_AUTH_JWT_SECRET") {
		t.Fatalf("Require(jwt_secret) = %v", err)
	}
	t.Setenv("RELAYBOOK_AUTH_JWT_SECRET", "s3cret")
	t.Setenv("RELAYBOOK_SECURITY_ENCRYPTION_KEY", strings.Repeat("ab", 32))
	cfg, err = Load(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Require("auth.jwt_secret", "security.encryption_key"); err != nil {
		t.Fatalf("both set, Require = %v", err)
	}
}

func TestDevFileLoads(t *testing.T) {
	body, err := DevFile()
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(Options{File: writeFile(t, string(body))})
	if err != nil {
		t.Fatalf("dev file does not load: %v", err)
	}
	if err := cfg.Require("auth.jwt_secret", "security.encryption_key"); err != nil {
		t.Fatal(err)
	}
	if !cfg.Webhooks.AllowHTTP || !cfg.Webhooks.AllowPrivateNetworks {
		t.Error("dev file should allow http and private networks")
	}
	other, _ := DevFile()
	if string(other) == string(body) {
		t.Error("two dev files share secrets")
	}
}

// TestExampleFileDocumentsEveryKey keeps relaybook.example.yaml complete and
// loadable with the defaults it states.
func TestExampleFileDocumentsEveryKey(t *testing.T) {
	body, err := os.ReadFile("../relaybook.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range Keys() {
		leaf := key[strings.LastIndex(key, ".")+1:]
		if !strings.Contains(string(body), leaf+":") || !strings.Contains(string(body), EnvName(key)) {
			t.Errorf("relaybook.example.yaml does not document %s (%s)", key, EnvName(key))
		}
	}
	if _, err := Load(Options{File: "../relaybook.example.yaml"}); err != nil {
		t.Errorf("example file does not load: %v", err)
	}
}

// TestRedisTopology checks the three ways to reach Redis and that
// redis.url is ignored once Sentinel or Cluster is set.
func TestRedisTopology(t *testing.T) {
	t.Run("sentinel", func(t *testing.T) {
		t.Setenv("RELAYBOOK_REDIS_URL", "not a url")
		t.Setenv("RELAYBOOK_REDIS_SENTINEL_MASTER", "mymaster")
		t.Setenv("RELAYBOOK_REDIS_SENTINEL_ADDRS", "10.0.0.1:26379, sentinel-2:26379")
		cfg, err := Load(Options{})
		if err != nil {
			t.Fatal(err)
		}
		s := cfg.Redis.Sentinel
		if s.Master != "mymaster" || len(s.Addrs) != 2 || s.Addrs[1] != "sentinel-2:26379" || cfg.Redis.URL != "" {
			t.Errorf("redis = %+v", cfg.Redis)
		}
	})
	t.Run("cluster from a YAML list", func(t *testing.T) {
		cfg, err := Load(Options{File: writeFile(t, "redis:\n  cluster:\n    addrs: [\"127.0.0.1:7000\", \"127.0.0.1:7001\"]\n")})
		if err != nil {
			t.Fatal(err)
		}
		if got := cfg.Redis.Cluster.Addrs; len(got) != 2 || got[0] != "127.0.0.1:7000" || cfg.Redis.URL != "" {
			t.Errorf("redis = %+v", cfg.Redis)
		}
	})
	t.Run("url by default", func(t *testing.T) {
		cfg, err := Load(Options{})
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Redis.URL == "" || cfg.Redis.Sentinel.Master != "" || cfg.Redis.Cluster.Addrs != nil {
			t.Errorf("redis = %+v", cfg.Redis)
		}
	})
}

// TestRedisTopologyInvalid checks each bad combination names the key to fix.
func TestRedisTopologyInvalid(t *testing.T) {
	cases := []struct {
		name string
		env  map[string]string
		key  string
		says string
	}{
		{"both", map[string]string{
			"RELAYBOOK_REDIS_SENTINEL_MASTER": "m", "RELAYBOOK_REDIS_SENTINEL_ADDRS": "a:1",
			"RELAYBOOK_REDIS_CLUSTER_ADDRS": "b:2",
		}, "redis.cluster.addrs", "redis.sentinel"},
		{"master without addrs", map[string]string{"RELAYBOOK_REDIS_SENTINEL_MASTER": "m"}, "redis.sentinel.addrs", "required"},
		{"addrs without master", map[string]string{"RELAYBOOK_REDIS_SENTINEL_ADDRS": "a:1"}, "redis.sentinel.master", "required"},
		{"no port", map[string]string{"RELAYBOOK_REDIS_CLUSTER_ADDRS": "a:1,b"}, "redis.cluster.addrs", `"b"`},
		{"bad port", map[string]string{"RELAYBOOK_REDIS_CLUSTER_ADDRS": "a:99999"}, "redis.cluster.addrs", "host:port"},
		{"shards zero", map[string]string{"RELAYBOOK_QUEUE_SHARDS": "0"}, "queue.shards", "greater than 0"},
		{"shards huge", map[string]string{"RELAYBOOK_QUEUE_SHARDS": "100000"}, "queue.shards", "at most"},
		{"pgbouncer", map[string]string{"RELAYBOOK_DATABASE_PGBOUNCER": "perhaps"}, "database.pgbouncer", "true or false"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			_, err := Load(Options{})
			var cerr *Error
			if !errors.As(err, &cerr) || cerr.Key != c.key || !strings.Contains(err.Error(), c.says) {
				t.Fatalf("got %v, want an error on %s saying %s", err, c.key, c.says)
			}
		})
	}
}

func TestQueueAndPgBouncer(t *testing.T) {
	t.Setenv("RELAYBOOK_QUEUE_SHARDS", "4")
	t.Setenv("RELAYBOOK_DATABASE_PGBOUNCER", "true")
	cfg, err := Load(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Queue.Shards != 4 || !cfg.Database.PgBouncer {
		t.Errorf("queue.shards = %d, database.pgbouncer = %v", cfg.Queue.Shards, cfg.Database.PgBouncer)
	}
}
