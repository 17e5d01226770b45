package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/lib/pq"

	"github.com/relaybook/relaybook/internal/relaybook"
)

// newContact is one contact to create, with its contact.created event.
type newContact struct {
	contact *relaybook.Contact
	teamID  string
	event   relaybook.Event
}

// maxCreateBatch bounds how many creates share one statement (and commit).
const maxCreateBatch = 64

// createContactsSQL inserts a batch of contacts, each with its event and
// its deliveries, in one statement: one round trip and one commit for the
// batch, and still no contact without its event. A contact whose book is
// not its team's is skipped (and so is its event); the result says which.
var createContactsSQL = func() string {
	unnest, names := contactColumns.unnest([2]string{"team_id", "uuid"}, [2]string{"event_id", "uuid"}, [2]string{"payload", "bytea"})
	return `
	WITH input AS (
		SELECT * FROM unnest(` + unnest + `) WITH ORDINALITY AS i (` + names + `, n)
	),
	change AS (
		INSERT INTO contacts (` + contactColumns.names("") + `)
		SELECT ` + contactColumns.names("i.") + `
		FROM input i
		WHERE EXISTS (SELECT 1 FROM books b WHERE b.id = i.book_id AND b.team_id = i.team_id)
		RETURNING id
	),
	event AS (
		INSERT INTO events (id, type, team_id, book_id, payload, created_at)
		SELECT i.event_id, '` + relaybook.EventContactCreated + `', i.team_id, i.book_id, i.payload, i.created_at
		FROM input i JOIN change c ON c.id = i.id
		RETURNING id, type, team_id, created_at
	),
	delivery AS (
		` + fanOutSQL + `
		RETURNING id, event_id, state
	)
	SELECT i.n, c.id IS NOT NULL AS created,
		COALESCE((SELECT array_agg(d.id::text) FROM delivery d WHERE d.event_id = i.event_id AND d.state = 'pending'), '{}') AS deliveries
	FROM input i LEFT JOIN change c ON c.id = i.id`
}()

// createContacts writes a batch of new contacts (see createContactsSQL) and
// dispatches their deliveries once it has committed. If the batch fails as
// a whole, each contact is tried alone, so one bad row cannot fail its
// neighbours' requests.
func (db *DB) createContacts(items []newContact) ([]bool, []error) {
	created, errs := make([]bool, len(items)), make([]error, len(items))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tasks, err := db.insertContacts(ctx, items, created)
	if err != nil && len(items) > 1 {
		tasks = tasks[:0]
		for i := range items {
			more, err := db.insertContacts(ctx, items[i:i+1], created[i:i+1])
			tasks, errs[i] = append(tasks, more...), err
		}
	} else {
		for i := range errs {
			errs[i] = err
		}
	}
	if len(tasks) > 0 && db.Dispatcher != nil {
		db.Dispatcher.Dispatch(tasks)
	}
	db.publishCreated(items, created)
	return created, errs
}

// insertContacts runs createContactsSQL for items, setting created[i] for
// each contact written, and returns the delivery tasks to dispatch.
func (db *DB) insertContacts(ctx context.Context, items []newContact, created []bool) ([]relaybook.DeliveryTask, error) {
	n := len(items)
	encoded, teams, eventIDs, payloads := make([]*encodedContact, n), make(pq.StringArray, n), make(pq.StringArray, n), make(pq.ByteaArray, n)
	for i, it := range items {
		enc, err := encodeContact(it.contact)
		if err != nil {
			return nil, err
		}
		encoded[i], teams[i], eventIDs[i], payloads[i] = enc, it.teamID, it.event.ID, it.event.Payload
	}
	st, err := db.preparedBatch(ctx, createContactsSQL)
	if err != nil {
		return nil, err
	}
	rows, err := st.QueryContext(ctx, append(contactColumns.arrays(encoded), teams, eventIDs, payloads)...)
	if err != nil {
		return nil, fmt.Errorf("create contacts: %w", mapError(err))
	}
	defer rows.Close()
	var tasks []relaybook.DeliveryTask
	for rows.Next() {
		var i int
		var ok bool
		var deliveries pq.StringArray
		if err := rows.Scan(&i, &ok, &deliveries); err != nil {
			return nil, mapError(err)
		}
		created[i-1] = ok
		for _, id := range deliveries {
			tasks = append(tasks, relaybook.DeliveryTask{DeliveryID: id, Attempt: 1, RunAt: items[i-1].event.CreatedAt.Time})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("create contacts: %w", mapError(err))
	}
	return tasks, nil
}
