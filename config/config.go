// Package config loads RelayBook's one configuration: defaults, then a YAML
// file, then RELAYBOOK_* environment variables, then command-line flags.
// Every problem is reported as a one-line *Error naming the key, which the
// CLI turns into exit code 2.
package config

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"github.com/spf13/viper"
)

// Config is the whole configuration. Field comments live in
// relaybook.example.yaml, which documents every key with its default.
type Config struct {
	Database  Database
	Redis     Redis
	Server    Server
	Auth      Auth
	Security  Security
	RateLimit RateLimit
	Delivery  Delivery
	Worker    Worker
	Webhooks  Webhooks
	Queue     Queue
	Retention Retention
	Debug     Debug
	Log       Log
	// File is the configuration file that was read, empty when none was.
	File string
}

type Database struct {
	URL      string
	MaxConns int
	// PgBouncer: URL points at PgBouncer in transaction pooling mode.
	PgBouncer bool
}

type Server struct {
	Addr            string
	ShutdownTimeout time.Duration
}

type Auth struct {
	JWTSecret string
}

type Security struct {
	EncryptionKey string
}

type RateLimit struct {
	PerMinute int
}

type Delivery struct {
	Timeout     time.Duration
	RetryDelays []time.Duration
}

type Worker struct {
	// AdminAddr serves /livez, /readyz and /metrics; empty turns it off.
	AdminAddr       string
	Concurrency     int
	PollInterval    time.Duration
	SweepInterval   time.Duration
	SweepGrace      time.Duration
	ShutdownTimeout time.Duration
}

// Keys and their defaults, in the order relaybook.example.yaml lists them.
// A key with a nil default has none (it must be set where it is required).
var defaults = []struct {
	key   string
	value any
}{
	{"database.url", "postgres://postgres@127.0.0.1:5432/relaybook?sslmode=disable"},
	{"database.max_conns", 20},
	{"database.pgbouncer", false},
	{"redis.url", "redis://127.0.0.1:6379/0"},
	{"redis.sentinel.master", ""},
	{"redis.sentinel.addrs", ""},
	{"redis.cluster.addrs", ""},
	{"server.addr", ":8080"},
	{"server.shutdown_timeout", "15s"},
	{"auth.jwt_secret", ""},
	{"security.encryption_key", ""},
	{"ratelimit.per_minute", 100},
	{"delivery.timeout", "10s"},
	{"delivery.retry_delays", "10s,60s,5m"},
	{"worker.concurrency", 100},
	{"worker.poll_interval", "2ms"},
	{"worker.sweep_interval", "5s"},
	{"worker.sweep_grace", "10s"},
	{"worker.shutdown_timeout", "15s"},
	{"worker.admin_addr", "127.0.0.1:9464"},
	{"webhooks.allow_http", false},
	{"webhooks.allow_private_networks", false},
	{"queue.shards", 1},
	{"webhooks.disable_after_failures", 50},
	{"webhooks.disable_after", "24h"},
	{"retention.period", "720h"},
	{"debug.pprof_addr", ""},
	{"log.format", "text"},
	{"log.level", "info"},
}

// Keys returns every configuration key.
func Keys() []string {
	keys := make([]string, len(defaults))
	for i, d := range defaults {
		keys[i] = d.key
	}
	return keys
}

// Error is a configuration problem with the key it concerns.
type Error struct {
	Key string
	Msg string
}

func (e *Error) Error() string { return "config: " + e.Key + ": " + e.Msg }

