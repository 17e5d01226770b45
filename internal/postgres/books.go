package postgres

import (
	"context"
	"database/sql"
	"errors"

	"github.com/relaybook/relaybook/internal/relaybook"
)

// BookService implements relaybook.BookService.
type BookService struct{ db *DB }

// NewBookService returns a BookService on db.
func NewBookService(db *DB) *BookService { return &BookService{db: db} }

var _ relaybook.BookService = (*BookService)(nil)

const bookColumns = `id, team_id, name, created_at`

// CreateBook creates a book in a team and emits book.created.
func (s *BookService) CreateBook(ctx context.Context, teamID, name string) (*relaybook.Book, error) {
	name, err := relaybook.CleanName("name", name)
	if err != nil {
		return nil, err
	}
	b := &relaybook.Book{ID: newID(), TeamID: teamID, Name: name, CreatedAt: relaybook.Now()}
	err = s.db.inTx(ctx, func(tx *Tx) error {
		t, err := findTeam(ctx, tx, teamID)
		if err != nil {
			return err
		}
		b.TeamID = t.ID // canonical, whatever case the caller used
		if _, err := tx.ExecContext(ctx, `INSERT INTO books (id, team_id, name, created_at) VALUES ($1, $2, $3, $4)`,
			b.ID, b.TeamID, b.Name, b.CreatedAt); err != nil {
			return err
		}
		return tx.emitNew(ctx, relaybook.EventBookCreated, b.TeamID, b.ID, b.CreatedAt, b)
	})
	if err != nil {
		return nil, err
	}
	return b, nil
}

// DeleteBook deletes a book with its contacts and labels and emits
// book.deleted (whose data is the id alone).
func (s *BookService) DeleteBook(ctx context.Context, id string) (*relaybook.Book, error) {
	var b *relaybook.Book
	err := s.db.inTx(ctx, func(tx *Tx) error {
		var err error
		b, err = findBook(ctx, tx, "", id)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM books WHERE id = $1`, id); err != nil {
			return err
		}
		return tx.emitNew(ctx, relaybook.EventBookDeleted, b.TeamID, b.ID, relaybook.Now(), relaybook.IDOnly{ID: b.ID})
	})
	if err != nil {
		return nil, err
	}
	return b, nil
}

// FindBook returns a book of a team; another team's book is ENOTFOUND. An
// empty teamID finds any book (admin CLI).
func (s *BookService) FindBook(ctx context.Context, teamID, id string) (*relaybook.Book, error) {
	return findBook(ctx, s.db.db, teamID, id)
}

func findBook(ctx context.Context, q queryer, teamID, id string) (*relaybook.Book, error) {
	if !validID(id) {
		return nil, relaybook.NotFound("book", id)
	}
	var b relaybook.Book
	err := q.GetContext(ctx, &b, `SELECT `+bookColumns+` FROM books WHERE id = $1`, id)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && teamID != "" && b.TeamID != teamID) {
		return nil, relaybook.NotFound("book", id)
	}
	if err != nil {
		return nil, mapError(err)
	}
	return &b, nil
}

// ListBooks lists a team's books, oldest first.
func (s *BookService) ListBooks(ctx context.Context, teamID string) ([]*relaybook.Book, error) {
	if _, err := findTeam(ctx, s.db.db, teamID); err != nil {
		return nil, err
	}
	books := []*relaybook.Book{}
	err := s.db.db.SelectContext(ctx, &books, `SELECT `+bookColumns+` FROM books WHERE team_id = $1 ORDER BY created_at, id`, teamID)
	return books, mapError(err)
}

// ListLabels lists the labels of a team's book by name.
func (s *BookService) ListLabels(ctx context.Context, teamID, bookID string) ([]*relaybook.Label, error) {
	if _, err := findBook(ctx, s.db.db, teamID, bookID); err != nil {
		return nil, err
	}
	labels := []*relaybook.Label{}
	err := s.db.db.SelectContext(ctx, &labels, `SELECT id, book_id, name, color, created_at FROM labels WHERE book_id = $1 ORDER BY lower(name), id`, bookID)
	return labels, mapError(err)
}

// CreateLabel creates a label in a team's book.
func (s *BookService) CreateLabel(ctx context.Context, teamID, bookID string, in relaybook.LabelInput) (*relaybook.Label, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	var l *relaybook.Label
	err := s.db.inTx(ctx, func(tx *Tx) error {
		b, err := findBook(ctx, tx, teamID, bookID)
		if err != nil {
			return err
		}
		l, err = createLabel(ctx, tx, b.ID, in)
		return err
	})
	return l, err
}

// createLabel stores a label; in has been validated.
func createLabel(ctx context.Context, q queryer, bookID string, in relaybook.LabelInput) (*relaybook.Label, error) {
	l := &relaybook.Label{ID: newID(), BookID: bookID, Name: in.Name, Color: in.Color, CreatedAt: relaybook.Now()}
	_, err := q.ExecContext(ctx, `INSERT INTO labels (id, book_id, name, color, created_at) VALUES ($1, $2, $3, $4, $5)`,
		l.ID, l.BookID, l.Name, l.Color, l.CreatedAt)
	if err != nil {
		err = mapError(err)
		if relaybook.ErrorCode(err) == relaybook.ECONFLICT {
			return nil, &relaybook.Error{Code: relaybook.ECONFLICT, Field: "name", Message: "a label named " + in.Name + " already exists in this book"}
		}
		return nil, err
	}
	return l, nil
}
