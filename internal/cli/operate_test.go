package cli_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/relaybook/relaybook/internal/signature"
)

func TestEventsCommands(t *testing.T) {
	e := newEnv(t)
	team := e.object("teams", "create", "--name", "Acme")["id"].(string)
	hookA := e.object("webhooks", "create", "--team", team, "--url", "https://example.com/a", "--events", "book.created")["webhook"].(map[string]any)["id"].(string)
	hookB := e.object("webhooks", "create", "--team", team, "--url", "https://example.com/b", "--events", "book.created,book.deleted")["webhook"].(map[string]any)["id"].(string)
	for _, name := range []string{"One", "Two", "Three"} {
		e.ok("books", "create", "--team", team, "--name", name)
	}
	sqlDB := db(t).SQL()
	var oldest string
	if err := sqlDB.Get(&oldest, `SELECT id FROM events WHERE team_id = $1 ORDER BY created_at, id LIMIT 1`, team); err != nil {
		t.Fatal(err)
	}
	if _, err := sqlDB.Exec(`UPDATE deliveries SET state = 'succeeded', attempts = 1 WHERE event_id = $1 AND webhook_id = $2`, oldest, hookA); err != nil {
		t.Fatal(err)
	}

	// Two pages: the table mode says where the next starts, on stderr.
	first := e.ok("events", "list", "--team", team, "--limit", "2")
	if lines := strings.Split(strings.TrimSpace(first.Stdout), "\n"); len(lines) != 2 || !strings.Contains(first.Stderr, "--cursor ") {
		t.Fatalf("events list --limit 2: %q / %q", first.Stdout, first.Stderr)
	}
	cursor := strings.TrimSpace(first.Stderr[strings.Index(first.Stderr, "--cursor ")+len("--cursor "):])
	rest := e.array("events", "list", "--team", team, "--limit", "2", "--cursor", cursor)
	if len(rest) != 1 || rest[0]["id"] != oldest {
		t.Fatalf("page 2 = %v, want the oldest event alone", rest)
	}
	states := map[string]string{}
	for _, d := range rest[0]["deliveries"].([]any) {
		d := d.(map[string]any)
		states[d["webhook_id"].(string)] = d["state"].(string)
	}
	if states[hookA] != "succeeded" || states[hookB] != "pending" {
		t.Errorf("per-webhook states %v", states)
	}
	all := e.array("events", "list", "--team", team, "--type", "book.created", "--since", "1h")
	if len(all) != 3 {
		t.Errorf("--type book.created --since 1h: %d events, want 3", len(all))
	}
	if none := e.array("events", "list", "--team", team, "--until", time.Now().Add(-time.Hour).Format(time.RFC3339)); len(none) != 0 {
		t.Errorf("--until an hour ago: %v", none)
	}

	shown := e.object("events", "show", oldest)
	payload, _ := shown["payload"].(map[string]any)
	if shown["id"] != oldest || payload["event"] != "book.created" || len(shown["deliveries"].([]any)) != 2 {
		t.Errorf("events show -o json = %v", shown)
	}
	if out := e.ok("events", "show", oldest).Stdout; !strings.Contains(out, "payload:") || !strings.Contains(out, hookB) {
		t.Errorf("events show table: %q", out)
	}

	e.fails(2, []string{"events", "list"}, "--team is required")
	e.fails(2, []string{"events", "list", "--team", team, "--since", "yesterday"}, "--since")
	e.fails(2, []string{"events", "list", "--team", team, "--since", "1h", "--until", "2h"}, "--until")
	e.fails(2, []string{"events", "list", "--team", team, "--cursor", "bogus"}, "--cursor")
	e.fails(2, []string{"events", "list", "--team", team, "--type", "book.exploded"}, "--type")
	e.fails(2, []string{"events", "list", "--team", team, "--limit", "0"}, "--limit")
	e.fails(1, []string{"events", "show", "00000000-0000-4000-8000-000000000000"}, "event", "not found")
}

