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
	teams, err := service(ctx, opts.f, postgres.NewTeamService)
	if err != nil {
		return err
	}
	t, err := teams.CreateTeam(ctx, opts.Name)
	if err != nil {
		return err
	}
	return opts.f.PrintSummary(t, teamLines(t))
}

type teamsListOptions struct {
	f *Factory
}

func newCmdTeamsList(f *Factory) *cobra.Command {
	opts := &teamsListOptions{f: f}
	return &cobra.Command{
		Use:   "list",
		Short: "List every team, oldest first",
		Long:  `List every team, oldest first. With -o json it prints an array of teams.`,
		Args:  requireArgs(),
		RunE: func(cmd *cobra.Command, args []string) error {
			return teamsListRun(cmd.Context(), opts)
		},
	}
}

func teamsListRun(ctx context.Context, opts *teamsListOptions) error {
	teams, err := service(ctx, opts.f, postgres.NewTeamService)
	if err != nil {
		return err
	}
	list, err := teams.ListTeams(ctx)
	if err != nil {
		return err
	}
	return opts.f.Print(list, func() *Table {
		t := &Table{Header: []string{"ID", "NAME", "CREATED"}}
		for _, team := range list {
			t.AddRow(team.ID, team.Name, team.CreatedAt.String())
		}
		return t
	})
}

func teamLines(t *relaybook.Team) [][2]string {
	return [][2]string{
		{"id", t.ID},
		{"name", t.Name},
		{"created_at", t.CreatedAt.String()},
	}
}
