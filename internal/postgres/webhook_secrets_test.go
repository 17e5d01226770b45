package postgres_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/relaybook/relaybook/internal/postgres"
	"github.com/relaybook/relaybook/internal/relaybook"
)

// A rotation seals both secrets under the stored id, whatever case the
// caller wrote it in, so the worker opens them: the new one as Secret, the
// old one as PreviousSecret until the grace ends, then neither the old one
// nor its ciphertext remain.
func TestRotateSecretLoadsBothSecrets(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	hooks := postgres.NewWebhookService(f.db)
	id := f.webhook.Webhook.ID

	rotated, err := hooks.RotateSecret(ctx, relaybook.AnyTeam, strings.ToUpper(id), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if rotated.Webhook.ID != id || rotated.Secret == f.webhook.Secret {
		t.Fatalf("rotated webhook %s (secret changed: %v)", rotated.Webhook.ID, rotated.Secret != f.webhook.Secret)
	}
	load := func() *relaybook.DeliveryJob {
		t.Helper()
		task := f.delivery(t)
		jobs, err := f.db.LoadDeliveryJobs(ctx, []string{task.DeliveryID})
		if err != nil {
			t.Fatal(err)
		}
		return jobs[task.DeliveryID]
	}
	if j := load(); j.Secret != rotated.Secret || j.PreviousSecret != f.webhook.Secret {
		t.Errorf("during the grace: secret is the new one %v, previous is the old one %v", j.Secret == rotated.Secret, j.PreviousSecret == f.webhook.Secret)
	}

	// Past its grace the old secret no longer signs, and loading erases it.
	if _, err := f.db.SQL().Exec(`UPDATE webhooks SET previous_secret_expires_at = now() - interval '1 second' WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	if j := load(); j.Secret != rotated.Secret || j.PreviousSecret != "" {
		t.Errorf("after the grace: secret is the new one %v, previous secret set %v", j.Secret == rotated.Secret, j.PreviousSecret != "")
	}
	var left int
	if err := f.db.SQL().Get(&left, `SELECT count(*) FROM webhooks WHERE previous_secret_ciphertext IS NOT NULL`); err != nil || left != 0 {
		t.Errorf("%d previous secrets left after the grace (%v)", left, err)
	}

	// A team route finds only its own team's webhooks.
	other, err := postgres.NewTeamService(f.db).CreateTeam(ctx, "Other")
	if err != nil {
		t.Fatal(err)
	}
	var rbErr *relaybook.Error
	if _, err := hooks.RotateSecret(ctx, other.ID, id, 0); !errors.As(err, &rbErr) || rbErr.Code != relaybook.ENOTFOUND {
		t.Errorf("another team's rotation: error = %v, want ENOTFOUND", err)
	}
	if _, err := hooks.RotateSecret(ctx, f.team.ID, id, -time.Second); !errors.As(err, &rbErr) || rbErr.Code != relaybook.EINVALID {
		t.Errorf("negative grace: error = %v, want EINVALID", err)
	}
}
