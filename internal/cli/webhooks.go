package cli

import (
	"context"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/relaybook/relaybook/internal/postgres"
	"github.com/relaybook/relaybook/internal/relaybook"
)

func newCmdWebhooks(f *Factory) *cobra.Command {
	return newNounCmd("webhooks", "Create, list, show, update and delete webhooks",
		newCmdWebhooksCreate(f),
		newCmdWebhooksList(f),
		newCmdWebhooksShow(f),
		newCmdWebhooksUpdate(f),
		newCmdWebhooksDelete(f),
	)
}

var eventsHelp = "comma-separated events: " + strings.Join(relaybook.EventTypes, ",")

type webhooksCreateOptions struct {
	f      *Factory
	TeamID string
	URL    string
	Events string
}

func newCmdWebhooksCreate(f *Factory) *cobra.Command {
	opts := &webhooksCreateOptions{f: f}
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
			if err := requireSetting(f, "security.encryption_key"); err != nil {
				return err
			}
			return webhooksCreateRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.TeamID, "team", "", "team id (required)")
	cmd.Flags().StringVar(&opts.URL, "url", "", "the endpoint that receives events (required)")
	cmd.Flags().StringVar(&opts.Events, "events", "", eventsHelp+" (required)")
	return cmd
}

func webhooksCreateRun(ctx context.Context, opts *webhooksCreateOptions) error {
	webhooks, err := service(ctx, opts.f, postgres.NewWebhookService)
	if err != nil {
		return err
	}
	w, err := webhooks.CreateWebhook(ctx, relaybook.WebhookInput{TeamID: opts.TeamID, URL: opts.URL, Events: splitList(opts.Events)})
	if err != nil {
		return err
	}
	if err := opts.f.PrintSummary(w, append(webhookLines(w.Webhook), [2]string{"secret", w.Secret})); err != nil {
		return err
	}
	showOnce(opts.f, "signing secret")
	return nil
}

type webhooksListOptions struct {
	f      *Factory
	TeamID string
}

func newCmdWebhooksList(f *Factory) *cobra.Command {
	opts := &webhooksListOptions{f: f}
	cmd := &cobra.Command{
		Use:   "list --team TEAM",
		Short: "List a team's webhooks, oldest first",
		Long: `List a team's webhooks, oldest first, inactive ones included. Secrets are
never shown. With -o json it prints an array of webhook objects.`,
		Args: requireArgs(),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := requireFlags(cmd, "team"); err != nil {
				return err
			}
			return webhooksListRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.TeamID, "team", "", "team id (required)")
	return cmd
}

func webhooksListRun(ctx context.Context, opts *webhooksListOptions) error {
	webhooks, err := service(ctx, opts.f, postgres.NewWebhookService)
	if err != nil {
		return err
	}
	list, err := webhooks.ListWebhooks(ctx, opts.TeamID)
	if err != nil {
		return err
	}
	return opts.f.Print(list, func() *Table {
		t := &Table{Header: []string{"ID", "URL", "EVENTS", "ACTIVE", "CREATED"}}
		for _, w := range list {
			t.AddRow(w.ID, w.URL, strings.Join(w.Events, ","), strconv.FormatBool(w.Active), w.CreatedAt.String())
		}
		return t
	})
}

// webhookIDOptions serve the commands that take a webhook id and nothing
// else (show, delete).
type webhookIDOptions struct {
	f  *Factory
	ID string
}

func newCmdWebhooksShow(f *Factory) *cobra.Command {
	opts := &webhookIDOptions{f: f}
	return &cobra.Command{
		Use:   "show ID",
		Short: "Show a webhook (never its secret)",
		Long:  `Show a webhook. Its secret is never shown. With -o json it prints the webhook object.`,
		Args:  requireArgs("ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ID = args[0]
			return webhooksShowRun(cmd.Context(), opts)
		},
	}
}

func webhooksShowRun(ctx context.Context, opts *webhookIDOptions) error {
	webhooks, err := service(ctx, opts.f, postgres.NewWebhookService)
	if err != nil {
		return err
	}
	w, err := webhooks.FindWebhook(ctx, opts.ID)
	if err != nil {
		return err
	}
	return opts.f.PrintSummary(w, webhookLines(w))
}

type webhooksUpdateOptions struct {
	f      *Factory
	ID     string
	URL    string
	Events string
	Active bool
	// Which flags were given: only those change.
	SetURL, SetEvents, SetActive bool
}

func newCmdWebhooksUpdate(f *Factory) *cobra.Command {
	opts := &webhooksUpdateOptions{f: f}
	cmd := &cobra.Command{
		Use:   "update ID [--url URL] [--events EVENT[,EVENT…]] [--active=true|false]",
		Short: "Change a webhook's URL, events or active state",
		Long: `Change the URL, the subscribed events or the active state of a webhook. Only
the flags you give change; the secret stays the same. An inactive webhook gets
no new deliveries. With -o json it prints the updated webhook object.`,
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
			return webhooksUpdateRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.URL, "url", "", "the new endpoint URL")
	cmd.Flags().StringVar(&opts.Events, "events", "", eventsHelp+"; replaces the list")
	cmd.Flags().BoolVar(&opts.Active, "active", true, "--active=false pauses the webhook, --active=true resumes it")
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
	webhooks, err := service(ctx, opts.f, postgres.NewWebhookService)
	if err != nil {
		return err
	}
	w, err := webhooks.UpdateWebhook(ctx, opts.ID, patch)
	if err != nil {
		return err
	}
	return opts.f.PrintSummary(w, webhookLines(w))
}

func newCmdWebhooksDelete(f *Factory) *cobra.Command {
	opts := &webhookIDOptions{f: f}
	return &cobra.Command{
		Use:   "delete ID",
		Short: "Delete a webhook with its delivery log",
		Long: `Delete a webhook at once, with its pending deliveries and its delivery log.
With -o json it prints the deleted webhook object.`,
		Args: requireArgs("ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ID = args[0]
			return webhooksDeleteRun(cmd.Context(), opts)
		},
	}
}

func webhooksDeleteRun(ctx context.Context, opts *webhookIDOptions) error {
	webhooks, err := service(ctx, opts.f, postgres.NewWebhookService)
	if err != nil {
		return err
	}
	w, err := webhooks.DeleteWebhook(ctx, opts.ID)
	if err != nil {
		return err
	}
	return opts.f.PrintSummary(w, webhookLines(w))
}

func webhookLines(w *relaybook.Webhook) [][2]string {
	return [][2]string{
		{"id", w.ID},
		{"team_id", w.TeamID},
		{"url", w.URL},
		{"events", strings.Join(w.Events, ",")},
		{"active", strconv.FormatBool(w.Active)},
		{"created_by", optString(w.CreatedBy)},
		{"created_at", w.CreatedAt.String()},
		{"updated_at", w.UpdatedAt.String()},
	}
}
