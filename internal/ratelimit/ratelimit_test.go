package ratelimit_test

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/relaybook/relaybook/internal/ratelimit"
)

// testDB is the Redis DB index these tests own. It is claimed with the same
// lock key internal/testenv uses, so a package holding it is never flushed
// under its feet.
const testDB = 11

// redisUnavailable fails with CI=true, where a missing Redis is a broken
// environment, and skips elsewhere.
func redisUnavailable(t *testing.T, addr string, err error) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("Redis at %s is required with CI=true: %v", addr, err)
	}
	t.Skipf("Redis at %s not reachable (start it with scripts/services.sh): %v", addr, err)
}

// testRedis claims DB 11 of the test Redis, flushes it, and returns a client
// on it; the claim is released when the test ends.
func testRedis(t *testing.T) *redis.Client {
	t.Helper()
	addr := cmp.Or(os.Getenv("TEST_REDIS_ADDR"), "127.0.0.1:6379")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	// testenv keeps its locks in DB 0. One dial attempt, so an absent Redis
	// is reported at once rather than after the client's retries.
	locks := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialerRetries: 1})
	t.Cleanup(func() { locks.Close() })
	if err := locks.Ping(ctx).Err(); err != nil {
		redisUnavailable(t, addr, err)
	}
	lock := fmt.Sprintf("relaybook:testenv:db:%d", testDB)
	owner := fmt.Sprintf("ratelimit-test-%d-%d", os.Getpid(), time.Now().UnixNano())
	for {
		ok, err := locks.SetNX(ctx, lock, owner, 5*time.Minute).Result()
		if err != nil {
			t.Fatalf("claim Redis DB %d: %v", testDB, err)
		}
		if ok {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("Redis DB %d stayed held by another test package (%s)", testDB, lock)
		case <-time.After(100 * time.Millisecond):
		}
	}
	t.Cleanup(func() {
		if locks.Get(context.Background(), lock).Val() == owner {
			locks.Del(context.Background(), lock)
		}
	})

	rdb := redis.NewClient(&redis.Options{Addr: addr, DB: testDB})
	t.Cleanup(func() { rdb.Close() })
	if err := rdb.FlushDB(ctx).Err(); err != nil {
		t.Fatalf("flush DB %d: %v", testDB, err)
	}
	return rdb
}

// anotherClient opens a second connection pool to the same DB, as a second
// server process would have.
func anotherClient(t *testing.T, rdb *redis.Client) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: rdb.Options().Addr, DB: rdb.Options().DB})
	t.Cleanup(func() { c.Close() })
	return c
}

func newLimiter(t *testing.T, rdb redis.UniversalClient, limit int, window time.Duration, opts ...ratelimit.Option) *ratelimit.Limiter {
	t.Helper()
	l, err := ratelimit.New(rdb, limit, window, opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(l.Close)
	return l
}

// redisLimiter is a Limiter for tests of the shared Redis behaviour. Its
// timeout is generous because a cold pool dialling under the race detector
// can exceed the 100 ms default, and a fallback would make such a test
// measure the wrong limiter; the test fails if one happens anyway.
func redisLimiter(t *testing.T, rdb redis.UniversalClient, limit int, window time.Duration) *ratelimit.Limiter {
	t.Helper()
	logs, logOpt := captureLog()
	t.Cleanup(func() {
		if logs.count(fallbackLine) != 0 {
			t.Errorf("the limiter fell back to in-process limiting; Redis was not tested:\n%s", strings.Join(logs.lines(), "\n"))
		}
	})
	return newLimiter(t, rdb, limit, window, logOpt, ratelimit.WithTimeout(5*time.Second))
}

func allow(t *testing.T, l *ratelimit.Limiter, key string) ratelimit.Result {
	t.Helper()
	res, err := l.Allow(context.Background(), key)
	if err != nil {
		t.Fatalf("Allow: %v", err)
	}
	return res
}

// logBuffer captures a Limiter's log lines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) lines() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Split(strings.TrimSpace(b.buf.String()), "\n")
}

func (b *logBuffer) count(substr string) int {
	n := 0
	for _, line := range b.lines() {
		if strings.Contains(line, substr) {
			n++
		}
	}
	return n
}

func captureLog() (*logBuffer, ratelimit.Option) {
	b := &logBuffer{}
	return b, ratelimit.WithLogger(slog.New(slog.NewTextHandler(b, nil)))
}

const (
	fallbackLine = "Redis unreachable"
	recoveryLine = "Redis answers again"
)

