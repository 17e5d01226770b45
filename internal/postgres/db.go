// Package postgres implements the relaybook services on PostgreSQL with sqlx.
// It owns the schema (embedded migrations) and the outbox: every change
// commits together with its event and that event's deliveries.
package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/relaybook/relaybook/internal/batch"
	"github.com/relaybook/relaybook/internal/relaybook"
)

// Cipher seals webhook secrets at rest (internal/secretbox in production).
type Cipher interface {
	Seal(plaintext, aad []byte) ([]byte, error)
	Open(sealed, aad []byte) ([]byte, error)
}

// DB is the connection pool plus what the services need to write events.
type DB struct {
	db *sqlx.DB

	// Cipher encrypts webhook secrets; only webhook operations need it.
	Cipher Cipher
	// Dispatcher receives the tasks a transaction created, after it commits.
	// Nil means "leave them to the sweeper" (the CLI without Redis, tests).
	Dispatcher relaybook.Dispatcher
	// Events receives the events a transaction wrote, after it commits,
	// for live listeners (see publish); nil publishes nothing.
	Events relaybook.EventPublisher
	// URLPolicy decides which webhook URLs are accepted.
	URLPolicy relaybook.URLPolicy
	// AutoDisable is when RecordAttempts disables a failing webhook.
	AutoDisable relaybook.AutoDisable

	stmts sync.Map // query → *sqlx.Stmt, see prepared
	// unprepared: behind PgBouncer (see PgBouncer), prepare nothing.
	unprepared bool

	// Concurrent requests share round trips: keys looks up their API keys
	// in one query, pages reads their contact pages in one query, creates
	// writes their new contacts in one statement.
	keys    *batch.Batcher[string, *apiKeyRow]
	pages   *batch.Batcher[pageQuery, *relaybook.ContactPage]
	creates *batch.Batcher[newContact, bool]
}

// Open connects to PostgreSQL and checks that it answers.
func Open(ctx context.Context, dsn string, maxConns int, opts ...Option) (*DB, error) {
	o := newOpenOptions(opts)
	connector, err := pq.NewConnector(o.dsn(dsn))
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	connector.Dialer(readAheadDialer{})
	db := sqlx.NewDb(sql.OpenDB(connector), "postgres")
	if maxConns > 0 {
		db.SetMaxOpenConns(maxConns)
		db.SetMaxIdleConns(maxConns)
	}
	db.SetConnMaxIdleTime(5 * time.Minute)
	pingCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := db.PingContext(pingCtx); err != nil {
		db.Close()
		return nil, Unavailable(err)
	}
	d := &DB{db: db, unprepared: o.pgbouncer}
	d.keys = batch.New(1, maxKeyBatch, 0, d.lookupKeys)
	d.pages = batch.New(pageReaders, maxPageBatch, 0, d.readPages)
	d.creates = batch.New(1, maxCreateBatch, 0, d.createContacts)
	return d, nil
}

// driverSettings are added to the DSN unless it sets them itself.
//
// binary_parameters: a query with arguments costs one round trip instead of
// two (prepare, then execute), which halves the latency of every write. It
// means []byte arguments go to the server as raw binary, so they may only
// bind bytea columns: JSON is passed as a string.
//
// jit=off: PostgreSQL compiles a query with LLVM when its estimated cost is
// high, and on young tables (no statistics yet) our CTEs looked expensive,
// so the first creates after a start spent most of their time compiling
// (BENCHMARKS.md, "The e2e tail"). Every query here is small and indexed;
// compiling never pays off.
var driverSettings = [][2]string{{"binary_parameters", "yes"}, {"jit", "off"}}

func withDriverSettings(dsn string) string {
	u, err := url.Parse(dsn)
	isURL := err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql")
	var q url.Values
	if isURL {
		q = u.Query()
	}
	for _, kv := range driverSettings {
		if strings.Contains(dsn, kv[0]) {
			continue
		}
		if isURL {
			q.Set(kv[0], kv[1])
		} else {
			dsn += " " + kv[0] + "=" + kv[1]
		}
	}
	if isURL {
		u.RawQuery = q.Encode()
		return u.String()
	}
	return dsn
}

// Close closes the prepared statements and the pool.
func (db *DB) Close() error {
	db.keys.Close()
	db.pages.Close()
	db.creates.Close()
	db.stmts.Range(func(_, st any) bool {
		st.(*sqlx.Stmt).Close()
		return true
	})
	return db.db.Close()
}

// SQL returns the underlying pool for code outside this package that needs
// raw access: tests and the benchmark's bulk setup.
func (db *DB) SQL() *sqlx.DB { return db.db }

// Ping reports whether the database answers.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.db.PingContext(ctx); err != nil {
		return Unavailable(err)
	}
	return nil
}

// newID returns a time-ordered UUID (v7): new rows land at the right edge of
// their indexes instead of all over them.
func newID() string { return uuid.Must(uuid.NewV7()).String() }

// validID reports whether s can be an id. Ids from users are checked before
// they reach SQL, so a malformed one is a 404, not a driver error.
func validID(s string) bool {
	_, ok := relaybook.CanonicalID(s)
	return ok
}
