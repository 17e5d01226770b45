package scaleout

import (
	"context"
	"fmt"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/relaybook/relaybook/internal/postgres"
	"github.com/relaybook/relaybook/internal/queue"
	"github.com/relaybook/relaybook/internal/relaybook"
	"github.com/relaybook/relaybook/internal/testenv"
)

// A receiver-latency-bound load: every delivery waits slowReceiver on the
// receiver, and each worker has slotsPerWorker deliveries in flight, so a
// worker drains at most slotsPerWorker/slowReceiver deliveries a second
// whatever the machine's speed, and more workers should drain
// proportionally faster.
const (
	slowReceiver   = 500 * time.Millisecond
	slotsPerWorker = 10
)

// load is a paused queue of deliveries for the workers to drain.
type load struct {
	f     *fixture
	rcv   *receiver
	env   []string
	insp  *asynq.Inspector
	queue string
}

func newLoad(t *testing.T) *load {
	t.Helper()
	rcv := newReceiver(t, slowReceiver)
	dbURL := newDatabase(t)
	redisURL := testenv.RedisURL(t)
	opt, err := asynq.ParseRedisURI(redisURL)
	if err != nil {
		t.Fatal(err)
	}
	insp := asynq.NewInspector(opt)
	t.Cleanup(func() { insp.Close() })
	env := append(baseEnv(dbURL), "RELAYBOOK_REDIS_URL="+redisURL,
		fmt.Sprintf("RELAYBOOK_WORKER_CONCURRENCY=%d", slotsPerWorker))
	return &load{f: newFixture(t, dbURL, rcv.url), rcv: rcv, env: env, insp: insp, queue: queue.DefaultQueue}
}

// fill pauses the queue and puts n new deliveries on it, the way the API
// does (a contact.created event each, dispatched after commit).
func (l *load) fill(t *testing.T, n int) {
	t.Helper()
	if err := l.insp.PauseQueue(l.queue); err != nil {
		t.Fatal(err)
	}
	opt, err := asynq.ParseRedisURI(testenv.RedisURL(t))
	if err != nil {
		t.Fatal(err)
	}
	client := asynq.NewClient(opt)
	defer client.Close()
	d := queue.NewDispatcher(&queue.Enqueuer{Client: client, Queue: l.queue, DeliveryTimeout: 5 * time.Second}, nil)
	l.f.db.Dispatcher = d
	contacts := postgres.NewContactService(l.f.db)
	scope := relaybook.Scope{TeamID: l.f.team.ID, BookID: l.f.book.ID}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := fmt.Sprintf("Contact %d", i)
			if _, err := contacts.CreateContact(context.Background(), scope, relaybook.ContactInput{FirstName: &name}); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	d.Close(10 * time.Second)
	l.f.db.Dispatcher = nil
	if info, err := l.insp.GetQueueInfo(l.queue); err != nil || info.Pending != n {
		t.Fatalf("queue holds %+v (%v), want %d pending", info, err, n)
	}
}

func (l *load) startWorkers(t *testing.T, n int, name string) []*proc {
	t.Helper()
	ws := make([]*proc, n)
	for i := range ws {
		ws[i] = startWorker(t, fmt.Sprintf("%s-%d", name, i+1), l.env)
	}
	return ws
}

// drain lets the workers at the queue and returns how long they took to
// deliver every event up to total.
func (l *load) drain(t *testing.T, total int) time.Duration {
	t.Helper()
	start := time.Now()
	if err := l.insp.UnpauseQueue(l.queue); err != nil {
		t.Fatal(err)
	}
	l.rcv.waitDistinct(t, total, deliveryWait)
	return time.Since(start)
}

func stopAll(t *testing.T, ws []*proc) {
	t.Helper()
	for _, w := range ws {
		if err := w.stop(syscall.SIGTERM, 20*time.Second); err != nil {
			t.Errorf("%s: SIGTERM exit: %v", w.name, err)
		}
	}
}

// TestWorkersScaleOut: three workers drain a receiver-bound load at least
// 2.5 times faster than one (3 is the ideal), and no event is lost or
// doubled. The comparison is between two drains on the same machine, not
// against a fixed time; the receiver's half second makes each slot's own
// overhead (dequeue, load, record: tens of ms on a loaded machine) small
// beside it, which the ratio needs.
func TestWorkersScaleOut(t *testing.T) {
	const n = 300
	l := newLoad(t)

	l.fill(t, n)
	one := l.startWorkers(t, 1, "solo")
	oneTook := l.drain(t, n)
	stopAll(t, one)

	l.fill(t, n)
	three := l.startWorkers(t, 3, "trio")
	threeTook := l.drain(t, 2*n)
	stopAll(t, three)

	speedup := oneTook.Seconds() / threeTook.Seconds()
	t.Logf("%d deliveries: 1 worker %s, 3 workers %s: %.2fx", n, oneTook.Round(time.Millisecond), threeTook.Round(time.Millisecond), speedup)
	if speedup < 2.5 {
		t.Errorf("3 workers drained %.2fx faster than 1, want at least 2.5x", speedup)
	}
	if dups := l.rcv.duplicates(); dups != 0 {
		t.Errorf("%d events arrived twice", dups)
	}
	if states := l.f.deliveryStates(t); states["succeeded"] != 2*n {
		t.Errorf("delivery states %v, want %d succeeded", states, 2*n)
	}
}