func TestLimitThenDenied(t *testing.T) {
	rdb := testRedis(t)
	l := redisLimiter(t, rdb, 100, time.Minute)
	const key = "key-1"

	for i := range 100 {
		before := time.Now()
		res := allow(t, l, key)
		if !res.Allowed || res.Limit != 100 || res.Remaining != 99-i || res.RetryAfter != 0 {
			t.Fatalf("request %d: %+v, want allowed with %d remaining", i+1, res, 99-i)
		}
		if res.Reset.Before(before) || res.Reset.After(time.Now().Add(time.Minute)) {
			t.Fatalf("request %d: Reset %v is not within the next window", i+1, res.Reset)
		}
	}
	res := allow(t, l, key)
	if res.Allowed || res.Remaining != 0 {
		t.Fatalf("request 101: %+v, want denied with 0 remaining", res)
	}
	if res.RetryAfter <= 0 || res.RetryAfter > time.Minute {
		t.Errorf("RetryAfter = %v, want within (0, 1m]", res.RetryAfter)
	}
	if s := res.RetryAfterSeconds(); s < 1 || s > 60 {
		t.Errorf("RetryAfterSeconds = %d, want 1..60", s)
	}

	// Denied requests are not logged, and the log expires with the window.
	redisKey := ratelimit.KeyPrefix + key
	allow(t, l, key)
	if n := rdb.ZCard(context.Background(), redisKey).Val(); n != 100 {
		t.Errorf("%s holds %d entries, want 100 (denied requests not recorded)", redisKey, n)
	}
	if ttl := rdb.PTTL(context.Background(), redisKey).Val(); ttl <= 0 || ttl > time.Minute {
		t.Errorf("%s TTL = %v, want within (0, 1m]", redisKey, ttl)
	}
}

func TestProcessesShareTheLimit(t *testing.T) {
	rdb := testRedis(t)
	processes := []*ratelimit.Limiter{
		redisLimiter(t, rdb, 100, time.Minute),
		redisLimiter(t, anotherClient(t, rdb), 100, time.Minute),
	}

	var allowed atomic.Int32
	var wg sync.WaitGroup
	for g := range 40 {
		wg.Go(func() {
			l := processes[g%len(processes)]
			for range 10 {
				res, err := l.Allow(context.Background(), "shared")
				if err != nil {
					t.Error(err)
					return
				}
				if res.Allowed {
					allowed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if n := allowed.Load(); n != 100 {
		t.Errorf("two processes allowed %d of 400 requests, want exactly 100", n)
	}
}

func TestWindowSlides(t *testing.T) {
	rdb := testRedis(t)
	const limit, window = 5, time.Second
	l := redisLimiter(t, rdb, limit, window)

	// Use up the window, then wait out the RetryAfter of the denial.
	for range limit {
		allow(t, l, "sliding")
	}
	denied := allow(t, l, "sliding")
	if denied.Allowed {
		t.Fatal("request 6 allowed in a 5-per-second window")
	}
	time.Sleep(denied.RetryAfter + 10*time.Millisecond)
	if res := allow(t, l, "sliding"); !res.Allowed {
		t.Fatalf("after RetryAfter: %+v, want allowed again", res)
	}

	// Then a steady stream for a few windows. Redis saw each allowed request
	// somewhere between its send and its reply, so if request k and request
	// k+limit both got in, the reply to k+limit must come at least a window
	// after the send of k; otherwise limit+1 requests shared one window.
	type span struct{ sent, answered time.Time }
	var in []span
	for end := time.Now().Add(2500 * time.Millisecond); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		sent := time.Now()
		if allow(t, l, "sliding").Allowed {
			in = append(in, span{sent, time.Now()})
		}
	}
	for k := 0; k+limit < len(in); k++ {
		if gap := in[k+limit].answered.Sub(in[k].sent); gap < window {
			t.Fatalf("requests %d and %d were both allowed %v apart, within one %v window", k, k+limit, gap, window)
		}
	}
	if len(in) <= limit {
		t.Errorf("only %d requests allowed over 2.5 windows; the window never slid", len(in))
	}
}

func TestKeysAreIndependent(t *testing.T) {
	rdb := testRedis(t)
	l := redisLimiter(t, rdb, 2, time.Minute)
	allow(t, l, "a")
	allow(t, l, "a")
	if allow(t, l, "a").Allowed {
		t.Fatal("key a: third request allowed with limit 2")
	}
	if res := allow(t, l, "b"); !res.Allowed || res.Remaining != 1 {
		t.Errorf("key b after key a was exhausted: %+v, want allowed with 1 remaining", res)
	}
}

func TestFallbackWhenRedisIsDown(t *testing.T) {
	dead := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1})
	t.Cleanup(func() { dead.Close() })
	logs, logOpt := captureLog()
	l := newLimiter(t, dead, 5, time.Minute, logOpt)
	const secretishKey = "rlb_live_should_never_be_logged"

	for i := range 5 {
		if res := allow(t, l, secretishKey); !res.Allowed || res.Remaining != 4-i {
			t.Fatalf("request %d: %+v, want allowed with %d remaining", i+1, res, 4-i)
		}
	}
	for range 20 {
		res := allow(t, l, secretishKey)
		if res.Allowed || res.Remaining != 0 || res.RetryAfter <= 0 {
			t.Fatalf("over the limit in fallback: %+v, want denied with RetryAfter", res)
		}
	}
	if res := allow(t, l, "other-key"); !res.Allowed {
		t.Errorf("another key in fallback: %+v, want allowed", res)
	}

	if n := logs.count(fallbackLine); n != 1 {
		t.Errorf("logged %d fallback lines over 26 requests, want 1:\n%s", n, strings.Join(logs.lines(), "\n"))
	}
	if strings.Contains(strings.Join(logs.lines(), "\n"), secretishKey) {
		t.Error("the log contains the key")
	}
}

// faultHook makes the limiter's script calls fail or hang on demand, in
// front of a real Redis.
type faultHook struct {
	down    atomic.Bool
	hang    chan struct{} // non-nil: calls block until it is closed
	calls   atomic.Int32
	hanging atomic.Int32
}

func (h *faultHook) DialHook(next redis.DialHook) redis.DialHook { return next }

// The limiter runs its script in pipelines; single commands are hooked too,
// so the faults hold however the limiter sends it.
func (h *faultHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if err := h.fault(cmds); err != nil {
			return err
		}
		return next(ctx, cmds)
	}
}

func (h *faultHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if err := h.fault([]redis.Cmder{cmd}); err != nil {
			return err
		}
		return next(ctx, cmd)
	}
}

