package relaybook

import (
	"context"
	"time"
)

// Attempt results, as metrics count them: the label values of
// relaybook_delivery_attempts_total. One per way an attempt can end.
const (
	ResultSuccess = "success"
	ResultHTTP3xx = "http_3xx"
	ResultHTTP4xx = "http_4xx"
	ResultHTTP5xx = "http_5xx"
	ResultTimeout = "timeout"
	ResultNetwork = "network"
	ResultRefused = "refused"
)

// AttemptResults lists every result value.
var AttemptResults = []string{ResultSuccess, ResultHTTP3xx, ResultHTTP4xx, ResultHTTP5xx, ResultTimeout, ResultNetwork, ResultRefused}

// ObservedAttempt is what the delivery engine reports after each attempt
// that reached (or tried to reach) a receiver. It carries no id, URL,
// secret or body: observers turn it into metrics labels.
type ObservedAttempt struct {
	EventType string
	Result    string
	// Duration is the receiver's time: request sent to answer read.
	Duration time.Duration
	// Attempt is the attempt number; 1 is the first.
	Attempt int
	// EventCreatedAt is when the event committed; the first attempt's
	// answer minus it is the event-to-delivery latency.
	EventCreatedAt time.Time
	FinishedAt     time.Time
}

// AttemptObserver receives every attempt. It is called on the delivery
// path, so it must not block.
type AttemptObserver interface {
	ObserveAttempt(ObservedAttempt)
}

// Backlog is the delivery backlog: deliveries waiting to be sent and held
// ones, and how long the oldest due one has waited.
type Backlog struct {
	Pending int64 `json:"pending"`
	Held    int64 `json:"held"`
	// OldestPendingAge is how long the oldest pending delivery has been
	// due (zero when none is).
	OldestPendingAge time.Duration `json:"-"`
}

// StatusFilter selects what StatusService reports on.
type StatusFilter struct {
	TeamID string // empty: every team
	Since  time.Time
}

// WebhookStatus is one webhook's delivery health over a window.
type WebhookStatus struct {
	WebhookID   string   `json:"webhook_id" db:"webhook_id"`
	TeamID      string   `json:"team_id" db:"team_id"`
	URL         string   `json:"url" db:"url"`
	State       string   `json:"state" db:"state"` // active, paused or failing
	Attempts    int64    `json:"attempts" db:"attempts"`
	Succeeded   int64    `json:"succeeded" db:"succeeded"`
	Failed      int64    `json:"failed" db:"failed"`
	SuccessRate *float64 `json:"success_rate" db:"-"` // null without attempts
	P50MS       float64  `json:"p50_ms" db:"p50_ms"`
	P95MS       float64  `json:"p95_ms" db:"p95_ms"`
	Pending     int64    `json:"pending" db:"pending"`
}

// Webhook health states in status.
const (
	WebhookStateActive  = "active"
	WebhookStatePaused  = "paused"
	WebhookStateFailing = "failing"
)

// Connections is PostgreSQL's connection budget: what ordinary clients may
// open in all, and how many are open now.
type Connections struct {
	Max  int `json:"max" db:"max"`   // max_connections minus the reserved ones
	Used int `json:"used" db:"used"` // client connections open now
}

// StatusService answers the operator's one-screen status.
type StatusService interface {
	Backlog(ctx context.Context, teamID string) (Backlog, error)
	WebhookStatuses(ctx context.Context, f StatusFilter) ([]WebhookStatus, error)
	Connections(ctx context.Context) (Connections, error)
}
