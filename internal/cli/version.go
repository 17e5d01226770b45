package cli

import (
	"context"
	"fmt"
	"runtime"

	"github.com/spf13/cobra"
)

type versionOptions struct {
	printer
}

func newCmdVersion(f *Factory, runF func(*versionOptions) error) *cobra.Command {
	opts := &versionOptions{}
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  requireArgs(),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.printer = f.printer()
			return run(cmd.Context(), opts, runF, versionRun)
		},
	}
}

func versionRun(_ context.Context, opts *versionOptions) error {
	if opts.json() {
		return opts.printJSON(map[string]string{"version": Version, "go": runtime.Version()})
	}
	_, err := fmt.Fprintf(opts.IO.Out, "relaybook %s (%s)\n", Version, runtime.Version())
	return err
}
