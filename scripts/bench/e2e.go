package main

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// latencies summarise an open-loop run, in ms from the API's 201 to the
// receiver's arrival.
type latencies struct {
	p50, p95, p99  float64
	worstSecondP99 float64 // the highest p99 of one second of sending
	secondsOver100 int     // seconds whose p99 exceeds 100 ms
	failed         int     // creates that failed (timed out): see openLoop
	count          int     // contacts sent
}

type e2eResult struct {
	coldP99   float64
	sustained latencies
	// cpuPerEvent is the CPU-µs of relaybook (serve and worker),
	// PostgreSQL and Redis per contact of the sustained run: what the
	// product spends on one event, from request to logged attempt.
	cpuPerEvent float64
}

// e2eRate is the rate of the latency steps (BENCH_E2E_RATE changes it, for
// investigating only; the reported figures are at 500/s).
func e2eRate() int {
	if v, err := strconv.Atoi(os.Getenv("BENCH_E2E_RATE")); err == nil && v > 0 {
		return v
	}
	return 500
}

// endToEnd creates contacts through the API at 500/s from a load generator
// process and measures from each 201 to the receiver's arrival. It runs
// right after the worker's drain, so the tables already hold its tens of
// thousands of rows. The first second is sent to a `serve` that has taken
// no request yet and is reported on its own (coldP99): what a process pays
// once after it starts is not the sustained latency. After a pause comes
// the sustained run, 120 s at scale 1.
func (h *harness) endToEnd(ctx context.Context) (e2eResult, error) {
	var res e2eResult
	f, err := h.fixture(ctx, "e2e", "/e2e")
	if err != nil {
		return res, err
	}
	rate := e2eRate()
	coldDur := h.s.d(time.Second, 200*time.Millisecond)
	cold, err := h.openLoop(ctx, f, rate, coldDur)
	if err != nil {
		return res, err
	}
	res.coldP99 = cold.p99
	logf("e2e: first second from a cold serve: p50 %.2f ms, p99 %.2f ms", cold.p50, cold.p99)
	time.Sleep(time.Second)

	dur := h.s.d(120*time.Second, 2*time.Second)
	secs := max(1, int(dur.Seconds())-1)
	waitServe, waitWorker := h.profileServe("e2e", secs), h.profileWorker("e2e", secs)
	cpu := startCPU(h.processes(false))
	res.sustained, err = h.openLoop(ctx, f, rate, dur)
	byGroup, _ := cpu.stop()
	waitServe()
	waitWorker()
	if err != nil {
		return res, err
	}
	// The clients' share (load generator, receiver) is logged beside the
	// product's: on two cores they take CPU the product then lacks.
	byGroup["load generator"] = h.loadgenCPU
	n := res.sustained.count
	var product time.Duration
	for _, g := range []string{"serve", "worker", "postgres", "redis"} {
		product += byGroup[g]
	}
	res.cpuPerEvent = usPer(product, n)
	logf("e2e: CPU per event %.0f µs in relaybook, PostgreSQL and Redis (%s)", res.cpuPerEvent, perDelivery(byGroup, n))
	return res, nil
}

