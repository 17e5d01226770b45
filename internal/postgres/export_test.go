package postgres

import (
	"context"

	"github.com/pressly/goose/v3"

	"github.com/relaybook/relaybook/internal/relaybook"
)

// MigrateTo applies migrations up to version, for tests of a later
// migration's backfill.
func (db *DB) MigrateTo(ctx context.Context, version int64) (*MigrationResult, error) {
	return db.migrate(ctx, func(p *goose.Provider) ([]*goose.MigrationResult, error) { return p.UpTo(ctx, version) })
}

// CreateBatch runs one batch of contact creates, with their contact.created
// events, as concurrent CreateContact calls would.
func (db *DB) CreateBatch(teamID string, contacts ...*relaybook.Contact) ([]bool, []error) {
	items := make([]newContact, len(contacts))
	for i, c := range contacts {
		e, err := relaybook.NewEvent(newID(), relaybook.EventContactCreated, teamID, c.BookID, c.CreatedAt, c)
		if err != nil {
			panic(err)
		}
		items[i] = newContact{contact: c, teamID: teamID, event: e}
	}
	return db.createContacts(items)
}

// ColumnNames are the names in the column lists that writes are built
// from, by table.
func ColumnNames() map[string][]string {
	names := func(n int, name func(int) string) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = name(i)
		}
		return out
	}
	return map[string][]string{
		"delivery_attempts": names(len(attemptColumns), func(i int) string { return attemptColumns[i].name }),
		"contacts":          names(len(contactColumns), func(i int) string { return contactColumns[i].name }),
	}
}

// HotStatements are batched statements that keep a generic plan, for the
// plan test.
var HotStatements = map[string]string{"record attempts": recordAttemptsSQL, "load jobs": loadJobsSQL, "create contacts": createContactsSQL}

// PlanSettings reports plan_cache_mode and enable_seqscan ("mode/seqscan")
// on a connection of the main pool and of the batch pool.
func (db *DB) PlanSettings(ctx context.Context) (main, batches string, err error) {
	return db.SessionValue(ctx, `current_setting('plan_cache_mode') || '/' || current_setting('enable_seqscan')`)
}

// SessionValue evaluates a text expression on a connection of the main
// pool and of the batch pool.
func (db *DB) SessionValue(ctx context.Context, expr string) (main, batches string, err error) {
	q := `SELECT (` + expr + `)::text`
	if err = db.db.GetContext(ctx, &main, q); err != nil {
		return
	}
	err = db.batches.GetContext(ctx, &batches, q)
	return
}

// BatchSessionSettings are the SET statements of the batch pool's sessions.
func BatchSessionSettings() []string {
	out := make([]string, len(batchSettings))
	for i, kv := range batchSettings {
		out[i] = "SET " + kv[0] + " = " + kv[1]
	}
	return out
}
