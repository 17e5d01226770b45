package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/relaybook/relaybook/internal/postgres"
	"github.com/relaybook/relaybook/internal/relaybook"
	"github.com/relaybook/relaybook/internal/secretbox"
	"github.com/relaybook/relaybook/internal/testenv"
)

// TestPgBouncerLeavesNoSessionState runs the hot paths (contact create and
// list, the delivery engine's load and record) on a one-connection pool and
// counts the named prepared statements that connection's session holds:
// none with postgres.PgBouncer(), some without (so the count means
// something). Through a real PgBouncer the same paths run in
// internal/scaleout.
func TestPgBouncerLeavesNoSessionState(t *testing.T) {
	for _, c := range []struct {
		name     string
		opts     []postgres.Option
		prepared bool
	}{
		{"direct", nil, true},
		{"pgbouncer", []postgres.Option{postgres.PgBouncer()}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			db, err := postgres.Open(ctx, testenv.DatabaseURL(t), 1, c.opts...)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			box, err := secretbox.New("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")
			if err != nil {
				t.Fatal(err)
			}
			db.Cipher = box
			jobs := &recorder{}
			db.Dispatcher = jobs
			team, err := postgres.NewTeamService(db).CreateTeam(ctx, "Bouncer "+c.name)
			if err != nil {
				t.Fatal(err)
			}
			book, err := postgres.NewBookService(db).CreateBook(ctx, team.ID, "Book")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := postgres.NewWebhookService(db).CreateWebhook(ctx, relaybook.WebhookInput{
				TeamID: team.ID, URL: "https://example.test/hook", Events: []string{relaybook.EventContactCreated}}); err != nil {
				t.Fatal(err)
			}
			scope := relaybook.Scope{TeamID: team.ID, BookID: book.ID}
			name := "Jane"
			contacts := postgres.NewContactService(db)
			if _, err := contacts.CreateContact(ctx, scope, relaybook.ContactInput{FirstName: &name}); err != nil {
				t.Fatal(err)
			}
			if page, err := contacts.ListContacts(ctx, scope, 10, ""); err != nil || len(page.Contacts) != 1 {
				t.Fatalf("list: %v (%+v)", err, page)
			}
			if len(jobs.jobs) != 1 {
				t.Fatalf("%d jobs dispatched, want 1", len(jobs.jobs))
			}
			loaded, err := db.LoadDeliveryJobs(ctx, []string{jobs.jobs[0].DeliveryID})
			if err != nil || len(loaded) != 1 {
				t.Fatalf("load: %v (%d jobs)", err, len(loaded))
			}
			j := loaded[jobs.jobs[0].DeliveryID]
			status := 200
			if err := db.RecordAttempts(ctx, []relaybook.AttemptRecord{{
				DeliveryAttempt: relaybook.DeliveryAttempt{
					DeliveryID: j.DeliveryID, WebhookID: j.WebhookID, EventID: j.EventID, EventType: j.EventType,
					Attempt: 1, ResponseStatus: &status, Success: true, CreatedAt: relaybook.Now(),
				},
				State: relaybook.DeliverySucceeded, NextAttemptAt: time.Now(),
			}}); err != nil {
				t.Fatal(err)
			}
			var n int
			if err := db.SQL().GetContext(ctx, &n, `SELECT count(*) FROM pg_prepared_statements`); err != nil {
				t.Fatal(err)
			}
			if (n > 0) != c.prepared {
				t.Errorf("%d named prepared statements in the session, want prepared=%v", n, c.prepared)
			}
		})
	}
}
