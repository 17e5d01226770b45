package postgres

import (
	"context"
	"database/sql"

	"github.com/jmoiron/sqlx"
)

// statement is what the hot paths run: a prepared statement, or behind
// PgBouncer the query itself (see unprepared).
type statement interface {
	QueryContext(ctx context.Context, args ...any) (*sql.Rows, error)
	ExecContext(ctx context.Context, args ...any) (sql.Result, error)
	SelectContext(ctx context.Context, dest any, args ...any) error
	GetContext(ctx context.Context, dest any, args ...any) error
}

// prepared returns a prepared statement for a hot query, preparing it once.
// PostgreSQL then parses and plans it once per connection instead of on
// every call, which for the engine's CTEs is most of their cost. Behind
// PgBouncer (Open with PgBouncer()) a named statement is session state the
// next transaction may not find, so the query runs unprepared instead.
func (db *DB) prepared(ctx context.Context, query string) (statement, error) {
	return db.prepareOn(ctx, db.db, query)
}

// preparedBatch is prepared for the batched statements: on the batch pool,
// whose sessions keep one generic plan per statement (see batchSettings).
func (db *DB) preparedBatch(ctx context.Context, query string) (statement, error) {
	return db.prepareOn(ctx, db.batches, query)
}

// prepareOn prepares query on pool once; a query is always prepared on the
// same pool.
func (db *DB) prepareOn(ctx context.Context, pool *sqlx.DB, query string) (statement, error) {
	if db.unprepared {
		return unprepared{pool, query}, nil
	}
	if st, ok := db.stmts.Load(query); ok {
		return st.(*sqlx.Stmt), nil
	}
	st, err := pool.PreparexContext(ctx, query)
	if err != nil {
		return nil, mapError(err)
	}
	if prev, loaded := db.stmts.LoadOrStore(query, st); loaded {
		st.Close()
		return prev.(*sqlx.Stmt), nil
	}
	return st, nil
}

// selectBatch is SelectContext through a batched statement (preparedBatch).
func (db *DB) selectBatch(ctx context.Context, dest any, query string, args ...any) error {
	st, err := db.preparedBatch(ctx, query)
	if err != nil {
		return err
	}
	return mapError(st.SelectContext(ctx, dest, args...))
}

// unprepared runs its query on the pool each time. With binary_parameters
// lib/pq sends an unnamed Parse/Bind/Execute in one round trip, which
// PgBouncer keeps on one server connection.
type unprepared struct {
	db    *sqlx.DB
	query string
}

func (u unprepared) QueryContext(ctx context.Context, args ...any) (*sql.Rows, error) {
	return u.db.QueryContext(ctx, u.query, args...)
}

func (u unprepared) ExecContext(ctx context.Context, args ...any) (sql.Result, error) {
	return u.db.ExecContext(ctx, u.query, args...)
}

func (u unprepared) SelectContext(ctx context.Context, dest any, args ...any) error {
	return u.db.SelectContext(ctx, dest, u.query, args...)
}

func (u unprepared) GetContext(ctx context.Context, dest any, args ...any) error {
	return u.db.GetContext(ctx, dest, u.query, args...)
}
