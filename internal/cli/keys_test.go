package cli_test

import (
	"context"
	"strings"
	"testing"

	"github.com/relaybook/relaybook/internal/postgres"
	"github.com/relaybook/relaybook/internal/relaybook"
)

func TestKeys(t *testing.T) {
	e := newEnv(t)
	team := e.object("teams", "create", "--name", "Acme")["id"].(string)

	created := e.object("keys", "create", "--team", team, "--name", "CRM Sync")
	key, _ := created["key"].(string)
	apiKey, _ := created["api_key"].(map[string]any)
	if len(created) != 2 || apiKey == nil || !strings.HasPrefix(key, "rlb_") || len(key) < len("rlb_")+32 {
		t.Fatalf("keys create -o json = %v, want {api_key, key: rlb_…}", created)
	}
	for _, field := range []string{"id", "team_id", "name", "prefix", "created_at", "last_used_at", "revoked_at"} {
		if _, ok := apiKey[field]; !ok {
			t.Errorf("api_key lacks %q: %v", field, apiKey)
		}
	}
	if len(apiKey) != 7 || apiKey["prefix"] != key[:12] || apiKey["revoked_at"] != nil || apiKey["name"] != "CRM Sync" {
		t.Errorf("api_key = %v", apiKey)
	}
	id := apiKey["id"].(string)

	e.note("in table mode the key is printed with a warning that it is shown once")
	second := e.ok("keys", "create", "--team", team, "--name", "Backup job")
	if !strings.Contains(second.Stderr, "shown once") || !strings.Contains(second.Stdout, "key:") {
		t.Errorf("keys create (table): stdout %q, stderr %q", second.Stdout, second.Stderr)
	}
	secondKey := keyRe.FindString(second.Stdout)

	e.note("lists show the prefix, never the key")
	listJSON := e.ok("keys", "list", "--team", team, "-o", "json")
	listTable := e.ok("keys", "list", "--team", team)
	for _, r := range []result{listJSON, listTable} {
		requireAbsent(t, r, key, key[12:], secondKey)
		if !strings.Contains(r.Stdout, key[:12]) {
			t.Errorf("keys list does not show the prefix %s:\n%s", key[:12], r.Stdout)
		}
	}
	requireNotInDatabase(t, "API key", key)
	requireNotInDatabase(t, "API key", secondKey)

	keys := postgres.NewAPIKeyService(db(t))
	ctx := context.Background()
	if _, err := keys.Authenticate(ctx, key); err != nil {
		t.Fatalf("Authenticate(new key) = %v", err)
	}

	e.note("revoke: at once, and the list shows when")
	revoked := e.object("keys", "revoke", id)
	if revoked["id"] != id || revoked["revoked_at"] == nil {
		t.Errorf("keys revoke -o json = %v, want the key with revoked_at set", revoked)
	}
	if _, err := keys.Authenticate(ctx, key); relaybook.ErrorCode(err) != relaybook.EUNAUTHORIZED {
		t.Errorf("Authenticate(revoked key) = %v, want %s", err, relaybook.EUNAUTHORIZED)
	}
	if _, err := keys.Authenticate(ctx, secondKey); err != nil {
		t.Errorf("Authenticate(other key) after revoking the first = %v", err)
	}
	list := e.array("keys", "list", "--team", team)
	if len(list) != 2 || list[0]["revoked_at"] != revoked["revoked_at"] || list[1]["revoked_at"] != nil {
		t.Errorf("keys list after revoke = %v", list)
	}
	e.ok("keys", "list", "--team", team)
	e.ok("keys", "revoke", id)

	e.note("errors")
	e.fails(1, []string{"keys", "revoke", "00000000-0000-4000-8000-000000000000"}, "API key", "not found")
	e.fails(1, []string{"keys", "revoke", "rlb_notanid"}, `API key "rlb_notanid" not found`)
	e.fails(2, []string{"keys", "revoke"}, "missing ID")
	e.fails(2, []string{"keys", "create", "--team", team}, "--name is required")
	e.fails(2, []string{"keys", "create", "--name", "X"}, "--team is required")
	e.fails(1, []string{"keys", "create", "--team", "00000000-0000-4000-8000-000000000000", "--name", "X"}, "team", "not found")
	e.fails(2, []string{"keys", "list"}, "--team is required")
	e.fails(1, []string{"keys", "list", "--team", "nope"}, `team "nope" not found`)
	e.golden("keys")
}
