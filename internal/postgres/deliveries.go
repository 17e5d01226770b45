package postgres

import (
	"context"
	"database/sql"
	"errors"

	"github.com/relaybook/relaybook/internal/relaybook"
)

// DeliveryService implements relaybook.DeliveryService: the delivery log,
// and re-opening deliveries (lifecycle.go).
type DeliveryService struct{ db *DB }

// NewDeliveryService returns a DeliveryService on db.
func NewDeliveryService(db *DB) *DeliveryService { return &DeliveryService{db: db} }

var _ relaybook.DeliveryService = (*DeliveryService)(nil)

// The payload comes from the event: it is the same bytes on every attempt, so
// the log does not store a copy per attempt. It is selected as bytea: the
// driver hands text back as a string, which json.RawMessage cannot scan.
const attemptSelect = `SELECT a.id, a.delivery_id, a.webhook_id, a.event_id, a.event_type, a.attempt,
	e.payload, a.response_status, a.response_body, a.duration_ms,
	a.success, a.error, a.created_at
	FROM delivery_attempts a JOIN events e ON e.id = a.event_id`

// ListAttempts returns a webhook's delivery log, newest first.
func (s *DeliveryService) ListAttempts(ctx context.Context, f relaybook.DeliveryFilter) ([]*relaybook.DeliveryAttempt, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	hook, err := findWebhook(ctx, s.db.db, f.TeamID, f.WebhookID, false)
	if err != nil {
		return nil, err
	}
	attempts := []*relaybook.DeliveryAttempt{}
	err = s.db.db.SelectContext(ctx, &attempts, attemptSelect+`
		WHERE a.webhook_id = $1 AND (NOT $2 OR NOT a.success)
		ORDER BY a.created_at DESC, a.id DESC LIMIT $3`, hook.ID, f.FailedOnly, f.Limit)
	return attempts, mapError(err)
}

// FindAttempt returns one delivery log row by its id or, given a
// delivery's id, that delivery's latest attempt: `deliveries show` takes
// whatever id the other commands print.
func (s *DeliveryService) FindAttempt(ctx context.Context, id string) (*relaybook.DeliveryAttempt, error) {
	if !validID(id) {
		return nil, relaybook.NotFound("delivery", id)
	}
	var a relaybook.DeliveryAttempt
	err := s.db.db.GetContext(ctx, &a, attemptSelect+` WHERE a.id = $1 OR a.delivery_id = $1
		ORDER BY a.id = $1 DESC, a.created_at DESC, a.id DESC LIMIT 1`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, relaybook.NotFound("delivery", id)
	}
	if err != nil {
		return nil, mapError(err)
	}
	return &a, nil
}
