package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/lib/pq"

	"github.com/relaybook/relaybook/internal/relaybook"
)

// DB is the delivery engine's store.
var _ relaybook.DeliveryStore = (*DB)(nil)

// deliveryJobRow is a job as read: the secrets still sealed.
type deliveryJobRow struct {
	relaybook.DeliveryJob
	SecretCiphertext []byte `db:"secret_ciphertext"`
	// The previous secret of a rotation still in (or past) its grace; both
	// NULL outside a rotation (see openPreviousSecrets).
	PreviousSecretCiphertext []byte       `db:"previous_secret_ciphertext"`
	PreviousSecretExpiresAt  sql.NullTime `db:"previous_secret_expires_at"`
}

// loadJobsSQL reads each wanted delivery, its event and its webhook by
// primary key. The lookups are LATERAL subqueries with OFFSET 0, which the
// planner cannot flatten into ordinary joins, so each one stays an index
// lookup per wanted id whatever the statistics say. As plain joins, the
// plan prepared while the tables were new and small (no statistics yet)
// hashed a sequential scan of all events, and the statement kept that plan
// as the table grew (BENCHMARKS.md, "Plans that stay fast").
const loadJobsSQL = `
	SELECT d.id AS delivery_id, d.state, d.attempts, d.sequence_start, e.id AS event_id, e.type AS event_type, e.payload, e.created_at AS event_created_at,
		w.id AS webhook_id, w.url, w.active, w.secret_ciphertext, w.previous_secret_ciphertext, w.previous_secret_expires_at
	FROM unnest($1::uuid[]) AS want (id)
	CROSS JOIN LATERAL (SELECT id, state, attempts, sequence_start, event_id, webhook_id FROM deliveries WHERE id = want.id OFFSET 0) d
	CROSS JOIN LATERAL (SELECT id, type, payload, created_at FROM events WHERE id = d.event_id OFFSET 0) e
	CROSS JOIN LATERAL (SELECT id, url, active, secret_ciphertext, previous_secret_ciphertext, previous_secret_expires_at
		FROM webhooks WHERE id = d.webhook_id OFFSET 0) w`

// LoadDeliveryJobs reads deliveries with their events and webhooks in one
// query, for the worker's batched loads, and decrypts the webhooks' secrets.
// Deliveries that no longer exist (webhook deleted) are absent from the map.
func (db *DB) LoadDeliveryJobs(ctx context.Context, deliveryIDs []string) (map[string]*relaybook.DeliveryJob, error) {
	if db.Cipher == nil {
		return nil, errors.New("delivering needs security.encryption_key")
	}
	ids := make([]string, 0, len(deliveryIDs))
	for _, id := range deliveryIDs {
		if validID(id) {
			ids = append(ids, id)
		}
	}
	var rows []*deliveryJobRow
	if err := db.selectBatch(ctx, &rows, loadJobsSQL, pq.Array(ids)); err != nil {
		return nil, err
	}
	jobs := make(map[string]*relaybook.DeliveryJob, len(rows))
	for _, r := range rows {
		secret, err := db.Cipher.Open(r.SecretCiphertext, []byte(r.WebhookID))
		if err != nil {
			return nil, fmt.Errorf("webhook %s secret: %w", r.WebhookID, err)
		}
		j := &r.DeliveryJob
		j.Secret, r.SecretCiphertext = string(secret), nil
		jobs[j.DeliveryID] = j
	}
	if err := db.openPreviousSecrets(ctx, rows); err != nil {
		return nil, err
	}
	return jobs, nil
}

// DueTasks returns pending deliveries whose next attempt was due at or
// before dueBefore, oldest first, after the (time, id) position given (the
// zero values start from the beginning).
func (db *DB) DueTasks(ctx context.Context, dueBefore time.Time, afterTime time.Time, afterID string, limit int) ([]relaybook.DeliveryTask, error) {
	if afterID == "" {
		afterID = "00000000-0000-0000-0000-000000000000"
	}
	rows, err := db.db.QueryContext(ctx, `
		SELECT id, attempts + 1, next_attempt_at FROM deliveries
		WHERE state = 'pending' AND next_attempt_at <= $1 AND (next_attempt_at, id) > ($2, $3)
		ORDER BY next_attempt_at, id LIMIT $4`, dueBefore, afterTime, afterID, limit)
	if err != nil {
		return nil, mapError(err)
	}
	return scanTasks(rows)
}

// scanTasks reads rows of (delivery id, attempt, due time) as tasks.
func scanTasks(rows *sql.Rows) ([]relaybook.DeliveryTask, error) {
	defer rows.Close()
	var tasks []relaybook.DeliveryTask
	for rows.Next() {
		var t relaybook.DeliveryTask
		if err := rows.Scan(&t.DeliveryID, &t.Attempt, &t.RunAt); err != nil {
			return nil, err
		}
		tasks = append(tasks, t)
	}
	return tasks, mapError(rows.Err())
}
