package postgres

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/relaybook/relaybook/internal/relaybook"
)

// The delivery lifecycle's state changes: hold, resume, recover and
// redeliver. Several processes may try them on one delivery at once (a
// resume, a recover, a redeliver, the sweeper, a retry falling due); each
// is a conditional UPDATE (… WHERE state = 'failed'), so exactly one of
// them re-opens a delivery and at most one attempt sequence runs for it.

// reopenSet starts a fresh attempt sequence on the deliveries d of webhook
// w being updated: pending and due at $now, or held when w is inactive.
// Attempt numbers keep counting; the retry schedule restarts at
// sequence_start.
const reopenSet = `state = CASE WHEN w.active THEN 'pending' ELSE 'held' END,
	sequence_start = d.attempts, next_attempt_at = $now, updated_at = $now`

// bindNow puts parameter $n where a statement says $now.
func bindNow(query string, n int) string {
	return strings.ReplaceAll(query, "$now", "$"+strconv.Itoa(n))
}

// resumeDispatchLimit bounds the tasks a resume hands to the queue itself;
// the sweeper enqueues any beyond it when they are due (they are due now).
const resumeDispatchLimit = 1000

// resumeHeld turns every held delivery of a webhook that is being resumed
// pending, due now, each a fresh attempt sequence, and dispatches them
// oldest event first once tx commits.
func (tx *Tx) resumeHeld(ctx context.Context, webhookID string, now time.Time) error {
	rows, err := tx.QueryContext(ctx, `
		WITH held AS (
			SELECT id, row_number() OVER (ORDER BY created_at, id) AS n
			FROM deliveries WHERE webhook_id = $1 AND state = 'held'
		),
		opened AS (
			-- Due a microsecond apart in event order, so that what the
			-- sweeper enqueues beyond the dispatch limit goes oldest first too.
			UPDATE deliveries d SET state = 'pending', sequence_start = d.attempts,
				next_attempt_at = $2::timestamptz + held.n * interval '1 microsecond', updated_at = $2
			FROM held WHERE d.id = held.id AND d.state = 'held'
			RETURNING d.id, d.attempts, held.n
		)
		SELECT id, attempts + 1 FROM opened ORDER BY n LIMIT $3`, webhookID, now, resumeDispatchLimit)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		t := relaybook.DeliveryTask{RunAt: now}
		if err := rows.Scan(&t.DeliveryID, &t.Attempt); err != nil {
			return err
		}
		tx.tasks = append(tx.tasks, t)
	}
	return rows.Err()
}

