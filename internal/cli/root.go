// Package cli is the relaybook command line: the serve and worker processes
// and the admin nouns that operators script. Commands reach the database and
// Redis only through the Factory, so help and usage errors work anywhere.
package cli

import (
	"context"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/relaybook/relaybook/config"
)

// Version is set at build time with -ldflags "-X ...cli.Version=…"; when
// it is not, version() asks the build info.
var Version = ""

// Main runs the command line and returns the exit code.
func Main() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return Run(ctx, os.Args[1:], System())
}

// Run runs one command line with the given streams; tests call it directly.
func Run(ctx context.Context, args []string, io *IOStreams) int {
	f := NewFactory(io)
	defer f.Close()
	newLogger(io.ErrOut, config.Log{}) // routes the Redis driver's own chatter to debug level
	root := NewCmdRoot(f)
	root.SetArgs(args)
	root.SetIn(io.In)
	root.SetOut(io.Out)
	root.SetErr(io.ErrOut)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	if strings.HasPrefix(err.Error(), "unknown command") || strings.HasPrefix(err.Error(), "unknown flag") {
		err = &usageError{err}
	}
	printError(io.ErrOut, err)
	return exitCode(err)
}

// NewCmdRoot builds the whole command tree.
func NewCmdRoot(f *Factory) *cobra.Command {
	root := &cobra.Command{
		Use:   "relaybook",
		Short: "RelayBook: the contacts API and the webhook relay that never loses an event",
		Long: `RelayBook serves the contacts REST API, relays every change to your webhooks
(signed, retried, logged) and gives admins a command line to script.

Processes:   relaybook serve | relaybook worker | relaybook migrate
Admin nouns: teams, members, books, keys, webhooks, deliveries, events, token
Retention:   relaybook prune
Operators:   relaybook status; relaybook help environment

Every command prints a table (tab-separated when piped) or, with -o json,
exactly one JSON document.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       version(),
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			if f.Output != "table" && f.Output != "json" {
				return usagef("-o must be table or json, got %q", f.Output)
			}
			return nil
		},
	}
	root.PersistentFlags().StringVar(&f.ConfigFile, "config", "", "configuration file (default: $RELAYBOOK_CONFIG, ./relaybook.yaml, then /etc/relaybook/relaybook.yaml)")
	root.PersistentFlags().StringVarP(&f.Output, "output", "o", "table", "output format: table or json")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err} })
	root.SetHelpCommand(newCmdHelp())

	root.AddCommand(
		newCmdServe(f, nil),
		newCmdWorker(f, nil),
		newCmdMigrate(f, nil),
		newCmdInit(f, nil),
		newCmdTeams(f),
		newCmdMembers(f),
		newCmdBooks(f),
		newCmdKeys(f),
		newCmdWebhooks(f),
		newCmdDeliveries(f),
		newCmdEvents(f),
		newCmdPrune(f, nil),
		newCmdToken(f, nil),
		newCmdListen(f, nil),
		newCmdVersion(f, nil),
		newCmdStatus(f, nil),
		newCmdPreflight(f, nil),
	)
	return root
}

// requireArgs is cobra.ExactArgs with a usage error (exit 2) that names what
// is missing.
func requireArgs(names ...string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) == len(names) {
			return nil
		}
		if len(names) == 0 {
			return usagef("%s takes no arguments, got %q", cmd.Name(), strings.Join(args, " "))
		}
		if len(args) < len(names) {
			return usagef("missing %s (usage: %s)", strings.Join(names[len(args):], " "), cmd.UseLine())
		}
		return usagef("too many arguments: %q (usage: %s)", strings.Join(args[len(names):], " "), cmd.UseLine())
	}
}

// requireFlags returns a usage error naming the first empty required flag.
func requireFlags(cmd *cobra.Command, names ...string) error {
	for _, n := range names {
		fl := cmd.Flags().Lookup(n)
		if fl == nil || fl.Value.String() == "" {
			return usagef("--%s is required (see %s --help)", n, cmd.CommandPath())
		}
	}
	return nil
}
