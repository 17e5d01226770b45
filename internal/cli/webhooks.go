package cli

import (
	"context"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/relaybook/relaybook/config"
	"github.com/relaybook/relaybook/internal/relaybook"
)

func newCmdWebhooks(f *Factory) *cobra.Command {
	return newNounCmd("webhooks", "Create, list, show, update and delete webhooks; rotate their secrets",
		newCmdWebhooksCreate(f, nil),
		newCmdWebhooksList(f, nil),
		newCmdWebhooksShow(f, nil),
		newCmdWebhooksUpdate(f, nil),
		newCmdWebhooksDelete(f, nil),
		newCmdWebhooksRotateSecret(f, nil),
		newCmdWebhooksTest(f, nil),
		newCmdWebhooksRecover(f, nil),
	)
}

var eventsHelp = "comma-separated events: " + strings.Join(relaybook.EventTypes, ",")

type webhooksCreateOptions struct {
	printer
	Config    func() (*config.Config, error)
	Webhooks  func(context.Context) (relaybook.WebhookService, error)
	TeamID    string
	URL       string
	Events    string
	CreatedBy string
}

func newCmdWebhooksCreate(f *Factory, runF func(*webhooksCreateOptions) error) *cobra.Command {
	opts := &webhooksCreateOptions{Config: f.Config, Webhooks: f.Webhooks}
	cmd := &cobra.Command{
		Use:   "create --team TEAM --url URL --events EVENT[,EVENT…]",
		Short: "Create a webhook (the signing secret is shown once)",
		Long: `Create an active webhook. The URL must be https:// (http:// only with
webhooks.allow_http); events must name at least one of
` + strings.Join(relaybook.EventTypes, ", ") + `.

The signing secret (whsec_…) is printed now and never again: it is stored
encrypted under security.encryption_key, which this command needs.

With -o json it prints one document: {"webhook": {<webhook object>}, "secret": "whsec_…"}.`,
		Example: `  relaybook webhooks create --team $TEAM --url https://example.com/hook --events contact.created,contact.updated`,
		Args:    requireArgs(),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := requireFlags(cmd, "team", "url", "events"); err != nil {
				return err
			}
			opts.printer = f.printer()
			return run(cmd.Context(), opts, runF, webhooksCreateRun)
		},
	}
	cmd.Flags().StringVar(&opts.TeamID, "team", "", "team id (required)")
	cmd.Flags().StringVar(&opts.URL, "url", "", "the endpoint that receives events (required)")
	cmd.Flags().StringVar(&opts.Events, "events", "", eventsHelp+" (required)")
	cmd.Flags().StringVar(&opts.CreatedBy, "created-by", "", "user id recorded as the webhook's creator (optional)")
	return cmd
}

func webhooksCreateRun(ctx context.Context, opts *webhooksCreateOptions) error {
	// The secret is stored encrypted: without the key there is nothing to
	// encrypt it with, which is a configuration error, not a failed call.
	if _, err := requireSetting(opts.Config, "security.encryption_key"); err != nil {
		return err
	}
	err := printOne(ctx, opts.printer, opts.Webhooks, func(s relaybook.WebhookService) (*relaybook.CreatedWebhook, error) {
		return s.CreateWebhook(ctx, relaybook.WebhookInput{TeamID: opts.TeamID, URL: opts.URL, Events: splitList(opts.Events), CreatedBy: opts.CreatedBy})
	}, func(w *relaybook.CreatedWebhook) [][2]string {
		return append(webhookLines(w.Webhook), [2]string{"secret", w.Secret})
	})
	if err != nil {
		return err
	}
	opts.showOnce("signing secret")
	return nil
}

type webhooksListOptions = teamOptions[relaybook.WebhookService]

func newCmdWebhooksList(f *Factory, runF func(*webhooksListOptions) error) *cobra.Command {
	return newTeamCmd(f, f.Webhooks, "list --team TEAM", "List a team's webhooks, oldest first",
		`List a team's webhooks, oldest first, inactive ones included. Secrets are
never shown. With -o json it prints an array of webhook objects.`,
		runF, webhooksListRun)
}

func webhooksListRun(ctx context.Context, opts *webhooksListOptions) error {
	return printList(ctx, opts.printer, opts.Service, func(s relaybook.WebhookService) ([]*relaybook.Webhook, error) {
		return s.ListWebhooks(ctx, opts.TeamID)
	}, []string{"ID", "URL", "EVENTS", "ACTIVE", "CREATED"}, func(w *relaybook.Webhook) []string {
		return []string{w.ID, w.URL, strings.Join(w.Events, ","), strconv.FormatBool(w.Active), w.CreatedAt.String()}
	})
}

type webhooksShowOptions = idOptions[relaybook.WebhookService]

