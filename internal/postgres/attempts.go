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
	st, err := db.preparedBatch(ctx, recordAttemptsSQL)
	if err != nil {
		return err
	}
	args := append(attemptColumns.arrays(rows), states, pq.Array(next), db.AutoDisable.Failures, db.AutoDisable.After.Microseconds())
	if _, err := st.ExecContext(ctx, args...); err != nil {
		return fmt.Errorf("record attempts: %w", mapError(err))
	}
	return nil
}

// recordAttemptsSQL is one statement, so one round trip and one implicit
// transaction: the log rows, the delivery states and the webhooks' failure
// streaks (automatic disabling) commit together or not at all.
var recordAttemptsSQL = func() string {
	unnest, names := attemptColumns.unnest([2]string{"state", "text"}, [2]string{"next_attempt_at", "timestamptz"})
	return `
		WITH rec AS (
			SELECT * FROM unnest(` + unnest + `) AS u (` + names + `)
		),
		logged AS (
			INSERT INTO delivery_attempts (` + attemptColumns.names("") + `)
			SELECT ` + attemptColumns.names("rec.") + ` FROM rec
			-- The delivery may be gone (its webhook deleted mid-flight). A
			-- LATERAL lookup (OFFSET 0: never flattened into a join) stays
			-- one index probe per attempt; as EXISTS, the plan prepared on
			-- a new, small table hashed a scan of all deliveries.
			CROSS JOIN LATERAL (SELECT 1 FROM deliveries d WHERE d.id = rec.delivery_id OFFSET 0) still
		),
		-- A delivery only moves forward: a stale or duplicate attempt keeps
		-- its log row (the request was sent) but does not change the state.
		moved AS (
			UPDATE deliveries d SET state = rec.state, attempts = rec.attempt, next_attempt_at = rec.next_attempt_at, updated_at = now()
			FROM rec
			WHERE d.id = rec.delivery_id AND d.state = 'pending' AND d.attempts < rec.attempt
			RETURNING d.webhook_id, rec.state, rec.created_at
		),
		-- Per webhook: the last success of the batch, and the failures
		-- after it (all of them when none succeeded).
		ok AS (
			SELECT webhook_id, max(created_at) FILTER (WHERE state = 'succeeded') AS last_ok
			FROM moved WHERE state IN ('succeeded', 'failed') GROUP BY webhook_id
		),
		streak AS (
			SELECT ok.webhook_id, ok.last_ok,
				count(*) FILTER (WHERE m.state = 'failed' AND m.created_at > coalesce(ok.last_ok, '-infinity')) AS n,
				min(m.created_at) FILTER (WHERE m.state = 'failed' AND m.created_at > coalesce(ok.last_ok, '-infinity')) AS first_fail,
				max(m.created_at) FILTER (WHERE m.state = 'failed') AS last_fail
			FROM ok JOIN moved m USING (webhook_id) GROUP BY ok.webhook_id, ok.last_ok
		)
		` + autoDisableSQL(len(attemptColumns)+3, len(attemptColumns)+4)
}()

// autoDisableSQL updates the failure streak of the webhooks whose
// deliveries ended in this batch, and disables one whose streak reaches
// failuresParam ($n, 0: never) spanning afterParam ($n, microseconds).
// A success touches the webhook row only when it ends a streak, so the
// success path of a healthy webhook writes nothing here. The SET
// expressions read the webhook row itself, not a snapshot taken earlier in
// the statement: two workers ending deliveries of one webhook at once
// serialise on its row and neither loses the other's count.
func autoDisableSQL(failuresParam, afterParam int) string {
	streak := `(CASE WHEN s.last_ok IS NULL THEN w.failure_streak ELSE 0 END + s.n)`
	since := `(CASE WHEN s.n = 0 THEN NULL::timestamptz WHEN s.last_ok IS NULL THEN coalesce(w.failing_since, s.first_fail) ELSE s.first_fail END)`
	disable := fmt.Sprintf(`(w.active AND $%d::int > 0 AND s.n > 0 AND %s >= $%d::int AND s.last_fail - %s >= $%d::float8 * interval '1 microsecond')`,
		failuresParam, streak, failuresParam, since, afterParam)
	return `UPDATE webhooks w SET failure_streak = ` + streak + `, failing_since = ` + since + `,
			active = w.active AND NOT ` + disable + `,
			disabled_reason = CASE WHEN ` + disable + ` THEN 'failing' ELSE w.disabled_reason END,
			disabled_at = CASE WHEN ` + disable + ` THEN now() ELSE w.disabled_at END
		FROM streak s
		WHERE w.id = s.webhook_id AND (s.n > 0 OR w.failure_streak <> 0)`
}
