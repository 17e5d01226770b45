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
	// batches runs the batched statements, planned once (see batchSettings).
	batches *sqlx.DB
	// conns is the size of db's pool (database.max_conns less batches').
	conns int
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
	batchConns := batchPoolSize(maxConns, o.pgbouncer)
	db, err := openPool(o.dsn(dsn), maxConns-batchConns)
	if err != nil {
		return nil, err
	}
	pingCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := db.PingContext(pingCtx); err != nil {
		db.Close()
		return nil, Unavailable(err)
	}
	d := &DB{db: db, batches: db, conns: maxConns - batchConns, unprepared: o.pgbouncer}
	if batchConns > 0 {
		if d.batches, err = openPool(withSettings(o.dsn(dsn), batchSettings), batchConns); err != nil {
			db.Close()
			return nil, err
		}
	}
	d.keys = batch.New(1, maxKeyBatch, 0, d.lookupKeys)
	d.pages = batch.New(pageReaders, maxPageBatch, 0, d.readPages)
	d.creates = batch.New(1, maxCreateBatch, 0, d.createContacts)
	return d, nil
}

// openPool opens a pool of at most maxConns connections (0: no limit); it
// connects on first use.
func openPool(dsn string, maxConns int) (*sqlx.DB, error) {
	connector, err := pq.NewConnector(dsn)
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
	return db, nil
}

// The batched statements (API key lookups, contact creates and pages, the
// worker's job loads and attempt writes) take arrays, and
// PostgreSQL's generic plan for an array parameter assumes ten elements.
// At the batch sizes of a few hundred requests a second (one to four) a
// custom plan looks cheaper, so PostgreSQL planned them again on almost
// every call: 0.3–0.8 ms each, a quarter of their time (BENCHMARKS.md,
// "Plans that stay fast"). They run on a pool of their own whose sessions
// keep the generic plan, which TestHotStatementPlansStayIndexLookups checks
// is index lookups. The setting is per session, and on the main pool it
// would also give the operator queries a generic plan, where their
// optional filters (an empty parameter meaning "any") need a custom one.
//
// The plan is made once, so it must not depend on when: on a new database
// (tables never analysed, taken for ten pages) the attempt write's plan
// hashed a scan of all deliveries and kept it until autovacuum first
// analysed them, up to a minute later. Every batched statement finds its
// rows by key, so these sessions also rule out sequential scans
// (enable_seqscan only prices them out: a statement with no index to use
// still runs).
var batchSettings = [][2]string{{"plan_cache_mode", "force_generic_plan"}, {"enable_seqscan", "off"}}

// batchRunners is at most how many batched statements a process runs at
// once: one runner per batcher, and no process uses more than three.
const batchRunners = 3

// batchPoolSize is how many of a process's maxConns go to the batch pool:
// none behind PgBouncer (it refuses session settings from clients and
// prepares nothing) or below four connections, where the pools would
// starve each other; otherwise a quarter, between two and batchRunners.
func batchPoolSize(maxConns int, pgbouncer bool) int {
	if pgbouncer || maxConns < 4 {
		return 0
	}
	return min(batchRunners, max(2, maxConns/4))
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

func withDriverSettings(dsn string) string { return withSettings(dsn, driverSettings) }

// withSettings adds run-time parameters to a URL or key=value DSN, unless
// it names them itself.
func withSettings(dsn string, settings [][2]string) string {
	u, err := url.Parse(dsn)
	isURL := err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql")
	var q url.Values
	if isURL {
		q = u.Query()
	}
	for _, kv := range settings {
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
	if db.batches != db.db {
		db.batches.Close()
	}
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
