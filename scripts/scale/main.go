// Command scale measures the figures SCALING.md's capacity model is built
// from; it is the `scale` step of `make bench`:
//
//  1. deliveries/s of 1, 2 and 3 `relaybook worker` processes against a
//     slow receiver (SCALE_RECEIVER_MS, default 100 ms);
//
//  2. one worker against an instant receiver: deliveries/s, worker CPU per
//     delivery, Redis commands per delivery (INFO commandstats deltas),
//     PostgreSQL commits and rows per delivery (pg_stat_database deltas),
//     and the connections each process holds;
//
//  3. ceiling B (Asynq + a signed POST, no PostgreSQL) on a local 3-master
//     Redis Cluster with the tasks in 1 queue and in 3 shards.
//
//     go run ./scripts/scale                    # SCALE_N=2000 deliveries per run
//     SCALE_REDIS_ADDR=127.0.0.1:6394 go run ./scripts/scale
//
// It uses its own PostgreSQL database (relaybook_scale, recreated), Redis
// DB 13 of SCALE_REDIS_ADDR (flushed), and starts and stops the cluster
// with scripts/redis-cluster.sh on SCALE_CLUSTER_PORT (default 7150).
package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

type settings struct {
	n           int
	receiverMS  int
	adminURL    string
	redisAddr   string
	clusterPort string
	steps       string
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func envInt(key string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(key)); err == nil && v > 0 {
		return v
	}
	return def
}

func main() {
	s := settings{
		n:           envInt("SCALE_N", 2000),
		receiverMS:  envInt("SCALE_RECEIVER_MS", 100),
		adminURL:    envOr("SCALE_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"),
		redisAddr:   envOr("SCALE_REDIS_ADDR", "127.0.0.1:6379"),
		clusterPort: envOr("SCALE_CLUSTER_PORT", "7150"),
		steps:       os.Getenv("SCALE_STEPS"),
	}
	if err := run(s); err != nil {
		fmt.Fprintln(os.Stderr, "scale:", err)
		os.Exit(1)
	}
}

func run(s settings) error {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	h, err := newHarness(ctx, s)
	if err != nil {
		return err
	}
	defer h.close()

	if s.runs("workers") {
		fmt.Printf("\n1. workers against a %d ms receiver (worker.concurrency %d, %d deliveries)\n", s.receiverMS, slowConcurrency, s.n)
		var base float64
		for _, workers := range []int{1, 2, 3} {
			m, err := h.drain(ctx, workers, s.n, "/slow", slowConcurrency, false)
			if err != nil {
				return err
			}
			if workers == 1 {
				base = m.perSecond
			}
			fmt.Printf("   %d worker(s): %7.0f deliveries/s  (%.2fx)\n", workers, m.perSecond, m.perSecond/base)
		}
	}
	if s.runs("costs") {
		fmt.Printf("\n2. one worker, instant receiver, worker.concurrency 100, %d deliveries\n", s.n)
		m, err := h.drain(ctx, 1, s.n, "/fast", 100, true)
		if err != nil {
			return err
		}
		m.print(s.n)
	}
	if s.runs("shards") {
		fmt.Printf("\n3. ceiling B (Asynq + signed POST, concurrency 50) on a 3-master Redis Cluster, %d tasks\n", s.n)
		if err := h.clusterCeiling(ctx, s.n); err != nil {
			return err
		}
	}
	return nil
}

// runs reports whether SCALE_STEPS (workers,costs,shards; default all)
// includes step.
func (s settings) runs(step string) bool {
	return s.steps == "" || strings.Contains(s.steps, step)
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "scale: "+format+"\n", args...)
}

// script runs scripts/<name> with args.
func script(env []string, name string, args ...string) (string, error) {
	cmd := exec.Command("scripts/"+name, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	return strings.TrimSpace(string(out)), err
}
