package cli

import (
	"context"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/relaybook/relaybook/config"
	"github.com/relaybook/relaybook/internal/relaybook"
)

// Helpers shared by the admin nouns (teams, members, books, keys, webhooks,
// deliveries, token).

// newNounCmd builds a noun such as `relaybook keys`: it runs nothing itself,
// shows its help when called alone, and treats an unknown verb as a usage
// error (cobra would otherwise print the help and exit 0, which hides typos
// in scripts).
func newNounCmd(use, short string, verbs ...*cobra.Command) *cobra.Command {
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usagef("unknown command %q for %q", args[0], cmd.CommandPath())
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	cmd.AddCommand(verbs...)
	return cmd
}

// run calls runF when a test gave one, the command's run function
// otherwise: flags are parsed and checked by then, so a test sees the
// Options a command line produces without any service behind them.
func run[O any](ctx context.Context, opts O, runF func(O) error, runX func(context.Context, O) error) error {
	if runF != nil {
		return runF(opts)
	}
	return runX(ctx, opts)
}

// printOne gets a service, makes one call and prints the object it returns:
// the JSON document with -o json, the "key: value" lines otherwise.
func printOne[S, T any](ctx context.Context, p printer, get func(context.Context) (S, error), call func(S) (T, error), lines func(T) [][2]string) error {
	svc, err := get(ctx)
	if err != nil {
		return err
	}
	v, err := call(svc)
	if err != nil {
		return err
	}
	return p.printSummary(v, lines(v))
}

// printList gets a service, makes one call and prints the list it returns:
// a JSON array with -o json, a table otherwise.
func printList[S, T any](ctx context.Context, p printer, get func(context.Context) (S, error), call func(S) ([]T, error), header []string, row func(T) []string) error {
	svc, err := get(ctx)
	if err != nil {
		return err
	}
	list, err := call(svc)
	if err != nil {
		return err
	}
	return p.print(list, func() *Table {
		t := &Table{Header: header}
		for _, v := range list {
			t.AddRow(row(v)...)
		}
		return t
	})
}

// idOptions serve the verbs that take one id and no flags (books delete,
// keys revoke, webhooks show|delete, deliveries show|redeliver); S is the
// service the verb calls.
type idOptions[S any] struct {
	printer
	Service func(context.Context) (S, error)
	ID      string
}

// newIDCmd builds such a verb; use is like "delete ID".
func newIDCmd[S any](f *Factory, service func(context.Context) (S, error), use, short, long string,
	runF func(*idOptions[S]) error, runX func(context.Context, *idOptions[S]) error) *cobra.Command {
	opts := &idOptions[S]{Service: service}
	return &cobra.Command{
		Use:   use,
		Short: short,
		Long:  long,
		Args:  requireArgs("ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.printer = f.printer()
			opts.ID = args[0]
			return run(cmd.Context(), opts, runF, runX)
		},
	}
}

// teamOptions serve the verbs whose only flag is --team (the list verbs).
type teamOptions[S any] struct {
	printer
	Service func(context.Context) (S, error)
	TeamID  string
}

// newTeamCmd builds such a verb; use is like "list --team TEAM".
func newTeamCmd[S any](f *Factory, service func(context.Context) (S, error), use, short, long string,
	runF func(*teamOptions[S]) error, runX func(context.Context, *teamOptions[S]) error) *cobra.Command {
	opts := &teamOptions[S]{Service: service}
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Long:  long,
		Args:  requireArgs(),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := requireFlags(cmd, "team"); err != nil {
				return err
			}
			opts.printer = f.printer()
			return run(cmd.Context(), opts, runF, runX)
		},
	}
	cmd.Flags().StringVar(&opts.TeamID, "team", "", "team id (required)")
	return cmd
}

// requireSetting loads the configuration and checks that keys without a
// default are set: a usage/config error (exit 2) naming the key otherwise.
func requireSetting(getConfig func() (*config.Config, error), keys ...string) (*config.Config, error) {
	cfg, err := getConfig()
	if err != nil {
		return nil, err
	}
	if err := cfg.Require(keys...); err != nil {
		return nil, err
	}
	return cfg, nil
}

// splitList parses a comma-separated flag value ("a, b,c"), dropping empty
// items so that validation reports a list with nothing in it.
func splitList(s string) []string {
	items := []string{}
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			items = append(items, item)
		}
	}
	return items
}

// optTime shows a time that may be unset.
func optTime(t *relaybook.Time) string {
	if t == nil {
		return "-"
	}
	return t.String()
}

// optString shows a string that may be unset.
func optString(s *string) string {
	if s == nil {
		return "-"
	}
	return *s
}

// optInt shows a number that may be unset.
func optInt(n *int) string {
	if n == nil {
		return "-"
	}
	return strconv.Itoa(*n)
}
