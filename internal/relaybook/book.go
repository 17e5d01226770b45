package relaybook

import "context"

// Book is a team's address book; contacts and labels live in one book.
type Book struct {
	ID        string `json:"id" db:"id"`
	TeamID    string `json:"team_id" db:"team_id"`
	Name      string `json:"name" db:"name"`
	CreatedAt Time   `json:"created_at" db:"created_at"`
}

// Label tags contacts within a book.
type Label struct {
	ID        string `json:"id" db:"id"`
	BookID    string `json:"book_id" db:"book_id"`
	Name      string `json:"name" db:"name"`
	Color     string `json:"color" db:"color"`
	CreatedAt Time   `json:"created_at" db:"created_at"`
}

// BookService manages books; creating and deleting emit book.created and
// book.deleted. Lookups scoped by team return ENOTFOUND for another team's
// book, so callers cannot tell foreign from missing.
type BookService interface {
	CreateBook(ctx context.Context, teamID, name string) (*Book, error)
	DeleteBook(ctx context.Context, id string) (*Book, error)
	FindBook(ctx context.Context, teamID, id string) (*Book, error)
	ListBooks(ctx context.Context, teamID string) ([]*Book, error)
	ListLabels(ctx context.Context, teamID, bookID string) ([]*Label, error)
	CreateLabel(ctx context.Context, teamID, bookID string, in LabelInput) (*Label, error)
}
