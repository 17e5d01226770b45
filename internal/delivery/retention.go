package delivery

import (
	"context"
	"log/slog"
	"time"

	"github.com/relaybook/relaybook/internal/relaybook"
)

// Retention prunes delivery history older than Period (retention.period):
// in batches of BatchSize rows, each its own short statement, with Pause
// between them, so deliveries running beside it never wait long on its
// locks or its I/O.
type Retention struct {
	Store     relaybook.Pruner
	Period    time.Duration
	BatchSize int
	Pause     time.Duration
	// Interval between runs in the worker.
	Interval time.Duration
	Log      *slog.Logger
}

// Retention defaults for the worker.
const (
	DefaultPruneBatch    = 1000
	DefaultPrunePause    = 200 * time.Millisecond
	DefaultPruneInterval = 5 * time.Minute
)

// Cutoff is the time before which history is pruned now.
func (r *Retention) Cutoff() time.Time { return time.Now().Add(-r.Period) }

// Prune removes everything older than the cutoff, batch by batch, and
// returns what it removed.
func (r *Retention) Prune(ctx context.Context) (relaybook.PruneCounts, error) {
	return PruneBefore(ctx, r.Store, r.Cutoff(), r.BatchSize, r.Pause)
}

// PruneBefore removes history older than cutoff in batches of batch rows
// (DefaultPruneBatch when not positive), pausing between them, until none
// is left.
func PruneBefore(ctx context.Context, p relaybook.Pruner, cutoff time.Time, batch int, pause time.Duration) (relaybook.PruneCounts, error) {
	if batch <= 0 {
		batch = DefaultPruneBatch
	}
	var total relaybook.PruneCounts
	for {
		c, err := p.PruneBatch(ctx, cutoff, batch)
		total.Add(c)
		if err != nil {
			return total, err
		}
		if c == (relaybook.PruneCounts{}) {
			return total, nil // nothing older is left
		}
		select {
		case <-ctx.Done():
			return total, ctx.Err()
		case <-time.After(pause):
		}
	}
}

// Run prunes every Interval until ctx ends.
func (r *Retention) Run(ctx context.Context) {
	interval := r.Interval
	if interval <= 0 {
		interval = DefaultPruneInterval
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			c, err := r.Prune(ctx)
			if err != nil && ctx.Err() == nil {
				r.logger().Warn("pruning old delivery history failed; will try again", "error", err.Error())
			} else if c != (relaybook.PruneCounts{}) {
				r.logger().Info("pruned delivery history", "older_than", r.Period.String(),
					"events", c.Events, "deliveries", c.Deliveries, "attempts", c.Attempts)
			}
		}
	}
}

func (r *Retention) logger() *slog.Logger {
	if r.Log == nil {
		return slog.Default()
	}
	return r.Log
}
