package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/relaybook/relaybook/internal/relaybook"
)

// Delivery counts and times attempts. It implements
// relaybook.AttemptObserver; every call is a few atomic adds.
type Delivery struct {
	attempts *prometheus.CounterVec
	duration prometheus.Histogram
	latency  prometheus.Histogram
}

// NewDelivery registers the worker's attempt metrics on reg.
func NewDelivery(reg prometheus.Registerer) *Delivery {
	d := &Delivery{
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "delivery_attempts_total",
			Help: "Delivery attempts by event type and result (success, http_3xx, http_4xx, http_5xx, timeout, network, refused).",
		}, []string{"event_type", "result"}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: namespace, Name: "delivery_attempt_duration_seconds",
			Help:    "The receiver's time per attempt: request sent to answer read.",
			Buckets: latencyBuckets,
		}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: namespace, Name: "event_delivery_latency_seconds",
			Help:    "From the event's commit to the answer to its first attempt.",
			Buckets: latencyBuckets,
		}),
	}
	reg.MustRegister(d.attempts, d.duration, d.latency)
	return d
}

// ObserveAttempt implements relaybook.AttemptObserver.
func (d *Delivery) ObserveAttempt(a relaybook.ObservedAttempt) {
	d.attempts.WithLabelValues(a.EventType, a.Result).Inc()
	d.duration.Observe(a.Duration.Seconds())
	if a.Attempt == 1 && !a.EventCreatedAt.IsZero() && a.FinishedAt.After(a.EventCreatedAt) {
		d.latency.Observe(a.FinishedAt.Sub(a.EventCreatedAt).Seconds())
	}
}
