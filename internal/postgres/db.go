// Package postgres implements the relaybook services on PostgreSQL with sqlx.
// It owns the schema (embedded migrations) and the outbox: every change
// commits together with its event and that event's deliveries.
package postgres

import (
	"bufio"
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"sync"
	"syscall"
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
	// Dispatcher receives the jobs a transaction created, after it commits.
	// Nil means "leave them to the sweeper" (the CLI without Redis, tests).
	Dispatcher relaybook.Dispatcher
	// URLPolicy decides which webhook URLs are accepted.
	URLPolicy relaybook.URLPolicy

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

// prepared returns a prepared statement for a hot query, preparing it once.
// PostgreSQL then parses and plans it once per connection instead of on
// every call, which for the engine's CTEs is most of their cost.
func (db *DB) prepared(ctx context.Context, query string) (statement, error) {
	if db.unprepared {
		return unprepared{db.db, query}, nil
	}
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
		return nil, Unavailable(startupHint(err))
	}
	d := &DB{db: db, unprepared: o.pgbouncer}
	d.keys = batch.New(1, maxKeyBatch, 0, d.lookupKeys)
	d.pages = batch.New(pageReaders, maxPageBatch, 0, d.readPages)
	d.creates = batch.New(1, maxCreateBatch, 0, d.createContacts)
	return d, nil
}

// readAheadDialer gives each connection a 64 KB read buffer under the
// driver's own 4 KB one. lib/pq reads rows through its buffer, one read
// syscall per 4 KB; a batch of list pages is hundreds of KB, and on a small
// machine those syscalls were the largest single cost of serving lists.
type readAheadDialer struct{ d net.Dialer }

const readAheadSize = 64 << 10

func (r readAheadDialer) Dial(network, address string) (net.Conn, error) {
	return r.DialContext(context.Background(), network, address)
}

func (r readAheadDialer) DialTimeout(network, address string, timeout time.Duration) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return r.DialContext(ctx, network, address)
}

func (r readAheadDialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	c, err := r.d.DialContext(ctx, network, address)
	if err != nil {
		return nil, err
	}
	return &readAheadConn{Conn: c, r: bufio.NewReaderSize(c, readAheadSize)}, nil
}

type readAheadConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *readAheadConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// Warm opens n connections at once and returns them to the pool, so a
// process that has just started does not meet its first burst of requests
// with an empty pool and cold backends: measured, the first second of a
// 500/s burst on a cold pool took up to 600 ms per request while twenty new
// backends opened and loaded the catalog together.
func (db *DB) Warm(ctx context.Context, n int) error {
	conns := make([]*sql.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	var mu sync.Mutex
	var wg sync.WaitGroup
	var firstErr error
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := db.db.Conn(ctx)
			if err == nil {
				// Planning this opens every hot table and index, so the new
				// backend loads their metadata now rather than during the
				// first requests, when all backends would do it at once.
				_, err = c.ExecContext(ctx, `SELECT NULL FROM api_keys, books, contacts, contact_labels, labels,
					events, deliveries, delivery_attempts, webhooks, teams, team_members, users LIMIT 0`)
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if firstErr == nil {
					firstErr = err
				}
				if c != nil {
					c.Close()
				}
				return
			}
			conns = append(conns, c)
		}()
	}
	wg.Wait()
	return mapError(firstErr)
}

// driverSettings are added to the DSN unless it sets them itself.
//
// binary_parameters: a query with arguments costs one round trip instead of
// two (prepare, then execute), which halves the latency of every write. It
// means []byte arguments go to the server as raw binary, so they may only
// bind bytea columns: JSON is passed as a string.
//
// jit=off: PostgreSQL compiles a query with LLVM when its estimated cost is
// high, and on young tables (no statistics yet) our CTEs looked expensive:
// the first creates after a start took 150-250 ms each, compiling. Every
// query here is small and indexed; compiling never pays off.
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
	_, err := uuid.Parse(s)
	return err == nil && len(s) == 36
}

// Tx is a transaction that collects the delivery jobs its events create, so
// they can be dispatched once the transaction has committed.
type Tx struct {
	*sqlx.Tx
	jobs []relaybook.Job
}

// inTx runs fn in a transaction and, after a successful commit, hands the
// jobs it created to the dispatcher.
func (db *DB) inTx(ctx context.Context, fn func(tx *Tx) error) error {
	sqlTx, err := db.db.BeginTxx(ctx, nil)
	if err != nil {
		return mapError(err)
	}
	tx := &Tx{Tx: sqlTx}
	if err := fn(tx); err != nil {
		_ = sqlTx.Rollback()
		return mapError(err)
	}
	if err := sqlTx.Commit(); err != nil {
		return mapError(err)
	}
	if len(tx.jobs) > 0 && db.Dispatcher != nil {
		db.Dispatcher.Dispatch(tx.jobs)
	}
	return nil
}

