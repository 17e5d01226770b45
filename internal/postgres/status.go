package postgres

import (
	"context"
	"time"

	"github.com/relaybook/relaybook/internal/relaybook"
)

// StatusService implements relaybook.StatusService: the backlog the worker's
// gauges show and the per-webhook health `relaybook status` prints.
type StatusService struct{ db *DB }

// NewStatusService returns a StatusService on db.
func NewStatusService(db *DB) *StatusService { return &StatusService{db: db} }

var _ relaybook.StatusService = (*StatusService)(nil)

// Backlog counts pending and held deliveries and the age of the oldest due
// one, for every team ("") or one. Each state is read through its partial
// index (deliveries_due_idx, deliveries_held_idx): the due index serves only
// queries that bound next_attempt_at (migration 00007), hence the clause.
// It runs every few seconds (the gauge refresher), never per scrape or per
// delivery.
func (s *StatusService) Backlog(ctx context.Context, teamID string) (relaybook.Backlog, error) {
	var row struct {
		Pending int64   `db:"pending"`
		Held    int64   `db:"held"`
		Oldest  float64 `db:"oldest"`
	}
	if teamID != "" && !validID(teamID) {
		return relaybook.Backlog{}, relaybook.Invalid("team", "must be a team id (a UUID)")
	}
	err := s.db.db.GetContext(ctx, &row, `
		WITH backlog AS (
			SELECT state, next_attempt_at, webhook_id FROM deliveries
			WHERE state = 'pending' AND next_attempt_at IS NOT NULL
			UNION ALL
			SELECT state, next_attempt_at, webhook_id FROM deliveries WHERE state = 'held'
		)
		SELECT count(*) FILTER (WHERE d.state = 'pending') AS pending,
		       count(*) FILTER (WHERE d.state = 'held') AS held,
		       COALESCE(EXTRACT(EPOCH FROM now() - min(d.next_attempt_at)
		           FILTER (WHERE d.state = 'pending' AND d.next_attempt_at <= now())), 0)::float8 AS oldest
		FROM backlog d
		WHERE $1 = '' OR d.webhook_id IN (SELECT id FROM webhooks WHERE team_id::text = $1)`, teamID)
	if err != nil {
		return relaybook.Backlog{}, mapError(err)
	}
	return relaybook.Backlog{
		Pending:          row.Pending,
		Held:             row.Held,
		OldestPendingAge: time.Duration(row.Oldest * float64(time.Second)),
	}, nil
}

// WebhookStatuses reports each webhook's attempts since f.Since: how many,
// how many succeeded, the receiver's p50/p95 time (duration_ms) and its
// state, most-failing first. A webhook is failing when it was disabled for
// failing or its latest attempt in the window failed, and paused when
// otherwise inactive.
func (s *StatusService) WebhookStatuses(ctx context.Context, f relaybook.StatusFilter) ([]relaybook.WebhookStatus, error) {
	if f.TeamID != "" && !validID(f.TeamID) {
		return nil, relaybook.Invalid("team", "must be a team id (a UUID)")
	}
	out := []relaybook.WebhookStatus{}
	err := s.db.db.SelectContext(ctx, &out, `
		WITH pending AS (
			-- next_attempt_at IS NOT NULL: through deliveries_due_idx (see Backlog).
			SELECT webhook_id, count(*) AS n FROM deliveries
			WHERE state = 'pending' AND next_attempt_at IS NOT NULL GROUP BY webhook_id
		)
		SELECT w.id AS webhook_id, w.team_id, w.url,
		       CASE WHEN w.disabled_reason = 'failing' THEN 'failing'
		            WHEN NOT w.active THEN 'paused'
		            WHEN a.last_failed THEN 'failing'
		            ELSE 'active' END AS state,
		       COALESCE(a.attempts, 0) AS attempts,
		       COALESCE(a.succeeded, 0) AS succeeded,
		       COALESCE(a.attempts - a.succeeded, 0) AS failed,
		       COALESCE(a.p50, 0) AS p50_ms,
		       COALESCE(a.p95, 0) AS p95_ms,
		       COALESCE(p.n, 0) AS pending
		FROM webhooks w
		LEFT JOIN LATERAL (
			SELECT count(*) AS attempts,
			       count(*) FILTER (WHERE da.success) AS succeeded,
			       percentile_cont(0.5) WITHIN GROUP (ORDER BY da.duration_ms) AS p50,
			       percentile_cont(0.95) WITHIN GROUP (ORDER BY da.duration_ms) AS p95,
			       NOT (array_agg(da.success ORDER BY da.created_at DESC))[1] AS last_failed
			FROM delivery_attempts da
			WHERE da.webhook_id = w.id AND da.created_at >= $2
		) a ON true
		LEFT JOIN pending p ON p.webhook_id = w.id
		WHERE ($1 = '' OR w.team_id::text = $1)
		ORDER BY COALESCE(a.attempts - a.succeeded, 0) DESC,
		         COALESCE(a.succeeded::float8 / NULLIF(a.attempts, 0), 1) ASC,
		         w.created_at, w.id`, f.TeamID, f.Since)
	if err != nil {
		return nil, mapError(err)
	}
	for i := range out {
		if out[i].Attempts > 0 {
			rate := float64(out[i].Succeeded) / float64(out[i].Attempts)
			out[i].SuccessRate = &rate
		}
	}
	return out, nil
}

// Connections reads PostgreSQL's connection budget, so `make run` can say
// before starting serve and worker that they will not fit.
func (s *StatusService) Connections(ctx context.Context) (relaybook.Connections, error) {
	var c relaybook.Connections
	err := s.db.db.GetContext(ctx, &c, `
		SELECT current_setting('max_connections')::int
		       - current_setting('superuser_reserved_connections')::int AS max,
		       (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')::int AS used`)
	return c, mapError(err)
}
