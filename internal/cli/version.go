package cli

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"
)

func newCmdVersion(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  requireArgs(),
		RunE: func(cmd *cobra.Command, args []string) error {
			v := map[string]string{"version": Version, "go": runtime.Version()}
			if f.Output == "json" {
				return printJSON(f.IO.Out, v)
			}
			_, err := fmt.Fprintf(f.IO.Out, "relaybook %s (%s)\n", Version, runtime.Version())
			return err
		},
	}
}
