package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/relaybook/relaybook/internal/queue"
	"github.com/relaybook/relaybook/internal/signature"
)

// pgStats are pg_stat_database counters of the scale database.
type pgStats struct{ commits, inserted, updated, deleted int64 }

func (h *harness) pgStats(ctx context.Context) (pgStats, error) {
	// A backend publishes its counts when it goes idle, at most once a
	// second, and up to 10 s later when the shared statistics are busy.
	time.Sleep(11 * time.Second)
	var s pgStats
	err := h.db.SQL().QueryRowContext(ctx, `SELECT xact_commit, tup_inserted, tup_updated, tup_deleted
		FROM pg_stat_database WHERE datname = $1`, dbName).Scan(&s.commits, &s.inserted, &s.updated, &s.deleted)
	return s, err
}

// commandStats is INFO commandstats: calls per command.
func commandStats(ctx context.Context, c *redis.Client) (map[string]int64, error) {
	info, err := c.Info(ctx, "commandstats").Result()
	if err != nil {
		return nil, err
	}
	out := map[string]int64{}
	sc := bufio.NewScanner(strings.NewReader(info))
	for sc.Scan() {
		name, rest, ok := strings.Cut(strings.TrimPrefix(sc.Text(), "cmdstat_"), ":calls=")
		if !ok {
			continue
		}
		calls, _, _ := strings.Cut(rest, ",")
		out[name], _ = strconv.ParseInt(calls, 10, 64)
	}
	return out, nil
}

func delta(before, after map[string]int64) (map[string]int64, int64) {
	d := map[string]int64{}
	var total int64
	for k, v := range after {
		if k == "info" {
			continue // our own measuring
		}
		if n := v - before[k]; n > 0 {
			d[k] = n
			total += n
		}
	}
	return d, total
}

func top(d map[string]int64, per float64, k int) string {
	names := make([]string, 0, len(d))
	for name := range d {
		names = append(names, name)
	}
	sort.Slice(names, func(i, j int) bool { return d[names[i]] > d[names[j]] })
	var parts []string
	for i, name := range names {
		if i == k {
			break
		}
		parts = append(parts, fmt.Sprintf("%s %.2f", name, float64(d[name])/per))
	}
	return strings.Join(parts, ", ")
}

// measurement is one drain.
type measurement struct {
	perSecond             float64
	cpuPerDelivery        float64 // worker CPU seconds
	fillRedis, drainRedis map[string]int64
	fillRedisN, drainN    int64
	idleRedisPerSecond    float64
	redisCPUPerDelivery   float64 // Redis server CPU seconds, worker side
	fillPG, drainPG       pgStats
	pgConns, redisConns   int64
}

func (m measurement) print(n int) {
	f := float64(n)
	fmt.Printf("   deliveries/s                    %.0f\n", m.perSecond)
	fmt.Printf("   worker CPU per delivery         %.3f ms  (%.0f deliveries per worker core-second)\n", m.cpuPerDelivery*1000, 1/m.cpuPerDelivery)
	fmt.Printf("   Redis commands per delivery     dispatch %.2f (%s)\n", float64(m.fillRedisN)/f, top(m.fillRedis, f, 4))
	fmt.Printf("                                   worker   %.2f (%s)\n", float64(m.drainN)/f, top(m.drainRedis, f, 6))
	fmt.Printf("   Redis CPU per delivery, worker  %.3f ms  (%.0f deliveries per Redis core-second)\n", m.redisCPUPerDelivery*1000, 1/m.redisCPUPerDelivery)
	fmt.Printf("   Redis commands/s, idle worker   %.0f\n", m.idleRedisPerSecond)
	fmt.Printf("   PostgreSQL per delivery         create: %.3f commits, %.2f rows inserted, %.2f updated\n",
		float64(m.fillPG.commits)/f, float64(m.fillPG.inserted)/f, float64(m.fillPG.updated)/f)
	fmt.Printf("                                   worker: %.3f commits, %.2f rows inserted, %.2f updated\n",
		float64(m.drainPG.commits)/f, float64(m.drainPG.inserted)/f, float64(m.drainPG.updated)/f)
	fmt.Printf("   connections per worker          PostgreSQL %d (database.max_conns %d), Redis %d\n", m.pgConns, maxConns, m.redisConns)
}

