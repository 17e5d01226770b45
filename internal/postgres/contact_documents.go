package postgres

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/jmoiron/sqlx"
	"github.com/jmoiron/sqlx/reflectx"
	"github.com/lib/pq"
)

// backfillContactDocuments renders the document of every contact that has
// none, a thousand at a time, for migration 3
// (migrations.ContactDocuments).
func backfillContactDocuments(ctx context.Context, sqlTx *sql.Tx) error {
	tx := &sqlx.Tx{Tx: sqlTx, Mapper: reflectx.NewMapperFunc("db", sqlx.NameMapper)}
	const batch = 1000
	for {
		var rows []contactRow
		if err := tx.SelectContext(ctx, &rows, contactSelect+` WHERE c.doc IS NULL LIMIT $1`, batch); err != nil {
			return fmt.Errorf("backfill contact documents: %w", err)
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
			return fmt.Errorf("backfill contact documents: %w", err)
		}
	}
}
