// Command bench measures RelayBook against its ceilings in one run on this
// machine: a bare signed-POST loop, Asynq alone with the same POST, then
// the real `relaybook worker` and `relaybook serve` processes, driven by
// load generator processes and posting to a receiver process (this program
// run again as `bench loadgen` and `bench receiver`). It prints a table and
// writes bench-results.json in the repository root.
//
//	go run ./scripts/bench            # full run, a few minutes
//	BENCH_SCALE=0.05 go run ./scripts/bench   # quick run
//
// It uses its own PostgreSQL database (relaybook_bench, recreated) and
// Redis DB index (BENCH_REDIS_DB, default 14, flushed).
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"
)

// result is one row of the table.
type result struct {
	key     string // name in bench-results.json
	label   string
	value   float64
	unit    string
	ceiling float64 // 0: none
	target  string
}

type settings struct {
	scale     float64
	adminURL  string
	redisAddr string
	redisDB   int
	out       string
	steps     map[string]bool // BENCH_STEPS; nil means every step
}

// benchSteps are the groups BENCH_STEPS may name.
var benchSteps = []string{"ceilings", "worker", "e2e", "burst", "api", "fanout"}

// runs reports whether a step group is part of this run.
func (s settings) runs(step string) bool { return s.steps == nil || s.steps[step] }

func loadSettings() (settings, error) {
	s := settings{
		scale:     1,
		adminURL:  envOr("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"),
		redisAddr: envOr("BENCH_REDIS_ADDR", "127.0.0.1:6379"),
		redisDB:   14,
		out:       envOr("BENCH_OUT", "bench-results.json"),
	}
	if v := os.Getenv("BENCH_SCALE"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f <= 0 || f > 10 {
			return s, fmt.Errorf("BENCH_SCALE must be a number in (0, 10], got %q", v)
		}
		s.scale = f
	}
	if v := os.Getenv("BENCH_DB_NAME"); v != "" {
		if strings.Trim(v, "abcdefghijklmnopqrstuvwxyz0123456789_") != "" {
			return s, fmt.Errorf("BENCH_DB_NAME must be lower-case letters, digits and _, got %q", v)
		}
		benchDatabase = v
	}
	if v := os.Getenv("BENCH_REDIS_DB"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 15 {
			return s, fmt.Errorf("BENCH_REDIS_DB must be 0..15, got %q", v)
		}
		s.redisDB = n
	}
	if v := os.Getenv("BENCH_STEPS"); v != "" {
		// Investigation only: run some steps; the full table needs them all.
		s.steps = map[string]bool{}
		for _, step := range strings.Split(v, ",") {
			if !slices.Contains(benchSteps, step) {
				return s, fmt.Errorf("BENCH_STEPS: unknown step %q (steps: %s)", step, strings.Join(benchSteps, ","))
			}
			s.steps[step] = true
		}
	}
	return s, nil
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// n scales a count, keeping at least min.
func (s settings) n(full, min int) int {
	return max(min, int(math.Round(float64(full)*s.scale)))
}

// d scales a duration, keeping at least min. Below scale 0.1 (the smoke
// test's 0.01) the floor shrinks too: such a run checks that every step
// works, not what it measures.
func (s settings) d(full, min time.Duration) time.Duration {
	floor := time.Duration(float64(min) * math.Min(1, s.scale*10))
	return max(floor, time.Duration(float64(full)*s.scale))
}

func main() {
	// The load generator and the receiver share the two cores with what
	// they measure; they get the GC target relaybook's servers use
	// (internal/cli/gc.go), which also serves ceilings A and B.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if isRole, err := roleMain(os.Args[1:]); isRole {
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", os.Args[1]+":", err)
			os.Exit(1)
		}
		return
	}
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run() error {
	s, err := loadSettings()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()

	logf("scale %.3g; preparing database, Redis and the relaybook binary", s.scale)
	h, err := newHarness(ctx, s)
	if err != nil {
		return err
	}
	defer h.close()

	var results []result
	add := func(r ...result) { results = append(results, r...) }

	// The API server starts first and idles through the ceilings, as a
	// long-running server would; it costs nothing while idle.
	if err := h.startServe(ctx); err != nil {
		return err
	}

	var postCeiling, asynqCeiling, asynqCPU float64
	if s.runs("ceilings") {
		if postCeiling, err = h.ceilingPost(ctx); err != nil {
			return fmt.Errorf("ceiling A: %w", err)
		}
		add(result{key: "ceiling_post_per_s", label: "A. bare signed POST loop", value: postCeiling, unit: "/s"})
		if asynqCeiling, asynqCPU, err = h.ceilingAsynq(ctx); err != nil {
			return fmt.Errorf("ceiling B: %w", err)
		}
		add(result{key: "ceiling_asynq_post_per_s", label: "B. Asynq + signed POST", value: asynqCeiling, unit: "/s", ceiling: postCeiling},
			result{key: "asynq_cpu_us_per_task", label: "B. CPU per task, all processes", value: asynqCPU, unit: "µs"})
	}

	var worker workerResult
	if s.runs("worker") {
		if worker, err = h.workerThroughput(ctx); err != nil {
			return fmt.Errorf("worker throughput: %w", err)
		}
		add(result{key: "worker_deliveries_per_s", label: "worker deliveries, attempt logged", value: worker.perSecond, unit: "/s", ceiling: asynqCeiling},
			result{key: "worker_cpu_us_per_delivery", label: "worker CPU per delivery, all procs", value: worker.cpuPerDeliver, unit: "µs", ceiling: asynqCPU, target: "≤ 2 × B's"},
			result{key: "worker_peak_rss_mb", label: "worker peak RSS", value: worker.peakRSSMB, unit: "MB", target: "≤ 150"})
	} else if err := h.startIdleWorker(ctx); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}

	if s.runs("e2e") {
		e2e, err := h.endToEnd(ctx)
		if err != nil {
			return fmt.Errorf("end-to-end: %w", err)
		}
		lat := e2e.sustained
		// e2e_p50/p95/p99_ms are kept for comparison with earlier runs;
		// they now come from the sustained run.
		add(result{key: "e2e_p50_ms", label: "e2e latency p50 @500/s", value: lat.p50, unit: "ms", target: "≤ 5"},
			result{key: "e2e_p95_ms", label: "e2e latency p95 @500/s", value: lat.p95, unit: "ms"},
			result{key: "e2e_p99_ms", label: "e2e latency p99 @500/s", value: lat.p99, unit: "ms"},
			result{key: "e2e_sustained_p99_ms", label: "e2e sustained p99 @500/s", value: lat.p99, unit: "ms", target: "≤ 50"},
			result{key: "e2e_worst_second_p99_ms", label: "e2e worst one-second p99", value: lat.worstSecondP99, unit: "ms", target: "≤ 100"},
			result{key: "e2e_seconds_p99_over_100ms", label: "e2e seconds with p99 > 100 ms", value: float64(lat.secondsOver100), unit: "s"},
			result{key: "e2e_cold_first_second_p99_ms", label: "e2e p99, first second, cold serve", value: e2e.coldP99, unit: "ms"},
			result{key: "e2e_sustained_failed_creates", label: "e2e sustained: creates failed", value: float64(lat.failed), unit: ""},
			result{key: "e2e_cpu_us_per_event", label: "e2e CPU per event (product)", value: e2e.cpuPerEvent, unit: "µs"})
	}

	if s.runs("burst") {
		lat, err := h.postBurst(ctx)
		if err != nil {
			return fmt.Errorf("post-burst: %w", err)
		}
		add(result{key: "e2e_post_burst_p50_ms", label: "e2e post-burst p50 @500/s", value: lat.p50, unit: "ms", target: "≤ 10"},
			result{key: "e2e_post_burst_p99_ms", label: "e2e post-burst p99 @500/s", value: lat.p99, unit: "ms", target: "≤ 50"},
			result{key: "e2e_post_burst_failed_creates", label: "e2e post-burst: creates failed", value: float64(lat.failed), unit: ""})
	}

	if s.runs("api") {
		api, err := h.apiThroughput(ctx)
		if err != nil {
			return fmt.Errorf("API throughput: %w", err)
		}
		add(result{key: "api_create_per_s", label: "API contact create", value: api.create, unit: "/s", target: "≥ 2000"},
			result{key: "api_list_per_s", label: "API contact list", value: api.list, unit: "/s", target: "≥ 5000"})
	}

	if s.runs("fanout") {
		fan, err := h.fanout(ctx)
		if err != nil {
			return fmt.Errorf("fan-out: %w", err)
		}
		add(result{key: "fanout_100_ms", label: "fan-out: 1 event → 100 webhooks", value: fan, unit: "ms"})
	}

	printTable(results)
	extra := map[string]float64{}
	if asynqCeiling > 0 && worker.perSecond > 0 {
		extra["worker_vs_asynq_ratio"] = math.Round(worker.perSecond/asynqCeiling*1000) / 1000
	}
	if asynqCPU > 0 && worker.cpuPerDeliver > 0 {
		extra["worker_cpu_ratio"] = math.Round(worker.cpuPerDeliver/asynqCPU*1000) / 1000
		logf("worker CPU per delivery / B's CPU per task: %.2f (target ≤ 2.0)", extra["worker_cpu_ratio"])
	}
	return writeJSON(s, results, extra)
}

