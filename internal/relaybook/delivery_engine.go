package relaybook

import (
	"context"
	"time"
)

// The delivery engine's vocabulary. A delivery (one event going to one
// webhook) is attempted as a DeliveryTask taken off the queue; the worker
// loads the DeliveryJob it names, sends it, and writes an AttemptRecord.
// DeliveryStore is where jobs come from and records go.

// DeliveryTask names one attempt of one delivery. It is all that travels
// through the queue: ids and numbers, never a payload or a secret. Its JSON
// is the queue task's payload.
type DeliveryTask struct {
	DeliveryID string `json:"delivery_id"`
	Attempt    int    `json:"attempt"`
	// RunAt is when the attempt is due. The queue schedules the task by it;
	// it is not part of the task's payload.
	RunAt time.Time `json:"-"`
}

// DeliveryJob is everything one attempt needs, loaded in one read.
type DeliveryJob struct {
	DeliveryID string `db:"delivery_id"`
	State      string `db:"state"`
	// Attempts is how many attempts are already recorded.
	Attempts int `db:"attempts"`
	// SequenceStart is how many attempts preceded the current attempt
	// sequence (a resume, a recover or a redeliver starts a new one):
	// attempt n is the (n - SequenceStart)-th of its sequence, which is
	// what the retry schedule counts.
	SequenceStart int    `db:"sequence_start"`
	EventID       string `db:"event_id"`
	EventType     string `db:"event_type"`
	Payload       []byte `db:"payload"`
	// EventCreatedAt is when the event committed (event-to-delivery latency).
	EventCreatedAt time.Time `db:"event_created_at"`
	WebhookID      string    `db:"webhook_id"`
	URL            string    `db:"url"`
	Active         bool      `db:"active"`
	// Test marks a sample event from "webhooks test": it is sent with
	// X-Relay-Test: true.
	Test bool `db:"-"`
	// Secret is decrypted in memory for signing; it is never logged or
	// written anywhere.
	Secret string `db:"-"`
	// PreviousSecret signs beside Secret during a rotation's grace (see
	// WebhookService.RotateSecret); empty otherwise. Like Secret, memory only.
	PreviousSecret string `db:"-"`
}

// AttemptRecord is one attempt's log row plus the delivery state it leads
// to. Its Payload is left empty: the log reads it from the event.
type AttemptRecord struct {
	DeliveryAttempt
	// State is the delivery's state after this attempt; NextAttemptAt is
	// when the next attempt is due (pending only).
	State         string
	NextAttemptAt time.Time
}

// DeliveryStore is what the delivery engine reads and writes.
type DeliveryStore interface {
	// LoadDeliveryJobs loads deliveries by id. Deliveries that no longer
	// exist (their webhook was deleted) are absent from the map.
	LoadDeliveryJobs(ctx context.Context, deliveryIDs []string) (map[string]*DeliveryJob, error)
	// RecordAttempts writes log rows and the delivery states they lead to,
	// all or none. A record without an ID is given one. A delivery only moves
	// forward: a record whose attempt is not past the recorded one keeps its
	// log row but leaves the delivery as it is.
	RecordAttempts(ctx context.Context, recs []AttemptRecord) error
	// HoldDelivery sets a pending delivery held because its webhook is
	// inactive, without an attempt; it does nothing (false) if the webhook
	// is active again or the delivery has moved on past attempt-1.
	HoldDelivery(ctx context.Context, deliveryID string, attempt int) (bool, error)
	// ReleaseHeld turns held deliveries of active webhooks pending (the
	// safety net behind resuming) and returns up to limit of their tasks.
	ReleaseHeld(ctx context.Context, limit int) ([]DeliveryTask, error)
	// DueTasks lists pending deliveries due at or before dueBefore, oldest
	// first, after the (time, id) position given (zero values: from the
	// start).
	DueTasks(ctx context.Context, dueBefore, afterTime time.Time, afterID string, limit int) ([]DeliveryTask, error)
}

// Dispatcher hands the tasks that a committed transaction created to the
// queue. It must not block the caller for long: if the queue is down the
// deliveries stay due in the store and the sweeper enqueues them later.
type Dispatcher interface {
	Dispatch(tasks []DeliveryTask)
}
