package cli

import "github.com/spf13/cobra"

func newCmdServe(f *Factory) *cobra.Command { return stub("serve", "Run the REST API server") }
