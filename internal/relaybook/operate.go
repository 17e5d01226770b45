package relaybook

import (
	"context"
	"encoding/json"
	"time"
)

// The operator's read side: events with their per-webhook delivery state,
// test sends and retention.

// EventDelivery is where one event stands with one webhook.
type EventDelivery struct {
	WebhookID     string `json:"webhook_id" db:"webhook_id"`
	State         string `json:"state" db:"state"`
	Attempts      int    `json:"attempts" db:"attempts"`
	NextAttemptAt *Time  `json:"next_attempt_at" db:"next_attempt_at"`
	LastStatus    *int   `json:"last_status" db:"last_status"`
}

// EventView is an event as operators see it. Payload is set by FindEvent
// only (events show): lists leave it out.
type EventView struct {
	ID         string           `json:"id"`
	Type       string           `json:"type"`
	TeamID     string           `json:"team_id"`
	BookID     *string          `json:"book_id"`
	CreatedAt  Time             `json:"created_at"`
	Deliveries []*EventDelivery `json:"deliveries"`
	Payload    json.RawMessage  `json:"payload,omitempty"`
}

// EventFilter selects a team's events, newest first.
type EventFilter struct {
	TeamID string
	Type   string // one of EventTypes; empty for all
	Window
	Limit  int
	Cursor string
}

// Event list limits, like the delivery log's.
const (
	DefaultEventLimit = 50
	MaxEventLimit     = 200
)

// Validate applies the default limit and checks every field.
func (f *EventFilter) Validate() error {
	if f.Limit == 0 {
		f.Limit = DefaultEventLimit
	}
	if err := CheckLimit(f.Limit, MaxEventLimit); err != nil {
		return err
	}
	if f.Type != "" && !IsEventType(f.Type) {
		return Invalid("type", "unknown event %q", trimInput(f.Type))
	}
	if _, err := ParseCursor(f.Cursor); err != nil {
		return err
	}
	return f.Window.Validate()
}

// EventPage is one page of events; NextCursor is empty on the last page.
type EventPage struct {
	Events     []*EventView
	NextCursor string
}

// EventService reads the outbox. Test events (webhooks test) are left out
// of lists but found by id, since their attempts name them.
type EventService interface {
	ListEvents(ctx context.Context, f EventFilter) (*EventPage, error)
	// FindEvent returns one event with its payload; teamID scopes it like
	// webhook lookups (AnyTeam for operator tools).
	FindEvent(ctx context.Context, teamID, id string) (*EventView, error)
}

// WebhookTester sends a sample event to one webhook now, whatever its
// state, and returns the attempt as logged. eventType empty means the
// webhook's first event.
type WebhookTester interface {
	TestWebhook(ctx context.Context, teamID, webhookID, eventType string) (*DeliveryAttempt, error)
}

// TestStore is what a WebhookTester reads and writes. A test event and its
// delivery are marked as tests: they go to that one webhook only, and are
// never retried, swept, or counted against the webhook's health.
type TestStore interface {
	// PrepareTest builds the sample event for a webhook (not stored yet)
	// and the job that sends it, its secret decrypted.
	PrepareTest(ctx context.Context, teamID, webhookID, eventType string) (*TestSend, error)
	// RecordTest stores the test event, its finished delivery and the
	// attempt, in one transaction; it sets rec.ID.
	RecordTest(ctx context.Context, t *TestSend, rec *AttemptRecord) error
}

// TestSend is one test: the sample event and the job that sends it.
type TestSend struct {
	Event Event
	Job   DeliveryJob
}

// PruneCounts are the rows retention removed (or, in a dry run, would).
type PruneCounts struct {
	Attempts   int64 `json:"attempts"`
	Deliveries int64 `json:"deliveries"`
	Events     int64 `json:"events"`
}

// Add sums counts of successive batches.
func (c *PruneCounts) Add(o PruneCounts) {
	c.Attempts += o.Attempts
	c.Deliveries += o.Deliveries
	c.Events += o.Events
}

// Pruner removes delivery history older than a cutoff: attempts of
// finished deliveries, and events none of whose deliveries is pending or
// held (with their deliveries). A pending or held delivery, its event and
// its attempts are never removed.
type Pruner interface {
	// PruneBatch removes at most batch rows of each kind and reports what
	// it removed; zero counts mean nothing older is left.
	PruneBatch(ctx context.Context, cutoff time.Time, batch int) (PruneCounts, error)
	// CountPrunable reports what pruning at cutoff would remove.
	CountPrunable(ctx context.Context, cutoff time.Time) (PruneCounts, error)
}
