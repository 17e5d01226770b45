package api_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/relaybook/relaybook/internal/api"
	"github.com/relaybook/relaybook/internal/ratelimit"
	"github.com/relaybook/relaybook/internal/relaybook"
	"github.com/relaybook/relaybook/internal/testenv"
)

// The 101st request in a minute is refused, counted across two API
// processes that share one Redis: requests alternate between them.
func TestRateLimitAcrossServers(t *testing.T) {
	rdb := testenv.Redis(t)
	e := newEnv(t, api.Options{Limiter: newLimiter(t, rdb, 100)})
	second := startServer(t, e.svc, api.Options{Limiter: newLimiter(t, rdb, 100)})
	tm := e.newTeam(t)
	servers := []string{e.url, second}

	start := time.Now()
	for i := 1; i <= 100; i++ {
		r := do(t, "GET", servers[i%2]+"/api/v1/contacts", tm.keyHeaders(), nil).expect(t, http.StatusOK)
		checkRateHeaders(t, r, 100, 100-i, start)
		if r.Header.Get("Retry-After") != "" {
			t.Fatalf("request %d has Retry-After", i)
		}
	}
	for i, srv := range servers {
		r := do(t, "GET", srv+"/api/v1/contacts", tm.keyHeaders(), nil).expect(t, http.StatusTooManyRequests, relaybook.ERATELIMITED)
		checkRateHeaders(t, r, 100, 0, start)
		retry, err := strconv.Atoi(r.Header.Get("Retry-After"))
		if err != nil || retry < 1 || retry > 60 {
			t.Errorf("server %d: Retry-After %q, want whole seconds in 1..60", i, r.Header.Get("Retry-After"))
		}
	}
	// Other keys have their own budget; a refused request is not a write.
	other := e.newTeam(t)
	do(t, "POST", second+"/api/v1/contacts", other.keyHeaders(), `{"first_name":"x"}`).expect(t, http.StatusCreated)
	do(t, "POST", second+"/api/v1/contacts", tm.keyHeaders(), `{"first_name":"x"}`).expect(t, http.StatusTooManyRequests)
	if evs := e.contactEvents(t, tm.ID); len(evs) != 0 {
		t.Errorf("a rate-limited request wrote %d events", len(evs))
	}
}

// newLimiter is one serve process's limiter: limit per minute, in Redis.
// The long Redis timeout keeps a busy machine's slow reply from switching
// it to its in-process fallback, whose counts these tests do not expect
// (the ratelimit package tests the fallback).
func newLimiter(tb testing.TB, rdb redis.UniversalClient, limit int) *ratelimit.Limiter {
	tb.Helper()
	l, err := ratelimit.New(rdb, limit, time.Minute, ratelimit.WithLogger(slog.New(slog.DiscardHandler)), ratelimit.WithTimeout(5*time.Second))
	must(tb, err)
	tb.Cleanup(l.Close)
	return l
}

func checkRateHeaders(tb testing.TB, r *response, limit, remaining int, start time.Time) {
	tb.Helper()
	if got := r.Header.Get("X-RateLimit-Limit"); got != strconv.Itoa(limit) {
		tb.Fatalf("X-RateLimit-Limit %q, want %d", got, limit)
	}
	if got := r.Header.Get("X-RateLimit-Remaining"); got != strconv.Itoa(remaining) {
		tb.Fatalf("X-RateLimit-Remaining %q, want %d", got, remaining)
	}
	reset, err := strconv.ParseInt(r.Header.Get("X-RateLimit-Reset"), 10, 64)
	if err != nil || reset < start.Unix() || reset > time.Now().Add(61*time.Second).Unix() {
		tb.Fatalf("X-RateLimit-Reset %q is not unix seconds within the next minute", r.Header.Get("X-RateLimit-Reset"))
	}
}

// Team-admin requests are limited per user, with the same headers.
func TestRateLimitTeamAdmin(t *testing.T) {
	rdb := testenv.Redis(t)
	e := newEnv(t, api.Options{Limiter: newLimiter(t, rdb, 3)})
	tm := e.newTeam(t)
	url := e.url + "/api/teams/" + tm.ID + "/webhooks"
	for range 3 {
		r := do(t, "GET", url, bearerHeader(token(t, tm.Admin)), nil).expect(t, http.StatusOK)
		if r.Header.Get("X-RateLimit-Limit") != "3" {
			t.Fatalf("no rate-limit headers on a team route: %v", r.Header)
		}
	}
	r := do(t, "GET", url, bearerHeader(token(t, tm.Admin)), nil).expect(t, http.StatusTooManyRequests, relaybook.ERATELIMITED)
	if r.Header.Get("Retry-After") == "" || r.Header.Get("X-RateLimit-Remaining") != "0" {
		t.Errorf("429 headers: %v", r.Header)
	}
	// The API key of the same team is a different budget.
	do(t, "GET", e.url+"/api/v1/books", tm.keyHeaders(), nil).expect(t, http.StatusOK)
}

// failingLimiter is a limiter whose store is broken beyond its own fallback.
type failingLimiter struct{}

func (failingLimiter) Allow(context.Context, string) (ratelimit.Result, error) {
	return ratelimit.Result{}, errors.New("limiter broken")
}

func TestRateLimiterErrorLetsRequestsThrough(t *testing.T) {
	e := newEnv(t, api.Options{Limiter: failingLimiter{}})
	tm := e.newTeam(t)
	do(t, "GET", e.url+"/api/v1/books", tm.keyHeaders(), nil).expect(t, http.StatusOK)
}

