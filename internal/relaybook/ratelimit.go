package relaybook

import (
	"math"
	"time"
)

// RateLimit is a rate limiter's verdict on one request, with what the
// X-RateLimit-* and Retry-After headers need.
type RateLimit struct {
	Allowed bool
	// Limit is the most requests allowed in one window (X-RateLimit-Limit).
	Limit int
	// Remaining is how many more requests the window has room for now.
	Remaining int
	// Reset is when the oldest request in the window ages out, i.e. the
	// next moment Remaining goes up. Use ResetUnix for the header.
	Reset time.Time
	// RetryAfter is how long a denied client must wait; zero when allowed.
	// Use RetryAfterSeconds for the header.
	RetryAfter time.Duration
}

// ResetUnix is Reset in unix seconds, rounded up so a client that waits
// until then is not refused again (X-RateLimit-Reset).
func (r RateLimit) ResetUnix() int64 {
	s := r.Reset.Unix()
	if r.Reset.After(time.Unix(s, 0)) {
		s++
	}
	return s
}

// RetryAfterSeconds is RetryAfter in whole seconds, rounded up, for the
// Retry-After header; 0 when allowed.
func (r RateLimit) RetryAfterSeconds() int {
	if r.RetryAfter <= 0 {
		return 0
	}
	return int(math.Ceil(r.RetryAfter.Seconds()))
}
