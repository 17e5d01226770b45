package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/lib/pq"

	"github.com/relaybook/relaybook/internal/relaybook"
)

// DeliveryJob is everything one attempt needs, read in one query.
type DeliveryJob struct {
	DeliveryID string `db:"delivery_id"`
	State      string `db:"state"`
	Attempts   int    `db:"attempts"`
	EventID    string `db:"event_id"`
	EventType  string `db:"event_type"`
	Payload    []byte `db:"payload"`
	WebhookID  string `db:"webhook_id"`
	URL        string `db:"url"`
	Active     bool   `db:"active"`
	// Secret is decrypted in memory for signing; it is never logged or
	// written anywhere.
	Secret string `db:"-"`

	SecretCiphertext []byte `db:"secret_ciphertext"`

	// PreviousSecret signs beside Secret during a rotation's grace (see
	// RotateSecret); empty otherwise. Like Secret, memory only.
	PreviousSecret           string       `db:"-"`
	PreviousSecretCiphertext []byte       `db:"previous_secret_ciphertext"`
	PreviousSecretExpiresAt  sql.NullTime `db:"previous_secret_expires_at"`
}

const loadJobsSQL = `
	SELECT d.id AS delivery_id, d.state, d.attempts, e.id AS event_id, e.type AS event_type, e.payload,
		w.id AS webhook_id, w.url, w.active, w.secret_ciphertext, w.previous_secret_ciphertext, w.previous_secret_expires_at
	FROM deliveries d
	JOIN events e ON e.id = d.event_id
	JOIN webhooks w ON w.id = d.webhook_id
	WHERE d.id = ANY ($1::uuid[])`

// LoadDeliveryJobs reads deliveries with their events and webhooks in one
// query, for the worker's batched loads, and decrypts the webhooks' secrets.
// Deliveries that no longer exist (webhook deleted) are absent from the map.
func (db *DB) LoadDeliveryJobs(ctx context.Context, deliveryIDs []string) (map[string]*DeliveryJob, error) {
	if db.Cipher == nil {
		return nil, errors.New("delivering needs security.encryption_key")
	}
	ids := make([]string, 0, len(deliveryIDs))
	for _, id := range deliveryIDs {
		if validID(id) {
			ids = append(ids, id)
		}
	}
	st, err := db.prepared(ctx, loadJobsSQL)
	if err != nil {
		return nil, err
	}
	var rows []*DeliveryJob
	if err := st.SelectContext(ctx, &rows, pq.Array(ids)); err != nil {
		return nil, mapError(err)
	}
	jobs := make(map[string]*DeliveryJob, len(rows))
	for _, j := range rows {
		secret, err := db.Cipher.Open(j.SecretCiphertext, []byte(j.WebhookID))
		if err != nil {
			return nil, fmt.Errorf("webhook %s secret: %w", j.WebhookID, err)
		}
		j.Secret = string(secret)
		j.SecretCiphertext = nil
		jobs[j.DeliveryID] = j
	}
	if err := db.openPreviousSecrets(ctx, rows); err != nil {
		return nil, err
	}
	return jobs, nil
}

// AttemptRecord is one attempt's log row plus the delivery state it leads
// to.
type AttemptRecord struct {
	ID             string
	DeliveryID     string
	WebhookID      string
	EventID        string
	EventType      string
	Attempt        int
	ResponseStatus int // 0: no response
	ResponseBody   string
	DurationMS     int64
	Success        bool
	Error          string
	CreatedAt      time.Time

	// State is the delivery's state after this attempt; NextAttemptAt is
	// when the next attempt is due (pending only).
	State         string
	NextAttemptAt time.Time
}

// NewAttemptID returns an id for an attempt row.
func NewAttemptID() string { return newID() }

