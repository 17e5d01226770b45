package main

import (
	"context"
	"os"
	"strconv"
	"time"
)

type apiResult struct{ create, list float64 }

// apiThroughput runs closed loops of contact creates, then of list pages,
// each from a load generator process.
func (h *harness) apiThroughput(ctx context.Context) (apiResult, error) {
	f, err := h.fixture(ctx, "api")
	if err != nil {
		return apiResult{}, err
	}
	// Like ceiling A, each figure is the best of a few client counts: a
	// throughput is the rate at saturation, and too few clients leave CPU
	// idle while requests wait on each other's round trips (BENCHMARKS.md,
	// "Notes on the harness").
	dur := h.s.d(4*time.Second, 400*time.Millisecond)
	var res apiResult
	for _, step := range []struct {
		kind string
		best *float64
	}{{"create", &res.create}, {"list", &res.list}} {
		for i, conc := range apiConcurrency {
			wait := func() {}
			if i == 0 {
				wait = h.profileServe(step.kind, max(1, int(dur.Seconds())))
			}
			var out closedResult
			err := h.loadgen(ctx, f, &out, "-mode", "closed", "-kind", step.kind,
				"-conc", strconv.Itoa(conc), "-dur", dur.String())
			wait()
			if err != nil {
				return apiResult{}, err
			}
			rate := float64(out.Count) / out.Seconds
			logf("API: %s %.0f/s with %d clients", step.kind, rate, conc)
			*step.best = max(*step.best, rate)
		}
	}
	return res, nil
}

// apiConcurrency are the client counts the API steps try (BENCH_API_CONC
// picks one).
var apiConcurrency = func() []int {
	if v, err := strconv.Atoi(os.Getenv("BENCH_API_CONC")); err == nil && v > 0 {
		return []int{v}
	}
	return []int{32, 64, 128}
}()