// TestWorkerStopAndKillLoseNothing: of three workers draining a load, one
// gets SIGTERM (it finishes its in-flight deliveries and exits cleanly,
// nothing doubled), then one gets SIGKILL (its in-flight deliveries are
// held by Asynq's lease). Every event still arrives: the rest of the queue
// through the remaining worker, the killed worker's leased tasks through a
// worker started once their lease has expired. Asynq reclaims tasks whose
// lease ran out 30 s ago (a lease runs 30 s past the last heartbeat), which
// in real time is a minute; the test ages the dead worker's leases in
// Redis instead, as TestWorkerKilledMidDelivery does, and the replacement's
// recoverer, which runs as it starts, takes them back by the same path.
// Only the killed worker's in-flight deliveries may arrive twice
// (at-least-once: it may die between the receiver's answer and recording
// it).
func TestWorkerStopAndKillLoseNothing(t *testing.T) {
	t.Parallel()
	const n = 300
	l := newLoad(t)
	l.fill(t, n)
	ws := l.startWorkers(t, 3, "worker")
	if err := l.insp.UnpauseQueue(l.queue); err != nil {
		t.Fatal(err)
	}

	l.rcv.waitDistinct(t, n/4, deliveryWait)
	if err := ws[0].stop(syscall.SIGTERM, 20*time.Second); err != nil {
		t.Errorf("worker stopped with SIGTERM exited with %v", err)
	}
	if dups := l.rcv.duplicates(); dups != 0 {
		t.Errorf("%d events arrived twice by the time the stopped worker exited", dups)
	}

	l.rcv.waitDistinct(t, n/2, deliveryWait)
	ws[1].stop(syscall.SIGKILL, 10*time.Second)
	killed := time.Now()

	// The third worker drains the queue except what the killed one held.
	l.rcv.waitDistinct(t, n-slotsPerWorker, deliveryWait)
	held, _ := l.rcv.counts()
	t.Logf("%d events wait on the killed worker's leases", n-held)
	l.expireDeadLeases(t, killed)
	l.startWorkers(t, 1, "replacement")
	l.rcv.waitDistinct(t, n, deliveryWait)

	if dups := l.rcv.duplicates(); dups > slotsPerWorker {
		t.Errorf("%d events arrived twice; only the killed worker's %d in-flight ones may", dups, slotsPerWorker)
	}
	deadline := time.Now().Add(10 * time.Second)
	for l.f.deliveryStates(t)["succeeded"] != n && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if states := l.f.deliveryStates(t); states["succeeded"] != n {
		t.Errorf("delivery states %v, want %d succeeded", states, n)
	}
}

// expireDeadLeases waits until only a killed worker's tasks are left active
// (nothing pending, and the active count unchanged for three receiver
// delays: a live worker's task would have ended), then moves every lease of
// the queue two minutes into the past, as if their holder had been dead
// that long. Asynq keeps leases in a sorted set scored by expiry (Unix
// seconds). No other test uses this package's Redis DB meanwhile: the
// tests running beside this one have Redis servers of their own.
func (l *load) expireDeadLeases(t *testing.T, killed time.Time) {
	t.Helper()
	ctx := context.Background()
	stable, last := 0, -1
	for deadline := time.Now().Add(deliveryWait); stable < 3; time.Sleep(slowReceiver) {
		info, err := l.insp.GetQueueInfo(l.queue)
		if err != nil {
			t.Fatal(err)
		}
		if info.Pending == 0 && info.Active == last {
			stable++
		} else {
			stable, last = 0, info.Active
		}
		if time.Now().After(deadline) {
			t.Fatalf("the queue did not settle: %+v", info)
		}
	}
	opt, err := redis.ParseURL(testenv.RedisURL(t))
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	defer rdb.Close()
	key := "asynq:{" + l.queue + "}:lease"
	ids, err := rdb.ZRange(ctx, key, 0, -1).Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != last {
		t.Fatalf("%d leases in %s for %d active tasks (has Asynq's key layout changed?)", len(ids), key, last)
	}
	past := float64(killed.Add(-2 * time.Minute).Unix())
	for _, id := range ids {
		if err := rdb.ZAdd(ctx, key, redis.Z{Score: past, Member: id}).Err(); err != nil {
			t.Fatal(err)
		}
	}
}
