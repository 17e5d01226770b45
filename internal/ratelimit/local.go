package ratelimit

import (
	"sync"
	"time"
)

// localLimiter is the in-process fallback: the same sliding-window log as
// the Lua script, kept in memory, with the same semantics (window
// (now - window, now], denied requests not logged).
type localLimiter struct {
	limit  int
	window time.Duration

	mu        sync.Mutex
	logs      map[string][]time.Time // allowed request times, oldest first
	lastSweep time.Time
}

func newLocalLimiter(limit int, window time.Duration) *localLimiter {
	return &localLimiter{limit: limit, window: window, logs: make(map[string][]time.Time)}
}

// allow returns the verdict, the room left, and the time until the oldest
// logged request leaves the window.
func (l *localLimiter) allow(key string, now time.Time) (allowed bool, remaining int, wait time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)

	log := l.logs[key]
	i := 0
	for i < len(log) && now.Sub(log[i]) >= l.window {
		i++
	}
	log = append(log[:0], log[i:]...) // reuse the array; at most limit long
	if len(log) < l.limit {
		log = append(log, now)
		allowed = true
	}
	l.logs[key] = log
	return allowed, l.limit - len(log), l.window - now.Sub(log[0])
}

// sweep forgets keys with nothing in the window, at most once per window,
// so a long outage with many keys does not grow memory without bound.
func (l *localLimiter) sweep(now time.Time) {
	if now.Sub(l.lastSweep) < l.window {
		return
	}
	l.lastSweep = now
	for k, log := range l.logs {
		if len(log) == 0 || now.Sub(log[len(log)-1]) >= l.window {
			delete(l.logs, k)
		}
	}
}

// reset forgets everything. The Limiter calls it when Redis is back, so the
// memory of an outage is not held for the life of the process.
func (l *localLimiter) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.logs = make(map[string][]time.Time)
}
