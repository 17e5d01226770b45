package cli_test

import (
	"strings"
	"testing"
)

// Help and usage errors never touch the database; a database that is down
// is one line on stderr and exit 1.
func TestWithoutDatabase(t *testing.T) {
	setConfigEnv(t, map[string]string{
		// Nothing listens on port 1.
		"RELAYBOOK_DATABASE_URL":            "postgres://postgres@127.0.0.1:1/relaybook?sslmode=disable&connect_timeout=2",
		"RELAYBOOK_SECURITY_ENCRYPTION_KEY": testEncryptionKey,
		"RELAYBOOK_AUTH_JWT_SECRET":         testJWTSecret,
	})
	config := emptyConfig(t)

	for _, args := range [][]string{
		{"--help"},
		{"keys", "--help"},
		{"keys"},
		{"webhooks", "create", "--help"},
		{"deliveries", "list", "-h"},
		{"token", "--help"},
		{"help", "members", "add"},
	} {
		r := runCLI(config, false, args...)
		if r.Code != 0 || !strings.Contains(r.Stdout, "Usage:") || r.Stderr != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want help and exit 0", args, r.Code, r.Stdout, r.Stderr)
		}
	}

	nouns := runCLI(config, false, "--help").Stdout
	for _, noun := range []string{"teams", "members", "books", "keys", "webhooks", "deliveries", "token"} {
		if !strings.Contains(nouns, "\n  "+noun+" ") {
			t.Errorf("relaybook --help does not list %s:\n%s", noun, nouns)
		}
	}

	for _, args := range [][]string{
		{"teams", "list"},
		{"keys", "list", "--team", "00000000-0000-4000-8000-000000000000", "-o", "json"},
		{"webhooks", "create", "--team", "00000000-0000-4000-8000-000000000000", "--url", "https://example.com", "--events", "contact.created"},
		{"deliveries", "redeliver", "00000000-0000-4000-8000-000000000000"},
	} {
		r := runCLI(config, false, args...)
		if r.Code != 1 || r.Stdout != "" || strings.Count(r.Stderr, "\n") != 1 || !strings.HasPrefix(r.Stderr, "relaybook: database unavailable: ") {
			t.Errorf("%v with the database down: exit %d, stdout %q, stderr %q; want exit 1 and one line", args, r.Code, r.Stdout, r.Stderr)
		}
	}

	// Usage errors are found before any connection is tried.
	for _, args := range [][]string{
		{"keys", "create", "--team", "00000000-0000-4000-8000-000000000000"},
		{"deliveries", "list", "--webhook", "00000000-0000-4000-8000-000000000000", "--limit", "500"},
		{"webhooks", "update", "00000000-0000-4000-8000-000000000000"},
		{"token"},
		{"books", "nope"},
	} {
		if r := runCLI(config, false, args...); r.Code != 2 || strings.Count(r.Stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q; want a usage error (exit 2)", args, r.Code, r.Stderr)
		}
	}

	// A bad setting is exit 2 with one line naming the key.
	t.Setenv("RELAYBOOK_DATABASE_URL", "mysql://db/relaybook")
	if r := runCLI(config, false, "teams", "list"); r.Code != 2 || !strings.Contains(r.Stderr, "database.url") || strings.Count(r.Stderr, "\n") != 1 {
		t.Errorf("bad database.url: exit %d, stderr %q; want exit 2 naming database.url", r.Code, r.Stderr)
	}
}
