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
const createContactsSQL = `
	WITH input AS (
		SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[],
			$8::jsonb[], $9::jsonb[], $10::text[], $11::boolean[], $12::date[], $13::text[], $14::jsonb[], $15::jsonb[],
			$16::timestamptz[], $17::json[], $18::uuid[], $19::bytea[])
			WITH ORDINALITY AS i (id, book_id, team_id, first_name, last_name, company, job_title, emails, phones,
				notes, starred, birthday, website, addresses, socials, created_at, doc, event_id, payload, n)
	),
	change AS (
		INSERT INTO contacts (id, book_id, first_name, last_name, company, job_title, emails, phones,
			notes, starred, birthday, website, addresses, socials, created_at, updated_at, doc)
		SELECT i.id, i.book_id, i.first_name, i.last_name, i.company, i.job_title, i.emails, i.phones,
			i.notes, i.starred, i.birthday, i.website, i.addresses, i.socials, i.created_at, i.created_at, i.doc
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
		INSERT INTO deliveries (id, event_id, webhook_id, next_attempt_at, created_at, updated_at)
		SELECT gen_random_uuid(), event.id, w.id, event.created_at, event.created_at, event.created_at
		FROM event JOIN webhooks w ON w.team_id = event.team_id AND w.active AND event.type = ANY (w.events)
		RETURNING id, event_id
	)
	SELECT i.n, c.id IS NOT NULL AS created,
		COALESCE((SELECT array_agg(d.id::text) FROM delivery d WHERE d.event_id = i.event_id), '{}') AS deliveries
	FROM input i LEFT JOIN change c ON c.id = i.id`

// createContacts writes a batch of new contacts (see createContactsSQL) and
// dispatches their deliveries once it has committed. If the batch fails as
// a whole, each contact is tried alone, so one bad row cannot fail its
// neighbours' requests.
func (db *DB) createContacts(items []newContact) ([]bool, []error) {
	created, errs := make([]bool, len(items)), make([]error, len(items))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	jobs, err := db.insertContacts(ctx, items, created)
	if err != nil && len(items) > 1 {
		jobs = jobs[:0]
		for i := range items {
			more, err := db.insertContacts(ctx, items[i:i+1], created[i:i+1])
			jobs, errs[i] = append(jobs, more...), err
		}
	} else {
		for i := range errs {
			errs[i] = err
		}
	}
	if len(jobs) > 0 && db.Dispatcher != nil {
		db.Dispatcher.Dispatch(jobs)
	}
	db.publishCreated(items, created)
	return created, errs
}

// insertContacts runs createContactsSQL for items, setting created[i] for
// each contact written, and returns the delivery jobs to dispatch.
func (db *DB) insertContacts(ctx context.Context, items []newContact, created []bool) ([]relaybook.Job, error) {
	n := len(items)
	var (
		ids, books, teams, eventIDs                          = make(pq.StringArray, n), make(pq.StringArray, n), make(pq.StringArray, n), make(pq.StringArray, n)
		firsts, lasts, companies, jobTitles, notes, websites = make(pq.StringArray, n), make(pq.StringArray, n), make(pq.StringArray, n), make(pq.StringArray, n), make(pq.StringArray, n), make(pq.StringArray, n)
		emails, phones, addresses, socials, createdAts, docs = make(pq.StringArray, n), make(pq.StringArray, n), make(pq.StringArray, n), make(pq.StringArray, n), make(pq.StringArray, n), make(pq.StringArray, n)
		starred                                              = make(pq.BoolArray, n)
		birthdays                                            = make([]*string, n)
		payloads                                             = make(pq.ByteaArray, n)
	)
	for i, it := range items {
		c := it.contact
		enc, err := encodeContact(c)
		if err != nil {
			return nil, err
		}
		ids[i], books[i], teams[i], eventIDs[i] = c.ID, c.BookID, it.teamID, it.event.ID
		firsts[i], lasts[i], companies[i], jobTitles[i], notes[i], websites[i] = c.FirstName, c.LastName, c.Company, c.JobTitle, c.Notes, c.Website
		emails[i], phones[i], addresses[i], socials[i] = enc.lists[0], enc.lists[1], enc.lists[2], enc.lists[3]
		createdAts[i], docs[i] = c.CreatedAt.UTC().Format(time.RFC3339Nano), enc.doc
		starred[i], birthdays[i], payloads[i] = c.Starred, c.Birthday, it.event.Payload
	}
	st, err := db.prepared(ctx, createContactsSQL)
	if err != nil {
		return nil, err
	}
	rows, err := st.QueryContext(ctx, ids, books, teams, firsts, lasts, companies, jobTitles, emails, phones,
		notes, starred, pq.GenericArray{A: birthdays}, websites, addresses, socials, createdAts, docs, eventIDs, payloads)
	if err != nil {
		return nil, fmt.Errorf("create contacts: %w", mapError(err))
	}
	defer rows.Close()
	var jobs []relaybook.Job
	for rows.Next() {
		var i int
		var ok bool
		var deliveries pq.StringArray
		if err := rows.Scan(&i, &ok, &deliveries); err != nil {
			return nil, mapError(err)
		}
		created[i-1] = ok
		for _, id := range deliveries {
			jobs = append(jobs, relaybook.Job{DeliveryID: id, Attempt: 1, RunAt: items[i-1].event.CreatedAt.Time})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("create contacts: %w", mapError(err))
	}
	return jobs, nil
}