// postBurst sends a burst of contacts through the API (20,000 at scale 1,
// 32 clients, as fast as the API takes them), waits until the burst's
// deliveries have all arrived, then measures 20 s at 500/s: what a client
// sees once a burst has passed through the tables and queues.
func (h *harness) postBurst(ctx context.Context) (latencies, error) {
	f, err := h.fixture(ctx, "burst", "/e2e-burst")
	if err != nil {
		return latencies{}, err
	}
	n := h.s.n(20000, 200)
	start := time.Now()
	var out closedResult
	if err := h.loadgen(ctx, f, &out, "-mode", "closed", "-kind", "create", "-conc", "32",
		"-n", strconv.Itoa(n), "-dur", "10m"); err != nil {
		return latencies{}, err
	}
	logf("post-burst: %d contacts created in %.1f s (%.0f/s)", out.Count, out.Seconds, float64(out.Count)/out.Seconds)
	deadline := time.Now().Add(3 * time.Minute)
	for {
		got, err := h.rc.count(ctx, "/e2e-burst")
		if err != nil {
			return latencies{}, err
		}
		if got >= int64(n) {
			break
		}
		if time.Now().After(deadline) {
			return latencies{}, fmt.Errorf("post-burst: %d of %d burst deliveries arrived", got, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
	logf("post-burst: the burst's deliveries all arrived %.1f s after it started", time.Since(start).Seconds())
	return h.openLoop(ctx, f, e2eRate(), h.s.d(20*time.Second, 2*time.Second))
}

// openLoop runs a load generator creating contacts at rate for dur, waits
// for their arrival and summarises the latencies, logging each second's
// p99 (is the tail spread out or one bad second?) and the API's own
// latency (request to 201).
func (h *harness) openLoop(ctx context.Context, f *fixture, rate int, dur time.Duration) (latencies, error) {
	var l latencies
	total := max(1, int(dur.Seconds()*float64(rate)))
	var out openResult
	if err := h.loadgen(ctx, f, &out, "-mode", "open", "-rate", strconv.Itoa(rate), "-n", strconv.Itoa(total)); err != nil {
		return l, err
	}
	// A create that fails (on an overloaded machine: the client's 30 s
	// timeout) is not left out, which would flatter the percentiles: it
	// counts with the time it took to fail, a lower bound of its latency,
	// and the run reports how many failed. Only a run where most fail is an
	// error.
	l.failed = out.Errors
	if out.Errors > 0 {
		logf("e2e: %d of %d creates failed, counted at the time they took to fail; first: %s", out.Errors, total, out.FirstError)
	}
	if out.Errors > total/2 {
		return l, fmt.Errorf("%d of %d creates failed: %s", out.Errors, total, out.FirstError)
	}
	// Ask the receiver for the contacts not seen yet until all have come.
	arrived := make([]time.Time, len(out.Sent))
	var missing []int
	for i, s := range out.Sent {
		if s.ID != "" {
			missing = append(missing, i)
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for len(missing) > 0 {
		ids := make([]string, len(missing))
		for j, i := range missing {
			ids[j] = out.Sent[i].ID
		}
		times, err := h.rc.arrivals(ctx, ids)
		if err != nil {
			return l, err
		}
		var still []int
		for j, t := range times {
			if t.IsZero() {
				still = append(still, missing[j])
			}
			arrived[missing[j]] = t
		}
		missing = still
		if len(missing) > 0 {
			if time.Now().After(deadline) {
				return l, fmt.Errorf("contact %s never arrived (%d of %d did)", out.Sent[missing[0]].ID, total-len(missing), total)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	lat := make([]float64, len(out.Sent))
	api := make([]float64, len(out.Sent))
	for i, s := range out.Sent {
		api[i] = float64(s.Done-s.Sent) / 1e6
		if s.ID == "" {
			lat[i] = api[i]
			continue
		}
		lat[i] = max(0, float64(arrived[i].UnixNano()-s.Done)/1e6)
	}
	// Each second's p99 from the 201 to the arrival, and of the API's own
	// latency: a bad second in both is the API's (or the whole machine's),
	// in the first alone the delivery path's.
	var perSecond, apiPerSecond []string
	for sec := 0; sec*rate < len(lat); sec++ {
		from, to := sec*rate, min(len(lat), (sec+1)*rate)
		chunk := slices.Clone(lat[from:to])
		sort.Float64s(chunk)
		p99 := percentile(chunk, 99)
		l.worstSecondP99 = max(l.worstSecondP99, p99)
		if p99 > 100 {
			l.secondsOver100++
		}
		perSecond = append(perSecond, fmt.Sprintf("%.0f", p99))
		chunk = slices.Clone(api[from:to])
		sort.Float64s(chunk)
		apiPerSecond = append(apiPerSecond, fmt.Sprintf("%.0f", percentile(chunk, 99)))
	}
	// The wall-clock start lets a bad second be matched with PostgreSQL's
	// log or a sampler running beside the bench (vmstat -t 1).
	if len(out.Sent) > 0 {
		logf("e2e: the run's first second began at %s", time.Unix(0, out.Sent[0].Sent).UTC().Format("15:04:05.000 UTC"))
	}
	logf("e2e: p99 of each second, ms: %s", strings.Join(perSecond, " "))
	logf("e2e: the API's p99 of each second, ms: %s", strings.Join(apiPerSecond, " "))
	sort.Float64s(api)
	logf("e2e: the API's own latency (request to 201): p50 %.2f ms, p99 %.2f ms", percentile(api, 50), percentile(api, 99))
	sort.Float64s(lat)
	l.count = len(lat)
	l.p50, l.p95, l.p99 = percentile(lat, 50), percentile(lat, 95), percentile(lat, 99)
	logf("e2e: %d contacts at %d/s: p50 %.2f ms, p95 %.2f ms, p99 %.2f ms; worst second's p99 %.2f ms; %d s with p99 > 100 ms",
		len(lat), rate, l.p50, l.p95, l.p99, l.worstSecondP99, l.secondsOver100)
	return l, nil
}

func percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted)-1) * p / 100)
	return sorted[i]
}
