package postgres_test

import (
	"context"
	"database/sql"
	"net/url"
	"sync"
	"testing"

	"github.com/relaybook/relaybook/internal/postgres"
	"github.com/relaybook/relaybook/internal/testenv"
)

// freshDatabase creates an empty database (not migrated) for migration tests.
func freshDatabase(t *testing.T) string {
	t.Helper()
	testenv.DatabaseURL(t) // fails or skips when PostgreSQL is down
	admin, err := sql.Open("postgres", testenv.AdminURL())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	name := testenv.UniqueName("relaybook_migrate")
	name = "relaybook_migrate_" + name[len("relaybook_migrate-"):]
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		a, _ := sql.Open("postgres", testenv.AdminURL())
		defer a.Close()
		a.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
	})
	u, _ := url.Parse(testenv.AdminURL())
	u.Path = "/" + name
	return u.String()
}

func TestMigrateTwiceIsNoop(t *testing.T) {
	ctx := context.Background()
	db, err := postgres.Open(ctx, freshDatabase(t), 2)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	first, err := db.Migrate(ctx)
	if err != nil {
		t.Fatalf("first migrate: %v", err)
	}
	if len(first.Applied) == 0 || first.Version == 0 {
		t.Fatalf("first migrate applied nothing: %+v", first)
	}
	second, err := db.Migrate(ctx)
	if err != nil {
		t.Fatalf("second migrate: %v", err)
	}
	if len(second.Applied) != 0 {
		t.Errorf("second migrate applied %v, want nothing", second.Applied)
	}
	if second.Version != first.Version {
		t.Errorf("version changed from %d to %d", first.Version, second.Version)
	}
	for _, table := range []string{"teams", "users", "team_members", "books", "labels", "contacts", "contact_labels", "api_keys", "webhooks", "events", "deliveries", "delivery_attempts"} {
		var exists bool
		if err := db.SQL().Get(&exists, "SELECT to_regclass($1) IS NOT NULL", table); err != nil || !exists {
			t.Errorf("table %s missing after migrate (err=%v)", table, err)
		}
	}
}

func TestConcurrentMigrate(t *testing.T) {
	ctx := context.Background()
	dbURL := freshDatabase(t)
	const runs = 4
	var wg sync.WaitGroup
	results := make([]*postgres.MigrationResult, runs)
	errs := make([]error, runs)
	for i := range runs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db, err := postgres.Open(ctx, dbURL, 2)
			if err != nil {
				errs[i] = err
				return
			}
			defer db.Close()
			results[i], errs[i] = db.Migrate(ctx)
		}()
	}
	wg.Wait()
	applied := 0
	for i := range runs {
		if errs[i] != nil {
			t.Fatalf("run %d: %v", i, errs[i])
		}
		if len(results[i].Applied) > 0 {
			applied++
		}
	}
	if applied != 1 {
		t.Errorf("%d runs applied migrations, want exactly 1", applied)
	}
}
