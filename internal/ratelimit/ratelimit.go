// Package ratelimit enforces the API's per-key request limit: at most limit
// requests in any rolling window (design.md: 100 per 60 s, across all serve
// processes).
//
// The shared state is a sorted-set log of request times per key in Redis,
// read and updated by one Lua script, so a request costs at most one round
// trip (EVALSHA; concurrent requests share one pipelined round trip) and
// concurrent processes cannot race between the count and the add. A log,
// unlike a token bucket or fixed window, never lets more than limit
// requests into any window, at a boundary or after a quiet period. Times come from Redis's clock (TIME inside the script), so
// servers with skewed clocks still share one timeline.
//
// Only allowed requests are recorded. A client that keeps calling while
// limited is denied but does not extend its own lockout: its quota returns
// as its earlier allowed requests age out of the window.
//
// If Redis errors or does not answer within a short timeout, the Limiter
// keeps serving from an in-process limiter with the same limit (so during an
// outage each process allows up to limit on its own), logs one line, and
// retries Redis at most once per retry interval until it answers, then logs
// one line again.
package ratelimit

import (
	"context"
	"crypto/rand"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/relaybook/relaybook/internal/relaybook"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/relaybook/relaybook/internal/batch"
)

// KeyPrefix starts every Redis key this package writes; the caller's key
// (an API key's id, never the key itself) follows it.
const KeyPrefix = "relaybook:rl:"

// Defaults for the options.
const (
	DefaultTimeout       = 100 * time.Millisecond
	DefaultRetryInterval = time.Second
)

//go:embed sliding_window.lua
var slidingWindowLua string

var slidingWindow = redis.NewScript(slidingWindowLua)

// Result is the verdict on one request; the API reads it through the
// domain's type, so it needs no import of this package.
type Result = relaybook.RateLimit

// Limiter is a sliding-window limiter shared through Redis. It is safe for
// concurrent use.
type Limiter struct {
	rdb           redis.UniversalClient
	limit         int
	window        time.Duration
	timeout       time.Duration
	retryInterval time.Duration
	log           *slog.Logger
	now           func() time.Time

	local *localLimiter
	// scripts shares one Redis round trip among concurrent requests.
	scripts *batch.Batcher[scriptCall, []int64]

	// memberPrefix and seq make each request's sorted-set member unique
	// across processes, so two requests in the same microsecond both count.
	memberPrefix string
	seq          atomic.Uint64

	mu        sync.Mutex
	degraded  bool      // Redis failed; answering from local
	probing   bool      // one request is currently retrying Redis
	nextProbe time.Time // when degraded, the earliest next retry
}

// Option configures a Limiter.
type Option func(*Limiter)

// WithLogger sets where the fallback and recovery lines go; default
// slog.Default().
func WithLogger(l *slog.Logger) Option { return func(lim *Limiter) { lim.log = l } }

// WithTimeout bounds each Redis call; default DefaultTimeout. The bound
// holds even if rdb ignores context deadlines (ContextTimeoutEnabled off).
func WithTimeout(d time.Duration) Option { return func(lim *Limiter) { lim.timeout = d } }

// WithRetryInterval sets how often Redis is retried while falling back;
// default DefaultRetryInterval. Between retries requests do not touch
// Redis, so a dead Redis adds no latency.
func WithRetryInterval(d time.Duration) Option {
	return func(lim *Limiter) { lim.retryInterval = d }
}

// New returns a Limiter allowing limit requests per key in any window.
func New(rdb redis.UniversalClient, limit int, window time.Duration, opts ...Option) (*Limiter, error) {
	if rdb == nil {
		return nil, errors.New("ratelimit: nil Redis client")
	}
	if limit <= 0 {
		return nil, fmt.Errorf("ratelimit: limit must be positive, got %d", limit)
	}
	if window < time.Millisecond {
		return nil, fmt.Errorf("ratelimit: window must be at least 1ms, got %s", window)
	}
	nonce := make([]byte, 8)
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("ratelimit: %w", err)
	}
	l := &Limiter{
		rdb:           rdb,
		limit:         limit,
		window:        window,
		timeout:       DefaultTimeout,
		retryInterval: DefaultRetryInterval,
		log:           slog.Default(),
		now:           time.Now,
		memberPrefix:  hex.EncodeToString(nonce) + ":",
	}
	for _, o := range opts {
		o(l)
	}
	l.local = newLocalLimiter(limit, window)
	l.scripts = batch.New(1, maxScriptBatch, 0, l.runScripts)
	return l, nil
}

// Allow records and judges one request for key. It returns an error only
// when ctx ends first; Redis failures are absorbed by the fallback.
func (l *Limiter) Allow(ctx context.Context, key string) (Result, error) {
	now := l.now()
	try, probe := l.useRedis(now)
	if !try {
		return l.allowLocal(key, now), nil
	}
	res, err := l.allowRedis(ctx, key, now)
	switch {
	case err == nil:
		l.redisAnswered(probe)
		return res, nil
	case ctx.Err() != nil:
		// The caller gave up; that says nothing about Redis.
		l.probeAbandoned(probe)
		return Result{}, fmt.Errorf("ratelimit: %w", ctx.Err())
	default:
		l.redisFailed(probe, now, err)
		return l.allowLocal(key, now), nil
	}
}