// EnvName is the environment variable for a key: database.url →
// RELAYBOOK_DATABASE_URL.
func EnvName(key string) string {
	return "RELAYBOOK_" + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

// Options say where Load looks.
type Options struct {
	// File is an explicit config file (--config); it must exist.
	File string
	// SearchPaths are tried for relaybook.yaml when File is empty.
	SearchPaths []string
	// Flags maps configuration keys to flags that override them when set.
	Flags map[string]*pflag.Flag
}

// DefaultSearchPaths is where relaybook.yaml is looked for.
var DefaultSearchPaths = []string{".", "/etc/relaybook"}

// Load reads the configuration and checks the format of every key. Whether a
// secret is present is checked by Require, because only some commands need
// it.
func Load(opts Options) (*Config, error) {
	v := viper.New()
	for _, d := range defaults {
		v.SetDefault(d.key, d.value)
		// AutomaticEnv only sees keys viper already knows; binding each one
		// makes RELAYBOOK_* work even when no file mentions the key.
		_ = v.BindEnv(d.key, EnvName(d.key))
	}
	v.SetConfigType("yaml")
	file := opts.File
	if file == "" {
		file = os.Getenv(ConfigEnv)
	}
	if file == "" {
		for _, dir := range opts.SearchPaths {
			candidate := strings.TrimSuffix(dir, "/") + "/relaybook.yaml"
			if _, err := os.Stat(candidate); err == nil {
				file = candidate
				break
			}
		}
	}
	if file != "" {
		v.SetConfigFile(file)
		if err := v.ReadInConfig(); err != nil {
			var pathErr *os.PathError
			if errors.As(err, &pathErr) {
				return nil, &Error{Key: "config", Msg: fmt.Sprintf("cannot read %s: %v", file, pathErr.Err)}
			}
			return nil, &Error{Key: "config", Msg: fmt.Sprintf("%s is not valid YAML: %s", file, oneLine(err.Error()))}
		}
	}
	for key, flag := range opts.Flags {
		if flag != nil {
			if err := v.BindPFlag(key, flag); err != nil {
				return nil, &Error{Key: key, Msg: err.Error()}
			}
		}
	}
	p := parser{v: v}
	cfg := &Config{
		File: file,
		Database: Database{
			URL:       p.url("database.url", "postgres", "postgresql"),
			MaxConns:  p.positiveInt("database.max_conns"),
			PgBouncer: p.boolean("database.pgbouncer"),
		},
		Redis:  p.redis(),
		Server: Server{Addr: p.addr("server.addr"), ShutdownTimeout: p.duration("server.shutdown_timeout")},
		Auth:   Auth{JWTSecret: p.str("auth.jwt_secret")},
		Security: Security{
			EncryptionKey: p.encryptionKey("security.encryption_key"),
		},
		RateLimit: RateLimit{PerMinute: p.positiveInt("ratelimit.per_minute")},
		Delivery: Delivery{
			Timeout:     p.duration("delivery.timeout"),
			RetryDelays: p.durations("delivery.retry_delays"),
		},
		Worker: Worker{
			Concurrency:     p.positiveInt("worker.concurrency"),
			PollInterval:    p.duration("worker.poll_interval"),
			SweepInterval:   p.duration("worker.sweep_interval"),
			SweepGrace:      p.duration("worker.sweep_grace"),
			ShutdownTimeout: p.duration("worker.shutdown_timeout"),
			AdminAddr:       p.optionalAddr("worker.admin_addr"),
		},
		Webhooks: Webhooks{
			AllowHTTP:            p.boolean("webhooks.allow_http"),
			AllowPrivateNetworks: p.boolean("webhooks.allow_private_networks"),
			DisableAfterFailures: p.positiveInt("webhooks.disable_after_failures"),
			DisableAfter:         p.duration("webhooks.disable_after"),
		},
		Queue:     Queue{Shards: p.shards("queue.shards")},
		Retention: Retention{Period: p.duration("retention.period")},
		Debug:     Debug{PprofAddr: p.optionalAddr("debug.pprof_addr")},
		Log:       Log{Format: p.oneOf("log.format", LogFormats...), Level: p.oneOf("log.level", LogLevels...)},
	}
	if p.err != nil {
		return nil, p.err
	}
	if cfg.Worker.ShutdownTimeout <= cfg.Delivery.Timeout {
		return nil, &Error{Key: "worker.shutdown_timeout", Msg: fmt.Sprintf("must be longer than delivery.timeout (%s) so in-flight deliveries can finish", cfg.Delivery.Timeout)}
	}
	return cfg, nil
}

// Require checks that keys without defaults are set, for the commands that
// need them (serve needs both secrets; the worker needs the encryption key).
func (c *Config) Require(keys ...string) error {
	for _, key := range keys {
		var set bool
		switch key {
		case "auth.jwt_secret":
			set = c.Auth.JWTSecret != ""
		case "security.encryption_key":
			set = c.Security.EncryptionKey != ""
		default:
			return &Error{Key: key, Msg: "is not a key that can be required"}
		}
		if !set {
			return &Error{Key: key, Msg: fmt.Sprintf("is required; set it in relaybook.yaml or %s", EnvName(key))}
		}
	}
	return nil
}

// parser reads keys from viper and keeps the first error, so Load reads
// straight through and reports one problem.
type parser struct {
	v   *viper.Viper
	err error
}

func (p *parser) fail(key, format string, args ...any) {
	if p.err == nil {
		p.err = &Error{Key: key, Msg: fmt.Sprintf(format, args...)}
	}
}

func (p *parser) raw(key string) string {
	switch val := p.v.Get(key).(type) {
	case nil:
		return ""
	case []any:
		parts := make([]string, len(val))
		for i, item := range val {
			parts[i] = fmt.Sprint(item)
		}
		return strings.Join(parts, ",")
	default:
		return strings.TrimSpace(fmt.Sprint(val))
	}
}

func (p *parser) str(key string) string { return p.raw(key) }

func (p *parser) positiveInt(key string) int {
	s := p.raw(key)
	n, err := strconv.Atoi(s)
	if err != nil {
		p.fail(key, "%q is not a whole number", s)
		return 0
	}
	if n <= 0 {
		p.fail(key, "must be greater than 0, got %d", n)
	}
	return n
}

func (p *parser) boolean(key string) bool {
	s := p.raw(key)
	b, err := strconv.ParseBool(s)
	if err != nil {
		p.fail(key, "%q is not true or false", s)
	}
	return b
}

func (p *parser) duration(key string) time.Duration {
	return p.parseDuration(key, p.raw(key))
}

func (p *parser) parseDuration(key, s string) time.Duration {
	d, err := time.ParseDuration(s)
	if err != nil {
		p.fail(key, "%q is not a duration (like 10s, 5m)", s)
		return 0
	}
	if d <= 0 {
		p.fail(key, "must be greater than 0, got %s", s)
	}
	return d
}

func (p *parser) durations(key string) []time.Duration {
	s := p.raw(key)
	if s == "" {
		p.fail(key, "must list at least one delay, like 10s,60s,5m")
		return nil
	}
	var out []time.Duration
	for _, part := range strings.Split(s, ",") {
		out = append(out, p.parseDuration(key, strings.TrimSpace(part)))
	}
	return out
}

func (p *parser) url(key string, schemes ...string) string {
	s := p.raw(key)
	u, err := url.Parse(s)
	if err != nil || (u.Host == "" && !postgresSocket(u)) {
		like := schemes[0] + "://host:port/…"
		if schemes[0] == "postgres" {
			like += " (or, over a Unix socket, postgres:///dbname?host=/var/run/postgresql)"
		}
		p.fail(key, "%q is not a URL like %s", redactURL(s), like)
		return s
	}
	for _, scheme := range schemes {
		if u.Scheme == scheme {
			return s
		}
	}
	p.fail(key, "scheme must be %s, got %q", strings.Join(schemes, " or "), u.Scheme)
	return s
}

// postgresSocket reports whether u reaches PostgreSQL over its Unix
// socket: no host in the authority, the socket's directory in the host
// parameter (postgres:///relaybook?host=/var/run/postgresql), as the
// driver takes it. On one machine that is how PostgreSQL is often set up.
func postgresSocket(u *url.URL) bool {
	return (u.Scheme == "postgres" || u.Scheme == "postgresql") && strings.HasPrefix(u.Query().Get("host"), "/")
}

func (p *parser) addr(key string) string {
	s := p.raw(key)
	i := strings.LastIndex(s, ":")
	if i < 0 {
		p.fail(key, "%q is not a listen address like :8080 or 127.0.0.1:8080", s)
		return s
	}
	if port, err := strconv.Atoi(s[i+1:]); err != nil || port < 0 || port > 65535 {
		p.fail(key, "%q has no valid port", s)
	}
	return s
}

func (p *parser) optionalAddr(key string) string {
	if p.raw(key) == "" {
		return ""
	}
	return p.addr(key)
}

// redactURL hides a password in a URL before it goes into an error message.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparseable)"
	}
	return u.Redacted()
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
