package config

import "time"

// Webhooks are the rules for webhook targets and for disabling failing ones.
type Webhooks struct {
	AllowHTTP            bool
	AllowPrivateNetworks bool
	DisableAfterFailures int
	DisableAfter         time.Duration
}

// Retention is how long delivery history is kept.
type Retention struct {
	Period time.Duration
}

// Debug holds switches for diagnosing a running process.
type Debug struct {
	PprofAddr string
}

// Log is how serve and worker write their log lines.
type Log struct {
	Format string // text or json
	Level  string // debug, info, warn or error
}
