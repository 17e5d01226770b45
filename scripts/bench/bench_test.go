package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
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
	os.Exit(m.Run())
}

// TestSmoke runs the whole benchmark at a tiny scale so the program does not
// rot: it must finish and write every figure. It asserts no speed: timings
// belong in the benchmark's own output, not in a test.
func TestSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("builds relaybook and runs every step; skipped with -short")
	}
	out := filepath.Join(t.TempDir(), "bench-results.json")
	t.Setenv("BENCH_SCALE", "0.01")
	t.Setenv("BENCH_OUT", out)
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
	for _, key := range []string{"ceiling_post_per_s", "ceiling_asynq_post_per_s", "worker_deliveries_per_s",
		"worker_vs_asynq_ratio", "e2e_p50_ms", "e2e_p95_ms", "e2e_p99_ms", "api_create_per_s", "api_list_per_s",
		"fanout_100_ms", "worker_peak_rss_mb", "e2e_cold_first_second_p99_ms",
		"e2e_sustained_p99_ms", "e2e_worst_second_p99_ms", "e2e_post_burst_p50_ms", "e2e_post_burst_p99_ms",
		"worker_cpu_us_per_delivery", "asynq_cpu_us_per_task", "worker_cpu_ratio"} {
		if v, ok := figures[key].(float64); !ok || v <= 0 {
			t.Errorf("%s = %v, want a positive figure", key, figures[key])
		}
	}
}
