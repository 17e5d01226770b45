package postgres

import (
	"context"
	"database/sql"
	"errors"

	"github.com/relaybook/relaybook/internal/relaybook"
)

// MemberService implements relaybook.MemberService.
type MemberService struct{ db *DB }

// NewMemberService returns a MemberService on db.
func NewMemberService(db *DB) *MemberService { return &MemberService{db: db} }

var _ relaybook.MemberService = (*MemberService)(nil)

const memberColumns = `m.user_id, m.team_id, u.email, u.name, m.role, m.joined_at`

// AddMember adds a user (found by email, created if new) to a team and
// emits member.joined.
func (s *MemberService) AddMember(ctx context.Context, in relaybook.MemberInput) (*relaybook.Member, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	email, role := in.Email, in.Role
	var m *relaybook.Member
	err := s.db.inTx(ctx, func(tx *Tx) error {
		t, err := findTeam(ctx, tx, in.TeamID)
		if err != nil {
			return err
		}
		in.TeamID = t.ID // canonical, whatever case the caller used
		now := relaybook.Now()
		// Find or create the user; a concurrent insert of the same email is
		// resolved by the unique index.
		var userID string
		err = tx.GetContext(ctx, &userID, `
			INSERT INTO users (id, email, name, created_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (lower(email)) DO UPDATE SET name = CASE WHEN users.name = '' THEN EXCLUDED.name ELSE users.name END
			RETURNING id`, newID(), email, in.Name, now)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `
			INSERT INTO team_members (team_id, user_id, role, joined_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT DO NOTHING`, in.TeamID, userID, role, now)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return &relaybook.Error{Code: relaybook.ECONFLICT, Field: "email", Message: email + " is already a member of this team"}
		}
		m, err = findMember(ctx, tx, in.TeamID, userID)
		if err != nil {
			return err
		}
		return tx.emitNew(ctx, relaybook.EventMemberJoined, in.TeamID, "", now, m)
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// RemoveMember removes a user from a team and emits member.removed.
func (s *MemberService) RemoveMember(ctx context.Context, teamID, userID string) (*relaybook.Member, error) {
	var m *relaybook.Member
	err := s.db.inTx(ctx, func(tx *Tx) error {
		var err error
		m, err = findMember(ctx, tx, teamID, userID)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM team_members WHERE team_id = $1 AND user_id = $2`, teamID, userID); err != nil {
			return err
		}
		return tx.emitNew(ctx, relaybook.EventMemberRemoved, teamID, "", relaybook.Now(), m)
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// ListMembers lists a team's members by join time.
func (s *MemberService) ListMembers(ctx context.Context, teamID string) ([]*relaybook.Member, error) {
	if _, err := findTeam(ctx, s.db.db, teamID); err != nil {
		return nil, err
	}
	members := []*relaybook.Member{}
	err := s.db.db.SelectContext(ctx, &members, `SELECT `+memberColumns+`
		FROM team_members m JOIN users u ON u.id = m.user_id
		WHERE m.team_id = $1 ORDER BY m.joined_at, u.email`, teamID)
	return members, mapError(err)
}

// FindMember returns one membership.
func (s *MemberService) FindMember(ctx context.Context, teamID, userID string) (*relaybook.Member, error) {
	return findMember(ctx, s.db.db, teamID, userID)
}

func findMember(ctx context.Context, q queryer, teamID, userID string) (*relaybook.Member, error) {
	if !validID(teamID) || !validID(userID) {
		return nil, relaybook.NotFound("member", userID)
	}
	var m relaybook.Member
	err := q.GetContext(ctx, &m, `SELECT `+memberColumns+`
		FROM team_members m JOIN users u ON u.id = m.user_id
		WHERE m.team_id = $1 AND m.user_id = $2`, teamID, userID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, relaybook.NotFound("member", userID)
	}
	if err != nil {
		return nil, mapError(err)
	}
	return &m, nil
}

// FindUser returns a user by id, whatever teams it belongs to: the token
// command checks it mints a JWT for someone who exists.
func (s *MemberService) FindUser(ctx context.Context, id string) (*relaybook.User, error) {
	if !validID(id) {
		return nil, relaybook.NotFound("user", id)
	}
	var u relaybook.User
	err := s.db.db.GetContext(ctx, &u, `SELECT id, email, name, created_at FROM users WHERE id = $1`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, relaybook.NotFound("user", id)
	}
	if err != nil {
		return nil, mapError(err)
	}
	return &u, nil
}
