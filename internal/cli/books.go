package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/relaybook/relaybook/internal/relaybook"
)

func newCmdBooks(f *Factory) *cobra.Command {
	return newNounCmd("books", "Create, delete and list books",
		newCmdBooksCreate(f, nil),
		newCmdBooksDelete(f, nil),
		newCmdBooksList(f, nil),
	)
}

type booksCreateOptions struct {
	printer
	Books  func(context.Context) (relaybook.BookService, error)
	TeamID string
	Name   string
}

func newCmdBooksCreate(f *Factory, runF func(*booksCreateOptions) error) *cobra.Command {
	opts := &booksCreateOptions{Books: f.Books}
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
			opts.printer = f.printer()
			return run(cmd.Context(), opts, runF, booksCreateRun)
		},
	}
	cmd.Flags().StringVar(&opts.TeamID, "team", "", "team id (required)")
	cmd.Flags().StringVar(&opts.Name, "name", "", "the book's name (required)")
	return cmd
}

func booksCreateRun(ctx context.Context, opts *booksCreateOptions) error {
	return printOne(ctx, opts.printer, opts.Books, func(s relaybook.BookService) (*relaybook.Book, error) {
		return s.CreateBook(ctx, opts.TeamID, opts.Name)
	}, bookLines)
}

type booksDeleteOptions = idOptions[relaybook.BookService]

func newCmdBooksDelete(f *Factory, runF func(*booksDeleteOptions) error) *cobra.Command {
	return newIDCmd(f, f.Books, "delete ID", "Delete a book with its contacts and labels (emits book.deleted)",
		`Delete a book at once, with its contacts and labels. The team's webhooks get a
book.deleted event. With -o json it prints the deleted book.`,
		runF, booksDeleteRun)
}

func booksDeleteRun(ctx context.Context, opts *booksDeleteOptions) error {
	return printOne(ctx, opts.printer, opts.Service, func(s relaybook.BookService) (*relaybook.Book, error) {
		return s.DeleteBook(ctx, opts.ID)
	}, bookLines)
}

type booksListOptions = teamOptions[relaybook.BookService]

func newCmdBooksList(f *Factory, runF func(*booksListOptions) error) *cobra.Command {
	return newTeamCmd(f, f.Books, "list --team TEAM", "List a team's books, oldest first",
		`List a team's books, oldest first. With -o json it prints an array of books.`,
		runF, booksListRun)
}

func booksListRun(ctx context.Context, opts *booksListOptions) error {
	return printList(ctx, opts.printer, opts.Service, func(s relaybook.BookService) ([]*relaybook.Book, error) {
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
