package postgres

import (
	"context"
	"database/sql"
	"errors"

	"github.com/relaybook/relaybook/internal/relaybook"
)

// TeamService implements relaybook.TeamService.
type TeamService struct{ db *DB }

// NewTeamService returns a TeamService on db.
func NewTeamService(db *DB) *TeamService { return &TeamService{db: db} }

var _ relaybook.TeamService = (*TeamService)(nil)

// CreateTeam creates a team.
func (s *TeamService) CreateTeam(ctx context.Context, name string) (*relaybook.Team, error) {
	name, err := relaybook.CleanName("name", name)
	if err != nil {
		return nil, err
	}
	t := &relaybook.Team{ID: newID(), Name: name, CreatedAt: relaybook.Now()}
	_, err = s.db.db.ExecContext(ctx, `INSERT INTO teams (id, name, created_at) VALUES ($1, $2, $3)`, t.ID, t.Name, t.CreatedAt)
	if err != nil {
		return nil, mapError(err)
	}
	return t, nil
}

// FindTeam returns a team by id.
func (s *TeamService) FindTeam(ctx context.Context, id string) (*relaybook.Team, error) {
	return findTeam(ctx, s.db.db, id)
}

func findTeam(ctx context.Context, q queryer, id string) (*relaybook.Team, error) {
	if !validID(id) {
		return nil, relaybook.NotFound("team", id)
	}
	var t relaybook.Team
	err := q.GetContext(ctx, &t, `SELECT id, name, created_at FROM teams WHERE id = $1`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, relaybook.NotFound("team", id)
	}
	if err != nil {
		return nil, mapError(err)
	}
	return &t, nil
}

// ListTeams lists every team, oldest first.
func (s *TeamService) ListTeams(ctx context.Context) ([]*relaybook.Team, error) {
	teams := []*relaybook.Team{}
	err := s.db.db.SelectContext(ctx, &teams, `SELECT id, name, created_at FROM teams ORDER BY created_at, id`)
	return teams, mapError(err)
}
