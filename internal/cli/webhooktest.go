package cli

import (
	"context"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/relaybook/relaybook/internal/relaybook"
)

type webhooksTestOptions struct {
	printer
	Tester    func(context.Context) (relaybook.WebhookTester, error)
	WebhookID string
	Event     string
}

func newCmdWebhooksTest(f *Factory, runF func(*webhooksTestOptions) error) *cobra.Command {
	opts := &webhooksTestOptions{Tester: f.Tester}
	cmd := &cobra.Command{
		Use:   "test WEBHOOK [--event EVENT]",
		Short: "Send a sample event to a webhook now and show the answer",
		Long: `Send a sample event of type EVENT (default: the webhook's first event) to
the webhook now, from this process, even when the webhook is paused. It is
signed like any other request and carries X-Relay-Test: true. The command
waits for the answer and prints the attempt; a test is logged like any
attempt but never retried, and sent to that one webhook only.

It needs security.encryption_key (to sign), and honours delivery.timeout
and webhooks.allow_private_networks.

With -o json it prints the delivery-log object of the attempt.`,
		Example: `  relaybook webhooks test $HOOK --event contact.created`,
		Args:    requireArgs("WEBHOOK"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Event != "" && !relaybook.IsEventType(opts.Event) {
				return usagef("%s: --event must be one of %s, got %q", cmd.CommandPath(), strings.Join(relaybook.EventTypes, ", "), opts.Event)
			}
			opts.WebhookID = args[0]
			opts.printer = f.printer()
			return run(cmd.Context(), opts, runF, webhooksTestRun)
		},
	}
	cmd.Flags().StringVar(&opts.Event, "event", "", "the event type to send (default: the webhook's first)")
	return cmd
}

func webhooksTestRun(ctx context.Context, opts *webhooksTestOptions) error {
	return printOne(ctx, opts.printer, opts.Tester, func(t relaybook.WebhookTester) (*relaybook.DeliveryAttempt, error) {
		return t.TestWebhook(ctx, relaybook.AnyTeam, opts.WebhookID, opts.Event)
	}, func(a *relaybook.DeliveryAttempt) [][2]string {
		return [][2]string{
			{"id", a.ID},
			{"webhook_id", a.WebhookID},
			{"event_id", a.EventID},
			{"event_type", a.EventType},
			{"response_status", optInt(a.ResponseStatus)},
			{"success", strconv.FormatBool(a.Success)},
			{"duration_ms", strconv.FormatInt(a.DurationMS, 10)},
			{"error", a.Error},
			{"response_body", a.ResponseBody},
		}
	})
}
