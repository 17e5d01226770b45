package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/lib/pq"

	"github.com/relaybook/relaybook/internal/relaybook"
	"github.com/relaybook/relaybook/internal/signature"
)

// previousAAD binds a sealed previous secret to its webhook and to its
// column: swapped with the current secret's ciphertext, neither opens.
func previousAAD(webhookID string) []byte { return []byte(webhookID + "/previous") }

// newSealedSecret returns a fresh secret and its ciphertext for webhook id,
// with the cipher that sealed it.
func (s *WebhookService) newSealedSecret(id string) (c Cipher, secret string, sealed []byte, err error) {
	if c, err = s.cipher(); err != nil {
		return nil, "", nil, err
	}
	if secret, err = signature.NewSecret(); err != nil {
		return nil, "", nil, err
	}
	if sealed, err = c.Seal([]byte(secret), []byte(id)); err != nil {
		return nil, "", nil, fmt.Errorf("seal webhook secret: %w", err)
	}
	return c, secret, sealed, nil
}

// RotateSecret gives the webhook a new secret and keeps the current one as
// the previous secret until grace has passed (none when grace is 0). A
// rotation during another's grace drops the older previous secret: at most
// two secrets ever sign. teamID is relaybook.AnyTeam for the operator CLI.
func (s *WebhookService) RotateSecret(ctx context.Context, teamID, id string, grace time.Duration) (*relaybook.CreatedWebhook, error) {
	if err := relaybook.ValidateGrace("grace", grace); err != nil {
		return nil, err
	}
	var w *relaybook.Webhook
	var secret string
	err := s.db.inTx(ctx, func(tx *Tx) error {
		found, err := findWebhook(ctx, tx, teamID, id, true)
		if err != nil {
			return err
		}
		w = found
		// Sealed under the stored (canonical) id, whatever case the caller
		// used: the id is the ciphertext's associated data.
		c, fresh, sealed, err := s.newSealedSecret(w.ID)
		if err != nil {
			return err
		}
		secret = fresh
		var previous []byte
		var expires *time.Time
		if grace > 0 {
			var current []byte
			if err := tx.GetContext(ctx, &current, `SELECT secret_ciphertext FROM webhooks WHERE id = $1`, w.ID); err != nil {
				return mapError(err)
			}
			old, err := c.Open(current, []byte(w.ID))
			if err != nil {
				return fmt.Errorf("webhook %s secret: %w", w.ID, err)
			}
			if previous, err = c.Seal(old, previousAAD(w.ID)); err != nil {
				return fmt.Errorf("seal previous webhook secret: %w", err)
			}
			t := time.Now().Add(grace)
			expires = &t
		}
		w.UpdatedAt = relaybook.Now()
		_, err = tx.ExecContext(ctx, `UPDATE webhooks SET secret_ciphertext = $2, previous_secret_ciphertext = $3,
			previous_secret_expires_at = $4, updated_at = $5 WHERE id = $1`, w.ID, sealed, previous, expires, w.UpdatedAt)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &relaybook.CreatedWebhook{Webhook: w, Secret: secret}, nil
}

// EraseExpiredSecrets erases every previous secret whose grace ended before
// now and returns how many it erased. The worker's sweeper calls it, so an
// old secret is gone soon after its grace even for a webhook with no events.
func (db *DB) EraseExpiredSecrets(ctx context.Context, now time.Time) (int64, error) {
	res, err := db.db.ExecContext(ctx, `UPDATE webhooks SET previous_secret_ciphertext = NULL, previous_secret_expires_at = NULL
		WHERE previous_secret_expires_at <= $1`, now)
	if err != nil {
		return 0, mapError(err)
	}
	return res.RowsAffected()
}

// openPreviousSecrets decrypts the previous secrets of loaded jobs that are
// still in their grace. Expired ones are not used, and erased on the way
// (lazily, beside the sweeper's cleanup), so a delivery never signs with a
// secret past its grace even when the cleanup has not run yet.
func (db *DB) openPreviousSecrets(ctx context.Context, rows []*deliveryJobRow) error {
	now := time.Now()
	var expired []string
	for _, r := range rows {
		j := &r.DeliveryJob
		sealed, expires := r.PreviousSecretCiphertext, r.PreviousSecretExpiresAt
		r.PreviousSecretCiphertext, r.PreviousSecretExpiresAt = nil, sql.NullTime{}
		switch {
		case sealed == nil:
		case !expires.Time.After(now):
			expired = append(expired, j.WebhookID)
		default:
			old, err := db.Cipher.Open(sealed, previousAAD(j.WebhookID))
			if err != nil {
				return fmt.Errorf("webhook %s previous secret: %w", j.WebhookID, err)
			}
			j.PreviousSecret = string(old)
		}
	}
	if len(expired) > 0 {
		// Best effort: the secret is already unused, and the sweeper's
		// cleanup erases it if this fails.
		_, _ = db.db.ExecContext(ctx, `UPDATE webhooks SET previous_secret_ciphertext = NULL, previous_secret_expires_at = NULL
			WHERE id = ANY ($1::uuid[]) AND previous_secret_expires_at <= $2`, pq.Array(expired), now)
	}
	return nil
}
