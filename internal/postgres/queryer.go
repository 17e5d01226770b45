package postgres

import (
	"context"
	"database/sql"

	"github.com/jmoiron/sqlx"
)

// queryer is what *sqlx.DB and *sqlx.Tx share, so lookups run inside or
// outside a transaction.
type queryer interface {
	GetContext(ctx context.Context, dest any, query string, args ...any) error
	SelectContext(ctx context.Context, dest any, query string, args ...any) error
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

var (
	_ queryer = (*sqlx.DB)(nil)
	_ queryer = (*sqlx.Tx)(nil)
)
