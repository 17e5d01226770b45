package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/lib/pq"

	"github.com/relaybook/relaybook/internal/relaybook"
)

type attemptRecord = relaybook.AttemptRecord

// attemptColumns are the delivery log's columns: recordAttemptsSQL and its
// arguments are built from them.
var attemptColumns = columns[attemptRecord]{
	{"id", "uuid", false, func(r *attemptRecord) any { return r.ID }},
	{"delivery_id", "uuid", false, func(r *attemptRecord) any { return r.DeliveryID }},
	{"webhook_id", "uuid", false, func(r *attemptRecord) any { return r.WebhookID }},
	{"event_id", "uuid", false, func(r *attemptRecord) any { return r.EventID }},
	{"event_type", "text", false, func(r *attemptRecord) any { return r.EventType }},
	{"attempt", "int", false, func(r *attemptRecord) any { return r.Attempt }},
	{"response_status", "int", false, func(r *attemptRecord) any { return r.ResponseStatus }},
	{"response_body", "text", false, func(r *attemptRecord) any {
		return relaybook.CleanReceiverText(r.ResponseBody, relaybook.MaxStoredResponseBody)
	}},
	{"duration_ms", "bigint", false, func(r *attemptRecord) any { return r.DurationMS }},
	{"success", "boolean", false, func(r *attemptRecord) any { return r.Success }},
	{"error", "text", false, func(r *attemptRecord) any { return relaybook.CleanReceiverText(r.Error, relaybook.MaxStoredError) }},
	{"created_at", "timestamptz", false, func(r *attemptRecord) any { return r.CreatedAt }},
}

// RecordAttempts writes attempt rows and the delivery states they lead to
// in one statement (see recordAttemptsSQL): the delivery engine groups
// attempts so that a busy worker pays one commit for many of them. Records
// without an ID are given one, in recs.
//
// A delivery only moves forward: a stale or duplicate attempt (one whose
// number is not past what is recorded) still gets its log row, since the
// request was really sent, but does not change the delivery.
func (db *DB) RecordAttempts(ctx context.Context, recs []relaybook.AttemptRecord) error {
	if len(recs) == 0 {
		return nil
	}
	rows, states, next := make([]*attemptRecord, len(recs)), make(pq.StringArray, len(recs)), make([]time.Time, len(recs))
	for i := range recs {
		if recs[i].ID == "" {
			recs[i].ID = newID()
		}
		rows[i], states[i], next[i] = &recs[i], recs[i].State, recs[i].NextAttemptAt
	}
	st, err := db.prepared(ctx, recordAttemptsSQL)
	if err != nil {
		return err
	}
	if _, err := st.ExecContext(ctx, append(attemptColumns.arrays(rows), states, pq.Array(next))...); err != nil {
		return fmt.Errorf("record attempts: %w", mapError(err))
	}
	return nil
}

// recordAttemptsSQL is one statement, so one round trip and one implicit
// transaction: the log rows and the delivery states commit together or not
// at all.
var recordAttemptsSQL = func() string {
	unnest, names := attemptColumns.unnest([2]string{"state", "text"}, [2]string{"next_attempt_at", "timestamptz"})
	return `
		WITH rec AS (
			SELECT * FROM unnest(` + unnest + `) AS u (` + names + `)
		),
		logged AS (
			INSERT INTO delivery_attempts (` + attemptColumns.names("") + `)
			SELECT ` + attemptColumns.names("") + ` FROM rec
			-- The delivery may be gone (its webhook deleted mid-flight).
			WHERE EXISTS (SELECT 1 FROM deliveries d WHERE d.id = rec.delivery_id)
		)
		-- A delivery only moves forward: a stale or duplicate attempt keeps
		-- its log row (the request was sent) but does not change the state.
		UPDATE deliveries d SET state = rec.state, attempts = rec.attempt, next_attempt_at = rec.next_attempt_at, updated_at = now()
		FROM rec
		WHERE d.id = rec.delivery_id AND d.state = 'pending' AND d.attempts < rec.attempt`
}()
