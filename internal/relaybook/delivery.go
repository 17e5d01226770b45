package relaybook

import (
	"context"
	"encoding/json"
	"time"
)

// Delivery states. A delivery is one event going to one webhook; it ends
// succeeded or failed, and stays pending while attempts remain. It is held
// while its webhook is inactive (paused, or disabled for failing): pausing
// never drops an event, resuming sends what was held.
const (
	DeliveryPending   = "pending"
	DeliverySucceeded = "succeeded"
	DeliveryFailed    = "failed"
	DeliveryHeld      = "held"
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

// Redelivery is the result of a redeliver: the delivery re-opened as a
// fresh attempt sequence, or (Queued false) left alone because it is
// already pending or held, so nothing new was queued.
type Redelivery struct {
	DeliveryID string `json:"delivery_id"`
	Queued     bool   `json:"queued"`
	// State is the delivery's state now.
	State string `json:"state"`
}

// Recovery is the result of recovering a webhook's failed deliveries.
type Recovery struct {
	WebhookID string    `json:"webhook_id"`
	Since     time.Time `json:"since"`
	Until     time.Time `json:"until"`
	Queued    int       `json:"queued"`
}

// DeliveryService reads delivery logs and re-opens deliveries.
type DeliveryService interface {
	ListAttempts(ctx context.Context, f DeliveryFilter) (*AttemptPage, error)
	// FindAttempt returns a log row by its id, or the latest attempt of a
	// delivery by the delivery's id.
	FindAttempt(ctx context.Context, id string) (*DeliveryAttempt, error)
	// Redeliver re-opens the delivery behind id (an attempt or a delivery
	// id) as a fresh attempt sequence, unless it is already pending or held.
	Redeliver(ctx context.Context, id string) (*Redelivery, error)
	// Recover re-opens, as one fresh attempt sequence each, the webhook's
	// failed deliveries of events created in the window, in batches;
	// progress (when not nil) is told the running count after each batch.
	Recover(ctx context.Context, teamID, webhookID string, w Window, progress func(queued int)) (*Recovery, error)
}
