package postgres

import (
	"context"
	"database/sql"
	"errors"

	"github.com/lib/pq"

	"github.com/relaybook/relaybook/internal/relaybook"
)

// WebhookService implements relaybook.WebhookService. Secrets are sealed
// with db.Cipher, bound to the webhook id so a ciphertext copied onto another
// row does not open.
type WebhookService struct{ db *DB }

// NewWebhookService returns a WebhookService on db.
func NewWebhookService(db *DB) *WebhookService { return &WebhookService{db: db} }

var _ relaybook.WebhookService = (*WebhookService)(nil)

const webhookColumns = `id, team_id, url, events, active, disabled_reason, disabled_at, created_by, created_at, updated_at`

type webhookRow struct {
	relaybook.Webhook
	EventsArray pq.StringArray `db:"events"`
}

func (r *webhookRow) webhook() *relaybook.Webhook {
	w := r.Webhook
	w.Events = []string(r.EventsArray)
	return &w
}

func (s *WebhookService) cipher() (Cipher, error) {
	if s.db.Cipher == nil {
		return nil, errors.New("webhook secrets need security.encryption_key")
	}
	return s.db.Cipher, nil
}

// CreateWebhook validates and creates a webhook with a fresh signing secret,
// returned once.
func (s *WebhookService) CreateWebhook(ctx context.Context, in relaybook.WebhookInput) (*relaybook.CreatedWebhook, error) {
	if err := in.Validate(s.db.URLPolicy); err != nil {
		return nil, err
	}
	var createdBy *string
	if in.CreatedBy != "" {
		createdBy = &in.CreatedBy
	}
	now := relaybook.Now()
	w := &relaybook.Webhook{ID: newID(), TeamID: in.TeamID, URL: in.URL, Events: in.Events, Active: true,
		CreatedBy: createdBy, CreatedAt: now, UpdatedAt: now}
	_, secret, sealed, err := s.newSealedSecret(w.ID)
	if err != nil {
		return nil, err
	}
	err = s.db.inTx(ctx, func(tx *Tx) error {
		t, err := findTeam(ctx, tx, in.TeamID)
		if err != nil {
			return err
		}
		w.TeamID = t.ID // canonical, whatever case the caller used
		_, err = tx.ExecContext(ctx, `INSERT INTO webhooks (id, team_id, url, events, active, secret_ciphertext, created_by, created_at, updated_at)
			VALUES ($1, $2, $3, $4, true, $5, $6, $7, $7)`, w.ID, w.TeamID, w.URL, pq.StringArray(w.Events), sealed, createdBy, now)
		var pqErr *pq.Error
		if errors.As(err, &pqErr) && pqErr.Code == "23503" { // foreign key: the team was checked, so the user
			return relaybook.Invalid("created_by", "no user %q", in.CreatedBy)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &relaybook.CreatedWebhook{Webhook: w, Secret: secret}, nil
}

// FindWebhook returns a team's webhook; another team's is ENOTFOUND.
func (s *WebhookService) FindWebhook(ctx context.Context, teamID, id string) (*relaybook.Webhook, error) {
	return findWebhook(ctx, s.db.db, teamID, id, false)
}

// findWebhook reads a webhook of the team (relaybook.AnyTeam: of any team).
func findWebhook(ctx context.Context, q queryer, teamID, id string, forUpdate bool) (*relaybook.Webhook, error) {
	if !validID(id) {
		return nil, relaybook.NotFound("webhook", id)
	}
	canonicalTeam, ok := relaybook.CanonicalID(teamID)
	if teamID != relaybook.AnyTeam && !ok {
		return nil, relaybook.NotFound("webhook", id)
	}
	query := `SELECT ` + webhookColumns + ` FROM webhooks WHERE id = $1`
	if forUpdate {
		query += ` FOR UPDATE`
	}
	var row webhookRow
	err := q.GetContext(ctx, &row, query, id)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && teamID != relaybook.AnyTeam && row.TeamID != canonicalTeam) {
		return nil, relaybook.NotFound("webhook", id)
	}
	if err != nil {
		return nil, mapError(err)
	}
	return row.webhook(), nil
}

// ListWebhooks lists a team's webhooks, oldest first.
func (s *WebhookService) ListWebhooks(ctx context.Context, teamID string) ([]*relaybook.Webhook, error) {
	if _, err := findTeam(ctx, s.db.db, teamID); err != nil {
		return nil, err
	}
	var rows []webhookRow
	if err := s.db.db.SelectContext(ctx, &rows, `SELECT `+webhookColumns+` FROM webhooks WHERE team_id = $1 ORDER BY created_at, id`, teamID); err != nil {
		return nil, mapError(err)
	}
	out := make([]*relaybook.Webhook, len(rows))
	for i := range rows {
		out[i] = rows[i].webhook()
	}
	return out, nil
}

// UpdateWebhook changes the fields set in p. Pausing (active false) marks
// the webhook paused; resuming clears that and, in the same transaction,
// turns its held deliveries pending (see resumeHeld).
func (s *WebhookService) UpdateWebhook(ctx context.Context, teamID, id string, p relaybook.WebhookPatch) (*relaybook.Webhook, error) {
	if err := p.Validate(s.db.URLPolicy); err != nil {
		return nil, err
	}
	var w *relaybook.Webhook
	err := s.db.inTx(ctx, func(tx *Tx) error {
		var err error
		w, err = findWebhook(ctx, tx, teamID, id, true)
		if err != nil {
			return err
		}
		if p.URL != nil {
			w.URL = *p.URL
		}
		if p.Events != nil {
			w.Events = *p.Events
		}
		now := relaybook.Now()
		resuming := p.Active != nil && *p.Active && !w.Active
		if p.Active != nil && *p.Active != w.Active {
			w.Active = *p.Active
			w.DisabledReason, w.DisabledAt = nil, nil
			if !w.Active {
				reason := relaybook.WebhookPaused
				w.DisabledReason, w.DisabledAt = &reason, &now
			}
		}
		w.UpdatedAt = now
		// Resuming also forgets the failure streak: the webhook starts
		// with a clean slate, or it would be disabled again by its first
		// failure.
		_, err = tx.ExecContext(ctx, `UPDATE webhooks SET url = $2, events = $3, active = $4, disabled_reason = $5, disabled_at = $6, updated_at = $7,
				failure_streak = CASE WHEN $8 THEN 0 ELSE failure_streak END,
				failing_since = CASE WHEN $8 THEN NULL ELSE failing_since END
			WHERE id = $1`,
			w.ID, w.URL, pq.StringArray(w.Events), w.Active, w.DisabledReason, w.DisabledAt, w.UpdatedAt, resuming)
		if err != nil || !resuming {
			return err
		}
		return tx.resumeHeld(ctx, w.ID, now.Time)
	})
	if err != nil {
		return nil, err
	}
	return w, nil
}

// DeleteWebhook deletes a webhook with its deliveries and their log.
func (s *WebhookService) DeleteWebhook(ctx context.Context, teamID, id string) (*relaybook.Webhook, error) {
	var w *relaybook.Webhook
	err := s.db.inTx(ctx, func(tx *Tx) error {
		var err error
		if w, err = findWebhook(ctx, tx, teamID, id, true); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM webhooks WHERE id = $1`, w.ID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return w, nil
}
