package cli

import "github.com/spf13/cobra"

// Commands whose issues are still open. Each is replaced by its own file.

func stub(use, short string) *cobra.Command {
	return &cobra.Command{
		Use:   use,
		Short: short,
		RunE:  func(*cobra.Command, []string) error { return errNotImplemented },
	}
}

func newCmdToken(f *Factory) *cobra.Command { return stub("token", "Mint a team-admin JWT") }
