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

// ListAttempts returns a page of a webhook's delivery log, newest first.
func (s *DeliveryService) ListAttempts(ctx context.Context, f relaybook.DeliveryFilter) (*relaybook.AttemptPage, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	hook, err := findWebhook(ctx, s.db.db, f.TeamID, f.WebhookID, false)
	if err != nil {
		return nil, err
	}
	after, _ := relaybook.ParseCursor(f.Cursor) // checked by Validate
	var rows []*attemptPageRow
	err = s.db.db.SelectContext(ctx, &rows, `SELECT `+cursorMicros("a")+`, `+attemptSelect[len("SELECT "):]+`
		WHERE a.webhook_id = $1 AND (NOT $2 OR NOT a.success)
			AND ($3::uuid IS NULL OR a.event_id = $3)
			AND ($4::timestamptz IS NULL OR a.created_at >= $4)
			AND ($5::timestamptz IS NULL OR a.created_at <= $5)
			AND ($6::timestamptz IS NULL OR (a.created_at, a.id) < ($6, $7::uuid))
		ORDER BY a.created_at DESC, a.id DESC LIMIT $8`,
		hook.ID, f.FailedOnly, nullID(f.EventID), nullTime(f.Since), nullTime(f.Until),
		nullTime(after.At), nullID(after.ID), f.Limit+1)
	if err != nil {
		return nil, mapError(err)
	}
	page := &relaybook.AttemptPage{Attempts: make([]*relaybook.DeliveryAttempt, 0, min(len(rows), f.Limit))}
	if len(rows) > f.Limit {
		rows = rows[:f.Limit]
		page.NextCursor = rows[f.Limit-1].cursor()
	}
	for _, r := range rows {
		page.Attempts = append(page.Attempts, &r.DeliveryAttempt)
	}
	return page, nil
}

// attemptPageRow is a log row with its exact time for the page's cursor:
// the log keeps microseconds, relaybook.Time only milliseconds.
type attemptPageRow struct {
	relaybook.DeliveryAttempt
	pagePosition
}

// FindAttempt returns one delivery log row. It also takes a delivery's id
// (what redeliver accepts, and what redeliver prints): that delivery's
// latest attempt.
func (s *DeliveryService) FindAttempt(ctx context.Context, id string) (*relaybook.DeliveryAttempt, error) {
	if !validID(id) {
		return nil, relaybook.NotFound("delivery", id)
	}
	var a relaybook.DeliveryAttempt
	err := s.db.db.GetContext(ctx, &a, attemptSelect+` WHERE a.id = $1 OR a.delivery_id = $1
		ORDER BY a.id = $1 DESC, a.attempt DESC, a.created_at DESC LIMIT 1`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, relaybook.NotFound("delivery", id)
	}
	if err != nil {
		return nil, mapError(err)
	}
	return &a, nil
}