// fault applies the injected faults to calls that run the script.
func (h *faultHook) fault(cmds []redis.Cmder) error {
	script := false
	for _, cmd := range cmds {
		if name := cmd.Name(); name == "evalsha" || name == "eval" {
			script = true
		}
	}
	if !script {
		return nil
	}
	h.calls.Add(1)
	if h.hang != nil {
		// Ignore ctx, as a client without ContextTimeoutEnabled would.
		h.hanging.Add(1)
		<-h.hang
		h.hanging.Add(-1)
	}
	if h.down.Load() {
		err := errors.New("connection refused (injected)")
		for _, cmd := range cmds {
			cmd.SetErr(err)
		}
		return err
	}
	return nil
}

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func TestOutageAndRecovery(t *testing.T) {
	rdb := testRedis(t)
	hook := &faultHook{}
	rdb.AddHook(hook)
	clock := &fakeClock{now: time.Now()}
	logs, logOpt := captureLog()
	l := newLimiter(t, rdb, 3, time.Minute, logOpt,
		ratelimit.WithClock(clock.Now), ratelimit.WithRetryInterval(time.Second))

	hook.down.Store(true)
	for range 3 {
		if res := allow(t, l, "k"); !res.Allowed {
			t.Fatalf("Redis down, within the limit: %+v, want allowed by the fallback", res)
		}
	}
	if n := hook.calls.Load(); n != 1 {
		t.Fatalf("Redis tried %d times in one retry interval, want 1", n)
	}

	clock.Advance(1100 * time.Millisecond)
	if res := allow(t, l, "k"); res.Allowed {
		t.Fatalf("fallback allowed request 4 with limit 3: %+v", res)
	}
	if n := hook.calls.Load(); n != 2 {
		t.Fatalf("after the retry interval Redis was tried %d times in all, want 2", n)
	}

	hook.down.Store(false)
	clock.Advance(1100 * time.Millisecond)
	// Redis has no entries for k (they went to the fallback), so an answer
	// from Redis allows what the fallback would deny.
	if res := allow(t, l, "k"); !res.Allowed || res.Remaining != 2 {
		t.Fatalf("after recovery: %+v, want Redis's answer (allowed, 2 remaining)", res)
	}
	before := hook.calls.Load()
	allow(t, l, "k")
	if hook.calls.Load() == before {
		t.Error("after recovery a request did not go to Redis")
	}

	if f, r := logs.count(fallbackLine), logs.count(recoveryLine); f != 1 || r != 1 {
		t.Errorf("logged %d fallback and %d recovery lines, want 1 each:\n%s", f, r, strings.Join(logs.lines(), "\n"))
	}

	// A second outage starts the fallback afresh (the first outage's three
	// requests, still inside the fake minute, were forgotten on recovery)
	// and is logged again.
	hook.down.Store(true)
	if res := allow(t, l, "k"); !res.Allowed || res.Remaining != 2 {
		t.Fatalf("second outage: %+v, want a fresh fallback (allowed, 2 remaining)", res)
	}
	if n := logs.count(fallbackLine); n != 2 {
		t.Errorf("logged %d fallback lines over two outages, want 2", n)
	}
}

