package cli

import (
	"context"
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/relaybook/relaybook/internal/relaybook"
)

func newCmdDeliveries(f *Factory) *cobra.Command {
	return newNounCmd("deliveries", "List and show delivery attempts, redeliver",
		newCmdDeliveriesList(f, nil),
		newCmdDeliveriesShow(f, nil),
		newCmdDeliveriesRedeliver(f, nil),
	)
}

type deliveriesListOptions struct {
	printer
	Deliveries func(context.Context) (relaybook.DeliveryService, error)
	WebhookID  string
	Limit      int
	FailedOnly bool
	EventID    string
	Since      string
	Until      string
	Cursor     string
	// Window is Since and Until as parsed.
	Window relaybook.Window
}

func newCmdDeliveriesList(f *Factory, runF func(*deliveriesListOptions) error) *cobra.Command {
	opts := &deliveriesListOptions{Deliveries: f.Deliveries}
	cmd := &cobra.Command{
		Use:   "list --webhook WEBHOOK [--failed] [--event EVENT] [--since D] [--until D] [--limit 50] [--cursor C]",
		Short: "List a webhook's delivery attempts, newest first",
		Long: fmt.Sprintf(`List a webhook's delivery log, newest first: one row per attempt.

--event keeps one event's attempts; --since and --until bound when they were
made: a Go duration counted back from now (90m, 24h) or an RFC 3339 time.
When more attempts follow, the table output prints the cursor of the next
page on stderr (pass it as --cursor).

With -o json it prints an array of delivery-log objects:
{"id", "delivery_id", "webhook_id", "event_id", "event_type", "attempt", "payload",
 "response_status", "response_body", "duration_ms", "success", "error", "created_at"}
--limit is %d by default and at most %d.`, relaybook.DefaultDeliveryLimit, relaybook.MaxDeliveryLimit),
		Args: requireArgs(),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := requireFlags(cmd, "webhook"); err != nil {
				return err
			}
			if opts.Limit < 1 || opts.Limit > relaybook.MaxDeliveryLimit {
				return usagef("%s: --limit must be between 1 and %d, got %d", cmd.CommandPath(), relaybook.MaxDeliveryLimit, opts.Limit)
			}
			var err error
			if opts.Window, err = parsePageFlags(cmd, opts.Since, opts.Until, opts.Cursor); err != nil {
				return err
			}
			opts.printer = f.printer()
			return run(cmd.Context(), opts, runF, deliveriesListRun)
		},
	}
	cmd.Flags().StringVar(&opts.WebhookID, "webhook", "", "webhook id (required)")
	cmd.Flags().IntVar(&opts.Limit, "limit", relaybook.DefaultDeliveryLimit, fmt.Sprintf("how many attempts to show (1 to %d)", relaybook.MaxDeliveryLimit))
	cmd.Flags().BoolVar(&opts.FailedOnly, "failed", false, "only attempts that did not succeed")
	cmd.Flags().StringVar(&opts.EventID, "event", "", "only the attempts of this event id")
	addWindowFlags(cmd, &opts.Since, &opts.Until, &opts.Cursor)
	return cmd
}

func deliveriesListRun(ctx context.Context, opts *deliveriesListOptions) error {
	deliveries, err := opts.Deliveries(ctx)
	if err != nil {
		return err
	}
	page, err := deliveries.ListAttempts(ctx, relaybook.DeliveryFilter{
		WebhookID: opts.WebhookID, Limit: opts.Limit, FailedOnly: opts.FailedOnly,
		EventID: opts.EventID, Window: opts.Window, Cursor: opts.Cursor,
	})
	if err != nil {
		return err
	}
	err = opts.print(page.Attempts, func() *Table {
		t := &Table{Header: []string{"ID", "EVENT", "ATTEMPT", "STATUS", "SUCCESS", "DURATION", "ERROR", "CREATED"}}
		for _, a := range page.Attempts {
			t.AddRow(a.ID, a.EventType, strconv.Itoa(a.Attempt), optInt(a.ResponseStatus), strconv.FormatBool(a.Success),
				strconv.FormatInt(a.DurationMS, 10)+"ms", a.Error, a.CreatedAt.String())
		}
		return t
	})
	if err != nil {
		return err
	}
	return opts.nextPage(page.NextCursor)
}

