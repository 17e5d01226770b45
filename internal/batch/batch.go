// Package batch turns concurrent single calls into batched calls: a
// PostgreSQL or Redis round trip costs about as much for one row as for a
// hundred, and on a small machine the round trips (syscalls, wakeups), not
// the rows, are what a busy process spends its CPU on.
package batch

import (
	"context"
	"errors"
	"sync"
	"time"
)

// Batcher groups the items of concurrent Do calls into calls of run. Under
// load this is what lets one worker keep up with thousands of deliveries a
// second and one API process with thousands of requests. When idle, a lone
// call runs at once: there is no timer to wait for, so batching adds no
// latency.
type Batcher[I, O any] struct {
	run     func(items []I) ([]O, []error)
	queue   chan call[I, O]
	maxSize int
	linger  time.Duration
	wg      sync.WaitGroup

	// mu guards closing queue: callers hold it shared, so no send can hit
	// a closed channel.
	mu     sync.RWMutex
	closed bool
}

type call[I, O any] struct {
	item I
	done chan result[O]
}

type result[O any] struct {
	val O
	err error
}

// ErrClosed is returned by Do after Close.
var ErrClosed = errors.New("batcher is closed")

// New starts runners goroutines, each calling run with up to maxSize
// items; several runners keep the next batch building while one runs. run
// returns one value and one error per item.
//
// linger > 0 lets a batch wait that long for more items before it runs:
// fewer, fuller statements for work whose latency nobody waits on.
func New[I, O any](runners, maxSize int, linger time.Duration, run func(items []I) ([]O, []error)) *Batcher[I, O] {
	b := &Batcher[I, O]{run: run, queue: make(chan call[I, O], maxSize*runners), maxSize: maxSize, linger: linger}
	for range runners {
		b.wg.Add(1)
		go b.loop()
	}
	return b
}

// Do submits item and waits for its result. Once submitted, the item is
// processed even if ctx ends, and Do waits for it: for writes, a caller
// must never think a committed record failed or a failed one committed.
func (b *Batcher[I, O]) Do(ctx context.Context, item I) (O, error) {
	c := call[I, O]{item: item, done: make(chan result[O], 1)}
	var zero O
	b.mu.RLock()
	if b.closed {
		b.mu.RUnlock()
		return zero, ErrClosed
	}
	select {
	case b.queue <- c:
		b.mu.RUnlock()
	case <-ctx.Done():
		b.mu.RUnlock()
		return zero, ctx.Err()
	}
	r := <-c.done
	return r.val, r.err
}

func (b *Batcher[I, O]) loop() {
	defer b.wg.Done()
	calls := make([]call[I, O], 0, b.maxSize)
	items := make([]I, 0, b.maxSize)
	for first := range b.queue {
		calls = b.fill(append(calls[:0], first))
		items = items[:0]
		for _, c := range calls {
			items = append(items, c.item)
		}
		vals, errs := b.run(items)
		for i, c := range calls {
			c.done <- result[O]{val: vals[i], err: errs[i]}
		}
	}
}

// fill adds queued calls to a batch: those already waiting, then, with a
// linger, those that arrive before it runs out.
func (b *Batcher[I, O]) fill(calls []call[I, O]) []call[I, O] {
	var deadline <-chan time.Time
	if b.linger > 0 {
		t := time.NewTimer(b.linger)
		defer t.Stop()
		deadline = t.C
	}
	for len(calls) < b.maxSize {
		select {
		case c, ok := <-b.queue:
			if !ok {
				return calls
			}
			calls = append(calls, c)
			continue
		default:
		}
		if deadline == nil {
			return calls
		}
		select {
		case c, ok := <-b.queue:
			if !ok {
				return calls
			}
			calls = append(calls, c)
		case <-deadline:
			return calls
		}
	}
	return calls
}

// Close processes what is queued and stops the runners.
func (b *Batcher[I, O]) Close() {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return
	}
	b.closed = true
	close(b.queue)
	b.mu.Unlock()
	b.wg.Wait()
}
