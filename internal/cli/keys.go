package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/relaybook/relaybook/internal/relaybook"
)

func newCmdKeys(f *Factory) *cobra.Command {
	return newNounCmd("keys", "Create, list and revoke API keys",
		newCmdKeysCreate(f, nil),
		newCmdKeysList(f, nil),
		newCmdKeysRevoke(f, nil),
	)
}

type keysCreateOptions struct {
	printer
	APIKeys func(context.Context) (relaybook.APIKeyService, error)
	TeamID  string
	Name    string
}

func newCmdKeysCreate(f *Factory, runF func(*keysCreateOptions) error) *cobra.Command {
	opts := &keysCreateOptions{APIKeys: f.APIKeys}
	cmd := &cobra.Command{
		Use:   "create --team TEAM --name NAME",
		Short: "Create an API key (the key is shown once)",
		Long: `Create an API key for a team's /api/v1 clients. The key (rlb_…) is printed
now and never again: RelayBook keeps only its hash.

With -o json it prints one document:
{"api_key": {"id", "team_id", "name", "prefix", "created_at", "last_used_at", "revoked_at"}, "key": "rlb_…"}`,
		Example: `  KEY=$(relaybook keys create --team $TEAM --name "CRM Sync" -o json | jq -r .key)`,
		Args:    requireArgs(),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := requireFlags(cmd, "team", "name"); err != nil {
				return err
			}
			opts.printer = f.printer()
			return run(cmd.Context(), opts, runF, keysCreateRun)
		},
	}
	cmd.Flags().StringVar(&opts.TeamID, "team", "", "team id (required)")
	cmd.Flags().StringVar(&opts.Name, "name", "", "what the key is for, e.g. \"CRM Sync\" (required)")
	return cmd
}

func keysCreateRun(ctx context.Context, opts *keysCreateOptions) error {
	err := printOne(ctx, opts.printer, opts.APIKeys, func(s relaybook.APIKeyService) (*relaybook.CreatedAPIKey, error) {
		return s.CreateAPIKey(ctx, opts.TeamID, opts.Name)
	}, func(k *relaybook.CreatedAPIKey) [][2]string {
		return append(apiKeyLines(k.APIKey), [2]string{"key", k.Key})
	})
	if err != nil {
		return err
	}
	opts.showOnce("API key")
	return nil
}

type keysListOptions = teamOptions[relaybook.APIKeyService]

func newCmdKeysList(f *Factory, runF func(*keysListOptions) error) *cobra.Command {
	return newTeamCmd(f, f.APIKeys, "list --team TEAM", "List a team's API keys, revoked ones included",
		`List a team's API keys, oldest first, revoked ones included. Only the display
prefix of each key is shown; the key itself cannot be shown again.
With -o json it prints an array of API key objects.`,
		runF, keysListRun)
}

func keysListRun(ctx context.Context, opts *keysListOptions) error {
	return printList(ctx, opts.printer, opts.Service, func(s relaybook.APIKeyService) ([]*relaybook.APIKey, error) {
		return s.ListAPIKeys(ctx, opts.TeamID)
	}, []string{"ID", "NAME", "PREFIX", "CREATED", "LAST USED", "REVOKED"}, func(k *relaybook.APIKey) []string {
		return []string{k.ID, k.Name, k.Prefix, k.CreatedAt.String(), optTime(k.LastUsedAt), optTime(k.RevokedAt)}
	})
}

type keysRevokeOptions = idOptions[relaybook.APIKeyService]

func newCmdKeysRevoke(f *Factory, runF func(*keysRevokeOptions) error) *cobra.Command {
	return newIDCmd(f, f.APIKeys, "revoke ID", "Revoke an API key, effective immediately",
		`Revoke an API key at once: the next request that presents it gets a 401, on
every serve process. Revoking a revoked key changes nothing.
With -o json it prints the revoked API key object.`,
		runF, keysRevokeRun)
}

func keysRevokeRun(ctx context.Context, opts *keysRevokeOptions) error {
	return printOne(ctx, opts.printer, opts.Service, func(s relaybook.APIKeyService) (*relaybook.APIKey, error) {
		return s.RevokeAPIKey(ctx, opts.ID)
	}, apiKeyLines)
}

func apiKeyLines(k *relaybook.APIKey) [][2]string {
	return [][2]string{
		{"id", k.ID},
		{"team_id", k.TeamID},
		{"name", k.Name},
		{"prefix", k.Prefix},
		{"created_at", k.CreatedAt.String()},
		{"last_used_at", optTime(k.LastUsedAt)},
		{"revoked_at", optTime(k.RevokedAt)},
	}
}
