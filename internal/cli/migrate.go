package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newCmdMigrate(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "migrate",
		Short: "Apply the PostgreSQL schema (idempotent, safe to run concurrently)",
		Args:  requireArgs(),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := requireDirectDB(f, "migrate"); err != nil {
				return err
			}
			db, err := f.DB(cmd.Context())
			if err != nil {
				return err
			}
			res, err := db.Migrate(cmd.Context())
			if err != nil {
				return err
			}
			out := map[string]any{"applied": res.Applied, "version": res.Version}
			if res.Applied == nil {
				out["applied"] = []int64{}
			}
			if f.Output == "json" {
				return printJSON(f.IO.Out, out)
			}
			if len(res.Applied) == 0 {
				_, err = fmt.Fprintf(f.IO.Out, "schema is up to date (version %d)\n", res.Version)
				return err
			}
			_, err = fmt.Fprintf(f.IO.Out, "applied %d migration(s); schema is at version %d\n", len(res.Applied), res.Version)
			return err
		},
	}
}
