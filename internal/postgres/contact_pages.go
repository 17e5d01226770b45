package postgres

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/lib/pq"

	"github.com/relaybook/relaybook/internal/relaybook"
)

// ListContacts returns one page of a book's contacts in creation order.
func (s *ContactService) ListContacts(ctx context.Context, sc relaybook.Scope, limit int, cursor string) (*relaybook.ContactPage, error) {
	if limit == 0 {
		limit = relaybook.DefaultContactLimit
	}
	if err := relaybook.CheckLimit(limit, relaybook.MaxContactLimit); err != nil {
		return nil, err
	}
	after, afterID, err := decodeCursor(cursor)
	if err != nil {
		return nil, err
	}
	// Every value is checked before it joins a batch: one bad uuid would
	// fail the whole query, and with it other clients' requests.
	if !validID(sc.BookID) || !validID(sc.TeamID) {
		return nil, relaybook.NotFound("book", sc.BookID)
	}
	page, err := s.db.pages.Do(ctx, pageQuery{book: sc.BookID, team: sc.TeamID, afterMicros: after, afterID: afterID, limit: limit})
	if err != nil {
		return nil, mapError(err)
	}
	// An empty page may mean an empty book or no book of this team: only
	// then is the book looked up, so a full page costs one round trip.
	if len(page.Contacts) == 0 {
		if _, err := findBook(ctx, s.db.db, sc.TeamID, sc.BookID); err != nil {
			return nil, err
		}
	}
	return page, nil
}

// pageQuery asks for one page of a book: limit contacts after a cursor.
type pageQuery struct {
	book, team  string
	afterMicros int64
	afterID     string
	limit       int
}

// maxPageBatch bounds how many list requests share one query, and
// pageReaders how many such queries run at once. One reader served more
// lists a second than four, whose batches were smaller and statements more
// (BENCHMARKS.md, "Tried and not kept").
const (
	maxPageBatch = 32
	pageReaders  = 1
)

// readPages reads the pages of concurrent list requests in one query, each
// page with one row more than asked to tell whether another follows. The
// rows are the stored documents, so nothing is decoded here, and only the
// last row of a page carries its cursor.
func (db *DB) readPages(qs []pageQuery) ([]*relaybook.ContactPage, []error) {
	pages, errs := make([]*relaybook.ContactPage, len(qs)), make([]error, len(qs))
	books, teams, afterIDs := make([]string, len(qs)), make([]string, len(qs)), make([]string, len(qs))
	afters, limits := make([]int64, len(qs)), make([]int64, len(qs))
	for i, q := range qs {
		books[i], teams[i], afterIDs[i], afters[i], limits[i] = q.book, q.team, q.afterID, q.afterMicros, int64(q.limit+1)
		pages[i] = &relaybook.ContactPage{Contacts: make([]json.RawMessage, 0, q.limit)}
	}
	fail := func(err error) ([]*relaybook.ContactPage, []error) {
		for i := range errs {
			pages[i], errs[i] = nil, mapError(err)
		}
		return pages, errs
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := db.preparedBatch(ctx, `
		SELECT q.n, c.doc,
			-- Only the page's last row needs its cursor: no decoding for the rest.
			CASE WHEN c.rn = q.lim - 1 THEN (extract(epoch FROM c.created_at) * 1000000)::bigint || '|' || c.id END
		FROM unnest($1::uuid[], $2::uuid[], $3::bigint[], $4::uuid[], $5::bigint[])
			WITH ORDINALITY AS q (book_id, team_id, after, after_id, lim, n)
		CROSS JOIN LATERAL (
			SELECT c.doc, c.created_at, c.id, row_number() OVER (ORDER BY c.created_at, c.id) AS rn
			FROM contacts c JOIN books b ON b.id = c.book_id
			WHERE c.book_id = q.book_id AND b.team_id = q.team_id
				AND (c.created_at, c.id) > ('epoch'::timestamptz + q.after * interval '1 microsecond', q.after_id)
			ORDER BY c.created_at, c.id LIMIT q.lim
		) c
		ORDER BY q.n, c.rn`)
	if err != nil {
		return fail(err)
	}
	rows, err := st.QueryContext(ctx, pq.Array(books), pq.Array(teams), pq.Array(afters), pq.Array(afterIDs), pq.Array(limits))
	if err != nil {
		return fail(err)
	}
	defer rows.Close()
	// The driver hands a json column over as raw bytes (RawBytes: no copy),
	// so each document is copied once, into its page's arena.
	arenas := make([][]byte, len(qs))
	var n int
	var doc sql.RawBytes
	var cursor sql.NullString
	cursors := make([]string, len(qs))
	for rows.Next() {
		if err := rows.Scan(&n, &doc, &cursor); err != nil {
			return fail(err)
		}
		i := n - 1
		if len(pages[i].Contacts) == qs[i].limit {
			// The row after a full page: there is a next page.
			pages[i].NextCursor = base64.RawURLEncoding.EncodeToString([]byte(cursors[i]))
			continue
		}
		if arenas[i] == nil {
			arenas[i] = make([]byte, 0, qs[i].limit*(len(doc)+len(doc)/4))
		}
		start := len(arenas[i])
		arenas[i] = append(arenas[i], doc...)
		pages[i].Contacts = append(pages[i].Contacts, arenas[i][start:len(arenas[i]):len(arenas[i])])
		if cursor.Valid {
			cursors[i] = cursor.String
		}
	}
	if err := rows.Err(); err != nil {
		return fail(err)
	}
	return pages, errs
}

// A cursor's time lies in years 1..9999, well inside PostgreSQL's range.
var (
	minCursorMicros = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro()
	maxCursorMicros = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC).UnixMicro()
)

// Cursors are opaque to clients: base64 of "<unix microseconds>|<id>",
// built by the page query.
// decodeCursor returns the cursor's time in unix microseconds and its id;
// the empty cursor is before every contact.
func decodeCursor(cursor string) (int64, string, error) {
	if cursor == "" {
		return minCursorMicros, "00000000-0000-0000-0000-000000000000", nil
	}
	bad := relaybook.Invalid("cursor", "is not a cursor returned by this API")
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return 0, "", bad
	}
	micros, id, ok := strings.Cut(string(raw), "|")
	us, err := strconv.ParseInt(micros, 10, 64)
	// A forged cursor must not reach PostgreSQL with a time outside its
	// range (that is a driver error, not a bad request).
	if err != nil || !ok || !validID(id) || us < minCursorMicros || us > maxCursorMicros {
		return 0, "", bad
	}
	return us, id, nil
}
