package cli

import "github.com/spf13/cobra"

func newCmdWorker(f *Factory) *cobra.Command { return stub("worker", "Run a delivery worker") }
