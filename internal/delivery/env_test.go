package delivery_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/relaybook/relaybook/internal/cli"
	"github.com/relaybook/relaybook/internal/delivery"
	"github.com/relaybook/relaybook/internal/postgres"
	"github.com/relaybook/relaybook/internal/queue"
	"github.com/relaybook/relaybook/internal/relaybook"
	"github.com/relaybook/relaybook/internal/secretbox"
	"github.com/relaybook/relaybook/internal/testenv"
)

func TestMain(m *testing.M) {
	if os.Getenv(asRelaybook) != "" {
		os.Exit(cli.Main()) // a worker process of TestWorkerKilledMidDelivery
	}
	os.Exit(testenv.Main(m))
}

const testKey = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

// env is one test's slice of the engine: its own team, its own queue name,
// the package's database and Redis DB.
type env struct {
	t     *testing.T
	db    *postgres.DB
	redis asynq.RedisConnOpt
	queue string
	team  *relaybook.Team
}

func newEnv(t *testing.T) *env {
	t.Helper()
	db := testenv.DB(t)
	box, err := secretbox.New(testKey)
	if err != nil {
		t.Fatal(err)
	}
	db.Cipher = box
	db.URLPolicy = relaybook.URLPolicy{AllowHTTP: true}
	opt, err := asynq.ParseRedisURI(testenv.RedisURL(t))
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, db: db, redis: opt, queue: testenv.UniqueName("q")}
	e.team, err = postgres.NewTeamService(db).CreateTeam(context.Background(), "Team "+e.queue)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// dispatch wires after-commit enqueueing to this test's queue.
func (e *env) dispatch() *queue.Dispatcher {
	e.t.Helper()
	client := asynq.NewClient(e.redis)
	d := queue.NewDispatcher(&queue.Enqueuer{Client: client, Queue: e.queue, DeliveryTimeout: time.Second}, nil)
	e.db.Dispatcher = d
	e.t.Cleanup(func() { d.Close(time.Second); client.Close() })
	return d
}

type workerOpts struct {
	// concurrency defaults to 10; 1 makes arrival order the queue's order.
	concurrency  int
	timeout      time.Duration
	delays       []time.Duration
	allowPrivate *bool
	sweepGrace   time.Duration
}

func (e *env) startWorker(o workerOpts) *delivery.Worker {
	e.t.Helper()
	if o.timeout == 0 {
		o.timeout = 2 * time.Second
	}
	if o.delays == nil {
		o.delays = []time.Duration{200 * time.Millisecond, 400 * time.Millisecond, 600 * time.Millisecond}
	}
	allow := true
	if o.allowPrivate != nil {
		allow = *o.allowPrivate
	}
	if o.concurrency == 0 {
		o.concurrency = 10
	}
	if o.sweepGrace == 0 {
		o.sweepGrace = time.Hour // sweeping is off unless a test turns it on
	}
	w, err := delivery.StartWorker(delivery.WorkerConfig{
		Store: e.db, Redis: e.redis, Queue: e.queue,
		Concurrency: o.concurrency, PollInterval: 5 * time.Millisecond,
		Timeout: o.timeout, RetryDelays: o.delays, AllowPrivateNetworks: allow,
		SweepInterval: 100 * time.Millisecond, SweepGrace: o.sweepGrace,
		ShutdownTimeout: o.timeout + time.Second,
	})
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(w.Stop)
	return w
}

func (e *env) webhook(url string, events ...string) *relaybook.CreatedWebhook {
	e.t.Helper()
	if len(events) == 0 {
		events = relaybook.EventTypes
	}
	w, err := postgres.NewWebhookService(e.db).CreateWebhook(context.Background(), relaybook.WebhookInput{TeamID: e.team.ID, URL: url, Events: events})
	if err != nil {
		e.t.Fatal(err)
	}
	return w
}

func (e *env) book() *relaybook.Book {
	e.t.Helper()
	b, err := postgres.NewBookService(e.db).CreateBook(context.Background(), e.team.ID, "Book")
	if err != nil {
		e.t.Fatal(err)
	}
	return b
}

func (e *env) createContact(b *relaybook.Book, first string) *relaybook.Contact {
	e.t.Helper()
	c, err := postgres.NewContactService(e.db).CreateContact(context.Background(),
		relaybook.Scope{TeamID: e.team.ID, BookID: b.ID}, relaybook.ContactInput{FirstName: &first})
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// attempts returns a webhook's log, oldest first.
func (e *env) attempts(webhookID string) []*relaybook.DeliveryAttempt {
	e.t.Helper()
	page, err := postgres.NewDeliveryService(e.db).ListAttempts(context.Background(), relaybook.DeliveryFilter{WebhookID: webhookID, Limit: 200})
	if err != nil {
		e.t.Fatal(err)
	}
	list := page.Attempts
	for i, j := 0, len(list)-1; i < j; i, j = i+1, j-1 {
		list[i], list[j] = list[j], list[i]
	}
	return list
}

// request is what a receiver saw.
type request struct {
	At      time.Time
	Path    string
	Header  http.Header
	Body    []byte
	Attempt int
}

// receiver is a webhook endpoint that records requests and answers with
// respond(n) for the n-th request (1-based).
type receiver struct {
	*httptest.Server
	mu      sync.Mutex
	reqs    []request
	arrived chan struct{}
	respond func(n int, w http.ResponseWriter, r *http.Request)
}

func newReceiver(t *testing.T, respond func(n int, w http.ResponseWriter, r *http.Request)) *receiver {
	rc := &receiver{arrived: make(chan struct{}, 10000), respond: respond}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		attempt, _ := strconv.Atoi(r.Header.Get("X-Relay-Attempt"))
		rc.mu.Lock()
		rc.reqs = append(rc.reqs, request{At: time.Now(), Path: r.URL.Path, Header: r.Header.Clone(), Body: body, Attempt: attempt})
		n := len(rc.reqs)
		rc.mu.Unlock()
		if rc.respond != nil {
			rc.respond(n, w, r)
		} else {
			w.Write([]byte("OK"))
		}
		rc.arrived <- struct{}{}
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) requests() []request {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]request(nil), rc.reqs...)
}

// waitFor waits until the receiver has seen n requests.
func (rc *receiver) waitFor(t *testing.T, n int, timeout time.Duration) []request {
	t.Helper()
	deadline := time.After(timeout)
	for {
		if got := rc.requests(); len(got) >= n {
			return got
		}
		select {
		case <-rc.arrived:
		case <-deadline:
			t.Fatalf("receiver got %d requests in %s, want %d", len(rc.requests()), timeout, n)
		}
	}
}

// verifySignature is the Go snippet of seed 004, unchanged: receivers copy
// it from our docs, so it must accept what we send.
func verifySignature(body []byte, signature, secret string) bool {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	expected := hex.EncodeToString(mac.Sum(nil))
	return hmac.Equal([]byte(signature), []byte(expected))
}

// waitState waits for a delivery log condition, polling PostgreSQL.
func waitUntil(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func decode(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("payload is not JSON: %v: %s", err, b)
	}
	return m
}
