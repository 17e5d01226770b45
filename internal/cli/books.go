package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/relaybook/relaybook/internal/postgres"
	"github.com/relaybook/relaybook/internal/relaybook"
)

func newCmdBooks(f *Factory) *cobra.Command {
	return newNounCmd("books", "Create, delete and list books",
		newCmdBooksCreate(f),
		newCmdBooksDelete(f),
		newCmdBooksList(f),
	)
}

type booksCreateOptions struct {
	f      *Factory
	TeamID string
	Name   string
}

func newCmdBooksCreate(f *Factory) *cobra.Command {
	opts := &booksCreateOptions{f: f}
	cmd := &cobra.Command{
		Use:   "create --team TEAM --name NAME",
		Short: "Create a book in a team (emits book.created)",
		Long: `Create a book in a team. The team's webhooks get a book.created event.

With -o json it prints the book: {"id", "team_id", "name", "created_at"}.`,
		Example: `  BOOK=$(relaybook books create --team $TEAM --name Customers -o json | jq -r .id)`,
		Args:    requireArgs(),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := requireFlags(cmd, "team", "name"); err != nil {
				return err
			}
			return booksCreateRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.TeamID, "team", "", "team id (required)")
	cmd.Flags().StringVar(&opts.Name, "name", "", "the book's name (required)")
	return cmd
}

func booksCreateRun(ctx context.Context, opts *booksCreateOptions) error {
	return printOne(ctx, opts.f, postgres.NewBookService, func(s *postgres.BookService) (*relaybook.Book, error) {
		return s.CreateBook(ctx, opts.TeamID, opts.Name)
	}, bookLines)
}

func newCmdBooksDelete(f *Factory) *cobra.Command {
	return newIDCmd(f, "delete ID", "Delete a book with its contacts and labels (emits book.deleted)",
		`Delete a book at once, with its contacts and labels. The team's webhooks get a
book.deleted event. With -o json it prints the deleted book.`,
		booksDeleteRun)
}

func booksDeleteRun(ctx context.Context, opts *idOptions) error {
	return printOne(ctx, opts.f, postgres.NewBookService, func(s *postgres.BookService) (*relaybook.Book, error) {
		return s.DeleteBook(ctx, opts.ID)
	}, bookLines)
}

func newCmdBooksList(f *Factory) *cobra.Command {
	return newTeamCmd(f, "list --team TEAM", "List a team's books, oldest first",
		`List a team's books, oldest first. With -o json it prints an array of books.`,
		booksListRun)
}

func booksListRun(ctx context.Context, opts *teamOptions) error {
	return printList(ctx, opts.f, postgres.NewBookService, func(s *postgres.BookService) ([]*relaybook.Book, error) {
		return s.ListBooks(ctx, opts.TeamID)
	}, []string{"ID", "NAME", "CREATED"}, func(b *relaybook.Book) []string {
		return []string{b.ID, b.Name, b.CreatedAt.String()}
	})
}

func bookLines(b *relaybook.Book) [][2]string {
	return [][2]string{
		{"id", b.ID},
		{"team_id", b.TeamID},
		{"name", b.Name},
		{"created_at", b.CreatedAt.String()},
	}
}
