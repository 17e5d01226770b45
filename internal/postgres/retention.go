package postgres

import (
	"context"
	"time"

	"github.com/relaybook/relaybook/internal/relaybook"
)

// DB prunes delivery history (retention.period).
var _ relaybook.Pruner = (*DB)(nil)

// prunableEvents are events older than the cutoff with no delivery that is
// still to be made: a pending or held delivery keeps its event, and so its
// attempts, whatever their age.
const prunableEvents = `
	SELECT e.id FROM events e
	WHERE e.created_at < $1
		AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id AND d.state IN ('pending', 'held'))`

// prunableAttempts are old attempts of finished deliveries whose event is
// kept (another of its deliveries is still pending or held).
const prunableAttempts = `
	SELECT a.id FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id
	WHERE a.created_at < $1 AND d.state NOT IN ('pending', 'held')`

// PruneBatch removes up to batch prunable events with their deliveries and
// attempts, then up to batch other prunable attempts. Each is one statement,
// so one short transaction: deliveries never wait long on its locks.
func (db *DB) PruneBatch(ctx context.Context, cutoff time.Time, batch int) (relaybook.PruneCounts, error) {
	var c relaybook.PruneCounts
	// SKIP LOCKED: workers pruning at the same time take different events
	// instead of queueing behind each other.
	err := db.db.QueryRowxContext(ctx, `
		WITH doomed AS (`+prunableEvents+` ORDER BY e.created_at LIMIT $2 FOR UPDATE SKIP LOCKED),
		gone_attempts AS (
			DELETE FROM delivery_attempts a USING deliveries d
			WHERE d.id = a.delivery_id AND d.event_id IN (SELECT id FROM doomed) RETURNING 1
		),
		gone_deliveries AS (
			DELETE FROM deliveries WHERE event_id IN (SELECT id FROM doomed) RETURNING 1
		),
		gone_events AS (
			DELETE FROM events WHERE id IN (SELECT id FROM doomed) RETURNING 1
		)
		SELECT (SELECT count(*) FROM gone_attempts), (SELECT count(*) FROM gone_deliveries), (SELECT count(*) FROM gone_events)`,
		cutoff, batch).Scan(&c.Attempts, &c.Deliveries, &c.Events)
	if err != nil {
		return c, mapError(err)
	}
	res, err := db.db.ExecContext(ctx, `
		DELETE FROM delivery_attempts WHERE id IN (`+prunableAttempts+` LIMIT $2)`, cutoff, batch)
	if err != nil {
		return c, mapError(err)
	}
	n, err := res.RowsAffected()
	c.Attempts += n
	return c, err
}

// CountPrunable counts what pruning at cutoff would remove, for a dry run.
func (db *DB) CountPrunable(ctx context.Context, cutoff time.Time) (relaybook.PruneCounts, error) {
	var c relaybook.PruneCounts
	err := db.db.QueryRowxContext(ctx, `
		WITH doomed AS (`+prunableEvents+`),
		doomed_deliveries AS (SELECT id FROM deliveries WHERE event_id IN (SELECT id FROM doomed))
		SELECT
			(SELECT count(*) FROM delivery_attempts WHERE delivery_id IN (SELECT id FROM doomed_deliveries)
				OR id IN (`+prunableAttempts+`)),
			(SELECT count(*) FROM doomed_deliveries),
			(SELECT count(*) FROM doomed)`, cutoff).Scan(&c.Attempts, &c.Deliveries, &c.Events)
	return c, mapError(err)
}