func (a pgStats) sub(b pgStats) pgStats {
	return pgStats{a.commits - b.commits, a.inserted - b.inserted, a.updated - b.updated, a.deleted - b.deleted}
}

func (h *harness) connections(ctx context.Context) (pg, rds int64, err error) {
	if err = h.db.SQL().QueryRowContext(ctx, `SELECT count(*) FROM pg_stat_activity WHERE datname = $1`, dbName).Scan(&pg); err != nil {
		return
	}
	info, err := h.rdb.Info(ctx, "clients").Result()
	if err != nil {
		return
	}
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "connected_clients:"); ok {
			rds, _ = strconv.ParseInt(v, 10, 64)
		}
	}
	return
}

// drain fills the queue with n deliveries to path, starts workers, and
// measures them draining it. detailed adds the per-delivery costs.
func (h *harness) drain(ctx context.Context, workers, n int, path string, concurrency int, detailed bool) (measurement, error) {
	var m measurement
	if err := h.setActive(ctx, path); err != nil {
		return m, err
	}
	var pg0, pg1 pgStats
	var r0, r1 map[string]int64
	var err error
	if detailed {
		if pg0, err = h.pgStats(ctx); err != nil {
			return m, err
		}
		if r0, err = commandStats(ctx, h.rdb); err != nil {
			return m, err
		}
	}
	if err := h.fill(ctx, n); err != nil {
		return m, err
	}
	if detailed {
		if pg1, err = h.pgStats(ctx); err != nil {
			return m, err
		}
		if r1, err = commandStats(ctx, h.rdb); err != nil {
			return m, err
		}
		m.fillPG = pg1.sub(pg0)
		m.fillRedis, m.fillRedisN = delta(r0, r1)
	}
	pgBefore, redisBefore, err := h.connections(ctx)
	if err != nil {
		return m, err
	}
	var ws []*worker
	defer func() {
		for _, w := range ws {
			w.stop()
		}
	}()
	for range workers {
		w, err := h.startWorker(concurrency)
		if err != nil {
			return m, err
		}
		ws = append(ws, w)
	}
	time.Sleep(time.Second)
	if detailed {
		pgAfter, redisAfter, err := h.connections(ctx)
		if err != nil {
			return m, err
		}
		m.pgConns, m.redisConns = pgAfter-pgBefore, redisAfter-redisBefore
		i0, _ := commandStats(ctx, h.rdb)
		time.Sleep(2 * time.Second)
		i1, _ := commandStats(ctx, h.rdb)
		_, idle := delta(i0, i1)
		m.idleRedisPerSecond = float64(idle) / 2
		if pg0, err = h.pgStats(ctx); err != nil {
			return m, err
		}
		if r0, err = commandStats(ctx, h.rdb); err != nil {
			return m, err
		}
	}
	rcpu0, err := redisCPU(ctx, h.rdb)
	if err != nil {
		return m, err
	}
	cpu0, err := cpuSeconds(ws[0].cmd.Process.Pid)
	if err != nil {
		return m, err
	}
	target := h.rc.count.Load() + int64(n)
	start := time.Now()
	if err := h.insp.UnpauseQueue(queue.DefaultQueue); err != nil {
		return m, err
	}
	if err := h.rc.waitCount(ctx, target); err != nil {
		return m, err
	}
	elapsed := time.Since(start)
	m.perSecond = float64(n) / elapsed.Seconds()
	cpu1, err := cpuSeconds(ws[0].cmd.Process.Pid)
	if err != nil {
		return m, err
	}
	m.cpuPerDelivery = (cpu1 - cpu0) * float64(workers) / float64(n)
	rcpu1, err := redisCPU(ctx, h.rdb)
	if err != nil {
		return m, err
	}
	m.redisCPUPerDelivery = (rcpu1 - rcpu0) / float64(n)
	if detailed {
		if r1, err = commandStats(ctx, h.rdb); err != nil {
			return m, err
		}
		if pg1, err = h.pgStats(ctx); err != nil {
			return m, err
		}
		m.drainPG = pg1.sub(pg0)
		m.drainRedis, m.drainN = delta(r0, r1)
	}
	logf("%d worker(s) drained %d deliveries to %s in %s", workers, n, path, elapsed.Round(time.Millisecond))
	return m, nil
}

