package delivery

import (
	"strings"

	"github.com/relaybook/relaybook/internal/relaybook"
)

// ResultClass names how an attempt ended, as metrics count it: a class of
// status, or why there was none. The error prefixes are describeError's.
func ResultClass(res Result) string {
	switch {
	case res.Status >= 200 && res.Status < 300:
		return relaybook.ResultSuccess
	case res.Status >= 300 && res.Status < 400:
		return relaybook.ResultHTTP3xx
	case res.Status >= 400 && res.Status < 500:
		return relaybook.ResultHTTP4xx
	case res.Status >= 500:
		return relaybook.ResultHTTP5xx
	case strings.HasPrefix(res.Err, "refused:"):
		return relaybook.ResultRefused
	case strings.HasPrefix(res.Err, "timeout:"):
		return relaybook.ResultTimeout
	default:
		return relaybook.ResultNetwork
	}
}

// report tells the observer about an attempt that was sent (or refused),
// and logs it when it did not succeed. The log line names the delivery,
// the webhook, the event type, the attempt and what went wrong; never the
// URL's secret parts, the signing secret, the payload or the answer's body.
func (h *Handler) report(job *relaybook.DeliveryJob, attempt int, res Result) {
	class := ResultClass(res)
	if h.Observer != nil {
		h.Observer.ObserveAttempt(relaybook.ObservedAttempt{
			EventType: job.EventType, Result: class, Duration: res.Duration,
			Attempt: attempt, EventCreatedAt: job.EventCreatedAt, FinishedAt: res.FinishedAt,
		})
	}
	if class == relaybook.ResultSuccess {
		return
	}
	attrs := []any{"delivery_id", job.DeliveryID, "webhook_id", job.WebhookID, "event_type", job.EventType,
		"attempt", attempt, "result", class, "duration_ms", res.Duration.Milliseconds()}
	if res.Status != 0 {
		attrs = append(attrs, "status", res.Status)
	}
	if res.Err != "" {
		attrs = append(attrs, "error", res.Err)
	}
	msg := "delivery attempt failed"
	if class == relaybook.ResultRefused {
		msg = "delivery target refused"
	}
	h.logger().Warn(msg, attrs...)
}
