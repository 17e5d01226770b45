package delivery_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/relaybook/relaybook/internal/queue"
	"github.com/relaybook/relaybook/internal/relaybook"
	"github.com/relaybook/relaybook/internal/testenv"
)

// eventIDs counts deliveries per event id.
func eventIDs(reqs []request) map[string]int {
	ids := map[string]int{}
	for _, r := range reqs {
		ids[r.Header.Get("X-Relay-Event-ID")]++
	}
	return ids
}

func createContacts(e *env, b *relaybook.Book, n int) {
	for i := range n {
		e.createContact(b, fmt.Sprintf("Contact %d", i))
	}
}

// TestRedisFlushedWhilePending: deliveries enqueued, Redis flushed before
// any worker ran; the sweeper finds them in PostgreSQL and all arrive.
func TestRedisFlushedWhilePending(t *testing.T) {
	e := newEnv(t)
	d := e.dispatch()
	rc := newReceiver(t, nil)
	e.webhook(rc.URL, relaybook.EventContactCreated)
	createContacts(e, e.book(), 20)
	d.Close(2 * time.Second) // everything handed to Redis
	if err := testenv.Redis(t).FlushDB(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
	e.startWorker(workerOpts{sweepGrace: time.Millisecond})
	reqs := rc.waitFor(t, 20, 15*time.Second)
	if ids := eventIDs(reqs); len(ids) != 20 {
		t.Errorf("%d distinct events arrived, want 20", len(ids))
	}
}

// privateRedis runs a redis-server of the test's own on a free port, so the
// test can stop and restart it.
type privateRedis struct {
	t    *testing.T
	port int
	cmd  *exec.Cmd
}

func startPrivateRedis(t *testing.T, port int) *privateRedis {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if testenv.CI() {
			t.Fatalf("redis-server is required with CI=true: %v", err)
		}
		t.Skip("redis-server not installed")
	}
	if port == 0 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port = l.Addr().(*net.TCPAddr).Port
		l.Close()
	}
	cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := &privateRedis{t: t, port: port, cmd: cmd}
	t.Cleanup(r.stop)
	c := redis.NewClient(&redis.Options{Addr: r.addr()})
	defer c.Close()
	waitUntil(t, 5*time.Second, "private redis-server", func() bool { return c.Ping(context.Background()).Err() == nil })
	return r
}

func (r *privateRedis) addr() string { return "127.0.0.1:" + strconv.Itoa(r.port) }

func (r *privateRedis) stop() {
	if r.cmd.ProcessState == nil {
		r.cmd.Process.Kill()
		r.cmd.Wait()
	}
}

// TestRedisDownWhileTakingWrites: Redis goes away while changes commit; the
// writes still succeed, and once Redis is back (empty) every event arrives.
func TestRedisDownWhileTakingWrites(t *testing.T) {
	e := newEnv(t)
	pr := startPrivateRedis(t, 0)
	e.redis = asynq.RedisClientOpt{Addr: pr.addr()}
	e.dispatch()
	rc := newReceiver(t, nil)
	e.webhook(rc.URL, relaybook.EventContactCreated)
	b := e.book()

	createContacts(e, b, 5)
	pr.stop()
	createContacts(e, b, 10) // must not fail: PostgreSQL is the record

	pr2 := startPrivateRedis(t, pr.port)
	_ = pr2
	e.startWorker(workerOpts{sweepGrace: time.Millisecond})
	reqs := rc.waitFor(t, 15, 20*time.Second)
	if ids := eventIDs(reqs); len(ids) != 15 {
		t.Errorf("%d distinct events arrived, want 15", len(ids))
	}
}

// TestTwoWorkersDeliverEachOnce: two workers on one queue share the work
// without sending anything twice.
func TestTwoWorkersDeliverEachOnce(t *testing.T) {
	e := newEnv(t)
	e.dispatch()
	rc := newReceiver(t, nil)
	e.webhook(rc.URL, relaybook.EventContactCreated)
	e.startWorker(workerOpts{})
	e.startWorker(workerOpts{})
	createContacts(e, e.book(), 100)
	rc.waitFor(t, 100, 20*time.Second)
	time.Sleep(500 * time.Millisecond)
	ids := eventIDs(rc.requests())
	if len(ids) != 100 {
		t.Errorf("%d distinct events, want 100", len(ids))
	}
	for id, n := range ids {
		if n != 1 {
			t.Errorf("event %s delivered %d times", id, n)
		}
	}
}

