package ratelimit

import "time"

// WithClock replaces time.Now for the fallback limiter and the retry
// schedule, so tests can step through an outage without sleeping. Redis
// keeps its own clock.
func WithClock(now func() time.Time) Option { return func(l *Limiter) { l.now = now } }
