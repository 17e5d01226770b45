package metrics

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/relaybook/relaybook/internal/relaybook"
)

// BacklogSource reads the delivery backlog from PostgreSQL.
type BacklogSource interface {
	Backlog(ctx context.Context, teamID string) (relaybook.Backlog, error)
}

// Backlog holds the backlog gauges. A scrape reads the last values; Run
// refreshes them from PostgreSQL on its own clock, so scrapes (however
// many Prometheus servers send them) cost PostgreSQL nothing.
type Backlog struct {
	pending prometheus.Gauge
	held    prometheus.Gauge
	oldest  prometheus.Gauge
	src     BacklogSource
	log     *slog.Logger
}

// NewBacklog registers the backlog gauges on reg.
func NewBacklog(reg prometheus.Registerer, src BacklogSource, log *slog.Logger) *Backlog {
	b := &Backlog{
		pending: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: namespace, Name: "deliveries_pending",
			Help: "Deliveries waiting for an attempt (refreshed every few seconds).",
		}),
		held: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: namespace, Name: "deliveries_held",
			Help: "Deliveries held because their webhook is paused or disabled.",
		}),
		oldest: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: namespace, Name: "oldest_pending_delivery_age_seconds",
			Help: "How long the oldest due pending delivery has waited: the backlog's age.",
		}),
		src: src,
		log: log,
	}
	reg.MustRegister(b.pending, b.held, b.oldest)
	return b
}

// Refresh reads the backlog once.
func (b *Backlog) Refresh(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	bl, err := b.src.Backlog(ctx, "")
	if err != nil {
		return err
	}
	b.pending.Set(float64(bl.Pending))
	b.held.Set(float64(bl.Held))
	b.oldest.Set(bl.OldestPendingAge.Seconds())
	return nil
}

// Run refreshes the gauges every interval until ctx ends. A failed read
// keeps the last values and is logged once until reads succeed again.
func (b *Backlog) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	failing := false
	for {
		err := b.Refresh(ctx)
		switch {
		case err != nil && ctx.Err() == nil && !failing:
			failing = true
			if b.log != nil {
				b.log.Warn("backlog metrics: cannot read PostgreSQL; gauges keep their last values", "error", err.Error())
			}
		case err == nil:
			failing = false
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