// HoldDelivery implements relaybook.DeliveryStore. It share-locks the
// webhook row while it checks that the webhook is inactive: a resume
// (which locks it for update) either commits first, and then this finds it
// active and holds nothing, or waits for this to commit and then finds the
// delivery held and resumes it.
func (db *DB) HoldDelivery(ctx context.Context, deliveryID string, attempt int) (bool, error) {
	if !validID(deliveryID) {
		return false, nil
	}
	res, err := db.db.ExecContext(ctx, `
		UPDATE deliveries d SET state = 'held', updated_at = now()
		FROM (SELECT w.id FROM webhooks w JOIN deliveries x ON x.webhook_id = w.id
			WHERE x.id = $1 AND NOT w.active FOR SHARE OF w) w
		WHERE d.id = $1 AND d.webhook_id = w.id AND d.state = 'pending' AND d.attempts < $2`, deliveryID, attempt)
	if err != nil {
		return false, mapError(err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// ReleaseHeld implements relaybook.DeliveryStore: the safety net for a
// delivery held by an event written while its webhook was being resumed
// (the event's statement does not lock the webhook, to keep the hot path
// free of row locks).
func (db *DB) ReleaseHeld(ctx context.Context, limit int) ([]relaybook.DeliveryTask, error) {
	rows, err := db.db.QueryContext(ctx, `
		WITH c AS (
			SELECT h.id FROM webhooks w CROSS JOIN LATERAL (
				SELECT id FROM deliveries WHERE webhook_id = w.id AND state = 'held' ORDER BY created_at, id LIMIT $1
			) h
			WHERE w.active LIMIT $1
		),
		opened AS (
			UPDATE deliveries d SET state = 'pending', sequence_start = d.attempts, next_attempt_at = now(), updated_at = now()
			FROM c, webhooks w
			WHERE d.id = c.id AND w.id = d.webhook_id AND w.active AND d.state = 'held'
			RETURNING d.id, d.attempts, d.next_attempt_at, d.created_at
		)
		SELECT id, attempts + 1, next_attempt_at FROM opened ORDER BY created_at, id`, limit)
	if err != nil {
		return nil, mapError(err)
	}
	return scanTasks(rows)
}

// recoverBatch is how many deliveries one recover transaction re-opens.
const recoverBatch = 500

// Recover implements relaybook.DeliveryService. It walks the webhook's
// failed deliveries of the window in (event time, id) order, one batch per
// transaction, each batch dispatched when it commits. The walk moves past
// what it has seen, so a re-opened delivery that fails again during the
// run is not re-opened twice.
func (s *DeliveryService) Recover(ctx context.Context, teamID, webhookID string, win relaybook.Window, progress func(int)) (*relaybook.Recovery, error) {
	if win.Since.IsZero() {
		return nil, relaybook.Invalid("since", "is required")
	}
	if win.Until.IsZero() {
		win.Until = time.Now() // an open end is now
	}
	if err := win.Validate(); err != nil {
		return nil, err
	}
	hook, err := findWebhook(ctx, s.db.db, teamID, webhookID, false)
	if err != nil {
		return nil, err
	}
	out := &relaybook.Recovery{WebhookID: hook.ID, Since: win.Since.UTC(), Until: win.Until.UTC()}
	afterTime, afterID := win.Since.Add(-time.Microsecond), "00000000-0000-0000-0000-000000000000"
	for {
		var seen int
		err := s.db.inTx(ctx, func(tx *Tx) error {
			var err error
			seen, afterTime, afterID, err = tx.recoverBatch(ctx, hook.ID, win, afterTime, afterID, &out.Queued)
			return err
		})
		if err != nil {
			return nil, err
		}
		if progress != nil {
			progress(out.Queued)
		}
		if seen < recoverBatch {
			return out, nil
		}
	}
}

// recoverBatch re-opens the next batch of failed deliveries after the
// (time, id) position and returns how many it looked at and where it
// stopped; queued counts those it re-opened.
func (tx *Tx) recoverBatch(ctx context.Context, webhookID string, win relaybook.Window, afterTime time.Time, afterID string, queued *int) (int, time.Time, string, error) {
	now := time.Now()
	rows, err := tx.QueryContext(ctx, bindNow(`
		WITH c AS (
			SELECT id, created_at FROM deliveries
			WHERE webhook_id = $1 AND state = 'failed' AND created_at >= $2 AND created_at <= $3
				AND (created_at, id) > ($4, $5)
				-- A test send is never retried or recovered (webhooks test).
				AND NOT test
			ORDER BY created_at, id LIMIT $6
		),
		opened AS (
			UPDATE deliveries d SET `+reopenSet+`
			FROM c, webhooks w
			WHERE d.id = c.id AND w.id = d.webhook_id AND d.state = 'failed'
			RETURNING d.id, d.attempts, d.state
		)
		SELECT c.id, c.created_at, o.attempts, o.state
		FROM c LEFT JOIN opened o ON o.id = c.id ORDER BY c.created_at, c.id`, 7),
		webhookID, win.Since, win.Until, afterTime, afterID, recoverBatch, now)
	if err != nil {
		return 0, afterTime, afterID, err
	}
	defer rows.Close()
	seen := 0
	for rows.Next() {
		var attempts sql.NullInt64
		var state sql.NullString
		if err := rows.Scan(&afterID, &afterTime, &attempts, &state); err != nil {
			return seen, afterTime, afterID, err
		}
		seen++
		if !state.Valid {
			continue // re-opened by someone else meanwhile
		}
		*queued++
		if state.String == relaybook.DeliveryPending {
			tx.tasks = append(tx.tasks, relaybook.DeliveryTask{DeliveryID: afterID, Attempt: int(attempts.Int64) + 1, RunAt: now})
		}
	}
	return seen, afterTime, afterID, rows.Err()
}

// Redeliver implements relaybook.DeliveryService: id names a log row or a
// delivery; the delivery is re-opened if it has ended (failed or
// succeeded). One already pending or held is left alone, and so is one
// re-opened since the attempt named (the attempt belongs to an earlier
// sequence): redelivering every failed attempt row of a delivery, one
// after the other, sends its event once, however fast the first re-opened
// sequence ends.
func (s *DeliveryService) Redeliver(ctx context.Context, id string) (*relaybook.Redelivery, error) {
	if !validID(id) {
		return nil, relaybook.NotFound("delivery", id)
	}
	var out *relaybook.Redelivery
	err := s.db.inTx(ctx, func(tx *Tx) error {
		now := time.Now()
		var row struct {
			ID       string         `db:"id"`
			OldState string         `db:"old_state"`
			Attempts sql.NullInt64  `db:"attempts"`
			State    sql.NullString `db:"state"`
		}
		err := tx.GetContext(ctx, &row, bindNow(`
			WITH att AS (
				SELECT delivery_id, attempt FROM delivery_attempts WHERE id = $1
			),
			target AS (
				SELECT id, (SELECT attempt FROM att) AS attempt FROM deliveries
				WHERE id = COALESCE((SELECT delivery_id FROM att), $1)
			),
			opened AS (
				UPDATE deliveries d SET `+reopenSet+`
				FROM target t, webhooks w
				WHERE d.id = t.id AND w.id = d.webhook_id AND d.state IN ('failed', 'succeeded')
					AND (t.attempt IS NULL OR t.attempt > d.sequence_start)
					AND NOT d.test -- a test send is never sent again
				RETURNING d.id, d.attempts, d.state
			)
			SELECT t.id, d.state AS old_state, o.attempts, o.state
			FROM target t JOIN deliveries d ON d.id = t.id LEFT JOIN opened o ON o.id = t.id`, 2), id, now)
		if errors.Is(err, sql.ErrNoRows) {
			return relaybook.NotFound("delivery", id)
		}
		if err != nil {
			return err
		}
		out = &relaybook.Redelivery{DeliveryID: row.ID, Queued: row.State.Valid, State: row.OldState}
		if row.State.Valid {
			out.State = row.State.String
		}
		if out.State == relaybook.DeliveryPending && out.Queued {
			tx.tasks = append(tx.tasks, relaybook.DeliveryTask{DeliveryID: row.ID, Attempt: int(row.Attempts.Int64) + 1, RunAt: now})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
