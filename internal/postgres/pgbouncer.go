package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"strings"

	"github.com/jmoiron/sqlx"
)

// Option changes how Open connects.
type Option func(*openOptions)

type openOptions struct{ pgbouncer bool }

// PgBouncer makes the pool safe behind PgBouncer in transaction pooling
// mode, where consecutive transactions of one client connection may run on
// different server connections, so nothing may live in a session:
//   - no named prepared statements (prepared runs the query unprepared; with
//     binary_parameters lib/pq then sends an unnamed Parse/Bind/Execute in
//     one round trip, which PgBouncer keeps on one server connection);
//   - no session settings at startup: PgBouncer refuses unknown startup
//     parameters ("unsupported startup parameter: jit"), so jit=off is left
//     to the bouncer's connect_query or to ALTER DATABASE … SET jit = off.
//
// The cost is planning the hot statements on every call instead of once
// per connection.
func PgBouncer() Option { return func(o *openOptions) { o.pgbouncer = true } }

func newOpenOptions(opts []Option) openOptions {
	var o openOptions
	for _, fn := range opts {
		fn(&o)
	}
	return o
}

// dsn is the DSN Open hands the driver.
func (o openOptions) dsn(dsn string) string {
	dsn = withDriverSettings(dsn)
	if o.pgbouncer {
		dsn = withoutSetting(dsn, "jit")
	}
	return dsn
}

// withoutSetting removes a run-time parameter from a URL or key=value DSN.
func withoutSetting(dsn, key string) string {
	if u, err := url.Parse(dsn); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		q := u.Query()
		q.Del(key)
		u.RawQuery = q.Encode()
		return u.String()
	}
	fields := strings.Fields(dsn)
	kept := fields[:0]
	for _, f := range fields {
		if !strings.HasPrefix(f, key+"=") {
			kept = append(kept, f)
		}
	}
	return strings.Join(kept, " ")
}

// startupHint adds the fix to PgBouncer's refusal of a startup parameter,
// which is what a pool without PgBouncer() meets when it dials PgBouncer.
func startupHint(err error) error {
	if strings.Contains(err.Error(), "unsupported startup parameter") {
		return fmt.Errorf("%w; if database.url is PgBouncer, set database.pgbouncer: true", err)
	}
	return err
}

// statement is what the hot paths run: a prepared statement, or the query
// itself behind PgBouncer.
type statement interface {
	QueryContext(ctx context.Context, args ...any) (*sql.Rows, error)
	ExecContext(ctx context.Context, args ...any) (sql.Result, error)
	SelectContext(ctx context.Context, dest any, args ...any) error
	GetContext(ctx context.Context, dest any, args ...any) error
}

// unprepared runs its query on the pool each time.
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
