package delivery_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/relaybook/relaybook/internal/postgres"
	"github.com/relaybook/relaybook/internal/relaybook"
	"github.com/relaybook/relaybook/internal/signature"
	"github.com/relaybook/relaybook/internal/signature/standardtest"
	"github.com/relaybook/relaybook/internal/testenv"
)

// TestRotationGrace rotates a webhook's secret with a short grace: during
// it, a receiver holding either secret verifies every request (the Standard
// Webhooks library and the seed's snippet alike); after it, only the new
// secret does and the old one is gone from the database. Neither secret is
// in a pg_dump of the database.
func TestRotationGrace(t *testing.T) {
	lib := standardtest.New(t)
	e := newEnv(t)
	e.dispatch()
	rc := newReceiver(t, nil)
	hook := e.webhook(rc.URL, relaybook.EventContactCreated)
	e.startWorker(workerOpts{})
	b := e.book()
	ctx := context.Background()
	oldSecret := hook.Secret

	const grace = 5 * time.Second
	rotated, err := postgres.NewWebhookService(e.db).RotateSecret(ctx, e.team.ID, hook.Webhook.ID, grace)
	if err != nil {
		t.Fatal(err)
	}
	newSecret := rotated.Secret
	graceEnds := time.Now().Add(grace)
	if newSecret == oldSecret || !strings.HasPrefix(newSecret, signature.SecretPrefix) || rotated.Webhook.ID != hook.Webhook.ID {
		t.Fatalf("RotateSecret returned %+v with secret %.10s…", rotated.Webhook, newSecret)
	}

	e.createContact(b, "During1")
	e.createContact(b, "During2")
	during := rc.waitFor(t, 2, 10*time.Second)
	if time.Now().After(graceEnds) {
		t.Fatal("the deliveries took longer than the grace; the test proves nothing")
	}
	var lib2 []standardtest.Request
	for i, r := range during {
		for _, s := range []string{newSecret, oldSecret} {
			if err := signature.VerifyStandard(s, r.Header, r.Body, time.Now()); err != nil {
				t.Errorf("during the grace, request %d: VerifyStandard: %v", i+1, err)
			}
			lib2 = append(lib2, standardtest.Request{Secret: s, Header: r.Header, Body: r.Body})
		}
		if sigs := strings.Fields(r.Header.Get("webhook-signature")); len(sigs) != 2 {
			t.Errorf("during the grace, webhook-signature has %d entries, want 2", len(sigs))
		} else if want, _ := signature.SignStandard(newSecret, r.Header.Get("webhook-id"), unix(r.Header.Get("webhook-timestamp")), r.Body); sigs[0] != want {
			t.Error("the new secret's signature is not first")
		}
		if !verifySignature(r.Body, r.Header.Get("X-Relay-Signature"), newSecret) {
			t.Errorf("during the grace, request %d: X-Relay-Signature is not the new secret's", i+1)
		}
		if !verifySignature(r.Body, r.Header.Get("X-Relay-Signature-Previous"), oldSecret) {
			t.Errorf("during the grace, request %d: X-Relay-Signature-Previous is not the old secret's", i+1)
		}
	}
	for i, v := range lib.Verify(t, lib2) {
		if v != "" {
			t.Errorf("during the grace, standardwebhooks refused check %d: %s", i+1, v)
		}
	}
	checkDump(t, oldSecret, newSecret)

	time.Sleep(time.Until(graceEnds) + 100*time.Millisecond)
	e.createContact(b, "After")
	after := rc.waitFor(t, 3, 10*time.Second)[2]
	if err := signature.VerifyStandard(newSecret, after.Header, after.Body, time.Now()); err != nil {
		t.Errorf("after the grace, the new secret: %v", err)
	}
	if err := signature.VerifyStandard(oldSecret, after.Header, after.Body, time.Now()); err == nil {
		t.Error("after the grace, the old secret still verifies webhook-signature")
	}
	if !verifySignature(after.Body, after.Header.Get("X-Relay-Signature"), newSecret) || after.Header.Get("X-Relay-Signature-Previous") != "" {
		t.Error("after the grace: X-Relay-Signature must be the new secret's, with no X-Relay-Signature-Previous")
	}
	verdicts := lib.Verify(t, []standardtest.Request{
		{Secret: newSecret, Header: after.Header, Body: after.Body},
		{Secret: oldSecret, Header: after.Header, Body: after.Body},
	})
	if verdicts[0] != "" || verdicts[1] == "" {
		t.Errorf("after the grace, standardwebhooks verdicts new=%q old=%q, want only the new secret accepted", verdicts[0], verdicts[1])
	}
	waitUntil(t, 5*time.Second, "the old secret erased", func() bool { return previousSecretStored(t, e, hook.Webhook.ID) == false })
	checkDump(t, oldSecret, newSecret)
}