// TestWorkerKilledMidDelivery SIGKILLs a worker process while its request is
// in flight. The event must still arrive, with the same event id, through
// another worker once Asynq's recoverer finds the task's lease expired.
// Waiting for that in real time costs one to two minutes (a 30 s lease,
// taken back 30 s after it expires, by a check that runs once a minute), so
// the test ages the dead worker's lease in Redis instead: the next worker's
// recoverer, which runs as it starts, then takes the task back at once by
// the same path.
func TestWorkerKilledMidDelivery(t *testing.T) {
	e := newEnv(t)
	e.queue = queue.DefaultQueue // the relaybook binary's queue
	e.dispatch()

	var once sync.Once
	inFlight := make(chan struct{})
	release := make(chan struct{})
	rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 1 {
			once.Do(func() { close(inFlight) })
			<-release // hang until the worker is dead
			return
		}
		w.Write([]byte("OK"))
	})
	defer close(release)
	e.webhook(rc.URL, relaybook.EventContactCreated)

	bin := relaybookBinary(t)
	first := startWorkerProcess(t, bin)
	e.createContact(e.book(), "Killed")
	select {
	case <-inFlight:
	case <-time.After(10 * time.Second):
		t.Fatal("first attempt never reached the receiver")
	}
	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	first.Wait()
	expireLeases(t, queue.DefaultQueue)

	startWorkerProcess(t, bin)
	reqs := rc.waitFor(t, 2, 60*time.Second)
	if reqs[0].Header.Get("X-Relay-Event-ID") != reqs[1].Header.Get("X-Relay-Event-ID") {
		t.Error("redelivery after the kill has another event id")
	}
}

// expireLeases moves every lease of an Asynq queue two minutes into the
// past, as if the worker holding it had been dead that long. Asynq keeps
// leases in a sorted set scored by expiry (Unix seconds).
func expireLeases(t *testing.T, qname string) {
	t.Helper()
	ctx := context.Background()
	rdb := testenv.Redis(t)
	key := "asynq:{" + qname + "}:lease"
	ids, err := rdb.ZRange(ctx, key, 0, -1).Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 1 {
		t.Fatalf("%d leases in %s, want the killed worker's one (has Asynq's key layout changed?)", len(ids), key)
	}
	past := float64(time.Now().Add(-2 * time.Minute).Unix())
	if err := rdb.ZAdd(ctx, key, redis.Z{Score: past, Member: ids[0]}).Err(); err != nil {
		t.Fatal(err)
	}
}

// asRelaybook, set in a process's environment, makes this test binary run
// as the relaybook command (TestMain): the worker processes the fault tests
// kill are this binary run again, which saves building cmd/relaybook.
const asRelaybook = "RELAYBOOK_TEST_AS_RELAYBOOK"

func relaybookBinary(t *testing.T) string {
	t.Helper()
	bin, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

func startWorkerProcess(t *testing.T, bin string) *exec.Cmd {
	t.Helper()
	// An empty config file keeps a developer's ./relaybook.yaml out of it.
	cfgFile := filepath.Join(t.TempDir(), "empty.yaml")
	if err := os.WriteFile(cfgFile, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "worker", "--config", cfgFile)
	cmd.Env = append(os.Environ(),
		"RELAYBOOK_DATABASE_URL="+testenv.DatabaseURL(t),
		"RELAYBOOK_REDIS_URL="+testenv.RedisURL(t),
		"RELAYBOOK_SECURITY_ENCRYPTION_KEY="+testKey,
		"RELAYBOOK_WEBHOOKS_ALLOW_HTTP=true",
		"RELAYBOOK_WEBHOOKS_ALLOW_PRIVATE_NETWORKS=true",
		"RELAYBOOK_WORKER_POLL_INTERVAL=5ms",
		asRelaybook+"=1",
	)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Signal(syscall.SIGKILL)
			cmd.Wait()
		}
	})
	return cmd
}
