package postgres_test

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/relaybook/relaybook/internal/postgres"
	"github.com/relaybook/relaybook/internal/testenv"
)

// TestOpenOverUnixSocket: a database.url that names PostgreSQL's socket
// directory instead of a host (config accepts it) opens both pools, and
// the sessions of both really are socket sessions. TEST_PG_SOCKET_DIR points at
// another directory than Debian's default.
func TestOpenOverUnixSocket(t *testing.T) {
	u, err := url.Parse(testenv.DatabaseURL(t))
	if err != nil {
		t.Fatal(err)
	}
	dir := os.Getenv("TEST_PG_SOCKET_DIR")
	if dir == "" {
		dir = "/var/run/postgresql"
	}
	if _, err := os.Stat(filepath.Join(dir, ".s.PGSQL."+portOr(u, "5432"))); err != nil {
		if testenv.CI() {
			t.Fatalf("no PostgreSQL socket in %s (set TEST_PG_SOCKET_DIR): %v", dir, err)
		}
		t.Skipf("no PostgreSQL socket in %s: %v", dir, err)
	}
	q := u.Query()
	q.Set("host", dir)
	q.Set("port", portOr(u, "5432"))
	u.Host, u.RawQuery = "", q.Encode()

	ctx := context.Background()
	db, err := postgres.Open(ctx, u.String(), 8)
	if err != nil {
		t.Fatalf("open %s: %v", u.Redacted(), err)
	}
	defer db.Close()
	main, batches, err := db.SessionValue(ctx, `inet_server_addr() IS NULL`)
	if err != nil {
		t.Fatal(err)
	}
	if main != "true" || batches != "true" {
		t.Errorf("socket sessions: main pool %s, batch pool %s; want true for both (a TCP session has a server address)", main, batches)
	}
}

func portOr(u *url.URL, def string) string {
	if p := u.Port(); p != "" {
		return p
	}
	return def
}
