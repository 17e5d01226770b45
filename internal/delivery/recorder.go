package delivery

import (
	"context"
	"errors"
	"log/slog"
	"sync"

	"github.com/relaybook/relaybook/internal/postgres"
)

// AttemptStore is where attempts are recorded (postgres.DB).
type AttemptStore interface {
	RecordAttempts(ctx context.Context, recs []postgres.AttemptRecord) error
}

// Recorder groups attempt records from concurrent handlers into shared
// commits. A commit costs about as much for one row as for a hundred, so
// under load this is what lets one worker log thousands of attempts per
// second; when idle, a lone record is written at once (no timer to wait
// for). Record returns only after the record's commit, so no task is
// acknowledged before its log row is durable.
type Recorder struct {
	store   AttemptStore
	log     *slog.Logger
	queue   chan pending
	maxRows int
	wg      sync.WaitGroup

	mu     sync.RWMutex
	closed bool
}

type pending struct {
	rec  postgres.AttemptRecord
	done chan error
}

// ErrRecorderClosed is returned by Record after Close.
var ErrRecorderClosed = errors.New("attempt recorder is closed")

// NewRecorder starts writers committing batches of at most maxRows.
// Several writers keep the next batch building while one commits.
func NewRecorder(store AttemptStore, writers, maxRows int, log *slog.Logger) *Recorder {
	if log == nil {
		log = slog.Default()
	}
	r := &Recorder{store: store, log: log, queue: make(chan pending, maxRows*writers), maxRows: maxRows}
	for range writers {
		r.wg.Add(1)
		go r.run()
	}
	return r
}

// Record queues rec and waits until it is committed (or fails).
func (r *Recorder) Record(ctx context.Context, rec postgres.AttemptRecord) error {
	p := pending{rec: rec, done: make(chan error, 1)}
	r.mu.RLock()
	if r.closed {
		r.mu.RUnlock()
		return ErrRecorderClosed
	}
	select {
	case r.queue <- p:
		r.mu.RUnlock()
	case <-ctx.Done():
		r.mu.RUnlock()
		return ctx.Err()
	}
	// Once queued the record will be written; wait for the commit even if
	// ctx ends, so the caller never acknowledges a task whose row is not
	// durable or reports failure for one that is.
	return <-p.done
}

func (r *Recorder) run() {
	defer r.wg.Done()
	batch := make([]pending, 0, r.maxRows)
	for first := range r.queue {
		batch = append(batch[:0], first)
	fill:
		for len(batch) < r.maxRows {
			select {
			case p, ok := <-r.queue:
				if !ok {
					break fill
				}
				batch = append(batch, p)
			default:
				break fill
			}
		}
		r.write(batch)
	}
}

// write commits a batch. If the batch fails as a whole, each record is
// tried alone, so one bad row cannot fail its neighbours.
func (r *Recorder) write(batch []pending) {
	recs := make([]postgres.AttemptRecord, len(batch))
	for i, p := range batch {
		recs[i] = p.rec
	}
	err := r.store.RecordAttempts(context.Background(), recs)
	if err == nil || len(batch) == 1 {
		for _, p := range batch {
			p.done <- err
		}
		return
	}
	r.log.Warn("attempt batch failed; writing its records one by one", "rows", len(batch), "error", err.Error())
	for _, p := range batch {
		p.done <- r.store.RecordAttempts(context.Background(), []postgres.AttemptRecord{p.rec})
	}
}

// Close writes what is queued and stops the writers.
func (r *Recorder) Close() {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return
	}
	r.closed = true
	close(r.queue)
	r.mu.Unlock()
	r.wg.Wait()
}
