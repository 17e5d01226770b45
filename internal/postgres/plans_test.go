package postgres_test

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/relaybook/relaybook/internal/postgres"
	"github.com/relaybook/relaybook/internal/testenv"
)

// TestHotStatementPlansStayIndexLookups: the batched statements keep one
// plan per connection (prepared, generic), so that plan must find a batch's
// rows by key whatever the statistics say: on new tables, never analysed,
// and on the statistics of a healthy system (thousands of delivered rows,
// almost none pending). The attempt statement used to read every pending
// delivery through the due index then (a backlog made each batch scan all
// of it), and on new tables to hash a scan of all deliveries; a sequential
// scan of any table here would grow with it the same way.
func TestHotStatementPlansStayIndexLookups(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	db := f.db.SQL()
	// A new database first: tables of a few rows, never analysed, which
	// PostgreSQL takes for ten pages. A plan made now is kept until
	// autovacuum first analyses the tables, up to a minute later.
	for name, query := range postgres.HotStatements {
		plan := genericPlan(t, db.DB, query)
		for _, bad := range []string{"deliveries_due_idx", "Seq Scan"} {
			if strings.Contains(plan, bad) {
				t.Errorf("%s, new tables: the generic plan has %q:\n%s", name, bad, plan)
			}
		}
	}
	if _, err := db.ExecContext(ctx, `
		WITH e AS (
			INSERT INTO events (id, type, team_id, book_id, payload, created_at)
			SELECT gen_random_uuid(), 'contact.created', $1, $2, '{}', now() FROM generate_series(1, 5000)
			RETURNING id, created_at
		)
		INSERT INTO deliveries (id, event_id, webhook_id, state, attempts, next_attempt_at, created_at, updated_at)
		SELECT gen_random_uuid(), e.id, $3, CASE WHEN row_number() OVER () <= 5 THEN 'pending' ELSE 'succeeded' END,
			1, e.created_at, e.created_at, e.created_at
		FROM e`, f.team.ID, f.book.ID, f.webhook.Webhook.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `ANALYZE deliveries, events, webhooks`); err != nil {
		t.Fatal(err)
	}
	for name, query := range postgres.HotStatements {
		plan := genericPlan(t, db.DB, query)
		for _, bad := range []string{"deliveries_due_idx", "Seq Scan"} {
			if strings.Contains(plan, bad) {
				t.Errorf("%s: the generic plan has %q:\n%s", name, bad, plan)
			}
		}
	}
}

// genericPlan is what a batch pool session runs for a prepared query: its
// generic plan (every parameter NULL: a generic plan does not look at them).
func genericPlan(t *testing.T, db *sql.DB, query string) string {
	t.Helper()
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	params := 0
	for _, m := range regexp.MustCompile(`\$(\d+)`).FindAllStringSubmatch(query, -1) {
		var n int
		fmt.Sscan(m[1], &n)
		params = max(params, n)
	}
	nulls := strings.TrimSuffix(strings.Repeat("NULL,", params), ",")
	for _, q := range append(postgres.BatchSessionSettings(), `PREPARE hot AS `+query) {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	defer conn.ExecContext(ctx, `DEALLOCATE hot; RESET ALL`)
	rows, err := conn.QueryContext(ctx, `EXPLAIN EXECUTE hot(`+nulls+`)`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan strings.Builder
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		plan.WriteString(line + "\n")
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return plan.String()
}

// The batched statements' pool keeps generic plans and looks rows up by key;
// the main pool, where operator queries with optional filters run, plans as
// PostgreSQL chooses.
// Below four connections, and behind PgBouncer, there is one pool.
func TestBatchPoolKeepsGenericPlans(t *testing.T) {
	ctx := context.Background()
	url := testenv.DatabaseURL(t)
	for _, tc := range []struct {
		conns         int
		opts          []postgres.Option
		main, batches string
	}{
		{8, nil, "auto/on", "force_generic_plan/off"},
		{3, nil, "auto/on", "auto/on"},
		{8, []postgres.Option{postgres.PgBouncer()}, "auto/on", "auto/on"},
	} {
		db, err := postgres.Open(ctx, url, tc.conns, tc.opts...)
		if err != nil {
			t.Fatal(err)
		}
		main, batches, err := db.PlanSettings(ctx)
		db.Close()
		if err != nil {
			t.Fatal(err)
		}
		if main != tc.main || batches != tc.batches {
			t.Errorf("max_conns %d, %d options: plan_cache_mode/enable_seqscan %q on the main pool and %q on the batch pool, want %q and %q",
				tc.conns, len(tc.opts), main, batches, tc.main, tc.batches)
		}
	}
}
