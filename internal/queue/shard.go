package queue

import (
	"hash/fnv"
	"strconv"
)

// Asynq keeps all of a queue's keys in one Redis Cluster hash slot
// ("asynq:{name}:…"), so one queue lives on one node, and that node can
// become the limit. queue.shards spreads deliveries over several queues:
// each delivery always goes to the same one (a hash of its id), so its
// deterministic task ids keep enqueue idempotent, and every worker
// consumes them all.

// clusterSlots is the number of Redis Cluster hash slots.
const clusterSlots = 16384

// ShardNames returns the queues of n shards of base. One shard is base
// itself. For more, each name is chosen so its hash slot falls in the
// i-th of n equal slot ranges: a cluster whose masters own equal contiguous
// ranges (how redis-cli --cluster create lays them out) then gets the
// shards spread evenly over its masters instead of by the luck of the
// names' hashes. The names depend on base and n only, so every process
// computes the same ones.
func ShardNames(base string, n int) []string {
	if n <= 1 {
		return []string{base}
	}
	names := make([]string, n)
	for i := range names {
		lo, hi := i*clusterSlots/n, (i+1)*clusterSlots/n
		prefix := base + "-" + strconv.Itoa(i)
		name := prefix
		for k := 1; ; k++ {
			if s := slot(name); s >= lo && s < hi {
				break
			}
			name = prefix + "." + strconv.Itoa(k)
		}
		names[i] = name
	}
	return names
}

// shardIndex picks a delivery's shard: stable across processes and
// restarts, spread evenly over random (UUID) ids.
func shardIndex(deliveryID string, n int) int {
	if n <= 1 {
		return 0
	}
	h := fnv.New32a()
	h.Write([]byte(deliveryID))
	return int(h.Sum32() % uint32(n))
}

// slot is the Redis Cluster hash slot of an Asynq queue's keys.
func slot(queue string) int { return int(crc16([]byte(queue)) % clusterSlots) }

// crc16 is CRC-16/XMODEM, the checksum Redis Cluster hashes keys with.
func crc16(b []byte) uint16 {
	var crc uint16
	for _, c := range b {
		crc ^= uint16(c) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}

// queueFor is the queue a delivery's tasks go to.
func (e *Enqueuer) queueFor(deliveryID string) string {
	e.namesOnce.Do(func() { e.names = ShardNames(e.Queue, e.Shards) })
	return e.names[shardIndex(deliveryID, len(e.names))]
}

// consumed is the queues a worker takes tasks from: every shard, with equal
// weight, and the unsharded queue too, so tasks enqueued before
// queue.shards was raised still run.
func consumed(base string, shards int) map[string]int {
	queues := map[string]int{base: 1}
	for _, name := range ShardNames(base, shards) {
		queues[name] = 1
	}
	return queues
}
