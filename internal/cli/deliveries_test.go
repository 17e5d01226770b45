package cli_test

import (
	"strings"
	"testing"
	"time"
)

func TestDeliveries(t *testing.T) {
	e := newEnv(t)
	team := e.object("teams", "create", "--name", "Acme")["id"].(string)
	hook := e.object("webhooks", "create", "--team", team, "--url", "https://example.com/hook", "--events", "book.created")["webhook"].(map[string]any)["id"].(string)
	e.ok("books", "create", "--team", team, "--name", "Customers")

	// The book's event created one delivery to the webhook; the delivery
	// engine is not running here, so the test writes its log: a 500, then a
	// success.
	sqlDB := db(t).SQL()
	var delivery struct {
		ID        string `db:"id"`
		EventID   string `db:"event_id"`
		EventType string `db:"type"`
	}
	if err := sqlDB.Get(&delivery, `SELECT d.id, d.event_id, e.type FROM deliveries d JOIN events e ON e.id = d.event_id WHERE d.webhook_id = $1`, hook); err != nil {
		t.Fatalf("the book.created delivery: %v", err)
	}
	at := time.Now().UTC().Truncate(time.Millisecond)
	attempts := []struct {
		id      string
		attempt int
		status  int
		body    string
		success bool
		errText string
		at      time.Time
	}{
		{"0190f000-0000-7000-8000-000000000001", 1, 500, "upstream failed\nretry later", false, "HTTP 500", at.Add(-10 * time.Second)},
		{"0190f000-0000-7000-8000-000000000002", 2, 200, "OK", true, "", at},
	}
	for _, a := range attempts {
		if _, err := sqlDB.Exec(`INSERT INTO delivery_attempts (id, delivery_id, webhook_id, event_id, event_type, attempt, response_status, response_body, duration_ms, success, error, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 150, $9, $10, $11)`,
			a.id, delivery.ID, hook, delivery.EventID, delivery.EventType, a.attempt, a.status, a.body, a.success, a.errText, a.at); err != nil {
			t.Fatal(err)
		}
	}
	failed, succeeded := attempts[0].id, attempts[1].id

	list := e.array("deliveries", "list", "--webhook", hook)
	if len(list) != 2 || list[0]["id"] != succeeded || list[1]["id"] != failed {
		t.Fatalf("deliveries list -o json = %v, want newest first", list)
	}
	for _, field := range []string{"id", "webhook_id", "event_id", "event_type", "attempt", "payload", "response_status", "response_body", "duration_ms", "success", "error", "created_at"} {
		if _, ok := list[0][field]; !ok {
			t.Errorf("delivery-log object lacks %q: %v", field, list[0])
		}
	}
	if payload, _ := list[0]["payload"].(map[string]any); payload["event"] != "book.created" {
		t.Errorf("payload = %v, want the book.created body", list[0]["payload"])
	}
	e.ok("deliveries", "list", "--webhook", hook)
	if got := e.array("deliveries", "list", "--webhook", hook, "--failed"); len(got) != 1 || got[0]["id"] != failed {
		t.Errorf("deliveries list --failed = %v", got)
	}
	if got := e.array("deliveries", "list", "--webhook", hook, "--limit", "1"); len(got) != 1 || got[0]["id"] != succeeded {
		t.Errorf("deliveries list --limit 1 = %v", got)
	}

	shown := e.object("deliveries", "show", failed)
	if shown["response_body"] != attempts[0].body || shown["response_status"] != float64(500) || shown["success"] != false {
		t.Errorf("deliveries show -o json = %v", shown)
	}
	e.ok("deliveries", "show", failed)

	e.note("show also takes a delivery id: its latest attempt")
	if got := e.object("deliveries", "show", delivery.ID); got["id"] != succeeded {
		t.Errorf("deliveries show <delivery id> = %v, want its latest attempt %s", got["id"], succeeded)
	}

	e.note("redeliver of an attempt whose delivery is still pending queues nothing and says so")
	if got := e.object("deliveries", "redeliver", failed); got["queued"] != false || got["state"] != "pending" || got["delivery_id"] != delivery.ID {
		t.Errorf("deliveries redeliver (pending) -o json = %v", got)
	}
	if _, err := sqlDB.Exec(`UPDATE deliveries SET state = 'failed', attempts = 2 WHERE id = $1`, delivery.ID); err != nil {
		t.Fatal(err)
	}
	e.note("redeliver re-opens the same delivery as a fresh attempt sequence")
	redelivered := e.object("deliveries", "redeliver", failed)
	if len(redelivered) != 3 || redelivered["delivery_id"] != delivery.ID || redelivered["queued"] != true || redelivered["state"] != "pending" {
		t.Fatalf("deliveries redeliver -o json = %v", redelivered)
	}
	var row struct {
		State         string `db:"state"`
		Attempts      int    `db:"attempts"`
		SequenceStart int    `db:"sequence_start"`
		Count         int    `db:"count"`
	}
	if err := sqlDB.Get(&row, `SELECT state, attempts, sequence_start, (SELECT count(*) FROM deliveries WHERE webhook_id = $2) AS count FROM deliveries WHERE id = $1`, delivery.ID, hook); err != nil {
		t.Fatalf("the delivery: %v", err)
	}
	if row.State != "pending" || row.Attempts != 2 || row.SequenceStart != 2 || row.Count != 1 {
		t.Errorf("re-opened delivery = %+v, want pending, attempts 2, sequence_start 2, still one delivery", row)
	}
	if out := e.ok("deliveries", "redeliver", delivery.ID); !strings.Contains(out.Stdout, "nothing new queued") {
		t.Errorf("deliveries redeliver (already pending) printed %q", out.Stdout)
	}

	e.note("errors")
	e.fails(2, []string{"deliveries", "list"}, "--webhook is required")
	e.fails(2, []string{"deliveries", "list", "--webhook", hook, "--limit", "201"}, "--limit must be between 1 and 200, got 201")
	e.fails(2, []string{"deliveries", "list", "--webhook", hook, "--limit", "0"}, "--limit must be between 1 and 200, got 0")
	e.fails(2, []string{"deliveries", "list", "--webhook", hook, "--limit", "many"}, "invalid argument")
	e.fails(1, []string{"deliveries", "list", "--webhook", "00000000-0000-4000-8000-000000000000"}, "webhook", "not found")
	e.fails(1, []string{"deliveries", "show", "00000000-0000-4000-8000-000000000000"}, "delivery", "not found")
	e.fails(1, []string{"deliveries", "show", "nope"}, `delivery "nope" not found`)
	e.fails(1, []string{"deliveries", "redeliver", "00000000-0000-4000-8000-000000000000"}, "delivery", "not found")
	e.fails(2, []string{"deliveries", "redeliver"}, "missing ID")
	e.golden("deliveries")
}
