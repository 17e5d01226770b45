package cli_test

import (
	"bytes"
	"encoding/hex"
	"regexp"
	"strings"
	"testing"
)

func TestWebhooks(t *testing.T) {
	e := newEnv(t)
	team := e.object("teams", "create", "--name", "Acme")["id"].(string)

	created := e.object("webhooks", "create", "--team", team, "--url", "https://example.com/hook", "--events", "contact.created, contact.updated")
	secret, _ := created["secret"].(string)
	hook, _ := created["webhook"].(map[string]any)
	if len(created) != 2 || hook == nil || !regexp.MustCompile(`^whsec_[0-9a-f]{64}$`).MatchString(secret) {
		t.Fatalf("webhooks create -o json = %v, want {webhook, secret: whsec_ + 64 hex}", created)
	}
	for _, field := range []string{"id", "team_id", "url", "events", "active", "disabled_reason", "disabled_at", "created_by", "created_at", "updated_at"} {
		if _, ok := hook[field]; !ok {
			t.Errorf("webhook lacks %q: %v", field, hook)
		}
	}
	if len(hook) != 10 || hook["active"] != true || hook["team_id"] != team {
		t.Errorf("webhook = %v", hook)
	}
	id := hook["id"].(string)

	e.note("in table mode the secret is printed with a warning that it is shown once")
	second := e.ok("webhooks", "create", "--team", team, "--url", "https://example.com/other", "--events", "book.created")
	if !strings.Contains(second.Stderr, "shown once") || !strings.Contains(second.Stdout, "secret:") {
		t.Errorf("webhooks create (table): stdout %q, stderr %q", second.Stdout, second.Stderr)
	}
	secondSecret := secretRe.FindString(second.Stdout)

	e.note("list and show never print a secret")
	for _, r := range []result{
		e.ok("webhooks", "list", "--team", team, "-o", "json"),
		e.ok("webhooks", "list", "--team", team),
		e.ok("webhooks", "show", id, "-o", "json"),
		e.ok("webhooks", "show", id),
	} {
		requireAbsent(t, r, "whsec_", secret[6:], secondSecret[6:])
	}
	requireSecretSealed(t, id, secret)
	requireNotInDatabase(t, "webhook secret", secret)
	requireNotInDatabase(t, "webhook secret", secret[6:])
	requireNotInDatabase(t, "webhook secret", secondSecret)

	e.note("update changes only the flags given")
	paused := e.object("webhooks", "update", id, "--active=false")
	if paused["active"] != false || paused["url"] != hook["url"] || len(paused["events"].([]any)) != 2 {
		t.Errorf("update --active=false = %v", paused)
	}
	changed := e.object("webhooks", "update", id, "--events", "contact.deleted", "--url", "https://example.com/v2")
	if changed["active"] != false || changed["url"] != "https://example.com/v2" || len(changed["events"].([]any)) != 1 {
		t.Errorf("update --events --url = %v", changed)
	}
	e.ok("webhooks", "update", id, "--active")
	requireSecretSealed(t, id, secret)

	e.note("validation errors name the field and the bad value")
	create := []string{"webhooks", "create", "--team", team}
	e.fails(1, append(create, "--url", "not a url", "--events", "contact.created"), `url: must be an https:// URL, got "not a url"`)
	e.fails(1, append(create, "--url", "http://example.com/hook", "--events", "contact.created"), `url: must be an https:// URL, got "http://example.com/hook"`, "webhooks.allow_http")
	e.fails(1, append(create, "--url", "https://example.com/hook", "--events", ","), "events: must list at least one event")
	e.fails(1, append(create, "--url", "https://example.com/hook", "--events", "contact.created,contact.exploded"), `events: unknown event "contact.exploded"`)
	e.fails(1, append(create, "--url", "https://example.com/hook", "--events", "contact.created", "--created-by", "nope"), `created_by: "nope" is not a user id`)
	e.fails(1, append(create, "--url", "https://example.com/hook", "--events", "contact.created", "--created-by", "01a20000-0000-7000-8000-000000000000"), `created_by: no user`)
	e.fails(2, []string{"webhooks", "create", "--url", "https://example.com/hook", "--events", "contact.created"}, "--team is required")
	e.fails(2, append(create, "--events", "contact.created"), "--url is required")
	e.fails(2, append(create, "--url", "https://example.com/hook"), "--events is required")
	e.fails(1, []string{"webhooks", "create", "--team", "00000000-0000-4000-8000-000000000000", "--url", "https://example.com/hook", "--events", "contact.created"}, "team", "not found")
	e.fails(1, []string{"webhooks", "update", id, "--url", "ftp://example.com"}, `url: must be an https:// URL, got "ftp://example.com"`)
	e.fails(1, []string{"webhooks", "update", id, "--events", ""}, "events: must list at least one event")
	e.fails(2, []string{"webhooks", "update", id}, "nothing to change")
	e.fails(2, []string{"webhooks", "update", id, "--active=maybe"}, "invalid argument")

	e.note("not found")
	for _, verb := range []string{"show", "delete"} {
		e.fails(1, []string{"webhooks", verb, "00000000-0000-4000-8000-000000000000"}, "webhook", "not found")
	}
	e.fails(1, []string{"webhooks", "update", "nope", "--active=false"}, `webhook "nope" not found`)
	e.fails(1, []string{"webhooks", "list", "--team", "nope"}, `team "nope" not found`)

	e.note("delete prints what it deleted")
	deleted := e.object("webhooks", "delete", id)
	if deleted["id"] != id {
		t.Errorf("webhooks delete -o json = %v", deleted)
	}
	e.fails(1, []string{"webhooks", "show", id}, "not found")
	e.golden("webhooks")
}

