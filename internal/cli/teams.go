package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/relaybook/relaybook/internal/postgres"
	"github.com/relaybook/relaybook/internal/relaybook"
)

func newCmdTeams(f *Factory) *cobra.Command {
	return newNounCmd("teams", "Create and list teams",
		newCmdTeamsCreate(f),
		newCmdTeamsList(f),
	)
}

type teamsCreateOptions struct {
	f    *Factory
	Name string
}

func newCmdTeamsCreate(f *Factory) *cobra.Command {
	opts := &teamsCreateOptions{f: f}
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
			return teamsCreateRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Name, "name", "", "the team's name (required)")
	return cmd
}

func teamsCreateRun(ctx context.Context, opts *teamsCreateOptions) error {
	return printOne(ctx, opts.f, postgres.NewTeamService, func(s *postgres.TeamService) (*relaybook.Team, error) {
		return s.CreateTeam(ctx, opts.Name)
	}, teamLines)
}

func newCmdTeamsList(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List every team, oldest first",
		Long:  `List every team, oldest first. With -o json it prints an array of teams.`,
		Args:  requireArgs(),
		RunE: func(cmd *cobra.Command, args []string) error {
			return teamsListRun(cmd.Context(), f)
		},
	}
}

func teamsListRun(ctx context.Context, f *Factory) error {
	return printList(ctx, f, postgres.NewTeamService, func(s *postgres.TeamService) ([]*relaybook.Team, error) {
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
