package scaleout

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

const deliveryWait = 90 * time.Second

// twoServes is the deployment under test: two serve processes and a worker
// sharing one Redis configuration.
type twoServes struct {
	a, b   string // the APIs' base URLs
	procs  []*proc
	create int // contacts created through them so far
}

func startTwoServes(t *testing.T, env []string) *twoServes {
	t.Helper()
	pa, a := startServe(t, "serve-a", env)
	pb, b := startServe(t, "serve-b", env)
	startWorker(t, "worker", env)
	return &twoServes{a: a, b: b, procs: []*proc{pa, pb}}
}

// fallbackLine is what the rate limiter logs when Redis did not answer
// within its 100 ms and it limits per process instead.
const fallbackLine = "rate limiter: Redis unreachable"

// checkSharedLimit spends a fresh key's 100 requests of the minute
// alternately on both processes, all created, and then expects 429 from
// each: the limit is one count in Redis, not one per process. When the
// limiter fell back to per-process limits (Redis slower than 100 ms on a
// loaded machine; the fallback is by design) it tries again with a new key,
// up to three times: the claim is about the limit while Redis answers.
func (s *twoServes) checkSharedLimit(t *testing.T, f *fixture) {
	t.Helper()
	for try := 1; ; try++ {
		fellBack := s.fallbacks()
		key := f.newKey(t)
		for i := range 100 {
			base := s.a
			if i%2 == 1 {
				base = s.b
			}
			if code := f.createContact(t, base, key, s.create); code != http.StatusCreated {
				t.Fatalf("request %d to %s: status %d, want 201", i+1, base, code)
			}
			s.create++
		}
		var allowed []string
		for _, base := range []string{s.a, s.b} {
			switch code := f.createContact(t, base, key, s.create); code {
			case http.StatusTooManyRequests:
			case http.StatusCreated:
				s.create++
				allowed = append(allowed, base)
			default:
				t.Fatalf("101st request to %s: status %d", base, code)
			}
		}
		if len(allowed) == 0 {
			return
		}
		if s.fallbacks() == fellBack || try == 3 {
			t.Fatalf("101st request of the minute created a contact on %v, want 429 (try %d)", allowed, try)
		}
		t.Logf("try %d: the rate limiter fell back to per-process limits (Redis slower than its timeout); again with a new key", try)
	}
}

// fallbacks counts the fallback lines the serve processes have logged.
func (s *twoServes) fallbacks() int {
	n := 0
	for _, p := range s.procs {
		n += strings.Count(p.out.String(), fallbackLine)
	}
	return n
}

func checkDelivered(t *testing.T, f *fixture, rcv *receiver, n int) {
	t.Helper()
	rcv.waitDistinct(t, n, deliveryWait)
	if dups := rcv.duplicates(); dups != 0 {
		t.Errorf("%d events arrived twice", dups)
	}
	deadline := time.Now().Add(10 * time.Second)
	for f.deliveryStates(t)["succeeded"] != n && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond) // the worker records attempts in batches
	}
	if states := f.deliveryStates(t); states["succeeded"] != n || len(states) != 1 {
		t.Errorf("delivery states %v, want %d succeeded", states, n)
	}
}

// TestRedisCluster: serve and worker on a 3-master Redis Cluster, with the
// queue in 3 shards: the rate limit holds across two serve processes,
// every event arrives once, and each master carried a shard.
func TestRedisCluster(t *testing.T) {
	t.Parallel()
	addrs := startService(t, "redis-cluster.sh", "REDIS_CLUSTER_PORT="+port("TEST_REDIS_CLUSTER_PORT", "7120"))
	rcv := newReceiver(t, 0)
	dbURL := newDatabase(t)
	f := newFixture(t, dbURL, rcv.url)
	env := append(baseEnv(dbURL), "RELAYBOOK_REDIS_CLUSTER_ADDRS="+addrs, "RELAYBOOK_QUEUE_SHARDS=3")
	s := startTwoServes(t, env)
	s.checkSharedLimit(t, f)
	checkDelivered(t, f, rcv, s.create)

	// Asynq counts processed tasks per queue, in the queue's slot.
	cluster := redis.NewClusterClient(&redis.ClusterOptions{Addrs: strings.Split(addrs, ",")})
	defer cluster.Close()
	ctx := context.Background()
	// ForEachMaster visits the masters concurrently.
	var masters atomic.Int32
	err := cluster.ForEachMaster(ctx, func(ctx context.Context, node *redis.Client) error {
		keys, err := node.Keys(ctx, "asynq:{deliveries-*}:processed").Result()
		if err != nil {
			return err
		}
		if len(keys) != 1 {
			t.Errorf("master %s processed %d shards (%v), want 1", node.Options().Addr, len(keys), keys)
		}
		masters.Add(1)
		return nil
	})
	if err != nil || masters.Load() != 3 {
		t.Errorf("visited %d masters: %v", masters.Load(), err)
	}
}

// TestRedisSentinel: serve and worker through Sentinel; the rate limit is
// shared, events arrive, and after a failover new events still arrive.
func TestRedisSentinel(t *testing.T) {
	t.Parallel()
	const master = "relaybook-test"
	svc := []string{"REDIS_SENTINEL_PORT=" + port("TEST_REDIS_SENTINEL_PORT", "7130"), "REDIS_SENTINEL_MASTER=" + master}
	sentinel := startService(t, "redis-sentinel.sh", svc...)
	rcv := newReceiver(t, 0)
	dbURL := newDatabase(t)
	f := newFixture(t, dbURL, rcv.url)
	env := append(baseEnv(dbURL), "RELAYBOOK_REDIS_SENTINEL_MASTER="+master, "RELAYBOOK_REDIS_SENTINEL_ADDRS="+sentinel)
	s := startTwoServes(t, env)
	s.checkSharedLimit(t, f)
	checkDelivered(t, f, rcv, s.create)

	serviceAction(t, "redis-sentinel.sh", "failover", svc...)
	key := f.newKey(t)
	for i := range 20 {
		base := s.a
		if i%2 == 1 {
			base = s.b
		}
		if code := f.createContact(t, base, key, s.create); code != http.StatusCreated {
			t.Fatalf("after the failover, request %d to %s: status %d", i+1, base, code)
		}
		s.create++
	}
	checkDelivered(t, f, rcv, s.create)
}
