package delivery

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/relaybook/relaybook/internal/queue"
	"github.com/relaybook/relaybook/internal/relaybook"
	"github.com/relaybook/relaybook/internal/safehttp"
)

// WorkerConfig is what a delivery worker runs with.
type WorkerConfig struct {
	// Store loads deliveries and records attempts (postgres.DB).
	Store relaybook.DeliveryStore
	Redis asynq.RedisConnOpt
	// Queue defaults to queue.DefaultQueue; tests use their own.
	Queue                string
	Concurrency          int
	PollInterval         time.Duration
	Timeout              time.Duration
	RetryDelays          []time.Duration
	AllowPrivateNetworks bool
	SweepInterval        time.Duration
	SweepGrace           time.Duration
	ShutdownTimeout      time.Duration
	Log                  *slog.Logger
	// Observer hears of every attempt sent (metrics.Delivery); nil: nobody.
	Observer relaybook.AttemptObserver
	// Shards is queue.shards: the worker enqueues retries and sweeps into
	// the shards and consumes all of them.
	Shards int
	// Retention prunes old history beside the sweeper; nil turns it off.
	Retention *Retention
}

// Worker is one delivery worker process's engine: the Asynq server running
// the Handler, the attempt Recorder, and the Sweeper.
type Worker struct {
	cfg       WorkerConfig
	client    *asynq.Client
	servers   []*asynq.Server
	recorder  *Recorder
	loader    *Loader
	stopSweep context.CancelFunc
	sweepDone chan struct{}
	stopOnce  sync.Once
}

// One runner each for the loader and the recorder: what queues up while a
// statement runs goes into the next one, so batches grow with load. More
// runners measured slower (smaller batches, more statements for PostgreSQL
// to plan and run). A batch never needs to exceed the worker's concurrency.
const batchRunners = 1

// dequeuers is how many Asynq servers share the worker's concurrency.
// An Asynq server takes tasks off Redis in a single loop, one round trip per
// task. On a busy 2-core machine that loop, not the handler slots, limited
// a worker while most of its 100 slots sat idle: each round trip waited for
// Redis, for a CPU and for its write. Two loops drained faster; a third
// added nothing, the machine being then CPU-bound (BENCHMARKS.md, "Two
// dequeue loops per worker").
const dequeuers = 2

// helperPollInterval is how often the servers after the first poll an empty
// queue. The first server's poll_interval alone sets the latency floor; the
// others only add throughput under load, when the queue is not empty and
// they do not poll, so polling slowly keeps an idle worker as cheap as one
// with a single server.
const helperPollInterval = 50 * time.Millisecond

// splitSlots divides concurrency among at most n servers, none empty.
func splitSlots(concurrency, n int) []int {
	n = max(min(n, concurrency), 1)
	slots := make([]int, n)
	for i := range slots {
		slots[i] = concurrency / n
		if i < concurrency%n {
			slots[i]++
		}
	}
	return slots
}

// StartWorker starts taking tasks. It does not wait for Redis: a worker
// started before Redis keeps polling until Redis answers.
func StartWorker(cfg WorkerConfig) (*Worker, error) {
	if cfg.Queue == "" {
		cfg.Queue = queue.DefaultQueue
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if rc, ok := cfg.Redis.MakeRedisClient().(redis.UniversalClient); ok {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		if err := rc.Ping(ctx).Err(); err != nil {
			cfg.Log.Warn("Redis is not answering; the worker will wait for it", "error", err.Error())
		}
		cancel()
		rc.Close()
	}
	w := &Worker{cfg: cfg, client: asynq.NewClient(cfg.Redis), sweepDone: make(chan struct{})}
	enq := &queue.Enqueuer{Client: w.client, Queue: cfg.Queue, Shards: cfg.Shards, DeliveryTimeout: cfg.Timeout}
	w.recorder = NewRecorder(cfg.Store, batchRunners, max(cfg.Concurrency, 1), cfg.Log)
	w.loader = NewLoader(cfg.Store, batchRunners, max(cfg.Concurrency, 1))
	handler := &Handler{
		Loader:   w.loader,
		Recorder: w.recorder,
		Client: safehttp.NewClient(safehttp.Options{
			Timeout:              cfg.Timeout,
			AllowPrivateNetworks: cfg.AllowPrivateNetworks,
			MaxIdleConnsPerHost:  cfg.Concurrency,
		}),
		Enqueuer:    enq,
		Store:       cfg.Store,
		RetryDelays: cfg.RetryDelays,
		Log:         cfg.Log,
		Observer:    cfg.Observer,
	}
	mux := asynq.NewServeMux()
	mux.Handle(queue.TypeDeliver, handler)
	asynqLog := queue.NewLogger(cfg.Log)
	for i, slots := range splitSlots(cfg.Concurrency, dequeuers) {
		poll := cfg.PollInterval
		if i > 0 {
			poll = max(poll, helperPollInterval)
		}
		srv := asynq.NewServer(cfg.Redis, queue.ServerConfig(queue.ServerOptions{
			Queue:           cfg.Queue,
			Shards:          cfg.Shards,
			Concurrency:     slots,
			PollInterval:    poll,
			ShutdownTimeout: cfg.ShutdownTimeout,
			Logger:          asynqLog,
		}))
		if err := srv.Start(mux); err != nil {
			w.shutdownServers()
			w.recorder.Close()
			w.loader.Close()
			w.client.Close()
			return nil, err
		}
		w.servers = append(w.servers, srv)
	}
	sweepCtx, stop := context.WithCancel(context.Background())
	w.stopSweep = stop
	go func() {
		defer close(w.sweepDone)
		var background sync.WaitGroup
		defer background.Wait()
		if cfg.Retention != nil {
			background.Go(func() { cfg.Retention.Run(sweepCtx) })
		}
		(&Sweeper{Store: cfg.Store, Enqueuer: enq, Interval: cfg.SweepInterval, Grace: cfg.SweepGrace, Log: cfg.Log}).Run(sweepCtx)
	}()
	return w, nil
}

// shutdownServers shuts the Asynq servers down together, so in-flight
// tasks on all of them share one ShutdownTimeout.
func (w *Worker) shutdownServers() {
	var wg sync.WaitGroup
	for _, srv := range w.servers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			srv.Shutdown()
		}()
	}
	wg.Wait()
}

// Stop stops taking tasks, lets in-flight deliveries finish (up to
// ShutdownTimeout; Asynq hands back any that do not), writes the last
// attempt records and stops the sweeper. Calling it again does nothing.
func (w *Worker) Stop() {
	w.stopOnce.Do(func() {
		w.shutdownServers()
		w.stopSweep()
		<-w.sweepDone
		w.recorder.Close()
		w.loader.Close()
		w.client.Close()
	})
}
