package relaybook

import (
	"context"
	"encoding/json"
)

// Delivery states. A delivery is one event going to one webhook; it ends
// succeeded or failed, and stays pending while attempts remain.
const (
	DeliveryPending   = "pending"
	DeliverySucceeded = "succeeded"
	DeliveryFailed    = "failed"
)

// DeliveryAttempt is the delivery log object: one row per attempt.
type DeliveryAttempt struct {
	ID             string          `json:"id" db:"id"`
	DeliveryID     string          `json:"delivery_id" db:"delivery_id"`
	WebhookID      string          `json:"webhook_id" db:"webhook_id"`
	EventID        string          `json:"event_id" db:"event_id"`
	EventType      string          `json:"event_type" db:"event_type"`
	Attempt        int             `json:"attempt" db:"attempt"`
	Payload        json.RawMessage `json:"payload" db:"payload"`
	ResponseStatus *int            `json:"response_status" db:"response_status"`
	ResponseBody   string          `json:"response_body" db:"response_body"`
	DurationMS     int64           `json:"duration_ms" db:"duration_ms"`
	Success        bool            `json:"success" db:"success"`
	Error          string          `json:"error" db:"error"`
	CreatedAt      Time            `json:"created_at" db:"created_at"`
}

// DeliveryFilter selects delivery log rows, newest first. TeamID scopes the
// webhook like WebhookService lookups (AnyTeam for operator tools).
type DeliveryFilter struct {
	TeamID     string
	WebhookID  string
	Limit      int
	FailedOnly bool
}

// Validate applies the default limit and checks the range.
func (f *DeliveryFilter) Validate() error {
	if f.Limit == 0 {
		f.Limit = DefaultDeliveryLimit
	}
	return CheckLimit(f.Limit, MaxDeliveryLimit)
}

// Delivery list limits (seed 004, "Query Parameters").
const (
	DefaultDeliveryLimit = 50
	MaxDeliveryLimit     = 200
)

// DeliveryService reads delivery logs and queues redeliveries.
type DeliveryService interface {
	ListAttempts(ctx context.Context, f DeliveryFilter) ([]*DeliveryAttempt, error)
	FindAttempt(ctx context.Context, id string) (*DeliveryAttempt, error)
	// Redeliver queues a fresh delivery of an attempt's event to its webhook
	// and returns the new delivery's id.
	Redeliver(ctx context.Context, attemptID string) (string, error)
}
