package postgres

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/lib/pq"

	"github.com/relaybook/relaybook/internal/relaybook"
)

// ContactService implements relaybook.ContactService. Every query is scoped
// by book and team, so a key can never reach another team's contacts.
type ContactService struct{ db *DB }

// NewContactService returns a ContactService on db.
func NewContactService(db *DB) *ContactService { return &ContactService{db: db} }

var _ relaybook.ContactService = (*ContactService)(nil)

// contactRow is a contact as scanned: JSON columns arrive as bytes.
type contactRow struct {
	relaybook.Contact
	EmailsJSON    []byte `db:"emails"`
	PhonesJSON    []byte `db:"phones"`
	AddressesJSON []byte `db:"addresses"`
	SocialsJSON   []byte `db:"socials"`
	LabelsJSON    []byte `db:"labels"`
}

func (r *contactRow) contact() (*relaybook.Contact, error) {
	c := r.Contact
	for _, f := range []struct {
		src []byte
		dst any
	}{
		{r.EmailsJSON, &c.Emails}, {r.PhonesJSON, &c.Phones}, {r.AddressesJSON, &c.Addresses},
		{r.SocialsJSON, &c.Socials}, {r.LabelsJSON, &c.Labels},
	} {
		if err := json.Unmarshal(f.src, f.dst); err != nil {
			return nil, fmt.Errorf("decode contact %s: %w", c.ID, err)
		}
	}
	return &c, nil
}

const contactSelect = `SELECT c.id, c.book_id, c.first_name, c.last_name, c.company, c.job_title,
	c.emails, c.phones, c.notes, c.starred, to_char(c.birthday, 'YYYY-MM-DD') AS birthday,
	c.website, c.addresses, c.socials, c.created_at, c.updated_at,
	COALESCE((SELECT json_agg(json_build_object('id', l.id, 'name', l.name, 'color', l.color) ORDER BY lower(l.name), l.id)
		FROM contact_labels cl JOIN labels l ON l.id = cl.label_id WHERE cl.contact_id = c.id), '[]') AS labels
	FROM contacts c JOIN books b ON b.id = c.book_id`

// CreateContact creates a contact and emits contact.created.
func (s *ContactService) CreateContact(ctx context.Context, sc relaybook.Scope, in relaybook.ContactInput) (*relaybook.Contact, error) {
	now := relaybook.Now()
	c := &relaybook.Contact{
		ID: newID(), BookID: sc.BookID,
		Emails: []relaybook.LabeledValue{}, Phones: []relaybook.LabeledValue{},
		Addresses: []relaybook.Address{}, Socials: []relaybook.LabeledValue{}, Labels: []relaybook.ContactLabel{},
		CreatedAt: now, UpdatedAt: now,
	}
	if err := in.Apply(c); err != nil {
		return nil, err
	}
	if err := c.ValidateNew(); err != nil {
		return nil, err
	}
	if !validID(sc.BookID) {
		return nil, relaybook.NotFound("book", sc.BookID)
	}
	if !validID(sc.TeamID) {
		return nil, relaybook.NotFound("book", sc.BookID)
	}
	e, err := relaybook.NewEvent(newID(), relaybook.EventContactCreated, sc.TeamID, sc.BookID, now, c)
	if err != nil {
		return nil, err
	}
	// Concurrent creates share one statement (see createContactsSQL): the
	// book check is part of the insert, and contact, event and deliveries
	// commit together.
	created, err := s.db.creates.Do(ctx, newContact{contact: c, teamID: sc.TeamID, event: e})
	if err != nil {
		return nil, err
	}
	if !created {
		return nil, relaybook.NotFound("book", sc.BookID)
	}
	return c, nil
}

// FindContact returns a contact of the scope's book.
func (s *ContactService) FindContact(ctx context.Context, sc relaybook.Scope, id string) (*relaybook.Contact, error) {
	return findContact(ctx, s.db.db, sc, id, false)
}

func findContact(ctx context.Context, q queryer, sc relaybook.Scope, id string, forUpdate bool) (*relaybook.Contact, error) {
	if !validID(id) || !validID(sc.BookID) {
		return nil, relaybook.NotFound("contact", id)
	}
	query := contactSelect + ` WHERE c.id = $1 AND c.book_id = $2 AND b.team_id = $3`
	if forUpdate {
		query += ` FOR UPDATE OF c`
	}
	var row contactRow
	err := q.GetContext(ctx, &row, query, id, sc.BookID, sc.TeamID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, relaybook.NotFound("contact", id)
	}
	if err != nil {
		return nil, mapError(err)
	}
	return row.contact()
}

