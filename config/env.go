package config

import (
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
)

// ConfigEnv names the configuration file when --config is not given.
const ConfigEnv = "RELAYBOOK_CONFIG"

// Accepted values of log.format and log.level.
var (
	LogFormats = []string{"text", "json"}
	LogLevels  = []string{"debug", "info", "warn", "error"}
)

// EnvVar is one RELAYBOOK_* variable the program reads.
type EnvVar struct {
	Name    string
	Key     string // the configuration key it sets; empty for RELAYBOOK_CONFIG
	Default string
	Help    string
}

// help says in a line what each key is for; relaybook.example.yaml has the
// long form. A key missing here is still listed, with a pointer to it.
var help = map[string]string{
	"database.url":                    "PostgreSQL connection URL",
	"database.max_conns":              "connections each serve or worker opens",
	"redis.url":                       "Redis URL (one node)",
	"server.addr":                     "serve's listen address",
	"server.shutdown_timeout":         "how long serve lets in-flight requests finish",
	"auth.jwt_secret":                 "HS256 key of team-admin tokens (serve, token)",
	"security.encryption_key":         "64 hex characters; encrypts webhook secrets",
	"ratelimit.per_minute":            "requests per API key (or admin) per rolling minute",
	"delivery.timeout":                "how long a receiver has to answer",
	"delivery.retry_delays":           "waits before each retry, comma-separated",
	"worker.concurrency":              "deliveries in flight per worker",
	"worker.poll_interval":            "how often an idle worker polls Redis",
	"worker.sweep_interval":           "how often the worker looks for deliveries Redis lost",
	"worker.sweep_grace":              "how overdue a delivery is before the sweeper takes it",
	"worker.shutdown_timeout":         "how long the worker lets in-flight deliveries finish",
	"worker.admin_addr":               "worker's /livez, /readyz and /metrics; empty turns it off",
	"webhooks.allow_http":             "accept http:// webhook URLs (development)",
	"webhooks.allow_private_networks": "let deliveries reach private addresses (development)",
	"debug.pprof_addr":                "serve Go profiles here; empty turns it off",
	"log.format":                      "text or json",
	"log.level":                       "debug, info, warn or error",
}

// EnvVars lists every RELAYBOOK_* variable: RELAYBOOK_CONFIG, then one per
// configuration key, from the same table that defines the keys.
func EnvVars() []EnvVar {
	out := []EnvVar{{Name: ConfigEnv, Help: "configuration file, like --config (default: ./relaybook.yaml, then /etc/relaybook/relaybook.yaml)"}}
	for _, d := range defaults {
		h, ok := help[d.key]
		if !ok {
			h = "see relaybook.example.yaml"
		}
		def := fmt.Sprint(d.value)
		if d.value == nil {
			def = ""
		}
		out = append(out, EnvVar{Name: EnvName(d.key), Key: d.key, Default: def, Help: h})
	}
	return out
}

func (p *parser) oneOf(key string, allowed ...string) string {
	s := strings.ToLower(p.raw(key))
	if !slices.Contains(allowed, s) {
		p.fail(key, "must be one of %s, got %q", strings.Join(allowed, ", "), s)
	}
	return s
}

func (p *parser) encryptionKey(key string) string {
	s := p.raw(key)
	if s == "" {
		return s
	}
	if b, err := hex.DecodeString(s); err != nil || len(b) != 32 {
		p.fail(key, "must be 64 hex characters (32 bytes), got %d characters", len(s))
	}
	return s
}