// eventSQL returns one statement that runs change — a data-modifying query
// using parameters $1..$n, RETURNING at least one column — and, only when
// change touched a row, writes the event (parameters $n+1..$n+6, see
// eventArgs) and one delivery per active webhook of the team subscribed to
// the event's type. It yields one row: whether change touched a row, and
// the new deliveries' ids.
//
// One statement is one round trip and its own transaction: the hot writes
// (contact create and delete) cost one commit, not BEGIN, three statements
// and COMMIT.
func eventSQL(change string, n int) string {
	return fmt.Sprintf(`
		WITH change AS (%s),
		event AS (
			INSERT INTO events (id, type, team_id, book_id, payload, created_at)
			SELECT $%d, $%d, $%d, $%d, $%d, $%d WHERE EXISTS (SELECT 1 FROM change)
			RETURNING id, type, team_id, created_at
		),
		delivery AS (
			INSERT INTO deliveries (id, event_id, webhook_id, next_attempt_at, created_at, updated_at)
			SELECT gen_random_uuid(), event.id, w.id, event.created_at, event.created_at, event.created_at
			FROM event JOIN webhooks w ON w.team_id = event.team_id AND w.active AND event.type = ANY (w.events)
			RETURNING id
		)
		SELECT EXISTS (SELECT 1 FROM change), COALESCE((SELECT array_agg(id::text) FROM delivery), '{}')`,
		change, n+1, n+2, n+3, n+4, n+5, n+6)
}

func eventArgs(e relaybook.Event) []any {
	var bookID *string
	if e.BookID != "" {
		bookID = &e.BookID
	}
	return []any{e.ID, e.Type, e.TeamID, bookID, e.Payload, e.CreatedAt}
}

// getter runs one fixed query: a prepared statement, or a query in a
// transaction.
type getter interface {
	GetContext(ctx context.Context, dest any, args ...any) error
}

type txQuery struct {
	tx    *Tx
	query string
}

func (q txQuery) GetContext(ctx context.Context, dest any, args ...any) error {
	return q.tx.GetContext(ctx, dest, q.query, args...)
}

// writeChangeAndEvent runs an eventSQL statement with args. It reports whether
// change touched a row (no row: nothing was written, no event either) and
// the delivery jobs to dispatch once the write commits.
func writeChangeAndEvent(ctx context.Context, q getter, args []any, e relaybook.Event) (bool, []relaybook.Job, error) {
	var row struct {
		Changed    bool           `db:"exists"`
		Deliveries pq.StringArray `db:"coalesce"`
	}
	if err := q.GetContext(ctx, &row, append(args, eventArgs(e)...)...); err != nil {
		return false, nil, fmt.Errorf("write change and event: %w", err)
	}
	jobs := make([]relaybook.Job, len(row.Deliveries))
	for i, id := range row.Deliveries {
		jobs[i] = relaybook.Job{DeliveryID: id, Attempt: 1, RunAt: e.CreatedAt.Time}
	}
	return row.Changed, jobs, nil
}

// changeWithEvent runs a change and its event as one statement outside any
// transaction (see eventSQL) and dispatches the deliveries it created.
func (db *DB) changeWithEvent(ctx context.Context, change string, args []any, e relaybook.Event) (bool, error) {
	st, err := db.prepared(ctx, eventSQL(change, len(args)))
	if err != nil {
		return false, err
	}
	changed, jobs, err := writeChangeAndEvent(ctx, st, args, e)
	if err != nil {
		return false, mapError(err)
	}
	if len(jobs) > 0 && db.Dispatcher != nil {
		db.Dispatcher.Dispatch(jobs)
	}
	return changed, nil
}

// emit writes an event and its deliveries inside the transaction; they are
// dispatched when it commits.
func (tx *Tx) emit(ctx context.Context, e relaybook.Event) error {
	_, jobs, err := writeChangeAndEvent(ctx, txQuery{tx, eventSQL("SELECT 1", 0)}, nil, e)
	tx.jobs = append(tx.jobs, jobs...)
	return err
}

// emitNew builds and writes an event for a change made at the given time.
func (tx *Tx) emitNew(ctx context.Context, eventType, teamID, bookID string, at relaybook.Time, data any) error {
	e, err := relaybook.NewEvent(newID(), eventType, teamID, bookID, at, data)
	if err != nil {
		return err
	}
	return tx.emit(ctx, e)
}

// Unavailable wraps a connection failure as EUNAVAILABLE with one readable
// line instead of a stack of driver noise.
func Unavailable(err error) error {
	msg := err.Error()
	var opErr *net.OpError
	if errors.As(err, &opErr) {
		msg = opErr.Op + " " + addrString(opErr.Addr) + ": " + innermost(opErr.Err)
	}
	return &relaybook.Error{Code: relaybook.EUNAVAILABLE, Message: "database unavailable: " + msg}
}

func addrString(a net.Addr) string {
	if a == nil {
		return ""
	}
	return a.String()
}

func innermost(err error) string {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err.Error()
		}
		err = next
	}
}

// mapError turns driver errors that have a meaning for callers into
// *relaybook.Error and leaves the rest (bugs) as they are.
func mapError(err error) error {
	if err == nil {
		return nil
	}
	var rbErr *relaybook.Error
	if errors.As(err, &rbErr) {
		return err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		switch {
		case pqErr.Code == "23505":
			return &relaybook.Error{Code: relaybook.ECONFLICT, Message: "already exists"}
		case pqErr.Code.Class() == "08", pqErr.Code.Class() == "57", pqErr.Code.Class() == "53":
			// connection exceptions, operator intervention (shutdown), out of resources
			return Unavailable(err)
		}
		return err
	}
	if isConnectionError(err) {
		return Unavailable(err)
	}
	return err
}

func isConnectionError(err error) bool {
	var netErr net.Error
	return errors.As(err, &netErr) ||
		errors.Is(err, driver.ErrBadConn) ||
		errors.Is(err, sql.ErrConnDone) ||
		errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.ECONNRESET) ||
		strings.Contains(err.Error(), "bad connection")
}
