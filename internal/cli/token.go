package cli

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/spf13/cobra"

	"github.com/relaybook/relaybook/config"
	"github.com/relaybook/relaybook/internal/authtoken"
	"github.com/relaybook/relaybook/internal/relaybook"
)

type tokenOptions struct {
	printer
	Config  func() (*config.Config, error)
	Members func(context.Context) (relaybook.MemberService, error)
	UserID  string
	TTL     time.Duration
}

// mintedToken is what `token -o json` prints.
type mintedToken struct {
	Token     string         `json:"token"`
	UserID    string         `json:"user_id"`
	ExpiresAt relaybook.Time `json:"expires_at"`
}

func newCmdToken(f *Factory, runF func(*tokenOptions) error) *cobra.Command {
	opts := &tokenOptions{Config: f.Config, Members: f.Members}
	cmd := &cobra.Command{
		Use:   "token --user USER [--ttl 1h]",
		Short: "Mint a team-admin JWT for the team API",
		Long: `Mint a JWT for the team API (/api/teams/{team_id}/…): HS256, signed with
auth.jwt_secret, sub = the user's id, exp = now + --ttl. The user must exist;
the API lets the token manage a team's webhooks only if the user is an admin
of that team (relaybook members add --role admin). A negative --ttl mints a
token that has already expired, which is handy for tests.

Prints the token alone on stdout. With -o json:
{"token", "user_id", "expires_at"}.`,
		Example: `  TOKEN=$(relaybook token --user $ADMIN)
  curl -H "Authorization: Bearer $TOKEN" localhost:8080/api/teams/$TEAM/webhooks`,
		Args: requireArgs(),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := requireFlags(cmd, "user"); err != nil {
				return err
			}
			if _, err := uuid.Parse(opts.UserID); err != nil || len(opts.UserID) != 36 {
				return usagef("%s: --user must be a user id (a UUID, as members add prints it), got %q", cmd.CommandPath(), opts.UserID)
			}
			opts.printer = f.printer()
			return run(cmd.Context(), opts, runF, tokenRun)
		},
	}
	cmd.Flags().StringVar(&opts.UserID, "user", "", "the user id the token stands for (required)")
	cmd.Flags().DurationVar(&opts.TTL, "ttl", time.Hour, "how long the token is valid, like 30m or 24h; negative for an expired token")
	return cmd
}

func tokenRun(ctx context.Context, opts *tokenOptions) error {
	cfg, err := requireSetting(opts.Config, "auth.jwt_secret")
	if err != nil {
		return err
	}
	members, err := opts.Members(ctx)
	if err != nil {
		return err
	}
	if _, err := members.FindUser(ctx, opts.UserID); err != nil {
		return err
	}
	now := time.Now()
	token, err := authtoken.Mint([]byte(cfg.Auth.JWTSecret), opts.UserID, opts.TTL, now)
	if err != nil {
		return err
	}
	// JWT expiry has second precision.
	minted := mintedToken{Token: token, UserID: opts.UserID, ExpiresAt: relaybook.NewTime(now.Add(opts.TTL).Truncate(time.Second))}
	if opts.json() {
		return opts.printJSON(minted)
	}
	_, err = opts.IO.Out.Write([]byte(token + "\n"))
	return err
}
