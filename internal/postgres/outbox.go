package postgres

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/relaybook/relaybook/internal/relaybook"
)

// Tx is a transaction that collects the delivery tasks its events create,
// and the events, so they can be dispatched and published once the
// transaction has committed.
type Tx struct {
	*sqlx.Tx
	tasks  []relaybook.DeliveryTask
	events []relaybook.Event
}

// inTx runs fn in a transaction and, after a successful commit, hands the
// tasks it created to the dispatcher and its events to live listeners.
func (db *DB) inTx(ctx context.Context, fn func(tx *Tx) error) error {
	sqlTx, err := db.db.BeginTxx(ctx, nil)
	if err != nil {
		return mapError(err)
	}
	tx := &Tx{Tx: sqlTx}
	if err := fn(tx); err != nil {
		_ = sqlTx.Rollback()
		return mapError(err)
	}
	if err := sqlTx.Commit(); err != nil {
		return mapError(err)
	}
	if len(tx.tasks) > 0 && db.Dispatcher != nil {
		db.Dispatcher.Dispatch(tx.tasks)
	}
	db.publish(tx.events...)
	return nil
}

// eventSQL returns one statement that runs change — a data-modifying query
// using parameters $1..$n, RETURNING at least one column — and, only when
// change touched a row, writes the event (parameters $n+1..$n+6, see
// eventArgs) and one delivery per webhook of the team subscribed to
// the event's type. It yields one row: whether change touched a row, and
// the new deliveries' ids to dispatch. An inactive (paused or disabled)
// webhook gets its delivery too, held: resuming it sends what was held.
//
// One statement is one round trip and its own transaction: the hot writes
// (contact create and delete) cost one commit, not BEGIN, three statements
// and COMMIT.
func eventSQL(change string, n int) string {
	return fmt.Sprintf(`
		WITH change AS (%s),
		event AS (
			INSERT INTO events (id, type, team_id, book_id, payload, created_at)
			SELECT $%d, $%d, $%d, $%d, $%d, $%d WHERE EXISTS (SELECT 1 FROM change)
			RETURNING id, type, team_id, created_at
		),
		delivery AS (
			`+fanOutSQL+`
			RETURNING id, state
		)
		SELECT EXISTS (SELECT 1 FROM change),
			COALESCE((SELECT array_agg(id::text) FROM delivery WHERE state = 'pending'), '{}')`,
		change, n+1, n+2, n+3, n+4, n+5, n+6)
}

// fanOutSQL inserts one delivery per webhook of the event's team (the CTE
// "event") subscribed to its type: pending, or held when the webhook is
// inactive (paused or disabled) so that resuming it sends what was held.
// Only pending ones are dispatched.
const fanOutSQL = `INSERT INTO deliveries (id, event_id, webhook_id, state, next_attempt_at, created_at, updated_at)
			SELECT gen_random_uuid(), event.id, w.id, CASE WHEN w.active THEN 'pending' ELSE 'held' END,
				event.created_at, event.created_at, event.created_at
			FROM event JOIN webhooks w ON w.team_id = event.team_id AND event.type = ANY (w.events)`

func eventArgs(e relaybook.Event) []any {
	var bookID *string
	if e.BookID != "" {
		bookID = &e.BookID
	}
	return []any{e.ID, e.Type, e.TeamID, bookID, e.Payload, e.CreatedAt}
}

// getter runs one fixed query: a prepared statement, or a query in a
// transaction.
type getter interface {
	GetContext(ctx context.Context, dest any, args ...any) error
}

type txQuery struct {
	tx    *Tx
	query string
}

func (q txQuery) GetContext(ctx context.Context, dest any, args ...any) error {
	return q.tx.GetContext(ctx, dest, q.query, args...)
}

// writeChangeAndEvent runs an eventSQL statement with args. It reports whether
// change touched a row (no row: nothing was written, no event either) and
// the delivery tasks to dispatch once the write commits.
func writeChangeAndEvent(ctx context.Context, q getter, args []any, e relaybook.Event) (bool, []relaybook.DeliveryTask, error) {
	var row struct {
		Changed    bool           `db:"exists"`
		Deliveries pq.StringArray `db:"coalesce"`
	}
	if err := q.GetContext(ctx, &row, append(args, eventArgs(e)...)...); err != nil {
		return false, nil, fmt.Errorf("write change and event: %w", err)
	}
	tasks := make([]relaybook.DeliveryTask, len(row.Deliveries))
	for i, id := range row.Deliveries {
		tasks[i] = relaybook.DeliveryTask{DeliveryID: id, Attempt: 1, RunAt: e.CreatedAt.Time}
	}
	return row.Changed, tasks, nil
}

// changeWithEvent runs a change and its event as one statement outside any
// transaction (see eventSQL) and dispatches the deliveries it created.
func (db *DB) changeWithEvent(ctx context.Context, change string, args []any, e relaybook.Event) (bool, error) {
	st, err := db.prepared(ctx, eventSQL(change, len(args)))
	if err != nil {
		return false, err
	}
	changed, tasks, err := writeChangeAndEvent(ctx, st, args, e)
	if err != nil {
		return false, mapError(err)
	}
	if len(tasks) > 0 && db.Dispatcher != nil {
		db.Dispatcher.Dispatch(tasks)
	}
	if changed {
		db.publish(e)
	}
	return changed, nil
}

// emit writes an event and its deliveries inside the transaction; they are
// dispatched when it commits.
func (tx *Tx) emit(ctx context.Context, e relaybook.Event) error {
	_, tasks, err := writeChangeAndEvent(ctx, txQuery{tx, eventSQL("SELECT 1", 0)}, nil, e)
	tx.tasks = append(tx.tasks, tasks...)
	if err == nil {
		tx.events = append(tx.events, e)
	}
	return err
}

// emitNew builds and writes an event for a change made at the given time.
func (tx *Tx) emitNew(ctx context.Context, eventType, teamID, bookID string, at relaybook.Time, data any) error {
	e, err := relaybook.NewEvent(newID(), eventType, teamID, bookID, at, data)
	if err != nil {
		return err
	}
	return tx.emit(ctx, e)
}

// publish passes committed events to live listeners (DB.Events). It runs
// beside the dispatch of delivery tasks, after commit, so a listener never
// sees an event that was rolled back.
func (db *DB) publish(events ...relaybook.Event) {
	if db.Events != nil && len(events) > 0 {
		db.Events.Publish(events)
	}
}

// publishCreated publishes the contact.created events of the contacts a
// batch wrote (createContacts commits outside inTx).
func (db *DB) publishCreated(items []newContact, created []bool) {
	if db.Events == nil {
		return
	}
	var events []relaybook.Event
	for i, it := range items {
		if created[i] {
			events = append(events, it.event)
		}
	}
	db.publish(events...)
}
