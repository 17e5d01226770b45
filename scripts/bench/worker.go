package main

import (
	"context"
	"fmt"
	"time"

	"github.com/hibiken/asynq"

	"github.com/relaybook/relaybook/internal/queue"
	"github.com/relaybook/relaybook/internal/relaybook"
)

type workerResult struct {
	perSecond     float64
	peakRSSMB     float64
	cpuPerDeliver float64 // CPU-µs per delivery, every process involved
}

// workerThroughput commits N deliveries, enqueues them, then starts a
// `relaybook worker` with the shipped defaults and times until every
// attempt row is committed.
func (h *harness) workerThroughput(ctx context.Context) (workerResult, error) {
	n := h.s.n(20000, 200)
	f, err := h.fixture(ctx, "worker", "/w")
	if err != nil {
		return workerResult{}, err
	}
	var ids []string
	err = h.db.SQL().SelectContext(ctx, &ids, `
		WITH e AS (
			INSERT INTO events (id, type, team_id, book_id, payload, created_at)
			SELECT gen_random_uuid(), 'contact.created', $1, $2, $3, now() FROM generate_series(1, $4)
			RETURNING id
		)
		INSERT INTO deliveries (id, event_id, webhook_id, next_attempt_at, created_at, updated_at)
		SELECT gen_random_uuid(), e.id, $5, now(), now(), now() FROM e
		RETURNING id`, f.team.ID, f.book.ID, h.payload, n, f.hookID)
	if err != nil {
		return workerResult{}, err
	}
	opt, err := asynq.ParseRedisURI(h.redisURL)
	if err != nil {
		return workerResult{}, err
	}
	client := asynq.NewClient(opt)
	defer client.Close()
	enq := &queue.Enqueuer{Client: client, Queue: queue.DefaultQueue, DeliveryTimeout: 10 * time.Second}
	if err := parallel(8, len(ids), func(i int) error {
		_, err := enq.Enqueue(ctx, []relaybook.DeliveryTask{{DeliveryID: ids[i], Attempt: 1, RunAt: time.Now()}})
		return err
	}); err != nil {
		return workerResult{}, err
	}
	logf("worker: %d deliveries committed and enqueued; starting relaybook worker", n)

	// The bench's own process is left out of the CPU: here it only polls.
	cpu := startCPU(h.processes(false))
	start := time.Now()
	logFile, err := h.startWorker()
	if err != nil {
		return workerResult{}, err
	}
	waitProfile := h.profileWorker("drain", max(1, n/4000))
	deadline := time.Now().Add(4 * time.Minute)
	// The worker commits each attempt row in the statement that moves its
	// delivery out of pending, so "no delivery pending" is "every attempt
	// committed". Polling asks whether one pending delivery is left, which
	// stops at the first it finds; counting the attempt rows instead cost
	// PostgreSQL CPU the worker being measured then lacked (BENCHMARKS.md,
	// "Notes on the harness").
	for {
		var pending bool
		if err := h.db.SQL().GetContext(ctx, &pending, `SELECT EXISTS (SELECT 1 FROM deliveries WHERE state = 'pending' AND webhook_id = $1)`, f.hookID); err != nil {
			return workerResult{}, err
		}
		if !pending {
			break
		}
		if time.Now().After(deadline) {
			return workerResult{}, fmt.Errorf("deliveries still pending after 4 minutes (worker log: %s)", logFile.Name())
		}
		time.Sleep(20 * time.Millisecond)
	}
	elapsed := time.Since(start)
	byGroup, cpuTotal := cpu.stop()
	var logged int
	if err := h.db.SQL().GetContext(ctx, &logged, `SELECT count(*) FROM delivery_attempts WHERE webhook_id = $1`, f.hookID); err != nil {
		return workerResult{}, err
	}
	if logged != n {
		return workerResult{}, fmt.Errorf("%d attempts logged for %d deliveries (worker log: %s)", logged, n, logFile.Name())
	}
	defer waitProfile()
	var failed int
	h.db.SQL().GetContext(ctx, &failed, `SELECT count(*) FROM delivery_attempts WHERE webhook_id = $1 AND NOT success`, f.hookID)
	if failed > 0 {
		return workerResult{}, fmt.Errorf("%d attempts failed (worker log: %s)", failed, logFile.Name())
	}
	rss, err := peakRSSMB(h.worker.Process.Pid)
	if err != nil {
		return workerResult{}, err
	}
	rate := float64(n) / elapsed.Seconds()
	perDeliver := usPer(cpuTotal, n)
	logf("worker: %d attempts logged in %s: %.0f/s; peak RSS %.1f MB; CPU %.0f µs per delivery (%s)",
		n, elapsed.Round(time.Millisecond), rate, rss, perDeliver, perDelivery(byGroup, n))
	return workerResult{perSecond: rate, peakRSSMB: rss, cpuPerDeliver: perDeliver}, nil
}