func TestUnknownRoutesAndMethods(t *testing.T) {
	e := newEnv(t, api.Options{})
	tm := e.newTeam(t)
	for _, path := range []string{"/", "/api", "/api/v1", "/api/v1/nope", "/api/v1/contacts/", "/api/v2/contacts", "/api/teams/x", "/api/teams/x/webhooks/y/z"} {
		do(t, "GET", e.url+path, tm.keyHeaders(), nil).expect(t, http.StatusNotFound, relaybook.ENOTFOUND)
	}
	for _, rt := range []struct{ method, path string }{
		{"PUT", "/api/v1/contacts"}, {"DELETE", "/api/v1/contacts"}, {"POST", "/api/v1/books"},
		{"PUT", "/api/v1/contacts/x"}, {"GET", "/api/v1/contacts/x/labels"}, {"PUT", "/api/teams/x/webhooks"},
		{"POST", "/api/teams/x/webhooks/y/deliveries"}, {"POST", "/healthz"},
	} {
		do(t, rt.method, e.url+rt.path, tm.keyHeaders(), nil).expect(t, http.StatusMethodNotAllowed, "method_not_allowed")
	}
}

// panicky is a contact service with a bug.
type panicky struct{ relaybook.ContactService }

func (panicky) FindContact(context.Context, relaybook.Scope, string) (*relaybook.Contact, error) {
	panic("boom")
}

func (panicky) DeleteContact(context.Context, relaybook.Scope, string) error {
	return errors.New(`pq: secret detail "rlb_leak"`)
}

func TestPanicsAndInternalErrors(t *testing.T) {
	var logs syncBuffer
	e := newEnv(t, api.Options{})
	svc := e.svc
	svc.Contacts = panicky{svc.Contacts}
	url := startServer(t, svc, api.Options{Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	tm := e.newTeam(t)

	r := do(t, "GET", url+"/api/v1/contacts/00000000-0000-0000-0000-000000000000", tm.keyHeaders(), nil).expect(t, http.StatusInternalServerError, relaybook.EINTERNAL)
	if r.Body.Error.Message != "internal error" {
		t.Errorf("panic message %q", r.Body.Error.Message)
	}
	r = do(t, "DELETE", url+"/api/v1/contacts/00000000-0000-0000-0000-000000000000", tm.keyHeaders(), nil).expect(t, http.StatusInternalServerError, relaybook.EINTERNAL)
	if strings.Contains(string(r.Raw), "rlb_leak") || r.Body.Error.Message != "internal error" {
		t.Errorf("internal error leaks detail: %s", r.Raw)
	}
	id := r.Header.Get("X-Request-ID")
	out := logs.String()
	if !strings.Contains(out, `"panic":"boom"`) || !strings.Contains(out, id) || !strings.Contains(out, "rlb_leak") {
		t.Errorf("log lacks the panic, the request id %s or the error:\n%s", id, out)
	}
	// The server survives.
	do(t, "GET", url+"/api/v1/books", tm.keyHeaders(), nil).expect(t, http.StatusOK)
	// The log never holds credentials.
	if strings.Contains(out, tm.Key) || strings.Contains(out, "Bearer") {
		t.Errorf("log holds a credential:\n%s", out)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestHealthAndRequestID(t *testing.T) {
	e := newEnv(t, api.Options{Ping: func(ctx context.Context) error { return nil }})
	r := do(t, "GET", e.url+"/healthz", nil, nil).expect(t, http.StatusOK)
	if len(r.Header.Get("X-Request-ID")) < 16 {
		t.Errorf("X-Request-ID %q", r.Header.Get("X-Request-ID"))
	}
	r = do(t, "GET", e.url+"/healthz", map[string]string{"X-Request-ID": "lb-1234"}, nil)
	if r.Header.Get("X-Request-ID") != "lb-1234" {
		t.Errorf("caller's request id not kept: %q", r.Header.Get("X-Request-ID"))
	}
	r = do(t, "GET", e.url+"/healthz", map[string]string{"X-Request-ID": "bad id\twith spaces"}, nil)
	if strings.Contains(r.Header.Get("X-Request-ID"), " ") {
		t.Errorf("unsafe request id echoed: %q", r.Header.Get("X-Request-ID"))
	}

	down := startServer(t, e.svc, api.Options{Ping: func(ctx context.Context) error { return errors.New("connection refused") }})
	do(t, "GET", down+"/healthz", nil, nil).expect(t, http.StatusServiceUnavailable, relaybook.EUNAVAILABLE)
}

// Serve stops when its context ends, letting a request in flight finish.
func TestServeGracefulShutdown(t *testing.T) {
	e := newEnv(t, api.Options{})
	tm := e.newTeam(t)
	srv := api.NewServer(e.svc, api.Options{JWTSecret: jwtSecret})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln, 5*time.Second) }()
	url := "http://" + ln.Addr().String()
	do(t, "GET", url+"/api/v1/books", tm.keyHeaders(), nil).expect(t, http.StatusOK)
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after cancel")
	}
	if _, err := http.Get(url + "/healthz"); err == nil {
		t.Error("server still answers after shutdown")
	}
}

// With Redis unreachable the API keeps serving, limited per process.
func TestRateLimitWithoutRedis(t *testing.T) {
	dead := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1})
	t.Cleanup(func() { dead.Close() })
	e := newEnv(t, api.Options{Limiter: newLimiter(t, dead, 2)})
	tm := e.newTeam(t)
	for i := range 2 {
		r := do(t, "GET", e.url+"/api/v1/books", tm.keyHeaders(), nil).expect(t, http.StatusOK)
		checkRateHeaders(t, r, 2, 1-i, time.Now().Add(-time.Second))
	}
	do(t, "GET", e.url+"/api/v1/books", tm.keyHeaders(), nil).expect(t, http.StatusTooManyRequests)
}