// TestExpiredSecretErasedWithoutEvents: the worker's cleanup erases a
// previous secret after its grace even when the webhook gets no event.
func TestExpiredSecretErasedWithoutEvents(t *testing.T) {
	e := newEnv(t)
	hook := e.webhook("http://127.0.0.1:9/quiet", relaybook.EventContactCreated)
	if _, err := postgres.NewWebhookService(e.db).RotateSecret(context.Background(), "", hook.Webhook.ID, 500*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if !previousSecretStored(t, e, hook.Webhook.ID) {
		t.Fatal("no previous secret stored during the grace")
	}
	e.startWorker(workerOpts{})
	waitUntil(t, 5*time.Second, "the cleanup to erase the old secret", func() bool { return !previousSecretStored(t, e, hook.Webhook.ID) })
}

func TestRotateSecretRefuses(t *testing.T) {
	e := newEnv(t)
	other := newEnv(t)
	hook := e.webhook("http://127.0.0.1:9/x", relaybook.EventContactCreated)
	svc := postgres.NewWebhookService(e.db)
	ctx := context.Background()
	tests := []struct {
		name         string
		team, id     string
		grace        time.Duration
		code, inText string
	}{
		{"negative grace", e.team.ID, hook.Webhook.ID, -time.Second, relaybook.EINVALID, "grace"},
		{"grace over 30 days", e.team.ID, hook.Webhook.ID, relaybook.MaxRotationGrace + time.Second, relaybook.EINVALID, "grace"},
		{"another team's webhook", other.team.ID, hook.Webhook.ID, time.Hour, relaybook.ENOTFOUND, "webhook"},
		{"no such webhook", e.team.ID, "00000000-0000-7000-8000-000000000000", time.Hour, relaybook.ENOTFOUND, "webhook"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := svc.RotateSecret(ctx, tt.team, tt.id, tt.grace)
			if relaybook.ErrorCode(err) != tt.code || !strings.Contains(err.Error(), tt.inText) {
				t.Errorf("RotateSecret = %v, want %s naming %q", err, tt.code, tt.inText)
			}
		})
	}
	if previousSecretStored(t, e, hook.Webhook.ID) {
		t.Error("a refused rotation stored a previous secret")
	}
}

func previousSecretStored(t *testing.T, e *env, webhookID string) bool {
	t.Helper()
	var stored bool
	if err := e.db.SQL().Get(&stored, `SELECT previous_secret_ciphertext IS NOT NULL FROM webhooks WHERE id = $1`, webhookID); err != nil {
		t.Fatal(err)
	}
	return stored
}

func unix(s string) int64 {
	ts, _ := strconv.ParseInt(s, 10, 64)
	return ts
}

// checkDump dumps the test database with pg_dump and fails if a secret, or
// the hex it carries, is in it as plain text.
func checkDump(t *testing.T, secrets ...string) {
	t.Helper()
	pgDump, err := exec.LookPath("pg_dump")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("pg_dump is required with CI=true: %v", err)
		}
		t.Skipf("pg_dump not installed: %v", err)
	}
	out, err := exec.Command(pgDump, "--no-owner", testenv.DatabaseURL(t)).Output()
	if err != nil {
		t.Fatalf("pg_dump: %v", err)
	}
	if !bytes.Contains(out, []byte("previous_secret_ciphertext")) {
		t.Fatal("the dump has no previous_secret_ciphertext column; is it the test database?")
	}
	for _, s := range secrets {
		for _, needle := range []string{s, strings.TrimPrefix(s, signature.SecretPrefix)} {
			if bytes.Contains(out, []byte(needle)) {
				t.Errorf("pg_dump holds a secret in plain text (%.10s…)", needle)
			}
		}
	}
}
