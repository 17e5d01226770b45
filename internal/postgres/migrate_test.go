package postgres_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"net/url"
	"sync"
	"testing"

	"github.com/relaybook/relaybook/internal/postgres"
	"github.com/relaybook/relaybook/internal/relaybook"
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

// Contacts written before migration 3 get the document the service would
// write for them, labels included.
func TestMigrationBackfillsContactDocuments(t *testing.T) {
	ctx := context.Background()
	db, err := postgres.Open(ctx, freshDatabase(t), 2)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.MigrateTo(ctx, 2); err != nil {
		t.Fatal(err)
	}
	const (
		team  = "0c03c7ac-2ba0-42a7-b946-4c7e6daee4db"
		book  = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"
		label = "5e1c820d-b605-4f9e-ae4f-47be164176ca"
		plain = "f47ac10b-58cc-4372-a567-0e02b2c3d479"
		full  = "16fbf52b-a34b-469c-aa35-a7eac07ea975"
	)
	db.SQL().MustExec(`INSERT INTO teams (id, name, created_at) VALUES ($1, 'T', now())`, team)
	db.SQL().MustExec(`INSERT INTO books (id, team_id, name, created_at) VALUES ($1, $2, 'B', now())`, book, team)
	db.SQL().MustExec(`INSERT INTO labels (id, book_id, name, color, created_at) VALUES ($1, $2, 'VIP', '#ff0000', now())`, label, book)
	db.SQL().MustExec(`INSERT INTO contacts (id, book_id, created_at, updated_at) VALUES ($1, $2, '2026-02-18T16:52:56.123Z', '2026-02-18T16:52:56.123Z')`, plain, book)
	db.SQL().MustExec(`INSERT INTO contacts (id, book_id, first_name, company, emails, birthday, starred, created_at, updated_at)
		VALUES ($1, $2, 'Jane', 'A <&> B', '[{"label":"work","value":"jane@acme.test"}]', '1990-04-01', true, now(), now())`, full, book)
	db.SQL().MustExec(`INSERT INTO contact_labels (contact_id, label_id, created_at) VALUES ($1, $2, now())`, full, label)

	res, err := db.Migrate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Applied) == 0 || res.Applied[0] != 3 {
		t.Fatalf("applied %v, want 3 first", res.Applied)
	}
	contacts := postgres.NewContactService(db)
	sc := relaybook.Scope{TeamID: team, BookID: book}
	page, err := contacts.ListContacts(ctx, sc, 10, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Contacts) != 2 {
		t.Fatalf("list returned %d contacts, want 2", len(page.Contacts))
	}
	for _, doc := range page.Contacts {
		var got relaybook.Contact
		if err := json.Unmarshal(doc, &got); err != nil {
			t.Fatalf("stored document is not JSON: %v\n%s", err, doc)
		}
		c, err := contacts.FindContact(ctx, sc, got.ID)
		if err != nil {
			t.Fatal(err)
		}
		want, err := c.Document()
		if err != nil {
			t.Fatal(err)
		}
		if string(doc) != string(want) {
			t.Errorf("stored document differs from the rendered contact:\n got %s\nwant %s", doc, want)
		}
		if got.ID == full && (len(got.Labels) != 1 || got.Labels[0].Name != "VIP" || got.Company != "A <&> B" || *got.Birthday != "1990-04-01") {
			t.Errorf("backfilled document lost data: %s", doc)
		}
	}
	var missing int
	db.SQL().Get(&missing, `SELECT count(*) FROM contacts WHERE doc IS NULL`)
	if missing != 0 {
		t.Errorf("%d contacts without a document", missing)
	}
}
