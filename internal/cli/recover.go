package cli

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/relaybook/relaybook/internal/relaybook"
)

type webhooksRecoverOptions struct {
	printer
	Deliveries func(context.Context) (relaybook.DeliveryService, error)
	ID         string
	Window     relaybook.Window
	// Now is when durations are counted back from.
	Now time.Time
}

func newCmdWebhooksRecover(f *Factory, runF func(*webhooksRecoverOptions) error) *cobra.Command {
	opts := &webhooksRecoverOptions{Deliveries: f.Deliveries}
	var since, until string
	cmd := &cobra.Command{
		Use:   "recover ID --since D [--until D]",
		Short: "Send again every event whose delivery to the webhook failed",
		Long: `Re-open, as one fresh attempt sequence each, every delivery to the webhook
that ended failed, of events created between --since and --until (default:
now). D is a Go duration counted back from now (90m, 24h) or an RFC 3339
time. A delivery that is pending, held or succeeded is left alone (one per
event, never one per failed attempt), so running it twice queues nothing
new. A window reaching past retention recovers what still exists.

Large windows go in batches; on a terminal, progress is shown on stderr.
With -o json it prints {"webhook_id", "since", "until", "queued"}.`,
		Example: `  relaybook webhooks recover $HOOK --since 2h
  relaybook webhooks recover $HOOK --since 2026-01-02T15:00:00Z --until 2026-01-02T18:00:00Z`,
		Args: requireArgs("ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := requireFlags(cmd, "since"); err != nil {
				return err
			}
			opts.ID = args[0]
			opts.Now = time.Now()
			w, err := relaybook.ParseRecoveryWindow(since, until, opts.Now)
			if err != nil {
				return usagef("%s: --%s", cmd.CommandPath(), err.Error())
			}
			opts.Window = w
			opts.printer = f.printer()
			return run(cmd.Context(), opts, runF, webhooksRecoverRun)
		},
	}
	cmd.Flags().StringVar(&since, "since", "", "start of the window: a duration back from now (24h) or an RFC 3339 time (required)")
	cmd.Flags().StringVar(&until, "until", "", "end of the window, like --since (default: now)")
	return cmd
}

func webhooksRecoverRun(ctx context.Context, opts *webhooksRecoverOptions) error {
	var progress func(int)
	if opts.IO.ErrIsTerminal && !opts.json() {
		progress = func(queued int) { fmt.Fprintf(opts.IO.ErrOut, "\rqueued %d…", queued) }
		defer fmt.Fprintln(opts.IO.ErrOut)
	}
	return printOne(ctx, opts.printer, opts.Deliveries, func(s relaybook.DeliveryService) (*relaybook.Recovery, error) {
		return s.Recover(ctx, relaybook.AnyTeam, opts.ID, opts.Window, progress)
	}, func(r *relaybook.Recovery) [][2]string {
		return [][2]string{
			{"webhook_id", r.WebhookID},
			{"since", r.Since.Format(time.RFC3339)},
			{"until", r.Until.Format(time.RFC3339)},
			{"queued", strconv.Itoa(r.Queued)},
		}
	})
}