func printTable(results []result) {
	fmt.Printf("\n%-36s %12s %12s %8s  %s\n", "figure", "value", "ceiling", "ratio", "target")
	fmt.Println(strings.Repeat("-", 84))
	for _, r := range results {
		ceiling, ratio := "", ""
		if r.ceiling > 0 {
			ceiling = fmt.Sprintf("%.0f%s", r.ceiling, r.unit)
			ratio = fmt.Sprintf("%.2f", r.value/r.ceiling)
		}
		fmt.Printf("%-36s %12s %12s %8s  %s\n", r.label, format(r.value, r.unit), ceiling, ratio, r.target)
	}
}

func format(v float64, unit string) string {
	if unit == "ms" {
		return fmt.Sprintf("%.2f%s", v, unit)
	}
	return fmt.Sprintf("%.0f%s", v, unit)
}

func writeJSON(s settings, results []result, ratios map[string]float64) error {
	out := map[string]any{
		"scale":       s.scale,
		"measured_at": time.Now().UTC().Format(time.RFC3339),
	}
	for k, v := range ratios {
		out[k] = v
	}
	for _, r := range results {
		out[r.key] = math.Round(r.value*100) / 100
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(s.out, append(b, '\n'), 0o644); err != nil {
		return err
	}
	logf("wrote %s", s.out)
	return nil
}

// started stamps the log, so a run shows where its time goes.
var started = time.Now()

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: %5.1fs "+format+"\n", append([]any{time.Since(started).Seconds()}, args...)...)
}
