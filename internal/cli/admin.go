package cli

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/relaybook/relaybook/internal/postgres"
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

// service opens the database through the factory and builds one of the
// postgres services on it, e.g. service(ctx, f, postgres.NewTeamService).
func service[S any](ctx context.Context, f *Factory, newService func(*postgres.DB) S) (S, error) {
	db, err := f.DB(ctx)
	if err != nil {
		var zero S
		return zero, err
	}
	return newService(db), nil
}

// printOne opens a service, makes one call and prints the object it returns:
// the JSON document with -o json, the "key: value" lines otherwise.
func printOne[S, T any](ctx context.Context, f *Factory, newService func(*postgres.DB) S, call func(S) (T, error), lines func(T) [][2]string) error {
	svc, err := service(ctx, f, newService)
	if err != nil {
		return err
	}
	v, err := call(svc)
	if err != nil {
		return err
	}
	return f.PrintSummary(v, lines(v))
}

// printList opens a service, makes one call and prints the list it returns:
// a JSON array with -o json, a table otherwise.
func printList[S, T any](ctx context.Context, f *Factory, newService func(*postgres.DB) S, call func(S) ([]T, error), header []string, row func(T) []string) error {
	svc, err := service(ctx, f, newService)
	if err != nil {
		return err
	}
	list, err := call(svc)
	if err != nil {
		return err
	}
	return f.Print(list, func() *Table {
		t := &Table{Header: header}
		for _, v := range list {
			t.AddRow(row(v)...)
		}
		return t
	})
}

// idOptions serve the verbs that take one id and no flags (books delete,
// keys revoke, webhooks show|delete, deliveries show|redeliver).
type idOptions struct {
	f  *Factory
	ID string
}

// newIDCmd builds such a verb; use is like "delete ID".
func newIDCmd(f *Factory, use, short, long string, run func(context.Context, *idOptions) error) *cobra.Command {
	opts := &idOptions{f: f}
	return &cobra.Command{
		Use:   use,
		Short: short,
		Long:  long,
		Args:  requireArgs("ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ID = args[0]
			return run(cmd.Context(), opts)
		},
	}
}

// teamOptions serve the verbs whose only flag is --team (the list verbs).
type teamOptions struct {
	f      *Factory
	TeamID string
}

// newTeamCmd builds such a verb; use is like "list --team TEAM".
func newTeamCmd(f *Factory, use, short, long string, run func(context.Context, *teamOptions) error) *cobra.Command {
	opts := &teamOptions{f: f}
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Long:  long,
		Args:  requireArgs(),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := requireFlags(cmd, "team"); err != nil {
				return err
			}
			return run(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.TeamID, "team", "", "team id (required)")
	return cmd
}

// requireSetting loads the configuration and checks that keys without a
// default are set: a usage/config error (exit 2) naming the key otherwise.
func requireSetting(f *Factory, keys ...string) error {
	cfg, err := f.Config()
	if err != nil {
		return err
	}
	return cfg.Require(keys...)
}

// showOnce tells a person at the table output that a secret it just printed
// cannot be printed again. JSON output stays one document on stdout and
// quiet on stderr: scripts capture the secret themselves.
func showOnce(f *Factory, what string) {
	if f.Output != "json" {
		fmt.Fprintf(f.IO.ErrOut, "The %s is shown once, now: store it somewhere safe. RelayBook cannot show it again.\n", what)
	}
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
