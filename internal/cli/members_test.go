package cli_test

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestMembers(t *testing.T) {
	e := newEnv(t)
	team := e.object("teams", "create", "--name", "Acme")["id"].(string)

	admin := e.object("members", "add", "--team", team, "--email", "ada@acme.test", "--name", "Ada Admin", "--role", "admin")
	want := map[string]any{"user_id": admin["user_id"], "team_id": team, "email": "ada@acme.test", "name": "Ada Admin", "role": "admin", "joined_at": admin["joined_at"]}
	if !reflect.DeepEqual(admin, want) {
		t.Errorf("members add -o json = %v, want %v", admin, want)
	}
	e.ok("members", "add", "--team", team, "--email", "bob@acme.test")
	list := e.array("members", "list", "--team", team)
	if len(list) != 2 || list[1]["email"] != "bob@acme.test" || list[1]["role"] != "member" {
		t.Fatalf("members list -o json = %v", list)
	}
	bob := list[1]["user_id"].(string)
	e.ok("members", "list", "--team", team)

	e.note("validation errors name the field")
	e.fails(1, []string{"members", "add", "--team", team, "--email", "not-an-email"}, `email: "not-an-email" is not an email address`)
	e.fails(1, []string{"members", "add", "--team", team, "--email", "eve@acme.test", "--role", "owner"}, `role: must be admin or member, got "owner"`)
	e.fails(1, []string{"members", "add", "--team", team, "--email", "BOB@acme.test"}, "already a member")
	e.fails(2, []string{"members", "add", "--email", "eve@acme.test"}, "--team is required")
	e.fails(1, []string{"members", "add", "--team", "00000000-0000-4000-8000-000000000000", "--email", "eve@acme.test"}, "team", "not found")

	removed := e.object("members", "remove", "--team", team, "--user", bob)
	if removed["user_id"] != bob || removed["email"] != "bob@acme.test" {
		t.Errorf("members remove -o json = %v", removed)
	}
	e.fails(1, []string{"members", "remove", "--team", team, "--user", bob}, "not found")
	e.fails(2, []string{"members", "remove", "--team", team}, "--user is required")
	e.fails(1, []string{"members", "list", "--team", "nope"}, `team "nope" not found`)
	if got := e.array("members", "list", "--team", team); len(got) != 1 {
		t.Errorf("after remove, members list = %v", got)
	}
	e.golden("members")

	// Each change wrote its event, whose data is the member as printed.
	events := teamEvents(t, team)
	wantTypes := []string{"member.joined", "member.joined", "member.removed"}
	if len(events) != len(wantTypes) {
		t.Fatalf("events = %v, want types %v", events, wantTypes)
	}
	for i, ev := range events {
		if ev.Type != wantTypes[i] || ev.BookID != nil {
			t.Errorf("event %d: type %s book_id %v, want %s and no book_id", i, ev.Type, ev.BookID, wantTypes[i])
		}
		requirePayload(t, ev, map[string]bool{"event": true, "timestamp": true, "team_id": true, "data": true})
	}
	if !reflect.DeepEqual(events[0].Payload["data"], admin) {
		t.Errorf("member.joined data = %v, want the member %v", events[0].Payload["data"], admin)
	}
	if !reflect.DeepEqual(events[2].Payload["data"], removed) {
		t.Errorf("member.removed data = %v, want the member %v", events[2].Payload["data"], removed)
	}
}

// event is an outbox row with its payload decoded.
type event struct {
	Type    string
	BookID  *string
	Payload map[string]any
}

// teamEvents returns a team's events in the order they were written.
func teamEvents(t *testing.T, teamID string) []event {
	t.Helper()
	var rows []struct {
		Type    string  `db:"type"`
		BookID  *string `db:"book_id"`
		Payload []byte  `db:"payload"`
	}
	if err := db(t).SQL().Select(&rows, `SELECT type, book_id, payload FROM events WHERE team_id = $1 ORDER BY created_at, id`, teamID); err != nil {
		t.Fatal(err)
	}
	out := make([]event, len(rows))
	for i, r := range rows {
		out[i] = event{Type: r.Type, BookID: r.BookID}
		if err := json.Unmarshal(r.Payload, &out[i].Payload); err != nil {
			t.Fatalf("payload of %s: %v", r.Type, err)
		}
		if out[i].Payload["event"] != r.Type || out[i].Payload["team_id"] != teamID {
			t.Errorf("payload %s does not match its row (%s, team %s)", r.Payload, r.Type, teamID)
		}
	}
	return out
}

// requirePayload checks that a payload has exactly the given top-level keys.
func requirePayload(t *testing.T, ev event, keys map[string]bool) {
	t.Helper()
	for k := range ev.Payload {
		if !keys[k] {
			t.Errorf("%s payload has unexpected key %q: %v", ev.Type, k, ev.Payload)
		}
	}
	for k := range keys {
		if _, ok := ev.Payload[k]; !ok {
			t.Errorf("%s payload lacks %q: %v", ev.Type, k, ev.Payload)
		}
	}
}
