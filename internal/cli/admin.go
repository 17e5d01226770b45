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
