package postgres_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"

	"github.com/relaybook/relaybook/internal/postgres"
	"github.com/relaybook/relaybook/internal/relaybook"
	"github.com/relaybook/relaybook/internal/testenv"
)

// A database that was never created, or never migrated, is one line that
// says what to run, not a driver code (issue 18, item 8).
func TestUnsetDatabaseSaysWhatToRun(t *testing.T) {
	ctx := context.Background()
	testenv.DatabaseURL(t) // fails or skips as every test here does when PostgreSQL is away
	admin, err := sql.Open("postgres", testenv.AdminURL())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	name := strings.ReplaceAll(testenv.UniqueName("rb_unset"), "-", "_")

	_, err = postgres.Open(ctx, dbURL(name), 1)
	if relaybook.ErrorCode(err) != relaybook.EUNAVAILABLE || !strings.Contains(err.Error(), "relaybook migrate") ||
		!strings.Contains(err.Error(), name) {
		t.Fatalf("missing database: %v, want EUNAVAILABLE naming it and saying what to run", err)
	}

	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)") })
	db, err := postgres.Open(ctx, dbURL(name), 1)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_, err = postgres.NewTeamService(db).ListTeams(ctx)
	if relaybook.ErrorCode(err) != relaybook.EUNAVAILABLE || !strings.Contains(err.Error(), "relaybook migrate") {
		t.Fatalf("database without schema: %v, want EUNAVAILABLE saying to run relaybook migrate", err)
	}
}

func dbURL(name string) string {
	u := testenv.AdminURL()
	i := strings.LastIndex(u, "/")
	j := strings.Index(u[i:], "?")
	if j < 0 {
		return fmt.Sprintf("%s/%s", u[:i], name)
	}
	return fmt.Sprintf("%s/%s%s", u[:i], name, u[i+j:])
}
