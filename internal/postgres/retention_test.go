package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/lib/pq"

	"github.com/relaybook/relaybook/internal/postgres"
	"github.com/relaybook/relaybook/internal/relaybook"
)

// allowHeld lets the test write held deliveries until migration 00004 (the
// held state) is on this branch; with it, this changes nothing.
func allowHeld(t *testing.T, db *postgres.DB) {
	t.Helper()
	if _, err := db.SQL().Exec(`ALTER TABLE deliveries DROP CONSTRAINT IF EXISTS deliveries_state_check;
		ALTER TABLE deliveries ADD CONSTRAINT deliveries_state_check CHECK (state IN ('pending', 'succeeded', 'failed', 'held'))`); err != nil {
		t.Fatal(err)
	}
}

func TestPrune(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	allowHeld(t, f.db)
	sqlDB := f.db.SQL()
	hook2, err := postgres.NewWebhookService(f.db).CreateWebhook(ctx, relaybook.WebhookInput{
		TeamID: f.team.ID, URL: "https://example.test/other", Events: []string{relaybook.EventContactCreated}})
	if err != nil {
		t.Fatal(err)
	}
	hooks := []string{f.webhook.Webhook.ID, hook2.Webhook.ID}
	name := "Jane"
	for range 5 {
		if _, err := postgres.NewContactService(f.db).CreateContact(ctx, relaybook.Scope{TeamID: f.team.ID, BookID: f.book.ID},
			relaybook.ContactInput{FirstName: &name}); err != nil {
			t.Fatal(err)
		}
	}
	var events []string
	if err := sqlDB.Select(&events, `SELECT id FROM events WHERE team_id = $1 AND type = 'contact.created' ORDER BY created_at, id`, f.team.ID); err != nil {
		t.Fatal(err)
	}
	// Events 0-3 are from long ago (far before any cutoff other tests could
	// use); event 4 is new.
	old := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	cutoff := time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := sqlDB.Exec(q, args...); err != nil {
			t.Fatal(err)
		}
	}
	// set gives event i's delivery to hook h a state and one attempt at at.
	set := func(i, h int, state string, at time.Time) {
		exec(`UPDATE deliveries SET state = $3, attempts = 1 WHERE event_id = $1 AND webhook_id = $2`, events[i], hooks[h], state)
		exec(`INSERT INTO delivery_attempts (id, delivery_id, webhook_id, event_id, event_type, attempt, response_status, duration_ms, success, created_at)
			SELECT gen_random_uuid(), id, webhook_id, event_id, 'contact.created', 1, 200, 5, $3 = 'succeeded', $4
			FROM deliveries WHERE event_id = $1 AND webhook_id = $2`, events[i], hooks[h], state, at)
	}
	exec(`UPDATE events SET created_at = $2 WHERE id = ANY ($1::uuid[])`, pq.Array(events[:4]), old)
	set(0, 0, "succeeded", old) // event 0: all done long ago → goes
	set(0, 1, "succeeded", old)
	set(1, 0, "failed", old) // event 1: failed and succeeded → goes
	set(1, 1, "succeeded", old)
	set(2, 0, "pending", old) // event 2: a retry still pending → stays, with that attempt
	set(2, 1, "succeeded", old)
	set(3, 0, "held", old) // event 3: held → stays
	set(3, 1, "failed", old)
	now := time.Now()
	set(4, 0, "succeeded", now) // event 4: recent → stays
	set(4, 1, "succeeded", now)

	count := func(q string, args ...any) int {
		t.Helper()
		var n int
		if err := sqlDB.Get(&n, q, args...); err != nil {
			t.Fatal(err)
		}
		return n
	}
	rows := func() [3]int {
		return [3]int{
			count(`SELECT count(*) FROM events WHERE id = ANY ($1::uuid[])`, pq.Array(events)),
			count(`SELECT count(*) FROM deliveries WHERE event_id = ANY ($1::uuid[])`, pq.Array(events)),
			count(`SELECT count(*) FROM delivery_attempts WHERE event_id = ANY ($1::uuid[])`, pq.Array(events)),
		}
	}
	before := rows()
	want := relaybook.PruneCounts{Events: 2, Deliveries: 4, Attempts: 6}

	dry, err := f.db.CountPrunable(ctx, cutoff)
	if err != nil {
		t.Fatal(err)
	}
	if dry != want {
		t.Errorf("dry run counts %+v, want %+v", dry, want)
	}
	if rows() != before {
		t.Fatalf("the dry run deleted rows: %v, was %v", rows(), before)
	}

	// Batches of one row: the loop ends, and sums to the dry run.
	var total relaybook.PruneCounts
	for range 20 {
		c, err := f.db.PruneBatch(ctx, cutoff, 1)
		if err != nil {
			t.Fatal(err)
		}
		if c == (relaybook.PruneCounts{}) {
			break
		}
		if c.Events > 1 {
			t.Errorf("a batch of 1 removed %d events", c.Events)
		}
		total.Add(c)
	}
	if total != want {
		t.Errorf("pruned %+v, want %+v", total, want)
	}
	if got := rows(); got != [3]int{3, 6, 4} {
		t.Errorf("left events, deliveries, attempts = %v, want [3 6 4]", got)
	}
	for i, gone := range []bool{true, true, false, false, false} {
		if n := count(`SELECT count(*) FROM events WHERE id = $1`, events[i]); (n == 0) != gone {
			t.Errorf("event %d: %d rows, gone = %v wanted", i, n, gone)
		}
	}
	if n := count(`SELECT count(*) FROM delivery_attempts WHERE event_id = $1 AND webhook_id = $2`, events[2], hooks[0]); n != 1 {
		t.Errorf("the pending delivery's attempt was pruned")
	}
	if n := count(`SELECT count(*) FROM deliveries WHERE event_id = $1 AND state = 'held'`, events[3]); n != 1 {
		t.Errorf("the held delivery was pruned")
	}
	if again, err := f.db.CountPrunable(ctx, cutoff); err != nil || again != (relaybook.PruneCounts{}) {
		t.Errorf("after pruning, %+v left to prune (%v)", again, err)
	}
}
