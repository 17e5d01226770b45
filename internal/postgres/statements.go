package postgres

import (
	"context"

	"github.com/jmoiron/sqlx"
)

// prepared returns a prepared statement for a hot query, preparing it once.
// PostgreSQL then parses and plans it once per connection instead of on
// every call, which for the engine's CTEs is most of their cost.
func (db *DB) prepared(ctx context.Context, query string) (*sqlx.Stmt, error) {
	if st, ok := db.stmts.Load(query); ok {
		return st.(*sqlx.Stmt), nil
	}
	st, err := db.db.PreparexContext(ctx, query)
	if err != nil {
		return nil, mapError(err)
	}
	if prev, loaded := db.stmts.LoadOrStore(query, st); loaded {
		st.Close()
		return prev.(*sqlx.Stmt), nil
	}
	return st, nil
}

// selectPrepared is SelectContext through a prepared statement.
func (db *DB) selectPrepared(ctx context.Context, dest any, query string, args ...any) error {
	st, err := db.prepared(ctx, query)
	if err != nil {
		return err
	}
	return mapError(st.SelectContext(ctx, dest, args...))
}

// getPrepared is GetContext through a prepared statement.
func (db *DB) getPrepared(ctx context.Context, dest any, query string, args ...any) error {
	st, err := db.prepared(ctx, query)
	if err != nil {
		return err
	}
	return st.GetContext(ctx, dest, args...)
}
