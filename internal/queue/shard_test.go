package queue

import (
	"fmt"
	"testing"
)

// TestShardNamesSpreadOverSlots: shard i's queue hashes into the i-th of n
// equal slot ranges, so the masters of an evenly laid-out cluster each get
// their share.
func TestShardNamesSpreadOverSlots(t *testing.T) {
	if got := ShardNames("deliveries", 1); len(got) != 1 || got[0] != "deliveries" {
		t.Fatalf("one shard = %v, want the queue itself", got)
	}
	for _, n := range []int{2, 3, 6, 16} {
		names := ShardNames("deliveries", n)
		seen := map[string]bool{}
		for i, name := range names {
			s := slot(name)
			if s < i*clusterSlots/n || s >= (i+1)*clusterSlots/n {
				t.Errorf("n=%d: shard %d (%s) hashes to slot %d, outside its range", n, i, name, s)
			}
			seen[name] = true
		}
		if len(seen) != n {
			t.Errorf("n=%d: %d distinct names: %v", n, len(seen), names)
		}
		if again := ShardNames("deliveries", n); fmt.Sprint(again) != fmt.Sprint(names) {
			t.Errorf("n=%d: names change between calls: %v, %v", n, names, again)
		}
	}
}

// TestCRC16MatchesRedis: values from Redis's CLUSTER KEYSLOT.
func TestCRC16MatchesRedis(t *testing.T) {
	for key, want := range map[string]int{"foo": 12182, "bar": 5061, "deliveries": 3880, "123456789": 12739} {
		if got := slot(key); got != want {
			t.Errorf("slot(%q) = %d, want %d", key, got, want)
		}
	}
}

// TestShardIndexIsStableAndSpread: the same delivery always maps to the same
// shard, and many deliveries land on every shard.
func TestShardIndexIsStableAndSpread(t *testing.T) {
	const n, ids = 3, 3000
	counts := make([]int, n)
	for i := range ids {
		id := fmt.Sprintf("0193c8f0-0000-7000-8000-%012d", i)
		s := shardIndex(id, n)
		if shardIndex(id, n) != s {
			t.Fatalf("%s moves between shards", id)
		}
		counts[s]++
	}
	for i, c := range counts {
		if c < ids/n/2 {
			t.Errorf("shard %d got %d of %d deliveries: %v", i, c, ids, counts)
		}
	}
	if shardIndex("anything", 1) != 0 {
		t.Error("one shard must be shard 0")
	}
}

func TestServerConsumesEveryShard(t *testing.T) {
	cfg := ServerConfig(ServerOptions{Queue: "q", Shards: 3, Concurrency: 1, PollInterval: 1})
	want := append(ShardNames("q", 3), "q")
	if len(cfg.Queues) != len(want) {
		t.Fatalf("queues %v, want %v", cfg.Queues, want)
	}
	for _, name := range want {
		if cfg.Queues[name] != 1 {
			t.Errorf("queue %s not consumed with weight 1: %v", name, cfg.Queues)
		}
	}
}
