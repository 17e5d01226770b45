package postgres

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/jmoiron/sqlx"
	"github.com/jmoiron/sqlx/reflectx"
	"github.com/lib/pq"
	"github.com/pressly/goose/v3"
)

// contactDocuments (migration 3) stores each contact's API document with it
// (see relaybook.Contact.Document). It is a Go migration because the
// documents must be byte for byte what the Go code writes from now on, and
// only the Go code renders them. The backfill runs in the migration's
// transaction: a contact is never visible without its document.
var contactDocuments = goose.NewGoMigration(3,
	&goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error {
		// json, not jsonb or text: json keeps the bytes exactly as written,
		// and the driver hands json over as raw bytes, without the copy a
		// text column costs.
		if _, err := tx.ExecContext(ctx, `ALTER TABLE contacts ADD COLUMN doc json`); err != nil {
			return err
		}
		if err := backfillContactDocuments(ctx, &sqlx.Tx{Tx: tx, Mapper: reflectx.NewMapperFunc("db", sqlx.NameMapper)}); err != nil {
			return fmt.Errorf("backfill contact documents: %w", err)
		}
		_, err := tx.ExecContext(ctx, `ALTER TABLE contacts ALTER COLUMN doc SET NOT NULL`)
		return err
	}},
	&goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `ALTER TABLE contacts DROP COLUMN doc`)
		return err
	}},
)

// backfillContactDocuments renders the document of every contact that has
// none, a thousand at a time.
func backfillContactDocuments(ctx context.Context, tx *sqlx.Tx) error {
	const batch = 1000
	for {
		var rows []contactRow
		if err := tx.SelectContext(ctx, &rows, contactSelect+` WHERE c.doc IS NULL LIMIT $1`, batch); err != nil {
			return err
		}
		if len(rows) == 0 {
			return nil
		}
		ids, docs := make([]string, len(rows)), make([]string, len(rows))
		for i := range rows {
			c, err := rows[i].contact()
			if err != nil {
				return err
			}
			doc, err := c.Document()
			if err != nil {
				return err
			}
			ids[i], docs[i] = c.ID, string(doc)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE contacts SET doc = d.doc
			FROM unnest($1::uuid[], $2::json[]) AS d (id, doc) WHERE contacts.id = d.id`,
			pq.Array(ids), pq.Array(docs)); err != nil {
			return err
		}
	}
}
