// Package metrics is RelayBook's Prometheus instrumentation: the metric
// names of design.md ("Health, metrics and logs"), a registry per process
// with the Go and process collectors, and the /metrics handler. Labels
// never carry ids, URLs or secrets: event types, result classes, route
// templates, status codes, queue names and task states only.
package metrics

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// namespace prefixes every RelayBook metric.
const namespace = "relaybook"

// NewRegistry returns a registry with the Go runtime and process collectors.
// Each process (and each test) has its own, so nothing is global.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return reg
}

// Handler serves reg in the Prometheus text format.
func Handler(reg *prometheus.Registry) http.Handler {
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg})
}

// Receiver times run from a few milliseconds (a local receiver) to
// delivery.timeout (10 s by default).
var latencyBuckets = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}
