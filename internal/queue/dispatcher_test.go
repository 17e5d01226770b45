package queue_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/relaybook/relaybook/internal/queue"
	"github.com/relaybook/relaybook/internal/relaybook"
	"github.com/relaybook/relaybook/internal/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }

func jobs(ids ...string) []relaybook.DeliveryTask {
	out := make([]relaybook.DeliveryTask, len(ids))
	for i, id := range ids {
		out[i] = relaybook.DeliveryTask{DeliveryID: id, Attempt: 1, RunAt: time.Now()}
	}
	return out
}

// TestDispatchIsIdempotent: dispatching the same jobs twice (after-commit
// dispatch racing the sweeper) leaves one task per job.
func TestDispatchIsIdempotent(t *testing.T) {
	opt, err := asynq.ParseRedisURI(testenv.RedisURL(t))
	if err != nil {
		t.Fatal(err)
	}
	client := asynq.NewClient(opt)
	defer client.Close()
	qname := testenv.UniqueName("dispatch")
	d := queue.NewDispatcher(&queue.Enqueuer{Client: client, Queue: qname, DeliveryTimeout: time.Second}, nil)
	batch := jobs("0193c8f0-0000-7000-8000-00000000000a", "0193c8f0-0000-7000-8000-00000000000b", "0193c8f0-0000-7000-8000-00000000000c")
	d.Dispatch(batch)
	d.Dispatch(batch[:2])
	d.Close(2 * time.Second)
	if d.Dropped() != 0 {
		t.Errorf("dropped %d jobs with Redis up", d.Dropped())
	}
	insp := asynq.NewInspector(opt)
	defer insp.Close()
	info, err := insp.GetQueueInfo(qname)
	if err != nil {
		t.Fatal(err)
	}
	if info.Pending != 3 {
		t.Errorf("%d pending tasks, want 3", info.Pending)
	}
	task, err := insp.GetTaskInfo(qname, queue.TaskID("0193c8f0-0000-7000-8000-00000000000b", 1))
	if err != nil {
		t.Fatalf("task not found by its deterministic id: %v", err)
	}
	if task.Type != queue.TypeDeliver {
		t.Errorf("task type %q", task.Type)
	}
}

// TestDispatchWithRedisDown never blocks its caller and counts what it left
// for the sweeper.
func TestDispatchWithRedisDown(t *testing.T) {
	client := asynq.NewClient(asynq.RedisClientOpt{Addr: "127.0.0.1:1", DialTimeout: 100 * time.Millisecond})
	defer client.Close()
	d := queue.NewDispatcher(&queue.Enqueuer{Client: client, Queue: "nowhere", DeliveryTimeout: time.Second}, nil)
	start := time.Now()
	for range 10 {
		d.Dispatch(jobs("0193c8f0-0000-7000-8000-00000000000d"))
	}
	if elapsed := time.Since(start); elapsed > time.Second {
		t.Errorf("Dispatch blocked for %s with Redis down", elapsed)
	}
	d.Close(5 * time.Second)
	if d.Dropped() != 10 {
		t.Errorf("dropped %d, want 10", d.Dropped())
	}
}

// TestShardedEnqueueIsIdempotent: with shards, each job's task lands in its
// delivery's shard, always the same one, so enqueueing twice (dispatch and
// the sweeper) still leaves one task per job.
func TestShardedEnqueueIsIdempotent(t *testing.T) {
	opt, err := asynq.ParseRedisURI(testenv.RedisURL(t))
	if err != nil {
		t.Fatal(err)
	}
	client := asynq.NewClient(opt)
	defer client.Close()
	base := testenv.UniqueName("sharded")
	enq := &queue.Enqueuer{Client: client, Queue: base, Shards: 3, DeliveryTimeout: time.Second}
	var ids []string
	for i := range 30 {
		ids = append(ids, fmt.Sprintf("0193c8f0-0000-7000-8000-%012d", i))
	}
	for range 2 {
		if n, err := enq.Enqueue(context.Background(), jobs(ids...)); err != nil || n != len(ids) {
			t.Fatalf("enqueued %d: %v", n, err)
		}
	}
	insp := asynq.NewInspector(opt)
	defer insp.Close()
	total := 0
	for _, name := range queue.ShardNames(base, 3) {
		info, err := insp.GetQueueInfo(name)
		if err != nil {
			t.Fatalf("shard %s: %v", name, err)
		}
		if info.Pending == 0 {
			t.Errorf("shard %s got no deliveries", name)
		}
		total += info.Pending
	}
	if total != len(ids) {
		t.Errorf("%d tasks over the shards, want %d", total, len(ids))
	}
}