func (l *Limiter) allowRedis(ctx context.Context, key string, now time.Time) (Result, error) {
	ctx, cancel := context.WithTimeout(ctx, l.timeout)
	defer cancel()
	member := l.memberPrefix + strconv.FormatUint(l.seq.Add(1), 36)
	args := []any{l.limit, l.window.Microseconds(), member}

	// Run in a goroutine so the timeout holds whatever the client's own
	// timeouts and retries are; the buffered channel lets it finish alone.
	type reply struct {
		v   []int64
		err error
	}
	ch := make(chan reply, 1)
	go func() {
		v, err := l.scripts.Do(ctx, scriptCall{key: KeyPrefix + key, args: args})
		ch <- reply{v, err}
	}()
	var r reply
	select {
	case r = <-ch:
	case <-ctx.Done():
		r.err = ctx.Err()
	}
	if r.err != nil {
		return Result{}, r.err
	}
	if len(r.v) != 3 {
		return Result{}, fmt.Errorf("ratelimit: script returned %d values, want 3", len(r.v))
	}
	return l.result(r.v[0] == 1, int(r.v[1]), now, time.Duration(r.v[2])*time.Microsecond), nil
}

// scriptCall is one request's run of the sliding-window script.
type scriptCall struct {
	key  string
	args []any
}

// maxScriptBatch bounds one pipeline of script runs.
const maxScriptBatch = 256

// runScripts runs the script for concurrent requests in one pipeline: one
// round trip for the batch instead of one per request. A run that meets
// NOSCRIPT (Redis restarted and forgot the script) did not execute, so it
// is run again after loading the script; the others are never repeated.
func (l *Limiter) runScripts(calls []scriptCall) ([][]int64, []error) {
	out, errs := make([][]int64, len(calls)), make([]error, len(calls))
	ctx, cancel := context.WithTimeout(context.Background(), l.timeout)
	defer cancel()
	pending := make([]int, len(calls))
	for i := range pending {
		pending[i] = i
	}
	for attempt := 0; len(pending) > 0; attempt++ {
		cmds := make([]*redis.Cmd, len(pending))
		l.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for j, i := range pending {
				cmds[j] = slidingWindow.EvalSha(ctx, p, []string{calls[i].key}, calls[i].args...)
			}
			return nil
		})
		var again []int
		for j, i := range pending {
			// A failed pipeline sets its error on every command.
			out[i], errs[i] = cmds[j].Int64Slice()
			if errs[i] != nil && redis.HasErrorPrefix(errs[i], "NOSCRIPT") && attempt == 0 {
				again = append(again, i)
			}
		}
		if len(again) > 0 {
			if err := slidingWindow.Load(ctx, l.rdb).Err(); err != nil {
				for _, i := range again {
					errs[i] = err
				}
				break
			}
		}
		pending = again
	}
	return out, errs
}

// Close stops the goroutine that runs batches. Allow must not be called
// after Close.
func (l *Limiter) Close() { l.scripts.Close() }

func (l *Limiter) allowLocal(key string, now time.Time) Result {
	allowed, remaining, wait := l.local.allow(key, now)
	return l.result(allowed, remaining, now, wait)
}

// result builds a Result from a verdict and the time until the oldest
// request in the window ages out.
func (l *Limiter) result(allowed bool, remaining int, now time.Time, wait time.Duration) Result {
	res := Result{
		Allowed:   allowed,
		Limit:     l.limit,
		Remaining: max(remaining, 0),
		Reset:     now.Add(max(wait, 0)),
	}
	if !allowed {
		res.RetryAfter = max(wait, time.Millisecond)
	}
	return res
}

// useRedis says whether this request should ask Redis and whether it is
// the one probe allowed while degraded.
func (l *Limiter) useRedis(now time.Time) (try, probe bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.degraded {
		return true, false
	}
	if l.probing || now.Before(l.nextProbe) {
		return false, false
	}
	l.probing = true
	return true, true
}

func (l *Limiter) redisAnswered(probe bool) {
	if !probe {
		// Either all is well, or this call started before another one
		// failed; only the probe may declare Redis back.
		return
	}
	l.mu.Lock()
	l.degraded, l.probing = false, false
	l.mu.Unlock()
	l.local.reset()
	l.log.Info("rate limiter: Redis answers again; limits are shared across processes again")
}

func (l *Limiter) redisFailed(probe bool, now time.Time, err error) {
	l.mu.Lock()
	if l.degraded && !probe {
		l.mu.Unlock()
		return
	}
	first := !l.degraded
	l.degraded, l.probing = true, false
	l.nextProbe = now.Add(l.retryInterval)
	l.mu.Unlock()
	if first {
		l.log.Warn("rate limiter: Redis unreachable; enforcing limits per process until it answers",
			"error", err, "retry_interval", l.retryInterval)
	}
}

func (l *Limiter) probeAbandoned(probe bool) {
	if probe {
		l.mu.Lock()
		l.probing = false
		l.mu.Unlock()
	}
}
