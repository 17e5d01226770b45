package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/relaybook/relaybook/internal/relaybook"
)

func newCmdMembers(f *Factory) *cobra.Command {
	return newNounCmd("members", "Add, remove and list team members",
		newCmdMembersAdd(f, nil),
		newCmdMembersRemove(f, nil),
		newCmdMembersList(f, nil),
	)
}

type membersAddOptions struct {
	printer
	Members func(context.Context) (relaybook.MemberService, error)
	TeamID  string
	Email   string
	Name    string
	Role    string
}

func newCmdMembersAdd(f *Factory, runF func(*membersAddOptions) error) *cobra.Command {
	opts := &membersAddOptions{Members: f.Members}
	cmd := &cobra.Command{
		Use:   "add --team TEAM --email EMAIL [--name NAME] [--role admin|member]",
		Short: "Add a user to a team (emits member.joined)",
		Long: `Add a user to a team. The user is found by email (case-insensitively) or
created. The team's webhooks get a member.joined event.

With -o json it prints the member:
{"user_id", "team_id", "email", "name", "role", "joined_at"}.`,
		Example: `  ADMIN=$(relaybook members add --team $TEAM --email admin@acme.test --role admin -o json | jq -r .user_id)`,
		Args:    requireArgs(),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := requireFlags(cmd, "team", "email"); err != nil {
				return err
			}
			// --role "" is the default role, as an absent role is to the
			// service.
			if opts.Role == "" {
				opts.Role = relaybook.RoleMember
			}
			if err := relaybook.CheckRole(opts.Role); err != nil {
				return err
			}
			opts.printer = f.printer()
			return run(cmd.Context(), opts, runF, membersAddRun)
		},
	}
	cmd.Flags().StringVar(&opts.TeamID, "team", "", "team id (required)")
	cmd.Flags().StringVar(&opts.Email, "email", "", "the user's email address (required)")
	cmd.Flags().StringVar(&opts.Name, "name", "", "the user's name, when the user is new")
	cmd.Flags().StringVar(&opts.Role, "role", relaybook.RoleMember, "admin or member; admins manage webhooks through the team API")
	return cmd
}

func membersAddRun(ctx context.Context, opts *membersAddOptions) error {
	return printOne(ctx, opts.printer, opts.Members, func(s relaybook.MemberService) (*relaybook.Member, error) {
		return s.AddMember(ctx, relaybook.MemberInput{TeamID: opts.TeamID, Email: opts.Email, Name: opts.Name, Role: opts.Role})
	}, memberLines)
}

type membersRemoveOptions struct {
	printer
	Members func(context.Context) (relaybook.MemberService, error)
	TeamID  string
	UserID  string
}

func newCmdMembersRemove(f *Factory, runF func(*membersRemoveOptions) error) *cobra.Command {
	opts := &membersRemoveOptions{Members: f.Members}
	cmd := &cobra.Command{
		Use:   "remove --team TEAM --user USER",
		Short: "Remove a user from a team (emits member.removed)",
		Long: `Remove a user from a team at once. The team's webhooks get a member.removed
event. With -o json it prints the member as it was before removal.`,
		Args: requireArgs(),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := requireFlags(cmd, "team", "user"); err != nil {
				return err
			}
			opts.printer = f.printer()
			return run(cmd.Context(), opts, runF, membersRemoveRun)
		},
	}
	cmd.Flags().StringVar(&opts.TeamID, "team", "", "team id (required)")
	cmd.Flags().StringVar(&opts.UserID, "user", "", "user id (required)")
	return cmd
}

func membersRemoveRun(ctx context.Context, opts *membersRemoveOptions) error {
	return printOne(ctx, opts.printer, opts.Members, func(s relaybook.MemberService) (*relaybook.Member, error) {
		return s.RemoveMember(ctx, opts.TeamID, opts.UserID)
	}, memberLines)
}

type membersListOptions = teamOptions[relaybook.MemberService]

func newCmdMembersList(f *Factory, runF func(*membersListOptions) error) *cobra.Command {
	return newTeamCmd(f, f.Members, "list --team TEAM", "List a team's members by join time",
		`List a team's members by join time. With -o json it prints an array of members.`,
		runF, membersListRun)
}

func membersListRun(ctx context.Context, opts *membersListOptions) error {
	return printList(ctx, opts.printer, opts.Service, func(s relaybook.MemberService) ([]*relaybook.Member, error) {
		return s.ListMembers(ctx, opts.TeamID)
	}, []string{"USER ID", "EMAIL", "NAME", "ROLE", "JOINED"}, func(m *relaybook.Member) []string {
		return []string{m.UserID, m.Email, m.Name, m.Role, m.JoinedAt.String()}
	})
}

func memberLines(m *relaybook.Member) [][2]string {
	return [][2]string{
		{"user_id", m.UserID},
		{"team_id", m.TeamID},
		{"email", m.Email},
		{"name", m.Name},
		{"role", m.Role},
		{"joined_at", m.JoinedAt.String()},
	}
}
