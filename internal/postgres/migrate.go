package postgres

import (
	"context"
	"fmt"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/relaybook/relaybook/internal/postgres/migrations"
)

// MigrationResult lists what a migration run applied.
type MigrationResult struct {
	Applied []int64
	Version int64
}

// Migrate applies every pending migration. Each runs in its own transaction,
// and a PostgreSQL advisory lock makes concurrent runs (two operators, two
// deploys) wait for each other instead of colliding; a second run is a no-op.
func (db *DB) Migrate(ctx context.Context) (*MigrationResult, error) {
	return db.migrate(ctx, func(p *goose.Provider) ([]*goose.MigrationResult, error) { return p.Up(ctx) })
}

// migrate runs up on a provider of the embedded migrations.
func (db *DB) migrate(ctx context.Context, up func(*goose.Provider) ([]*goose.MigrationResult, error)) (*MigrationResult, error) {
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return nil, err
	}
	provider, err := goose.NewProvider(goose.DialectPostgres, db.db.DB, migrations.SQL,
		goose.WithSessionLocker(locker),
		goose.WithTableName("relaybook_schema_migrations"),
		goose.WithGoMigrations(migrations.ContactDocuments(backfillContactDocuments)),
	)
	if err != nil {
		return nil, fmt.Errorf("load migrations: %w", err)
	}
	results, err := up(provider)
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", mapError(err))
	}
	out := &MigrationResult{}
	for _, r := range results {
		out.Applied = append(out.Applied, r.Source.Version)
	}
	out.Version, err = provider.GetDBVersion(ctx)
	if err != nil {
		return nil, fmt.Errorf("read schema version: %w", err)
	}
	return out, nil
}
