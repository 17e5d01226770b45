package cli

import (
	"context"
	"time"

	"github.com/spf13/cobra"

	"github.com/relaybook/relaybook/config"
	"github.com/relaybook/relaybook/internal/relaybook"
)

type webhooksRotateOptions struct {
	printer
	Config   func() (*config.Config, error)
	Webhooks func(context.Context) (relaybook.WebhookService, error)
	ID       string
	Grace    time.Duration
}

func newCmdWebhooksRotateSecret(f *Factory, runF func(*webhooksRotateOptions) error) *cobra.Command {
	opts := &webhooksRotateOptions{Config: f.Config, Webhooks: f.Webhooks}
	cmd := &cobra.Command{
		Use:   "rotate-secret ID [--grace DURATION]",
		Short: "Give a webhook a new signing secret; the old one keeps signing for a grace period",
		Long: `Replace a webhook's signing secret. The new secret (whsec_…) is printed now and
never again. Until --grace has passed, every request carries both signatures:
webhook-signature holds the new one then the old one, X-Relay-Signature is the
new secret's and X-Relay-Signature-Previous the old one's, so receivers can
deploy the new secret without refusing a request. Then the old secret is
erased. --grace 0 drops the old secret at once; at most 720h (30 days).

With -o json it prints one document: {"webhook": {<webhook object>}, "secret": "whsec_…"}.`,
		Example: `  relaybook webhooks rotate-secret $HOOK
  relaybook webhooks rotate-secret $HOOK --grace 2h`,
		Args: requireArgs("ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ID = args[0]
			if err := relaybook.ValidateGrace("--grace", opts.Grace); err != nil {
				return usagef("%s: %s", cmd.CommandPath(), err.Error())
			}
			opts.printer = f.printer()
			return run(cmd.Context(), opts, runF, webhooksRotateRun)
		},
	}
	cmd.Flags().DurationVar(&opts.Grace, "grace", relaybook.DefaultRotationGrace, "how long the old secret keeps signing beside the new one (0 to 720h)")
	return cmd
}

func webhooksRotateRun(ctx context.Context, opts *webhooksRotateOptions) error {
	// Like create: the new secret is sealed under the encryption key.
	if _, err := requireSetting(opts.Config, "security.encryption_key"); err != nil {
		return err
	}
	err := printOne(ctx, opts.printer, opts.Webhooks, func(s relaybook.WebhookService) (*relaybook.CreatedWebhook, error) {
		return s.RotateSecret(ctx, relaybook.AnyTeam, opts.ID, opts.Grace)
	}, func(w *relaybook.CreatedWebhook) [][2]string {
		lines := append(webhookLines(w.Webhook), [2]string{"secret", w.Secret})
		if opts.Grace > 0 {
			lines = append(lines, [2]string{"previous_secret_signs_until", relaybook.NewTime(time.Now().Add(opts.Grace)).String()})
		}
		return lines
	})
	if err != nil {
		return err
	}
	opts.showOnce("new signing secret")
	return nil
}