func TestDeliveriesListFilters(t *testing.T) {
	e := newEnv(t)
	team := e.object("teams", "create", "--name", "Acme")["id"].(string)
	hook := e.object("webhooks", "create", "--team", team, "--url", "https://example.com/hook", "--events", "book.created")["webhook"].(map[string]any)["id"].(string)
	e.ok("books", "create", "--team", team, "--name", "One")
	e.ok("books", "create", "--team", team, "--name", "Two")
	sqlDB := db(t).SQL()
	var deliveries []struct {
		ID      string `db:"id"`
		EventID string `db:"event_id"`
	}
	if err := sqlDB.Select(&deliveries, `SELECT id, event_id FROM deliveries WHERE webhook_id = $1 ORDER BY created_at, id`, hook); err != nil || len(deliveries) != 2 {
		t.Fatalf("deliveries: %v %v", deliveries, err)
	}
	// Delivery 0: a 500 three hours ago, then a 200; delivery 1: a 500.
	for i, a := range []struct {
		delivery, status int
		ago              string
	}{{0, 500, "3 hours"}, {0, 200, "2 seconds"}, {1, 500, "1 second"}} {
		if _, err := sqlDB.Exec(`INSERT INTO delivery_attempts (id, delivery_id, webhook_id, event_id, event_type, attempt, response_status, duration_ms, success, created_at)
			VALUES (gen_random_uuid(), $1, $2, $3, 'book.created', $4, $5, 7, $5 = 200, now() - $6::interval)`,
			deliveries[a.delivery].ID, hook, deliveries[a.delivery].EventID, i+1, a.status, a.ago); err != nil {
			t.Fatal(err)
		}
	}
	if got := e.array("deliveries", "list", "--webhook", hook, "--failed"); len(got) != 2 {
		t.Errorf("--failed: %d attempts, want 2", len(got))
	}
	if got := e.array("deliveries", "list", "--webhook", hook, "--event", deliveries[1].EventID); len(got) != 1 || got[0]["event_id"] != deliveries[1].EventID {
		t.Errorf("--event: %v", got)
	}
	if got := e.array("deliveries", "list", "--webhook", hook, "--since", "1h"); len(got) != 2 {
		t.Errorf("--since 1h: %d attempts, want 2", len(got))
	}
	if got := e.array("deliveries", "list", "--webhook", hook, "--until", "1h"); len(got) != 1 {
		t.Errorf("--until 1h: %d attempts, want 1", len(got))
	}

	// Every id that list prints is accepted by show, page after page.
	page := e.ok("deliveries", "list", "--webhook", hook, "--limit", "2")
	cursor := strings.TrimSpace(page.Stderr[strings.Index(page.Stderr, "--cursor ")+len("--cursor "):])
	ids := strings.Fields(page.Stdout)
	rest := e.ok("deliveries", "list", "--webhook", hook, "--limit", "2", "--cursor", cursor)
	if rest.Stderr != "" {
		t.Errorf("the last page still offers a cursor: %q", rest.Stderr)
	}
	var listed []string
	for _, line := range strings.Split(strings.TrimSpace(page.Stdout+rest.Stdout), "\n") {
		listed = append(listed, strings.Split(line, "\t")[0])
	}
	if len(listed) != 3 || len(ids) == 0 {
		t.Fatalf("two pages listed %v, want 3 attempts", listed)
	}
	for _, id := range listed {
		if got := e.object("deliveries", "show", id); got["id"] != id {
			t.Errorf("deliveries show %s = %v", id, got)
		}
	}
	// A delivery id, as redeliver takes it: its latest attempt.
	if got := e.object("deliveries", "show", deliveries[0].ID); got["delivery_id"] != deliveries[0].ID || got["response_status"] != float64(200) {
		t.Errorf("deliveries show <delivery id> = %v, want its latest attempt", got)
	}

	e.fails(2, []string{"deliveries", "list", "--webhook", hook, "--since", "later"}, "--since")
	e.fails(2, []string{"deliveries", "list", "--webhook", hook, "--until", "nope"}, "--until")
	e.fails(2, []string{"deliveries", "list", "--webhook", hook, "--cursor", "!!"}, "--cursor")
	e.fails(1, []string{"deliveries", "list", "--webhook", hook, "--event", "not-an-id"}, "event")
}