func newCmdWebhooksShow(f *Factory, runF func(*webhooksShowOptions) error) *cobra.Command {
	return newIDCmd(f, f.Webhooks, "show ID", "Show a webhook (never its secret)",
		`Show a webhook. Its secret is never shown. With -o json it prints the webhook object.`,
		runF, webhooksShowRun)
}

func webhooksShowRun(ctx context.Context, opts *webhooksShowOptions) error {
	return printOne(ctx, opts.printer, opts.Service, func(s relaybook.WebhookService) (*relaybook.Webhook, error) {
		return s.FindWebhook(ctx, relaybook.AnyTeam, opts.ID)
	}, webhookLines)
}

type webhooksUpdateOptions struct {
	printer
	Webhooks func(context.Context) (relaybook.WebhookService, error)
	ID       string
	URL      string
	Events   string
	Active   bool
	// Which flags were given: only those change.
	SetURL, SetEvents, SetActive bool
}

func newCmdWebhooksUpdate(f *Factory, runF func(*webhooksUpdateOptions) error) *cobra.Command {
	opts := &webhooksUpdateOptions{Webhooks: f.Webhooks}
	cmd := &cobra.Command{
		Use:   "update ID [--url URL] [--events EVENT[,EVENT…]] [--active=true|false]",
		Short: "Change a webhook's URL, events or active state",
		Long: `Change the URL, the subscribed events or the active state of a webhook. Only
the flags you give change; the secret stays the same.

--active=false pauses the webhook (disabled_reason "paused"): nothing is sent,
and its events are held, not dropped. --active=true resumes it (also after an
automatic disable, disabled_reason "failing") and sends everything held,
oldest event first. With -o json it prints the updated webhook object.`,
		Example: `  relaybook webhooks update $HOOK --active=false
  relaybook webhooks update $HOOK --events contact.created,contact.deleted`,
		Args: requireArgs("ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ID = args[0]
			opts.SetURL = cmd.Flags().Changed("url")
			opts.SetEvents = cmd.Flags().Changed("events")
			opts.SetActive = cmd.Flags().Changed("active")
			if !opts.SetURL && !opts.SetEvents && !opts.SetActive {
				return usagef("%s: nothing to change: give --url, --events or --active", cmd.CommandPath())
			}
			opts.printer = f.printer()
			return run(cmd.Context(), opts, runF, webhooksUpdateRun)
		},
	}
	cmd.Flags().StringVar(&opts.URL, "url", "", "the new endpoint URL")
	cmd.Flags().StringVar(&opts.Events, "events", "", eventsHelp+"; replaces the list")
	// No default shown: only whether the flag was given matters.
	cmd.Flags().BoolVar(&opts.Active, "active", false, "--active=false pauses the webhook, --active=true resumes it")
	return cmd
}

func webhooksUpdateRun(ctx context.Context, opts *webhooksUpdateOptions) error {
	var patch relaybook.WebhookPatch
	if opts.SetURL {
		patch.URL = &opts.URL
	}
	if opts.SetEvents {
		events := splitList(opts.Events)
		patch.Events = &events
	}
	if opts.SetActive {
		patch.Active = &opts.Active
	}
	return printOne(ctx, opts.printer, opts.Webhooks, func(s relaybook.WebhookService) (*relaybook.Webhook, error) {
		return s.UpdateWebhook(ctx, relaybook.AnyTeam, opts.ID, patch)
	}, webhookLines)
}

type webhooksDeleteOptions = idOptions[relaybook.WebhookService]

func newCmdWebhooksDelete(f *Factory, runF func(*webhooksDeleteOptions) error) *cobra.Command {
	return newIDCmd(f, f.Webhooks, "delete ID", "Delete a webhook with its delivery log",
		`Delete a webhook at once, with its pending deliveries and its delivery log.
With -o json it prints the deleted webhook object.`,
		runF, webhooksDeleteRun)
}

func webhooksDeleteRun(ctx context.Context, opts *webhooksDeleteOptions) error {
	return printOne(ctx, opts.printer, opts.Service, func(s relaybook.WebhookService) (*relaybook.Webhook, error) {
		return s.DeleteWebhook(ctx, relaybook.AnyTeam, opts.ID)
	}, webhookLines)
}

func webhookLines(w *relaybook.Webhook) [][2]string {
	return [][2]string{
		{"id", w.ID},
		{"team_id", w.TeamID},
		{"url", w.URL},
		{"events", strings.Join(w.Events, ",")},
		{"active", strconv.FormatBool(w.Active)},
		{"disabled_reason", optString(w.DisabledReason)},
		{"disabled_at", optTime(w.DisabledAt)},
		{"created_by", optString(w.CreatedBy)},
		{"created_at", w.CreatedAt.String()},
		{"updated_at", w.UpdatedAt.String()},
	}
}
