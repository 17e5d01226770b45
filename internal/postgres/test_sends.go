package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/relaybook/relaybook/internal/relaybook"
)

// DB keeps the test sends of "webhooks test".
var _ relaybook.TestStore = (*DB)(nil)

// PrepareTest builds a sample event of eventType (the webhook's first event
// when empty) for a webhook of the team, and the job that sends it. Nothing
// is stored until RecordTest: a test that never got sent leaves no trace.
func (db *DB) PrepareTest(ctx context.Context, teamID, webhookID, eventType string) (*relaybook.TestSend, error) {
	if db.Cipher == nil {
		return nil, errors.New("test sends need security.encryption_key")
	}
	hook, err := findWebhook(ctx, db.db, teamID, webhookID, false)
	if err != nil {
		return nil, err
	}
	if eventType == "" && len(hook.Events) > 0 {
		eventType = hook.Events[0]
	}
	if !relaybook.IsEventType(eventType) {
		return nil, relaybook.Invalid("event", "must be one of the event names, got %q", eventType)
	}
	// The secrets as the worker reads them: a rotation's previous secret
	// signs too while its grace lasts.
	var row deliveryJobRow
	if err := db.db.GetContext(ctx, &row, `
		SELECT id AS webhook_id, secret_ciphertext, previous_secret_ciphertext, previous_secret_expires_at
		FROM webhooks WHERE id = $1`, hook.ID); err != nil {
		return nil, mapError(err)
	}
	secret, err := db.Cipher.Open(row.SecretCiphertext, []byte(hook.ID))
	if err != nil {
		return nil, fmt.Errorf("webhook %s secret: %w", hook.ID, err)
	}
	if err := db.openPreviousSecrets(ctx, []*deliveryJobRow{&row}); err != nil {
		return nil, err
	}
	ev, err := relaybook.SampleEvent(newID(), eventType, hook.TeamID, newID(), newID(), relaybook.Now())
	if err != nil {
		return nil, err
	}
	return &relaybook.TestSend{Event: ev, Job: relaybook.DeliveryJob{
		DeliveryID: newID(), State: relaybook.DeliveryPending, EventID: ev.ID, EventType: ev.Type,
		Payload: ev.Payload, WebhookID: hook.ID, URL: hook.URL, Active: hook.Active,
		Secret: string(secret), PreviousSecret: row.PreviousSecret, Test: true,
	}}, nil
}

// RecordTest stores a test send as it ended: the event and its delivery,
// both marked test and the delivery already in its final state, so the
// fan-out, the retry path and the sweeper never see them; and the attempt.
func (db *DB) RecordTest(ctx context.Context, t *relaybook.TestSend, rec *relaybook.AttemptRecord) error {
	if rec.ID == "" {
		rec.ID = newID()
	}
	// Stored as the log stores any attempt, and returned as stored.
	rec.ResponseBody = relaybook.CleanReceiverText(rec.ResponseBody, relaybook.MaxStoredResponseBody)
	rec.Error = relaybook.CleanReceiverText(rec.Error, relaybook.MaxStoredError)
	return db.inTx(ctx, func(tx *Tx) error {
		args := append(eventArgs(t.Event), true)
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO events (id, type, team_id, book_id, payload, created_at, test)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, args...); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `
			INSERT INTO deliveries (id, event_id, webhook_id, state, attempts, next_attempt_at, created_at, updated_at, test)
			SELECT $1, $2, id, $4, 1, $5, $6, $5, true FROM webhooks WHERE id = $3`,
			t.Job.DeliveryID, t.Event.ID, t.Job.WebhookID, rec.State, rec.CreatedAt, t.Event.CreatedAt)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return relaybook.NotFound("webhook", t.Job.WebhookID) // deleted while the test was in flight
		}
		_, err = tx.ExecContext(ctx, `
			INSERT INTO delivery_attempts (id, delivery_id, webhook_id, event_id, event_type, attempt,
				response_status, response_body, duration_ms, success, error, created_at)
			VALUES ($1, $2, $3, $4, $5, 1, $6, $7, $8, $9, $10, $11)`,
			rec.ID, t.Job.DeliveryID, t.Job.WebhookID, t.Event.ID, t.Event.Type,
			rec.ResponseStatus, rec.ResponseBody, rec.DurationMS, rec.Success, rec.Error, rec.CreatedAt)
		return err
	})
}
