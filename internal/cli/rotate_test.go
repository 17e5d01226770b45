package cli_test

import (
	"strings"
	"testing"
)

func TestWebhooksRotateSecret(t *testing.T) {
	e := newEnv(t)
	team := e.object("teams", "create", "--name", "Rotors")["id"].(string)
	created := e.object("webhooks", "create", "--team", team, "--url", "https://example.com/hook", "--events", "contact.created")
	id := created["webhook"].(map[string]any)["id"].(string)
	oldSecret := created["secret"].(string)

	rotated := e.object("webhooks", "rotate-secret", id, "--grace", "2h")
	newSecret, _ := rotated["secret"].(string)
	hook, _ := rotated["webhook"].(map[string]any)
	if len(rotated) != 2 || hook["id"] != id || !secretRe.MatchString(newSecret) || newSecret == oldSecret {
		t.Fatalf("rotate-secret -o json = %v, want {webhook, secret: a new whsec_}", rotated)
	}
	requireNotInDatabase(t, "old webhook secret", oldSecret)
	requireNotInDatabase(t, "new webhook secret", newSecret)

	table := e.ok("webhooks", "rotate-secret", id)
	if !strings.Contains(table.Stderr, "shown once") || !secretRe.MatchString(table.Stdout) || !strings.Contains(table.Stdout, "previous_secret_signs_until") {
		t.Errorf("rotate-secret (table): stdout %q, stderr %q", table.Stdout, table.Stderr)
	}
	e.ok("webhooks", "rotate-secret", id, "--grace", "0s")

	e.fails(2, []string{"webhooks", "rotate-secret", id, "--grace", "-1m"}, "--grace", "negative")
	e.fails(2, []string{"webhooks", "rotate-secret", id, "--grace", "721h"}, "--grace", "at most 720h")
	e.fails(2, []string{"webhooks", "rotate-secret", id, "--grace", "soon"}, "--grace")
	e.fails(2, []string{"webhooks", "rotate-secret"}, "ID")
	e.fails(1, []string{"webhooks", "rotate-secret", "00000000-0000-4000-8000-000000000000"}, "not found")
}