// clusterCeiling is ceiling B on the local cluster, 1 queue vs 3 shards.
func (h *harness) clusterCeiling(ctx context.Context, n int) error {
	env := []string{"REDIS_CLUSTER_PORT=" + h.s.clusterPort}
	addrs, err := script(env, "redis-cluster.sh", "start")
	if err != nil {
		return fmt.Errorf("start cluster: %w", err)
	}
	defer script(env, "redis-cluster.sh", "stop")
	nodes := strings.Split(addrs, ",")
	opt := asynq.RedisClusterClientOpt{Addrs: nodes}
	client := asynq.NewClient(opt)
	defer client.Close()
	payload := bytes.Repeat([]byte("x"), 1100)
	httpClient := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 50, MaxIdleConns: 50}}
	post := func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.rc.url("/fast"), bytes.NewReader(payload))
		if err != nil {
			return err
		}
		req.Header.Set("X-Relay-Signature", signature.Sign("secret", payload))
		resp, err := httpClient.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		return nil
	}
	nodeClients := make([]*redis.Client, len(nodes))
	for i, a := range nodes {
		nodeClients[i] = redis.NewClient(&redis.Options{Addr: a})
		defer nodeClients[i].Close()
	}
	// Alternating, twice: the machine's load drifts between runs.
	for round, shards := range []int{1, 3, 1, 3} {
		names := queue.ShardNames(fmt.Sprintf("ceiling%d-%d", shards, round), shards)
		for i := range n {
			task := asynq.NewTask("scale:post", nil)
			if _, err := client.EnqueueContext(ctx, task, asynq.Queue(names[i%len(names)]), asynq.TaskID(fmt.Sprintf("s%d-%d-%d", shards, round, i))); err != nil {
				return err
			}
		}
		before := make([]map[string]int64, len(nodes))
		for i, c := range nodeClients {
			if before[i], err = commandStats(ctx, c); err != nil {
				return err
			}
		}
		queues := map[string]int{}
		for _, name := range names {
			queues[name] = 1
		}
		var done atomic.Int64
		finished := make(chan struct{})
		srv := asynq.NewServer(opt, asynq.Config{Concurrency: 50, Queues: queues, TaskCheckInterval: 2 * time.Millisecond, LogLevel: asynq.ErrorLevel})
		start := time.Now()
		if err := srv.Start(asynq.HandlerFunc(func(ctx context.Context, _ *asynq.Task) error {
			if err := post(ctx); err != nil {
				return err
			}
			if done.Add(1) == int64(n) {
				close(finished)
			}
			return nil
		})); err != nil {
			return err
		}
		select {
		case <-finished:
		case <-time.After(5 * time.Minute):
			srv.Shutdown()
			return fmt.Errorf("cluster ceiling: %d of %d tasks done", done.Load(), n)
		}
		elapsed := time.Since(start)
		srv.Shutdown()
		var per []string
		for i, c := range nodeClients {
			after, err := commandStats(ctx, c)
			if err != nil {
				return err
			}
			_, calls := delta(before[i], after)
			per = append(per, fmt.Sprintf("%s %.1f", nodes[i], float64(calls)/float64(n)))
		}
		fmt.Printf("   %d queue(s): %6.0f tasks/s; Redis commands per task by node: %s\n", shards, float64(n)/elapsed.Seconds(), strings.Join(per, ", "))
	}
	return nil
}

// redisCPU is the Redis server's CPU seconds so far (INFO cpu).
func redisCPU(ctx context.Context, c *redis.Client) (float64, error) {
	info, err := c.Info(ctx, "cpu").Result()
	if err != nil {
		return 0, err
	}
	var total float64
	for _, line := range strings.Split(info, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), ":")
		if ok && (k == "used_cpu_sys" || k == "used_cpu_user") {
			f, _ := strconv.ParseFloat(v, 64)
			total += f
		}
	}
	return total, nil
}