// ListContacts returns one page of a book's contacts in creation order.
func (s *ContactService) ListContacts(ctx context.Context, sc relaybook.Scope, limit int, cursor string) (*relaybook.ContactPage, error) {
	if limit == 0 {
		limit = relaybook.DefaultContactLimit
	}
	if limit < 1 || limit > relaybook.MaxContactLimit {
		return nil, relaybook.Invalid("limit", "must be between 1 and %d, got %d", relaybook.MaxContactLimit, limit)
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
// pageReaders how many such queries run at once. Measured (three runs
// each, BENCHMARKS.md): one reader served about 3,000 lists a second, four
// readers (smaller batches, more statements) about 2,700.
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
	st, err := db.prepared(ctx, `
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

// UpdateContact changes the fields in sent and emits contact.updated.
func (s *ContactService) UpdateContact(ctx context.Context, sc relaybook.Scope, id string, in relaybook.ContactInput) (*relaybook.Contact, error) {
	var c *relaybook.Contact
	err := s.db.inTx(ctx, func(tx *Tx) error {
		var err error
		c, err = findContact(ctx, tx, sc, id, true)
		if err != nil {
			return err
		}
		if err := in.Apply(c); err != nil {
			return err
		}
		c.UpdatedAt = relaybook.Now()
		enc, err := encodeContact(c)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, contactUpdateSQL, contactColumns.updateArgs(c.ID, enc)...); err != nil {
			return err
		}
		return tx.emitNew(ctx, relaybook.EventContactUpdated, sc.TeamID, sc.BookID, c.UpdatedAt, c)
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// DeleteContact deletes a contact and emits contact.deleted with its id.
func (s *ContactService) DeleteContact(ctx context.Context, sc relaybook.Scope, id string) error {
	if !validID(id) || !validID(sc.BookID) {
		return relaybook.NotFound("contact", id)
	}
	e, err := relaybook.NewEvent(newID(), relaybook.EventContactDeleted, sc.TeamID, sc.BookID, relaybook.Now(), relaybook.IDOnly{ID: id})
	if err != nil {
		return err
	}
	deleted, err := s.db.changeWithEvent(ctx, `
		DELETE FROM contacts c USING books b
		WHERE c.id = $1 AND c.book_id = $2 AND b.id = c.book_id AND b.team_id = $3
		RETURNING c.id`, []any{id, sc.BookID, sc.TeamID}, e)
	if err != nil {
		return err
	}
	if !deleted {
		return relaybook.NotFound("contact", id)
	}
	return nil
}

// AddLabel puts a label on a contact, creating the label in the book when
// ref names one that does not exist yet. A change emits contact.updated;
// adding a label the contact already has changes nothing and emits nothing.
func (s *ContactService) AddLabel(ctx context.Context, sc relaybook.Scope, contactID string, ref relaybook.LabelRef) (*relaybook.Contact, error) {
	if ref.LabelID == "" && strings.TrimSpace(ref.Name) == "" {
		return nil, relaybook.Invalid("label_id", "give label_id, or name to use (or create) a label by name")
	}
	return s.changeLabels(ctx, sc, contactID, func(tx *Tx) (bool, error) {
		labelID, err := resolveLabel(ctx, tx, sc.BookID, ref)
		if err != nil {
			return false, err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO contact_labels (contact_id, label_id, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
			contactID, labelID, relaybook.Now())
		if err != nil {
			return false, err
		}
		n, _ := res.RowsAffected()
		return n > 0, nil
	})
}

// RemoveLabel takes a label off a contact and emits contact.updated. A label
// the contact does not carry is ENOTFOUND.
func (s *ContactService) RemoveLabel(ctx context.Context, sc relaybook.Scope, contactID, labelID string) (*relaybook.Contact, error) {
	if !validID(labelID) {
		return nil, relaybook.NotFound("label", labelID)
	}
	return s.changeLabels(ctx, sc, contactID, func(tx *Tx) (bool, error) {
		res, err := tx.ExecContext(ctx, `DELETE FROM contact_labels WHERE contact_id = $1 AND label_id = $2`, contactID, labelID)
		if err != nil {
			return false, err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return false, relaybook.NotFound("label", labelID)
		}
		return true, nil
	})
}

// changeLabels locks the contact, applies change, and when it changed
// something bumps updated_at and emits contact.updated with the new labels.
func (s *ContactService) changeLabels(ctx context.Context, sc relaybook.Scope, contactID string, change func(tx *Tx) (bool, error)) (*relaybook.Contact, error) {
	var c *relaybook.Contact
	err := s.db.inTx(ctx, func(tx *Tx) error {
		if _, err := findContact(ctx, tx, sc, contactID, true); err != nil {
			return err
		}
		changed, err := change(tx)
		if err != nil {
			return err
		}
		// Read back with the new labels; the document needs them.
		c, err = findContact(ctx, tx, sc, contactID, false)
		if err != nil || !changed {
			return err
		}
		c.UpdatedAt = relaybook.Now()
		doc, err := c.Document()
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE contacts SET updated_at = $2, doc = $3 WHERE id = $1`, contactID, c.UpdatedAt, string(doc)); err != nil {
			return err
		}
		return tx.emitNew(ctx, relaybook.EventContactUpdated, sc.TeamID, sc.BookID, c.UpdatedAt, c)
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

func resolveLabel(ctx context.Context, tx *Tx, bookID string, ref relaybook.LabelRef) (string, error) {
	var id string
	if ref.LabelID != "" {
		if !validID(ref.LabelID) {
			return "", relaybook.NotFound("label", ref.LabelID)
		}
		err := tx.GetContext(ctx, &id, `SELECT id FROM labels WHERE id = $1 AND book_id = $2`, ref.LabelID, bookID)
		if errors.Is(err, sql.ErrNoRows) {
			return "", relaybook.NotFound("label", ref.LabelID)
		}
		return id, err
	}
	err := tx.GetContext(ctx, &id, `SELECT id FROM labels WHERE book_id = $1 AND lower(name) = lower($2)`, bookID, strings.TrimSpace(ref.Name))
	if errors.Is(err, sql.ErrNoRows) {
		l, err := createLabel(ctx, tx, bookID, ref.Name, ref.Color)
		if err != nil {
			return "", err
		}
		return l.ID, nil
	}
	return id, err
}
