package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hibiken/asynq"

	"github.com/relaybook/relaybook/internal/signature"
)

// post makes one signed delivery-shaped POST, as the worker does.
func (h *harness) post(ctx context.Context, client *http.Client, target string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(h.payload))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "RelayBook-Webhooks/1.0")
	req.Header.Set("X-Relay-Event", "contact.created")
	req.Header.Set("X-Relay-Signature", signature.Sign(h.secret, h.payload))
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	resp.Body.Close()
	if resp.StatusCode != 200 {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return nil
}

// ceilingPost is ceiling A: the best rate of a bare signed POST loop over
// keep-alive connections, over a few concurrency levels.
func (h *harness) ceilingPost(ctx context.Context) (float64, error) {
	best := 0.0
	for _, conc := range []int{16, 50, 100} {
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conc, MaxIdleConns: conc}}
		dur := h.s.d(3*time.Second, 300*time.Millisecond)
		var n atomic.Int64
		var firstErr error
		var once sync.Once
		deadline := time.Now().Add(dur)
		var wg sync.WaitGroup
		start := time.Now()
		for range conc {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for time.Now().Before(deadline) {
					if err := h.post(ctx, client, h.rc.url("/a")); err != nil {
						once.Do(func() { firstErr = err })
						return
					}
					n.Add(1)
				}
			}()
		}
		wg.Wait()
		client.CloseIdleConnections()
		if firstErr != nil {
			return 0, firstErr
		}
		rate := float64(n.Load()) / time.Since(start).Seconds()
		logf("ceiling A: concurrency %d: %.0f POST/s", conc, rate)
		best = max(best, rate)
	}
	return best, nil
}

// ceilingAsynq is ceiling B: N tasks enqueued, then an Asynq server with
// the worker's concurrency and poll interval whose handler makes the same
// signed POST. No PostgreSQL. It returns the rate and the CPU per task
// over the drain, the bench process (the Asynq server) included.
func (h *harness) ceilingAsynq(ctx context.Context) (rate, cpuPerTask float64, err error) {
	n := h.s.n(20000, 200)
	opt, err := asynq.ParseRedisURI(h.redisURL)
	if err != nil {
		return 0, 0, err
	}
	const qname = "bench-ceiling"
	client := asynq.NewClient(opt)
	defer client.Close()
	if err := parallel(8, n, func(i int) error {
		_, err := client.EnqueueContext(ctx, asynq.NewTask("bench:post", []byte(strconv.Itoa(i))), asynq.Queue(qname), asynq.TaskID("c"+strconv.Itoa(i)))
		return err
	}); err != nil {
		return 0, 0, err
	}
	httpClient := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 50, MaxIdleConns: 50}}
	var done atomic.Int64
	finished := make(chan struct{})
	srv := asynq.NewServer(opt, asynq.Config{
		Concurrency: 50, Queues: map[string]int{qname: 1},
		TaskCheckInterval: 2 * time.Millisecond, LogLevel: asynq.ErrorLevel,
	})
	cpu := startCPU(h.processes(true))
	start := time.Now()
	if err := srv.Start(asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
		if err := h.post(ctx, httpClient, h.rc.url("/b")); err != nil {
			return err
		}
		if done.Add(1) == int64(n) {
			close(finished)
		}
		return nil
	})); err != nil {
		return 0, 0, err
	}
	select {
	case <-finished:
	case <-time.After(3 * time.Minute):
		srv.Shutdown()
		return 0, 0, fmt.Errorf("only %d of %d tasks done", done.Load(), n)
	}
	elapsed := time.Since(start)
	byGroup, total := cpu.stop()
	srv.Shutdown()
	rate = float64(n) / elapsed.Seconds()
	cpuPerTask = usPer(total, n)
	logf("ceiling B: %d tasks in %s: %.0f/s; CPU %.0f µs per task (%s)", n, elapsed.Round(time.Millisecond), rate, cpuPerTask, perDelivery(byGroup, n))
	return rate, cpuPerTask, nil
}

// parallel runs fn(0..n-1) on conc goroutines and returns the first error.
func parallel(conc, n int, fn func(i int) error) error {
	var next atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if err := fn(i); err != nil {
					once.Do(func() { firstErr = err })
					return
				}
			}
		}()
	}
	wg.Wait()
	return firstErr
}