func TestWebhooksTestCommand(t *testing.T) {
	e := newEnv(t)
	t.Setenv("RELAYBOOK_WEBHOOKS_ALLOW_HTTP", "true")
	t.Setenv("RELAYBOOK_WEBHOOKS_ALLOW_PRIVATE_NETWORKS", "true")
	var mu sync.Mutex
	var headers http.Header
	var body []byte
	status := http.StatusOK
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		headers, body = r.Header.Clone(), must(io.ReadAll(r.Body))
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)

	team := e.object("teams", "create", "--name", "Acme")["id"].(string)
	created := e.object("webhooks", "create", "--team", team, "--url", srv.URL+"/hook", "--events", "contact.created,book.deleted")
	hook, secret := created["webhook"].(map[string]any)["id"].(string), created["secret"].(string)
	e.ok("webhooks", "update", hook, "--active=false")

	a := e.object("webhooks", "test", hook)
	mu.Lock()
	if a["event_type"] != "contact.created" || a["success"] != true || headers.Get("X-Relay-Test") != "true" || !signature.Verify(secret, body, headers.Get("X-Relay-Signature")) {
		t.Errorf("webhooks test on a paused webhook: %v, headers %v", a, headers)
	}
	status = http.StatusServiceUnavailable
	mu.Unlock()
	a = e.object("webhooks", "test", hook, "--event", "book.deleted")
	if a["event_type"] != "book.deleted" || a["success"] != false || a["response_status"] != float64(503) {
		t.Errorf("webhooks test against a 503: %v", a)
	}
	if out := e.ok("webhooks", "test", hook).Stdout; !strings.Contains(out, "response_status:") {
		t.Errorf("webhooks test table: %q", out)
	}
	if got := e.array("deliveries", "list", "--webhook", hook); len(got) != 3 {
		t.Errorf("the log has %d attempts, want the 3 tests", len(got))
	}
	e.fails(2, []string{"webhooks", "test", hook, "--event", "book.exploded"}, "--event")
	e.fails(2, []string{"webhooks", "test"}, "missing WEBHOOK")
	e.fails(1, []string{"webhooks", "test", "00000000-0000-4000-8000-000000000000"}, "webhook", "not found")
}

func TestPruneCommand(t *testing.T) {
	e := newEnv(t)
	team := e.object("teams", "create", "--name", "Acme")["id"].(string)
	hook := e.object("webhooks", "create", "--team", team, "--url", "https://example.com/hook", "--events", "book.created")["webhook"].(map[string]any)["id"].(string)
	e.ok("books", "create", "--team", team, "--name", "Old, done")
	e.ok("books", "create", "--team", team, "--name", "Old, pending")
	e.ok("books", "create", "--team", team, "--name", "New")
	sqlDB := db(t).SQL()
	var events []string
	if err := sqlDB.Select(&events, `SELECT event_id FROM deliveries WHERE webhook_id = $1 ORDER BY created_at, event_id`, hook); err != nil || len(events) != 3 {
		t.Fatalf("events %v: %v", events, err)
	}
	// Two events from long before retention.period (720h); the first was
	// delivered, the second is still pending.
	for _, q := range []string{
		`UPDATE events SET created_at = '2000-01-01' WHERE id IN ($1, $2)`,
		`UPDATE deliveries SET state = 'succeeded', attempts = 1 WHERE event_id = $1 AND $2 <> ''`,
		`INSERT INTO delivery_attempts (id, delivery_id, webhook_id, event_id, event_type, attempt, response_status, duration_ms, success, created_at)
			SELECT gen_random_uuid(), id, webhook_id, event_id, 'book.created', 1, 200, 3, true, '2000-01-01' FROM deliveries WHERE event_id IN ($1, $2)`,
	} {
		if _, err := sqlDB.Exec(q, events[0], events[1]); err != nil {
			t.Fatal(err)
		}
	}
	count := func() (n int) {
		if err := sqlDB.Get(&n, `SELECT count(*) FROM events WHERE team_id = $1`, team); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := count()
	dry := e.object("prune", "--dry-run")
	if dry["events"].(float64) < 1 || dry["attempts"].(float64) < 1 || dry["dry_run"] != true || count() != before {
		t.Errorf("prune --dry-run = %v, events %d → %d", dry, before, count())
	}
	if out := e.ok("prune", "--dry-run").Stdout; !strings.Contains(out, "events would delete:") {
		t.Errorf("prune --dry-run table: %q", out)
	}
	done := e.object("prune")
	if done["events"].(float64) < 1 || done["dry_run"] != false || count() != before-1 {
		t.Errorf("prune = %v, events %d → %d", done, before, count())
	}
	var left []string
	if err := sqlDB.Select(&left, `SELECT id FROM events WHERE id IN ($1, $2, $3) ORDER BY created_at`, events[0], events[1], events[2]); err != nil {
		t.Fatal(err)
	}
	if len(left) != 2 || left[0] != events[1] || left[1] != events[2] {
		t.Errorf("left %v, want the pending event and the new one", left)
	}
	var attempts int
	if err := sqlDB.Get(&attempts, `SELECT count(*) FROM delivery_attempts WHERE event_id = $1`, events[1]); err != nil || attempts != 1 {
		t.Errorf("the pending delivery's attempt: %d rows (%v), want kept", attempts, err)
	}
	e.fails(2, []string{"prune", "extra"}, "takes no arguments")
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