func TestSlowRedisFallsBackAfterTimeout(t *testing.T) {
	rdb := testRedis(t)
	hook := &faultHook{hang: make(chan struct{})}
	rdb.AddHook(hook)
	logs, logOpt := captureLog()
	l := newLimiter(t, rdb, 5, time.Minute, logOpt, ratelimit.WithTimeout(50*time.Millisecond))
	// Before the limiter and rdb close (cleanups run last-in first-out):
	// Close waits for the hanging call.
	t.Cleanup(func() { close(hook.hang) })

	res := allow(t, l, "slow")
	if !res.Allowed {
		t.Fatalf("%+v, want allowed by the fallback", res)
	}
	if hook.hanging.Load() != 1 {
		t.Fatal("Allow did not wait for a hanging Redis call; the test proves nothing")
	}
	if n := logs.count(fallbackLine); n != 1 {
		t.Errorf("logged %d fallback lines, want 1", n)
	}
}

func TestContextCancelled(t *testing.T) {
	rdb := testRedis(t)
	logs, logOpt := captureLog()
	l := newLimiter(t, rdb, 5, time.Minute, logOpt)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := l.Allow(ctx, "k"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Allow with a cancelled context = %v, want context.Canceled", err)
	}
	if n := logs.count(fallbackLine); n != 0 {
		t.Error("a caller's cancellation was taken for a Redis outage")
	}
}

func TestNewRejectsBadArguments(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	t.Cleanup(func() { rdb.Close() })
	tests := []struct {
		name   string
		rdb    redis.UniversalClient
		limit  int
		window time.Duration
	}{
		{"nil client", nil, 100, time.Minute},
		{"zero limit", rdb, 0, time.Minute},
		{"negative limit", rdb, -1, time.Minute},
		{"zero window", rdb, 100, 0},
		{"sub-millisecond window", rdb, 100, time.Microsecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if l, err := ratelimit.New(tt.rdb, tt.limit, tt.window); err == nil {
				l.Close()
				t.Error("New succeeded")
			}
		})
	}
}

func TestResultHeaderValues(t *testing.T) {
	base := time.Unix(1_700_000_000, 0)
	tests := []struct {
		name      string
		res       ratelimit.Result
		wantReset int64
		wantRetry int
	}{
		{"whole second", ratelimit.Result{Allowed: true, Reset: base}, 1_700_000_000, 0},
		{"fraction rounds up", ratelimit.Result{Reset: base.Add(time.Millisecond), RetryAfter: 1500 * time.Millisecond}, 1_700_000_001, 2},
		{"under a second is 1", ratelimit.Result{Reset: base.Add(999 * time.Millisecond), RetryAfter: time.Millisecond}, 1_700_000_001, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.res.ResetUnix(); got != tt.wantReset {
				t.Errorf("ResetUnix = %d, want %d", got, tt.wantReset)
			}
			if got := tt.res.RetryAfterSeconds(); got != tt.wantRetry {
				t.Errorf("RetryAfterSeconds = %d, want %d", got, tt.wantRetry)
			}
		})
	}
}

// A Redis that forgot the script (restart, SCRIPT FLUSH) gets it again, and
// the requests that met NOSCRIPT count once each: none is lost or doubled.
func TestForgottenScriptIsReloaded(t *testing.T) {
	rdb := testRedis(t)
	l := redisLimiter(t, rdb, 100, time.Minute)
	allow(t, l, "flush")
	if err := rdb.ScriptFlush(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() { allow(t, l, "flush") })
	}
	wg.Wait()
	if n := rdb.ZCard(context.Background(), ratelimit.KeyPrefix+"flush").Val(); n != 21 {
		t.Errorf("the log holds %d requests, want 21", n)
	}
}
