package cli

import (
	"context"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/relaybook/relaybook/internal/delivery"
	"github.com/relaybook/relaybook/internal/relaybook"
)

// pruneResult is what `prune -o json` prints.
type pruneResult struct {
	relaybook.PruneCounts
	OlderThan relaybook.Time `json:"older_than"`
	DryRun    bool           `json:"dry_run"`
}

type pruneOptions struct {
	printer
	Pruner func(context.Context) (relaybook.Pruner, error)
	Cutoff func() (relaybook.Time, error)
	DryRun bool
}

func newCmdPrune(f *Factory, runF func(*pruneOptions) error) *cobra.Command {
	opts := &pruneOptions{Pruner: f.Pruner, Cutoff: f.retentionCutoff}
	cmd := &cobra.Command{
		Use:   "prune [--dry-run]",
		Short: "Delete delivery history older than retention.period now",
		Long: `Delete what retention.period (default 720h) no longer keeps, as the worker
does every few minutes: events older than it, with their deliveries and
attempts, and older attempts of finished deliveries. A pending or held
delivery is never pruned, nor its event. Rows go in small batches.

--dry-run deletes nothing and prints what would go.

With -o json it prints {"attempts", "deliveries", "events", "older_than", "dry_run"}.`,
		Args: requireArgs(),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.printer = f.printer()
			return run(cmd.Context(), opts, runF, pruneRun)
		},
	}
	cmd.Flags().BoolVar(&opts.DryRun, "dry-run", false, "count what would be deleted; delete nothing")
	return cmd
}

func pruneRun(ctx context.Context, opts *pruneOptions) error {
	cutoff, err := opts.Cutoff()
	if err != nil {
		return err
	}
	return printOne(ctx, opts.printer, opts.Pruner, func(p relaybook.Pruner) (pruneResult, error) {
		res := pruneResult{OlderThan: cutoff, DryRun: opts.DryRun}
		var err error
		if opts.DryRun {
			res.PruneCounts, err = p.CountPrunable(ctx, cutoff.Time)
		} else {
			res.PruneCounts, err = delivery.PruneBefore(ctx, p, cutoff.Time, delivery.DefaultPruneBatch, delivery.DefaultPrunePause)
		}
		return res, err
	}, func(r pruneResult) [][2]string {
		verb := "deleted"
		if r.DryRun {
			verb = "would delete"
		}
		return [][2]string{
			{"older_than", r.OlderThan.String()},
			{"events " + verb, strconv.FormatInt(r.Events, 10)},
			{"deliveries " + verb, strconv.FormatInt(r.Deliveries, 10)},
			{"attempts " + verb, strconv.FormatInt(r.Attempts, 10)},
		}
	})
}
