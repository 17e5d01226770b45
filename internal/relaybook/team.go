package relaybook

import (
	"context"
	"net/mail"
	"strings"
)

// Team owns books, members, API keys and webhooks.
type Team struct {
	ID        string `json:"id" db:"id"`
	Name      string `json:"name" db:"name"`
	CreatedAt Time   `json:"created_at" db:"created_at"`
}

// Member roles. Only admins manage webhooks and read delivery logs.
const (
	RoleAdmin  = "admin"
	RoleMember = "member"
)

// CheckRole returns EINVALID naming the field unless role is RoleAdmin or
// RoleMember.
func CheckRole(role string) error {
	if role != RoleAdmin && role != RoleMember {
		return Invalid("role", "must be admin or member, got %q", role)
	}
	return nil
}

// Member is a user's membership of a team; it is also the data of the
// member.joined and member.removed events.
type Member struct {
	UserID   string `json:"user_id" db:"user_id"`
	TeamID   string `json:"team_id" db:"team_id"`
	Email    string `json:"email" db:"email"`
	Name     string `json:"name" db:"name"`
	Role     string `json:"role" db:"role"`
	JoinedAt Time   `json:"joined_at" db:"joined_at"`
}

// User is a person who can belong to teams; team-admin JWTs name one in
// their sub claim.
type User struct {
	ID        string `json:"id" db:"id"`
	Email     string `json:"email" db:"email"`
	Name      string `json:"name" db:"name"`
	CreatedAt Time   `json:"created_at" db:"created_at"`
}

// MemberInput is what adding a member takes. A user is found by email, or
// created when there is none.
type MemberInput struct {
	TeamID string
	Email  string
	Name   string
	Role   string
}

// Validate cleans and checks the input: the email trimmed and well formed,
// the name trimmed, the role admin or member (member when empty).
func (in *MemberInput) Validate() error {
	if err := CheckText("email", in.Email, MaxNameLength); err != nil {
		return err
	}
	email := strings.TrimSpace(in.Email)
	if email == "" {
		return Invalid("email", "is required")
	}
	if addr, err := mail.ParseAddress(email); err != nil || addr.Address != email {
		return Invalid("email", "%q is not an email address", email)
	}
	if err := CheckText("name", in.Name, MaxNameLength); err != nil {
		return err
	}
	if in.Role == "" {
		in.Role = RoleMember
	}
	if err := CheckRole(in.Role); err != nil {
		return err
	}
	in.Email, in.Name = email, strings.TrimSpace(in.Name)
	return nil
}

// TeamService manages teams.
type TeamService interface {
	CreateTeam(ctx context.Context, name string) (*Team, error)
	FindTeam(ctx context.Context, id string) (*Team, error)
	ListTeams(ctx context.Context) ([]*Team, error)
}

// MemberService manages team membership; adding and removing emit
// member.joined and member.removed.
type MemberService interface {
	AddMember(ctx context.Context, in MemberInput) (*Member, error)
	RemoveMember(ctx context.Context, teamID, userID string) (*Member, error)
	ListMembers(ctx context.Context, teamID string) ([]*Member, error)
	// FindMember returns ENOTFOUND when the user is not in the team.
	FindMember(ctx context.Context, teamID, userID string) (*Member, error)
	// FindUser returns a user whatever teams it belongs to, or ENOTFOUND.
	FindUser(ctx context.Context, id string) (*User, error)
}
