package delivery

import (
	"context"
	"log/slog"
	"time"

	"github.com/relaybook/relaybook/internal/relaybook"
)

// Sweeper is the safety net under the queue: it re-enqueues deliveries that
// PostgreSQL says are due but that Redis may not hold — after a Redis
// restart or flush, an enqueue that failed after commit, or a retry whose
// scheduling was lost. Task ids are deterministic, so re-enqueueing a task
// Redis still holds is a no-op, and any number of workers may sweep at once.
type Sweeper struct {
	Store    relaybook.DeliveryStore
	Enqueuer TaskEnqueuer
	// Interval between sweeps.
	Interval time.Duration
	// Grace is how overdue a delivery must be before it is swept: the normal
	// path (dispatch after commit, a scheduled retry) gets this long first.
	Grace time.Duration
	Log   *slog.Logger
}

const sweepPage = 500

// Run sweeps every Interval until ctx ends.
func (s *Sweeper) Run(ctx context.Context) {
	t := time.NewTicker(s.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if n, err := s.Sweep(ctx); err != nil && ctx.Err() == nil {
				s.logger().Warn("sweep failed; will try again", "error", err.Error())
			} else if n > 0 {
				s.logger().Debug("swept due deliveries", "count", n)
			}
			s.eraseExpiredSecrets(ctx)
		}
	}
}

// Sweep releases held deliveries of webhooks that are active again, then
// enqueues every delivery overdue by more than Grace, and returns how many
// it handed to the queue.
func (s *Sweeper) Sweep(ctx context.Context) (int, error) {
	released, err := s.release(ctx)
	if err != nil {
		return released, err
	}
	n, err := s.sweepDue(ctx)
	return released + n, err
}

// release is the safety net behind resuming: a delivery held by an event
// written while its webhook was being resumed is released here.
func (s *Sweeper) release(ctx context.Context) (int, error) {
	total := 0
	for {
		tasks, err := s.Store.ReleaseHeld(ctx, sweepPage)
		if err != nil || len(tasks) == 0 {
			return total, err
		}
		n, err := s.Enqueuer.Enqueue(ctx, tasks)
		total += n
		if err != nil || len(tasks) < sweepPage {
			return total, err
		}
	}
}

func (s *Sweeper) sweepDue(ctx context.Context) (int, error) {
	dueBefore := time.Now().Add(-s.Grace)
	var afterTime time.Time
	var afterID string
	total := 0
	for {
		tasks, err := s.Store.DueTasks(ctx, dueBefore, afterTime, afterID, sweepPage)
		if err != nil {
			return total, err
		}
		n, err := s.Enqueuer.Enqueue(ctx, tasks)
		total += n
		if err != nil {
			return total, err
		}
		if len(tasks) < sweepPage {
			return total, nil
		}
		last := tasks[len(tasks)-1]
		afterTime, afterID = last.RunAt, last.DeliveryID
	}
}

// secretEraser erases previous secrets past their rotation grace
// (postgres.DB).
type secretEraser interface {
	EraseExpiredSecrets(ctx context.Context, now time.Time) (int64, error)
}

// eraseExpiredSecrets rides on the sweep's tick so that an old secret is
// erased soon after its grace even for a webhook that gets no events.
func (s *Sweeper) eraseExpiredSecrets(ctx context.Context) {
	e, ok := s.Store.(secretEraser)
	if !ok {
		return
	}
	if n, err := e.EraseExpiredSecrets(ctx, time.Now()); err != nil && ctx.Err() == nil {
		s.logger().Warn("erasing expired webhook secrets failed; will try again", "error", err.Error())
	} else if n > 0 {
		s.logger().Info("erased previous webhook secrets past their grace", "count", n)
	}
}

func (s *Sweeper) logger() *slog.Logger {
	if s.Log == nil {
		return slog.Default()
	}
	return s.Log
}
