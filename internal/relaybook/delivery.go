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
	// EventID keeps the attempts of one event; Window bounds when they
	// were made.
	EventID string
	Window
	Cursor string
}

// Validate applies the default limit and checks every field.
func (f *DeliveryFilter) Validate() error {
	if f.Limit == 0 {
		f.Limit = DefaultDeliveryLimit
	}
	if err := CheckLimit(f.Limit, MaxDeliveryLimit); err != nil {
		return err
	}
	if f.EventID != "" {
		id, ok := CanonicalID(f.EventID)
		if !ok {
			return Invalid("event", "must be an event id, got %q", trimInput(f.EventID))
		}
		f.EventID = id
	}
	if _, err := ParseCursor(f.Cursor); err != nil {
		return err
	}
	return f.Window.Validate()
}

// AttemptPage is one page of the delivery log; NextCursor is empty on the
// last page.
type AttemptPage struct {
	Attempts   []*DeliveryAttempt
	NextCursor string
}

// Delivery list limits (seed 004, "Query Parameters").
const (
	DefaultDeliveryLimit = 50
	MaxDeliveryLimit     = 200
)

// DeliveryService reads delivery logs and queues redeliveries.
type DeliveryService interface {
	ListAttempts(ctx context.Context, f DeliveryFilter) (*AttemptPage, error)
	// FindAttempt returns one log row by its id, as ListAttempts prints it.
	FindAttempt(ctx context.Context, id string) (*DeliveryAttempt, error)
	// Redeliver queues a fresh delivery of an attempt's event to its webhook
	// and returns the new delivery's id.
	Redeliver(ctx context.Context, attemptID string) (string, error)
}