// RecordAttempts writes attempt rows and the delivery states they lead to
// in one transaction: the delivery engine groups attempts so that a busy
// worker pays one commit for many of them.
//
// A delivery only moves forward: a stale or duplicate attempt (one whose
// number is not past what is recorded) still gets its log row, since the
// request was really sent, but does not change the delivery.
func (db *DB) RecordAttempts(ctx context.Context, recs []AttemptRecord) error {
	if len(recs) == 0 {
		return nil
	}
	n := len(recs)
	var (
		ids, deliveryIDs, webhookIDs, eventIDs, eventTypes = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		bodies, errs, states                               = make([]string, n), make([]string, n), make([]string, n)
		attempts, statuses, durations                      = make([]int64, n), make([]int64, n), make([]int64, n)
		successes                                          = make([]bool, n)
		created, next                                      = make([]time.Time, n), make([]time.Time, n)
	)
	for i, r := range recs {
		ids[i], deliveryIDs[i], webhookIDs[i], eventIDs[i], eventTypes[i] = r.ID, r.DeliveryID, r.WebhookID, r.EventID, r.EventType
		bodies[i], errs[i], states[i] = cleanText(r.ResponseBody), cleanText(r.Error), r.State
		attempts[i], statuses[i], durations[i] = int64(r.Attempt), int64(r.ResponseStatus), r.DurationMS
		successes[i] = r.Success
		created[i], next[i] = r.CreatedAt, r.NextAttemptAt
	}
	st, err := db.prepared(ctx, recordAttemptsSQL)
	if err != nil {
		return err
	}
	_, err = st.ExecContext(ctx,
		pq.Array(ids), pq.Array(deliveryIDs), pq.Array(webhookIDs), pq.Array(eventIDs), pq.Array(eventTypes), pq.Array(attempts),
		pq.Array(statuses), pq.Array(bodies), pq.Array(durations), pq.Array(successes), pq.Array(errs), pq.Array(created),
		pq.Array(states), pq.Array(next))
	if err != nil {
		return fmt.Errorf("record attempts: %w", mapError(err))
	}
	return nil
}

// recordAttemptsSQL is one statement, so one round trip and one implicit
// transaction: the log rows and the delivery states commit together or not
// at all.
const recordAttemptsSQL = `
		WITH rec AS (
			SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::int[],
				$7::int[], $8::text[], $9::bigint[], $10::bool[], $11::text[], $12::timestamptz[],
				$13::text[], $14::timestamptz[])
			AS u(id, delivery_id, webhook_id, event_id, event_type, attempt, status, body, duration,
				success, err, created, state, next)
		),
		logged AS (
			INSERT INTO delivery_attempts (id, delivery_id, webhook_id, event_id, event_type, attempt,
				response_status, response_body, duration_ms, success, error, created_at)
			SELECT id, delivery_id, webhook_id, event_id, event_type, attempt,
				NULLIF(status, 0), body, duration, success, err, created
			FROM rec
			-- The delivery may be gone (its webhook deleted mid-flight).
			WHERE EXISTS (SELECT 1 FROM deliveries d WHERE d.id = rec.delivery_id)
		)
		-- A delivery only moves forward: a stale or duplicate attempt keeps
		-- its log row (the request was sent) but does not change the state.
		UPDATE deliveries d SET state = rec.state, attempts = rec.attempt, next_attempt_at = rec.next, updated_at = now()
		FROM rec
		WHERE d.id = rec.delivery_id AND d.state = 'pending' AND d.attempts < rec.attempt`

// cleanText makes receiver-controlled text storable: valid UTF-8, no NUL.
func cleanText(s string) string {
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "")
}

// DueJobs returns pending deliveries whose next attempt was due at or
// before dueBefore, oldest first, after the (time, id) position given (the
// zero values start from the beginning).
func (db *DB) DueJobs(ctx context.Context, dueBefore time.Time, afterTime time.Time, afterID string, limit int) ([]relaybook.Job, error) {
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
	defer rows.Close()
	var jobs []relaybook.Job
	for rows.Next() {
		var j relaybook.Job
		if err := rows.Scan(&j.DeliveryID, &j.Attempt, &j.RunAt); err != nil {
			return nil, err
		}
		jobs = append(jobs, j)
	}
	return jobs, mapError(rows.Err())
}
