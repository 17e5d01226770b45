package cli_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/relaybook/relaybook/internal/delivery"
	"github.com/relaybook/relaybook/internal/queue"
	"github.com/relaybook/relaybook/internal/secretbox"
	"github.com/relaybook/relaybook/internal/testenv"
)

// TestRedeliverLoopSendsEachEventOnce runs the operator's loop of issue 13,
//
//	relaybook deliveries list --webhook $HOOK --failed | cut -f1 | xargs -n1 relaybook deliveries redeliver
//
// through the CLI against a running worker: every event had three failed
// attempts, and each is sent exactly once more.
func TestRedeliverLoopSendsEachEventOnce(t *testing.T) {
	e := newEnv(t)
	t.Setenv("RELAYBOOK_WEBHOOKS_ALLOW_HTTP", "true")
	// Tasks other tests left on the shared queue are not this test's.
	if err := testenv.Redis(t).FlushDB(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
	var down atomic.Bool
	down.Store(true)
	var mu sync.Mutex
	sent := map[string]int{} // event id → requests answered 200
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		mu.Lock()
		sent[r.Header.Get("X-Relay-Event-ID")]++
		mu.Unlock()
	}))
	t.Cleanup(receiver.Close)
	startWorker(t)

	team := e.object("teams", "create", "--name", "Loop")["id"].(string)
	hook := e.object("webhooks", "create", "--team", team, "--url", receiver.URL, "--events", "book.created")["webhook"].(map[string]any)["id"].(string)
	const events = 3
	for range events {
		e.ok("books", "create", "--team", team, "--name", "Book")
	}
	waitFor(t, "every delivery failed", func() bool { return countDeliveries(t, hook, "failed") == events })
	down.Store(false)

	list := e.ok("deliveries", "list", "--webhook", hook, "--failed")
	var ids []string
	for _, line := range strings.Split(strings.TrimSpace(list.Stdout), "\n") {
		ids = append(ids, strings.Split(line, "\t")[0]) // cut -f1
	}
	if len(ids) != events*3 {
		t.Fatalf("list --failed printed %d rows, want %d (3 attempts per event)", len(ids), events*3)
	}
	queued := 0
	for _, id := range ids { // xargs -n1
		out := e.ok("deliveries", "redeliver", id, "-o", "json")
		if strings.Contains(out.Stdout, `"queued": true`) {
			queued++
		}
		time.Sleep(20 * time.Millisecond) // let the worker race the loop
	}
	if queued != events {
		t.Errorf("the loop queued %d redeliveries, want %d", queued, events)
	}
	waitFor(t, "every delivery succeeded", func() bool { return countDeliveries(t, hook, "succeeded") == events })
	time.Sleep(300 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	if len(sent) != events {
		t.Errorf("%d events delivered, want %d", len(sent), events)
	}
	for id, n := range sent {
		if n != 1 {
			t.Errorf("event %s sent %d times after the outage, want once", id, n)
		}
	}
}

// startWorker runs a delivery worker on this package's database and the
// queue the CLI dispatches to, with retries a few milliseconds apart.
func startWorker(t *testing.T) {
	t.Helper()
	store := db(t)
	box, err := secretbox.New(testEncryptionKey)
	if err != nil {
		t.Fatal(err)
	}
	store.Cipher = box
	opt, err := asynq.ParseRedisURI(testenv.RedisURL(t))
	if err != nil {
		t.Fatal(err)
	}
	w, err := delivery.StartWorker(delivery.WorkerConfig{
		Store: store, Redis: opt, Queue: queue.DefaultQueue,
		Concurrency: 4, PollInterval: 5 * time.Millisecond, Timeout: 2 * time.Second,
		RetryDelays: []time.Duration{10 * time.Millisecond, 20 * time.Millisecond}, AllowPrivateNetworks: true,
		SweepInterval: time.Hour, SweepGrace: time.Hour, ShutdownTimeout: 3 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)
}

func countDeliveries(t *testing.T, webhookID, state string) int {
	t.Helper()
	var n int
	if err := db(t).SQL().Get(&n, `SELECT count(*) FROM deliveries WHERE webhook_id = $1 AND state = $2`, webhookID, state); err != nil {
		t.Fatal(err)
	}
	return n
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestWebhooksRecover(t *testing.T) {
	e := newEnv(t)
	team := e.object("teams", "create", "--name", "Recover")["id"].(string)
	hook := e.object("webhooks", "create", "--team", team, "--url", "https://example.com/hook", "--events", "book.created")["webhook"].(map[string]any)["id"].(string)
	for range 2 {
		e.ok("books", "create", "--team", team, "--name", "Book")
	}
	// No worker runs here: the test ends the deliveries as failed itself.
	if _, err := db(t).SQL().Exec(`UPDATE deliveries SET state = 'failed', attempts = 4 WHERE webhook_id = $1`, hook); err != nil {
		t.Fatal(err)
	}
	got := e.object("webhooks", "recover", hook, "--since", "10m")
	if got["webhook_id"] != hook || got["queued"] != float64(2) || got["since"] == nil || got["until"] == nil {
		t.Errorf("webhooks recover -o json = %v, want 2 queued", got)
	}
	if n := countDeliveries(t, hook, "pending"); n != 2 {
		t.Errorf("%d deliveries pending after recover, want 2", n)
	}
	if out := e.ok("webhooks", "recover", hook, "--since", "10m"); !strings.Contains(out.Stdout, "queued:     0") {
		t.Errorf("second recover printed %q, want 0 queued", out.Stdout)
	}
	e.fails(2, []string{"webhooks", "recover", hook, "--since", "yesterday"}, "--since", "yesterday")
	e.fails(2, []string{"webhooks", "recover", hook, "--since", "1h", "--until", "2h"}, "--until", "before since")
	e.fails(1, []string{"webhooks", "recover", "00000000-0000-4000-8000-000000000000", "--since", "1h"}, "webhook", "not found")
}
