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

func newCmdTeams(f *Factory) *cobra.Command { return stub("teams", "Create and list teams") }
func newCmdMembers(f *Factory) *cobra.Command {
	return stub("members", "Add, remove and list team members")
}
func newCmdBooks(f *Factory) *cobra.Command { return stub("books", "Create, delete and list books") }
func newCmdKeys(f *Factory) *cobra.Command  { return stub("keys", "Create, list and revoke API keys") }
func newCmdWebhooks(f *Factory) *cobra.Command {
	return stub("webhooks", "Create, list, show, update and delete webhooks")
}
func newCmdDeliveries(f *Factory) *cobra.Command {
	return stub("deliveries", "List and show delivery attempts, redeliver")
}
func newCmdToken(f *Factory) *cobra.Command { return stub("token", "Mint a team-admin JWT") }
