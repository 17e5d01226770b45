package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

type apiResult struct{ create, list float64 }

// apiThroughput runs closed loops of contact creates, then of list pages.
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
	list := func() error {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, h.apiBase+"/api/v1/contacts?limit=50", nil)
		req.Header.Set("Authorization", "Bearer "+f.key)
		req.Header.Set("X-Book-ID", f.book.ID)
		resp, err := h.client.Do(req)
		if err != nil {
			return err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return fmt.Errorf("list contacts: %d", resp.StatusCode)
		}
		return nil
	}
	var res apiResult
	for _, step := range []struct {
		name string
		fn   func() error
		best *float64
	}{
		{"create", func() error { _, _, err := h.createContact(ctx, f); return err }, &res.create},
		{"list", list, &res.list},
	} {
		for i, conc := range apiConcurrency {
			wait := func() {}
			if i == 0 {
				wait = h.profileServe(step.name, max(1, int(dur.Seconds())))
			}
			rate, err := closedLoop(conc, dur, step.fn)
			wait()
			if err != nil {
				return apiResult{}, err
			}
			logf("API: %s %.0f/s with %d clients", step.name, rate, conc)
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

func closedLoop(conc int, dur time.Duration, fn func() error) (float64, error) {
	var n atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(dur)
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				if err := fn(); err != nil {
					once.Do(func() { firstErr = err })
					return
				}
				n.Add(1)
			}
		}()
	}
	wg.Wait()
	return float64(n.Load()) / time.Since(start).Seconds(), firstErr
}
