package cli

import (
	"fmt"
	"runtime/debug"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/relaybook/relaybook/config"
)

// newCmdHelp replaces cobra's help command, which answers an unknown topic
// with exit 0, and adds the `environment` topic.
func newCmdHelp() *cobra.Command {
	return &cobra.Command{
		Use:   "help [command | environment]",
		Short: "Help about any command; `help environment` lists the RELAYBOOK_* variables",
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) == 1 && args[0] == "environment" {
				return printEnvironment(c)
			}
			cmd, rest, err := c.Root().Find(args)
			if cmd == nil || err != nil || len(rest) > 0 {
				return usagef("unknown help topic %q; see relaybook help, or relaybook help environment", strings.Join(args, " "))
			}
			cmd.InitDefaultHelpFlag()
			cmd.InitDefaultVersionFlag()
			return cmd.Help()
		},
	}
}

// printEnvironment lists every variable from config's key table, so a new
// key shows up here without anyone editing this command.
func printEnvironment(c *cobra.Command) error {
	w := c.OutOrStdout()
	fmt.Fprint(w, `Every configuration key can be set in the environment; the environment
overrides relaybook.yaml, and a command-line flag overrides both.

`)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "VARIABLE\tKEY\tDEFAULT\tWHAT")
	for _, v := range config.EnvVars() {
		key, def := v.Key, v.Default
		if key == "" {
			key = "-"
		}
		if def == "" {
			def = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", v.Name, key, def, v.Help)
	}
	return tw.Flush()
}

// version is the -ldflags version when the build set one (make build),
// else the module version or VCS revision Go recorded in the binary, so a
// plain `go build` or `go install` still says what it is.
func version() string {
	if Version != "" {
		return Version
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev, dirty string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "-dirty"
			}
		}
	}
	if rev != "" {
		return "devel-" + rev[:min(len(rev), 12)] + dirty
	}
	return "devel"
}
