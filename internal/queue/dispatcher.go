package queue

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/relaybook/relaybook/internal/relaybook"
)

// Dispatcher implements relaybook.Dispatcher: it enqueues the tasks of
// committed transactions in the background, so an API request never waits
// on Redis and keeps succeeding while Redis is down. Tasks it cannot enqueue
// are not lost: they are due in PostgreSQL, and the worker's sweeper
// enqueues them once Redis answers.
type Dispatcher struct {
	enq   *Enqueuer
	log   *slog.Logger
	tasks chan []relaybook.DeliveryTask
	wg    sync.WaitGroup

	// mu guards closing tasks: Dispatch holds it shared so it never sends on
	// a closed channel.
	mu     sync.RWMutex
	closed bool

	// failing is set while Redis refuses tasks, so the log says so once per
	// outage instead of once per event.
	failing atomic.Bool
	dropped atomic.Int64
}

// dispatchWorkers enqueue in parallel: one Redis round trip per task, so a
// few connections keep up with a busy API.
const dispatchWorkers = 4

// NewDispatcher starts a dispatcher; Close stops it.
func NewDispatcher(enq *Enqueuer, log *slog.Logger) *Dispatcher {
	if log == nil {
		log = slog.Default()
	}
	d := &Dispatcher{enq: enq, log: log, tasks: make(chan []relaybook.DeliveryTask, 4096)}
	for range dispatchWorkers {
		d.wg.Add(1)
		go d.run()
	}
	return d
}

// Dispatch hands tasks over without blocking. When the buffer is full (Redis
// stalled under load) they are left to the sweeper.
func (d *Dispatcher) Dispatch(tasks []relaybook.DeliveryTask) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.closed {
		d.dropped.Add(int64(len(tasks)))
		return
	}
	select {
	case d.tasks <- tasks:
	default:
		if d.dropped.Add(int64(len(tasks))) == int64(len(tasks)) {
			d.log.Warn("dispatch buffer full; deliveries left for the sweeper")
		}
	}
}

func (d *Dispatcher) run() {
	defer d.wg.Done()
	for tasks := range d.tasks {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		n, err := d.enq.Enqueue(ctx, tasks)
		cancel()
		if err != nil {
			if !d.failing.Swap(true) {
				d.log.Warn("cannot enqueue deliveries; they stay due in PostgreSQL and the worker's sweeper will enqueue them",
					"error", err.Error())
			}
			d.dropped.Add(int64(len(tasks) - n))
			continue
		}
		if d.failing.Swap(false) {
			d.log.Info("enqueueing deliveries again")
		}
	}
}

// Close enqueues what is buffered, waiting at most timeout, and stops.
func (d *Dispatcher) Close(timeout time.Duration) {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return
	}
	d.closed = true
	close(d.tasks)
	d.mu.Unlock()
	done := make(chan struct{})
	go func() { d.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(timeout):
		d.log.Warn("dispatcher closed with tasks still buffered; the sweeper will enqueue them")
	}
}

// Dropped reports how many tasks were left to the sweeper.
func (d *Dispatcher) Dropped() int64 { return d.dropped.Load() }
