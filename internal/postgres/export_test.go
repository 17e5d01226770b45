package postgres

import (
	"context"

	"github.com/pressly/goose/v3"
)

// MigrateTo applies migrations up to version, for tests of a later
// migration's backfill.
func (db *DB) MigrateTo(ctx context.Context, version int64) (*MigrationResult, error) {
	return db.migrate(ctx, func(p *goose.Provider) ([]*goose.MigrationResult, error) { return p.UpTo(ctx, version) })
}
