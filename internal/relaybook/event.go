package relaybook

import (
	"encoding/json"
	"slices"
	"strings"
)

// The seven events of the public docs (seed 004, "Available Events").
const (
	EventContactCreated = "contact.created"
	EventContactUpdated = "contact.updated"
	EventContactDeleted = "contact.deleted"
	EventMemberJoined   = "member.joined"
	EventMemberRemoved  = "member.removed"
	EventBookCreated    = "book.created"
	EventBookDeleted    = "book.deleted"
)

// EventTypes lists every event a webhook can subscribe to, in doc order.
var EventTypes = []string{
	EventContactCreated, EventContactUpdated, EventContactDeleted,
	EventMemberJoined, EventMemberRemoved,
	EventBookCreated, EventBookDeleted,
}

// IsEventType reports whether name is one of EventTypes.
func IsEventType(name string) bool { return slices.Contains(EventTypes, name) }

// ValidateEventTypes checks a webhook's subscription list: non-empty, every
// name known, no duplicates. The error names the field and the bad value.
func ValidateEventTypes(field string, events []string) error {
	if len(events) == 0 {
		return Invalid(field, "must list at least one event (one of %s)", strings.Join(EventTypes, ", "))
	}
	seen := make(map[string]bool, len(events))
	for _, e := range events {
		if !IsEventType(e) {
			return Invalid(field, "unknown event %q (valid: %s)", e, strings.Join(EventTypes, ", "))
		}
		if seen[e] {
			return Invalid(field, "event %q is listed twice", e)
		}
		seen[e] = true
	}
	return nil
}

// Event is a change as recorded in the outbox: its payload bytes are exactly
// what every receiver gets, on every attempt.
type Event struct {
	ID        string
	Type      string
	TeamID    string
	BookID    string // empty for member events
	Payload   []byte
	CreatedAt Time
}

// Payload is the body of every webhook request (seed 004, "Payload Format").
type Payload struct {
	Event     string `json:"event"`
	Timestamp Time   `json:"timestamp"`
	TeamID    string `json:"team_id"`
	BookID    string `json:"book_id,omitempty"`
	Data      any    `json:"data"`
}

// IDOnly is the data of contact.deleted and book.deleted: the record is gone,
// so receivers get its id alone.
type IDOnly struct {
	ID string `json:"id"`
}

// NewEvent builds the outbox record for a change. The payload is marshalled
// once, here, so retries send byte-identical bodies.
func NewEvent(id, eventType, teamID, bookID string, at Time, data any) (Event, error) {
	body, err := json.Marshal(Payload{Event: eventType, Timestamp: at, TeamID: teamID, BookID: bookID, Data: data})
	if err != nil {
		return Event{}, err
	}
	return Event{ID: id, Type: eventType, TeamID: teamID, BookID: bookID, Payload: body, CreatedAt: at}, nil
}
