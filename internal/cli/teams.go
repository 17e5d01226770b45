package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/relaybook/relaybook/internal/relaybook"
)

func newCmdTeams(f *Factory) *cobra.Command {
	return newNounCmd("teams", "Create and list teams",
		newCmdTeamsCreate(f, nil),
		newCmdTeamsList(f, nil),
	)
}

type teamsCreateOptions struct {
	printer
	Teams func(context.Context) (relaybook.TeamService, error)
	Name  string
}

func newCmdTeamsCreate(f *Factory, runF func(*teamsCreateOptions) error) *cobra.Command {
	opts := &teamsCreateOptions{Teams: f.Teams}
	cmd := &cobra.Command{
		Use:   "create --name NAME",
		Short: "Create a team",
		Long: `Create a team. With -o json it prints the team:
{"id", "name", "created_at"}.`,
		Example: `  TEAM=$(relaybook teams create --name Acme -o json | jq -r .id)`,
		Args:    requireArgs(),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := requireFlags(cmd, "name"); err != nil {
				return err
			}
			opts.printer = f.printer()
			return run(cmd.Context(), opts, runF, teamsCreateRun)
		},
	}
	cmd.Flags().StringVar(&opts.Name, "name", "", "the team's name (required)")
	return cmd
}

func teamsCreateRun(ctx context.Context, opts *teamsCreateOptions) error {
	return printOne(ctx, opts.printer, opts.Teams, func(s relaybook.TeamService) (*relaybook.Team, error) {
		return s.CreateTeam(ctx, opts.Name)
	}, teamLines)
}

type teamsListOptions struct {
	printer
	Teams func(context.Context) (relaybook.TeamService, error)
}

func newCmdTeamsList(f *Factory, runF func(*teamsListOptions) error) *cobra.Command {
	opts := &teamsListOptions{Teams: f.Teams}
	return &cobra.Command{
		Use:   "list",
		Short: "List every team, oldest first",
		Long:  `List every team, oldest first. With -o json it prints an array of teams.`,
		Args:  requireArgs(),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.printer = f.printer()
			return run(cmd.Context(), opts, runF, teamsListRun)
		},
	}
}

func teamsListRun(ctx context.Context, opts *teamsListOptions) error {
	return printList(ctx, opts.printer, opts.Teams, func(s relaybook.TeamService) ([]*relaybook.Team, error) {
		return s.ListTeams(ctx)
	}, []string{"ID", "NAME", "CREATED"}, func(t *relaybook.Team) []string {
		return []string{t.ID, t.Name, t.CreatedAt.String()}
	})
}

func teamLines(t *relaybook.Team) [][2]string {
	return [][2]string{
		{"id", t.ID},
		{"name", t.Name},
		{"created_at", t.CreatedAt.String()},
	}
}
