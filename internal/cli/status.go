package cli

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/hibiken/asynq"
	"github.com/spf13/cobra"

	"github.com/relaybook/relaybook/internal/queue"
	"github.com/relaybook/relaybook/internal/relaybook"
)

// queueSize is one Asynq queue's task counts by state.
type queueSize struct {
	Queue     string `json:"queue"`
	Pending   int    `json:"pending"`
	Active    int    `json:"active"`
	Scheduled int    `json:"scheduled"`
	Retry     int    `json:"retry"`
	Archived  int    `json:"archived"`
}

type statusOptions struct {
	printer
	Status func(context.Context) (relaybook.StatusService, error)
	// Queues reads the queue sizes from Redis.
	Queues func(context.Context) ([]queueSize, error)
	TeamID string
	Since  time.Duration
	Now    func() time.Time
}

// statusReport is `relaybook status -o json`.
type statusReport struct {
	TeamID   string                    `json:"team_id,omitempty"`
	Since    time.Time                 `json:"since"`
	Queues   []queueSize               `json:"queues"`
	Backlog  backlogReport             `json:"backlog"`
	Webhooks []relaybook.WebhookStatus `json:"webhooks"`
}

type backlogReport struct {
	Pending                int64   `json:"pending"`
	Held                   int64   `json:"held"`
	OldestPendingAgeSecond float64 `json:"oldest_pending_age_seconds"`
}

func newCmdStatus(f *Factory, runF func(*statusOptions) error) *cobra.Command {
	opts := &statusOptions{Status: f.Status, Queues: f.queueSizes, Now: time.Now}
	cmd := &cobra.Command{
		Use:   "status [--team TEAM] [--since 1h]",
		Short: "One screen on delivery health: queues, backlog, webhooks most-failing first",
		Long: `Show the delivery queue sizes (Redis), the backlog (pending and held
deliveries, and how long the oldest due one has waited), and per webhook
over the window: attempts, success rate, the receiver's p50/p95 time and its
state (active, paused when inactive, failing when its latest attempt
failed), the most-failing first.

With -o json it prints {"team_id", "since", "queues": [{"queue", "pending",
"active", "scheduled", "retry", "archived"}], "backlog": {"pending", "held",
"oldest_pending_age_seconds"}, "webhooks": [{"webhook_id", "team_id", "url",
"state", "attempts", "succeeded", "failed", "success_rate", "p50_ms",
"p95_ms", "pending"}]}.`,
		Args: requireArgs(),
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Since <= 0 {
				return usagef("--since must be a positive duration like 1h or 30m, got %s", opts.Since)
			}
			if opts.TeamID != "" {
				id, ok := relaybook.CanonicalID(opts.TeamID)
				if !ok {
					return usagef("--team must be a team id (a UUID), got %q", opts.TeamID)
				}
				opts.TeamID = id
			}
			opts.printer = f.printer()
			return run(cmd.Context(), opts, runF, statusRun)
		},
	}
	cmd.Flags().StringVar(&opts.TeamID, "team", "", "only this team's webhooks and backlog")
	cmd.Flags().DurationVar(&opts.Since, "since", time.Hour, "the window of attempts to report on")
	return cmd
}

func statusRun(ctx context.Context, opts *statusOptions) error {
	svc, err := opts.Status(ctx)
	if err != nil {
		return err
	}
	since := opts.Now().Add(-opts.Since).UTC()
	backlog, err := svc.Backlog(ctx, opts.TeamID)
	if err != nil {
		return err
	}
	hooks, err := svc.WebhookStatuses(ctx, relaybook.StatusFilter{TeamID: opts.TeamID, Since: since})
	if err != nil {
		return err
	}
	queues, err := opts.Queues(ctx)
	if err != nil {
		return err
	}
	rep := statusReport{TeamID: opts.TeamID, Since: since, Queues: queues, Webhooks: hooks,
		Backlog: backlogReport{Pending: backlog.Pending, Held: backlog.Held, OldestPendingAgeSecond: backlog.OldestPendingAge.Seconds()}}
	if opts.json() {
		return opts.printJSON(rep)
	}
	if opts.IO.IsTerminal {
		for _, q := range queues {
			fmt.Fprintf(opts.IO.Out, "queue %s: %d pending, %d active, %d scheduled, %d retry, %d archived\n",
				q.Queue, q.Pending, q.Active, q.Scheduled, q.Retry, q.Archived)
		}
		fmt.Fprintf(opts.IO.Out, "backlog: %d pending (oldest due for %s), %d held\n", backlog.Pending,
			backlog.OldestPendingAge.Round(time.Second), backlog.Held)
		fmt.Fprintf(opts.IO.Out, "webhooks since %s:\n", since.Format(time.RFC3339))
	}
	t := &Table{Header: []string{"WEBHOOK", "STATE", "ATTEMPTS", "SUCCESS", "P50_MS", "P95_MS", "PENDING", "URL"}}
	for _, h := range hooks {
		rate := "-"
		if h.SuccessRate != nil {
			rate = strconv.FormatFloat(*h.SuccessRate*100, 'f', 1, 64) + "%"
		}
		t.AddRow(h.WebhookID, h.State, strconv.FormatInt(h.Attempts, 10), rate,
			strconv.FormatFloat(h.P50MS, 'f', 0, 64), strconv.FormatFloat(h.P95MS, 'f', 0, 64),
			strconv.FormatInt(h.Pending, 10), h.URL)
	}
	return t.render(opts.IO.Out, opts.IO.IsTerminal)
}

// queueSizes asks Redis for the delivery queue's sizes. A Redis that is down
// is an error: status is the operator's view, and a silent zero would lie.
func (f *Factory) queueSizes(context.Context) ([]queueSize, error) {
	cfg, err := f.Config()
	if err != nil {
		return nil, err
	}
	opt, err := redisOpt(cfg)
	if err != nil {
		return nil, err
	}
	in := asynq.NewInspector(opt)
	defer in.Close()
	names, err := in.Queues()
	if err != nil {
		return nil, relaybook.Errorf(relaybook.EUNAVAILABLE, "redis unavailable: %v", err)
	}
	if !slices.Contains(names, queue.DefaultQueue) {
		// Asynq creates a queue with its first task.
		return []queueSize{{Queue: queue.DefaultQueue}}, nil
	}
	info, err := in.GetQueueInfo(queue.DefaultQueue)
	if err != nil {
		return nil, relaybook.Errorf(relaybook.EUNAVAILABLE, "redis unavailable: %v", err)
	}
	return []queueSize{{Queue: info.Queue, Pending: info.Pending, Active: info.Active,
		Scheduled: info.Scheduled, Retry: info.Retry, Archived: info.Archived}}, nil
}
