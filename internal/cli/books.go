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
	books, err := service(ctx, opts.f, postgres.NewBookService)
	if err != nil {
		return err
	}
	b, err := books.CreateBook(ctx, opts.TeamID, opts.Name)
	if err != nil {
		return err
	}
	return opts.f.PrintSummary(b, bookLines(b))
}

type booksDeleteOptions struct {
	f  *Factory
	ID string
}

func newCmdBooksDelete(f *Factory) *cobra.Command {
	opts := &booksDeleteOptions{f: f}
	return &cobra.Command{
		Use:   "delete ID",
		Short: "Delete a book with its contacts and labels (emits book.deleted)",
		Long: `Delete a book at once, with its contacts and labels. The team's webhooks get a
book.deleted event. With -o json it prints the deleted book.`,
		Args: requireArgs("ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ID = args[0]
			return booksDeleteRun(cmd.Context(), opts)
		},
	}
}

func booksDeleteRun(ctx context.Context, opts *booksDeleteOptions) error {
	books, err := service(ctx, opts.f, postgres.NewBookService)
	if err != nil {
		return err
	}
	b, err := books.DeleteBook(ctx, opts.ID)
	if err != nil {
		return err
	}
	return opts.f.PrintSummary(b, bookLines(b))
}

type booksListOptions struct {
	f      *Factory
	TeamID string
}

func newCmdBooksList(f *Factory) *cobra.Command {
	opts := &booksListOptions{f: f}
	cmd := &cobra.Command{
		Use:   "list --team TEAM",
		Short: "List a team's books, oldest first",
		Long:  `List a team's books, oldest first. With -o json it prints an array of books.`,
		Args:  requireArgs(),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := requireFlags(cmd, "team"); err != nil {
				return err
			}
			return booksListRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.TeamID, "team", "", "team id (required)")
	return cmd
}

func booksListRun(ctx context.Context, opts *booksListOptions) error {
	books, err := service(ctx, opts.f, postgres.NewBookService)
	if err != nil {
		return err
	}
	list, err := books.ListBooks(ctx, opts.TeamID)
	if err != nil {
		return err
	}
	return opts.f.Print(list, func() *Table {
		t := &Table{Header: []string{"ID", "NAME", "CREATED"}}
		for _, b := range list {
			t.AddRow(b.ID, b.Name, b.CreatedAt.String())
		}
		return t
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
