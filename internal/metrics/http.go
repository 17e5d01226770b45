package metrics

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// HTTP instruments serve: requests by route template and status code, their
// durations by route, and rate-limit rejections. It implements the API's
// observer.
type HTTP struct {
	requests   *prometheus.CounterVec
	duration   *prometheus.HistogramVec
	rejections prometheus.Counter
}

// NewHTTP registers serve's metrics on reg.
func NewHTTP(reg prometheus.Registerer) *HTTP {
	h := &HTTP{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "http_requests_total",
			Help: "API requests by route template and status code.",
		}, []string{"route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "http_request_duration_seconds",
			Help:    "API request durations by route template.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"route"}),
		rejections: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "ratelimit_rejections_total",
			Help: "Requests refused with 429 by the rate limiter.",
		}),
	}
	reg.MustRegister(h.requests, h.duration, h.rejections)
	return h
}

// ObserveRequest counts one request. route is the router's path template
// (like /api/v1/contacts/{id}), never the path itself.
func (h *HTTP) ObserveRequest(route string, code int, d time.Duration) {
	h.requests.WithLabelValues(route, strconv.Itoa(code)).Inc()
	h.duration.WithLabelValues(route).Observe(d.Seconds())
}

// RateLimited counts one request refused by the rate limiter.
func (h *HTTP) RateLimited() { h.rejections.Inc() }
