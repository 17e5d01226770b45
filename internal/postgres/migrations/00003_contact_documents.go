package migrations

import (
	"context"
	"database/sql"

	"github.com/pressly/goose/v3"
)

// ContactDocuments is migration 3: it stores each contact's API document
// with it (see relaybook.Contact.Document). It is a Go migration because
// the documents must be byte for byte what the Go code writes from now on,
// and only the Go code renders them: backfill, given by the caller, renders
// them for the contacts that exist. It runs in the migration's
// transaction, so a contact is never visible without its document.
func ContactDocuments(backfill func(ctx context.Context, tx *sql.Tx) error) *goose.Migration {
	return goose.NewGoMigration(3,
		&goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error {
			// json, not jsonb or text: json keeps the bytes exactly as written,
			// and the driver hands json over as raw bytes, without the copy a
			// text column costs.
			if _, err := tx.ExecContext(ctx, `ALTER TABLE contacts ADD COLUMN doc json`); err != nil {
				return err
			}
			if err := backfill(ctx, tx); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `ALTER TABLE contacts ALTER COLUMN doc SET NOT NULL`)
			return err
		}},
		&goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `ALTER TABLE contacts DROP COLUMN doc`)
			return err
		}},
	)
}