type deliveriesShowOptions = idOptions[relaybook.DeliveryService]

func newCmdDeliveriesShow(f *Factory, runF func(*deliveriesShowOptions) error) *cobra.Command {
	return newIDCmd(f, f.Deliveries, "show ID", "Show one delivery attempt with its payload and response",
		`Show one delivery attempt in full: the payload that was sent and the first
4 KB of the response body. ID is an attempt id, as "deliveries list" prints,
or a delivery id (its latest attempt is shown). With -o json it prints the
delivery-log object.`,
		runF, deliveriesShowRun)
}

func deliveriesShowRun(ctx context.Context, opts *deliveriesShowOptions) error {
	deliveries, err := opts.Service(ctx)
	if err != nil {
		return err
	}
	a, err := deliveries.FindAttempt(ctx, opts.ID)
	if err != nil {
		return err
	}
	lines := [][2]string{
		{"id", a.ID},
		{"delivery_id", a.DeliveryID},
		{"webhook_id", a.WebhookID},
		{"event_id", a.EventID},
		{"event_type", a.EventType},
		{"attempt", strconv.Itoa(a.Attempt)},
		{"response_status", optInt(a.ResponseStatus)},
		{"duration_ms", strconv.FormatInt(a.DurationMS, 10)},
		{"success", strconv.FormatBool(a.Success)},
		{"error", a.Error},
		{"created_at", a.CreatedAt.String()},
	}
	if err := opts.printSummary(a, lines); err != nil || opts.json() {
		return err
	}
	// The payload and the response body are multi-line: shown as blocks
	// after the summary rather than squeezed onto one line.
	_, err = fmt.Fprintf(opts.IO.Out, "\npayload:\n%s\n\nresponse_body:\n%s\n", indentJSON(a.Payload), a.ResponseBody)
	return err
}

type deliveriesRedeliverOptions = idOptions[relaybook.DeliveryService]

func newCmdDeliveriesRedeliver(f *Factory, runF func(*deliveriesRedeliverOptions) error) *cobra.Command {
	return newIDCmd(f, f.Deliveries, "redeliver ID", "Send a delivery's event again, as a fresh attempt sequence",
		`Re-open the delivery behind ID (a delivery attempt id, as "deliveries list"
prints, or a delivery id) as a fresh attempt sequence, due at once: the same
delivery and event id (X-Relay-Event-ID), attempt numbers counting on.

A delivery that is already pending (queued by an earlier redeliver or
recover, or still retrying) or held (its webhook is paused) is left alone,
and so is one already re-opened since the attempt ID names: nothing is
queued, it says so, and the exit code is still 0. (Give the delivery id to
send a delivered event once more.) So
  relaybook deliveries list --webhook $HOOK --failed | cut -f1 | xargs -n1 relaybook deliveries redeliver
sends each event once, however many failed attempts it had.

With -o json it prints {"delivery_id", "queued", "state"}.`,
		runF, deliveriesRedeliverRun)
}

func deliveriesRedeliverRun(ctx context.Context, opts *deliveriesRedeliverOptions) error {
	return printOne(ctx, opts.printer, opts.Service, func(s relaybook.DeliveryService) (*relaybook.Redelivery, error) {
		return s.Redeliver(ctx, opts.ID)
	}, func(r *relaybook.Redelivery) [][2]string {
		lines := [][2]string{{"delivery_id", r.DeliveryID}, {"queued", strconv.FormatBool(r.Queued)}, {"state", r.State}}
		switch {
		case r.Queued:
		case r.State == relaybook.DeliveryPending || r.State == relaybook.DeliveryHeld:
			lines = append(lines, [2]string{"note", "already " + r.State + "; nothing new queued"})
		default:
			lines = append(lines, [2]string{"note", "already sent again since that attempt (now " + r.State + "); nothing new queued"})
		}
		return lines
	})
}
