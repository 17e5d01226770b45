package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
)

// migration is what `migrate -o json` prints.
type migration struct {
	Applied []int64 `json:"applied"`
	Version int64   `json:"version"`
}

type migrateOptions struct {
	printer
	Migrate func(context.Context) (*migration, error)
}

func newCmdMigrate(f *Factory, runF func(*migrateOptions) error) *cobra.Command {
	opts := &migrateOptions{Migrate: f.migrate}
	return &cobra.Command{
		Use:   "migrate",
		Short: "Apply the PostgreSQL schema (idempotent, safe to run concurrently)",
		Args:  requireArgs(),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.printer = f.printer()
			return run(cmd.Context(), opts, runF, migrateRun)
		},
	}
}

func migrateRun(ctx context.Context, opts *migrateOptions) error {
	res, err := opts.Migrate(ctx)
	if err != nil {
		return err
	}
	if res.Applied == nil {
		res.Applied = []int64{}
	}
	if opts.json() {
		return opts.printJSON(res)
	}
	if len(res.Applied) == 0 {
		_, err = fmt.Fprintf(opts.IO.Out, "schema is up to date (version %d)\n", res.Version)
		return err
	}
	_, err = fmt.Fprintf(opts.IO.Out, "applied %d migration(s); schema is at version %d\n", len(res.Applied), res.Version)
	return err
}
