package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/relaybook/relaybook/internal/relaybook"
)

func newCmdEvents(f *Factory) *cobra.Command {
	return newNounCmd("events", "List and show events with their delivery state per webhook",
		newCmdEventsList(f, nil),
		newCmdEventsShow(f, nil),
	)
}

type eventsListOptions struct {
	printer
	Events func(context.Context) (relaybook.EventService, error)
	TeamID string
	Type   string
	Since  string
	Until  string
	Limit  int
	Cursor string
	// Window is Since and Until as parsed.
	Window relaybook.Window
}

func newCmdEventsList(f *Factory, runF func(*eventsListOptions) error) *cobra.Command {
	opts := &eventsListOptions{Events: f.Events}
	cmd := &cobra.Command{
		Use:   "list --team TEAM [--type EVENT] [--since D] [--until D] [--limit 50] [--cursor C]",
		Short: "List a team's events, newest first, with each webhook's delivery state",
		Long: fmt.Sprintf(`List a team's events, newest first. Each shows, per webhook it goes to, the
delivery's state (pending, succeeded, failed, held), how many attempts were
made, when the next is due and the last HTTP status.

--since and --until take a Go duration counted back from now (90m, 24h) or
an RFC 3339 time. When more events follow, the table output prints the
cursor of the next page on stderr (pass it as --cursor).

With -o json it prints an array of
{"id", "type", "team_id", "book_id", "created_at",
 "deliveries": [{"webhook_id", "state", "attempts", "next_attempt_at", "last_status"}]}
--limit is %d by default and at most %d.`, relaybook.DefaultEventLimit, relaybook.MaxEventLimit),
		Args: requireArgs(),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := requireFlags(cmd, "team"); err != nil {
				return err
			}
			if opts.Limit < 1 || opts.Limit > relaybook.MaxEventLimit {
				return usagef("%s: --limit must be between 1 and %d, got %d", cmd.CommandPath(), relaybook.MaxEventLimit, opts.Limit)
			}
			if opts.Type != "" && !relaybook.IsEventType(opts.Type) {
				return usagef("%s: --type must be one of %s, got %q", cmd.CommandPath(), strings.Join(relaybook.EventTypes, ", "), opts.Type)
			}
			var err error
			if opts.Window, err = parsePageFlags(cmd, opts.Since, opts.Until, opts.Cursor); err != nil {
				return err
			}
			opts.printer = f.printer()
			return run(cmd.Context(), opts, runF, eventsListRun)
		},
	}
	cmd.Flags().StringVar(&opts.TeamID, "team", "", "team id (required)")
	cmd.Flags().StringVar(&opts.Type, "type", "", "only events of this type")
	cmd.Flags().IntVar(&opts.Limit, "limit", relaybook.DefaultEventLimit, fmt.Sprintf("how many events to show (1 to %d)", relaybook.MaxEventLimit))
	addWindowFlags(cmd, &opts.Since, &opts.Until, &opts.Cursor)
	return cmd
}

func eventsListRun(ctx context.Context, opts *eventsListOptions) error {
	events, err := opts.Events(ctx)
	if err != nil {
		return err
	}
	page, err := events.ListEvents(ctx, relaybook.EventFilter{
		TeamID: opts.TeamID, Type: opts.Type, Window: opts.Window, Limit: opts.Limit, Cursor: opts.Cursor,
	})
	if err != nil {
		return err
	}
	err = opts.print(page.Events, func() *Table {
		t := &Table{Header: []string{"ID", "TYPE", "BOOK", "CREATED", "DELIVERIES"}}
		for _, e := range page.Events {
			t.AddRow(e.ID, e.Type, optString(e.BookID), e.CreatedAt.String(), deliveryStates(e.Deliveries))
		}
		return t
	})
	if err != nil {
		return err
	}
	return opts.nextPage(page.NextCursor)
}

// deliveryStates sums up an event's deliveries in one cell:
// "<webhook> <state> (<attempts> attempts, <last status>)", comma-separated.
func deliveryStates(ds []*relaybook.EventDelivery) string {
	if len(ds) == 0 {
		return "-"
	}
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = fmt.Sprintf("%s %s (%d attempts, last %s)", d.WebhookID, d.State, d.Attempts, optInt(d.LastStatus))
	}
	return strings.Join(parts, ", ")
}

type eventsShowOptions = idOptions[relaybook.EventService]

func newCmdEventsShow(f *Factory, runF func(*eventsShowOptions) error) *cobra.Command {
	return newIDCmd(f, f.Events, "show ID", "Show one event: its payload and each webhook's delivery state",
		`Show one event in full: the exact payload every receiver gets, and per
webhook the delivery's state, attempts, next attempt and last HTTP status.
Test events (webhooks test) are found here by id too.

With -o json it prints the event object of "events list" plus "payload".`,
		runF, eventsShowRun)
}

func eventsShowRun(ctx context.Context, opts *eventsShowOptions) error {
	events, err := opts.Service(ctx)
	if err != nil {
		return err
	}
	e, err := events.FindEvent(ctx, relaybook.AnyTeam, opts.ID)
	if err != nil {
		return err
	}
	lines := [][2]string{
		{"id", e.ID},
		{"type", e.Type},
		{"team_id", e.TeamID},
		{"book_id", optString(e.BookID)},
		{"created_at", e.CreatedAt.String()},
	}
	if err := opts.printSummary(e, lines); err != nil || opts.json() {
		return err
	}
	t := &Table{Header: []string{"WEBHOOK", "STATE", "ATTEMPTS", "NEXT ATTEMPT", "LAST STATUS"}}
	for _, d := range e.Deliveries {
		t.AddRow(d.WebhookID, d.State, strconv.Itoa(d.Attempts), optTime(d.NextAttemptAt), optInt(d.LastStatus))
	}
	fmt.Fprintln(opts.IO.Out, "\ndeliveries:")
	if err := t.render(opts.IO.Out, true); err != nil {
		return err
	}
	_, err = fmt.Fprintf(opts.IO.Out, "\npayload:\n%s\n", indentJSON(e.Payload))
	return err
}

// indentJSON shows a payload as indented JSON, or as it is when it is not
// JSON.
func indentJSON(raw []byte) string {
	var b bytes.Buffer
	if json.Indent(&b, raw, "", "  ") != nil {
		return string(raw)
	}
	return b.String()
}
