package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/relaybook/relaybook/internal/testenv"
)

// TestMain lets the test binary play the bench's child roles: the harness
// runs its own executable again as `receiver` or `loadgen`.
func TestMain(m *testing.M) {
	if isRole, err := roleMain(os.Args[1:]); isRole {
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", os.Args[1]+":", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(testenv.Main(m))
}

// TestSmoke runs the whole benchmark at a tiny scale so the program does not
// rot: it must finish and write every figure. It asserts no speed: timings
// belong in the benchmark's own output, not in a test. It uses a database of
// its own and the Redis DB index testenv hands this package, so it never
// drops or flushes what a `make bench` or another checkout's tests are
// using at the same time.
func TestSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("builds relaybook and runs every step; skipped with -short")
	}
	out := filepath.Join(t.TempDir(), "bench-results.json")
	dbName := strings.ReplaceAll(testenv.UniqueName("relaybook_bench_smoke"), "-", "_")
	t.Setenv("BENCH_SCALE", "0.01")
	t.Setenv("BENCH_OUT", out)
	t.Setenv("BENCH_DATABASE_URL", testenv.AdminURL())
	t.Setenv("BENCH_DB_NAME", dbName)
	t.Setenv("BENCH_REDIS_ADDR", testenv.RedisAddr())
	t.Setenv("BENCH_REDIS_DB", strconv.Itoa(testenv.RedisDB(t)))
	t.Cleanup(func() {
		admin, err := sql.Open("postgres", testenv.AdminURL())
		if err != nil {
			return
		}
		defer admin.Close()
		admin.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+dbName+" WITH (FORCE)")
	})
	t.Chdir("../..") // the program runs from the repository root
	if err := run(); err != nil {
		t.Fatalf("bench: %v", err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var figures map[string]any
	if err := json.Unmarshal(b, &figures); err != nil {
		t.Fatalf("bench-results.json: %v", err)
	}
	// Rates, CPU and memory must be positive. Latencies may be 0 at this
	// scale: a delivery can reach the receiver before the load generator
	// has read its 201, and that latency counts as 0.
	for _, key := range []string{"ceiling_post_per_s", "ceiling_asynq_post_per_s", "worker_deliveries_per_s",
		"worker_vs_asynq_ratio", "api_create_per_s", "api_list_per_s", "worker_peak_rss_mb",
		"worker_cpu_us_per_delivery", "asynq_cpu_us_per_task", "worker_cpu_ratio", "fanout_100_ms"} {
		if v, ok := figures[key].(float64); !ok || v <= 0 {
			t.Errorf("%s = %v, want a positive figure", key, figures[key])
		}
	}
	for _, key := range []string{"e2e_p50_ms", "e2e_p95_ms", "e2e_p99_ms", "e2e_cold_first_second_p99_ms",
		"e2e_sustained_p99_ms", "e2e_worst_second_p99_ms", "e2e_post_burst_p50_ms", "e2e_post_burst_p99_ms",
		"e2e_seconds_p99_over_100ms", "e2e_sustained_failed_creates", "e2e_post_burst_failed_creates"} {
		if v, ok := figures[key].(float64); !ok || v < 0 {
			t.Errorf("%s = %v, want a figure ≥ 0", key, figures[key])
		}
	}
}