// TestWebhooksSettings covers the configuration the webhook commands read.
func TestWebhooksSettings(t *testing.T) {
	e := newEnv(t)
	team := e.object("teams", "create", "--name", "Acme")["id"].(string)

	e.note("http:// URLs need webhooks.allow_http")
	t.Setenv("RELAYBOOK_WEBHOOKS_ALLOW_HTTP", "true")
	e.ok("webhooks", "create", "--team", team, "--url", "http://127.0.0.1:9000/hook", "--events", "contact.created")

	e.note("creating needs the encryption key; the other verbs do not")
	t.Setenv("RELAYBOOK_SECURITY_ENCRYPTION_KEY", "")
	e.fails(2, []string{"webhooks", "create", "--team", team, "--url", "https://example.com/hook", "--events", "contact.created"},
		"security.encryption_key: is required", "RELAYBOOK_SECURITY_ENCRYPTION_KEY")
	list := e.array("webhooks", "list", "--team", team)
	if len(list) != 1 {
		t.Fatalf("webhooks list without the key = %v", list)
	}
	id := list[0]["id"].(string)
	e.ok("webhooks", "show", id)
	e.ok("webhooks", "update", id, "--active=false")
	e.ok("webhooks", "delete", id, "-o", "json")

	e.note("a malformed key is a configuration error")
	t.Setenv("RELAYBOOK_SECURITY_ENCRYPTION_KEY", "abc")
	e.fails(2, []string{"webhooks", "list", "--team", team}, "security.encryption_key: must be 64 hex characters")
	e.golden("webhooks-settings")
}

// requireSecretSealed checks the stored ciphertext of a webhook's secret:
// neither the secret string, nor its hex part, nor the 32 bytes it encodes
// appear in it.
func requireSecretSealed(t *testing.T, webhookID, secret string) {
	t.Helper()
	var sealed []byte
	if err := db(t).SQL().Get(&sealed, `SELECT secret_ciphertext FROM webhooks WHERE id = $1`, webhookID); err != nil {
		t.Fatal(err)
	}
	raw, err := hex.DecodeString(secret[len("whsec_"):])
	if err != nil {
		t.Fatal(err)
	}
	for _, plain := range [][]byte{[]byte(secret), []byte(secret[len("whsec_"):]), raw} {
		if bytes.Contains(sealed, plain) {
			t.Errorf("secret_ciphertext of %s holds the secret in plaintext", webhookID)
		}
	}
	if len(sealed) < len(raw) {
		t.Errorf("secret_ciphertext of %s is %d bytes, too short to hold the secret", webhookID, len(sealed))
	}
}
