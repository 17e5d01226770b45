package cli_test

import (
	"reflect"
	"testing"
)

func TestBooks(t *testing.T) {
	e := newEnv(t)
	team := e.object("teams", "create", "--name", "Acme")["id"].(string)

	book := e.object("books", "create", "--team", team, "--name", "Customers")
	want := map[string]any{"id": book["id"], "team_id": team, "name": "Customers", "created_at": book["created_at"]}
	if !reflect.DeepEqual(book, want) {
		t.Errorf("books create -o json = %v, want %v", book, want)
	}
	e.ok("books", "create", "--team", team, "--name", "Suppliers")
	if list := e.array("books", "list", "--team", team); len(list) != 2 || list[0]["id"] != book["id"] {
		t.Errorf("books list -o json = %v", list)
	}
	e.ok("books", "list", "--team", team)

	deleted := e.object("books", "delete", book["id"].(string))
	if !reflect.DeepEqual(deleted, book) {
		t.Errorf("books delete -o json = %v, want the book %v", deleted, book)
	}
	e.ok("books", "list", "--team", team)

	e.note("errors")
	e.fails(1, []string{"books", "delete", book["id"].(string)}, "book", "not found")
	e.fails(1, []string{"books", "delete", "nope"}, `book "nope" not found`)
	e.fails(2, []string{"books", "delete"}, "missing ID")
	e.fails(2, []string{"books", "create", "--name", "X"}, "--team is required")
	e.fails(1, []string{"books", "create", "--team", team, "--name", " "}, "name: is required")
	e.fails(1, []string{"books", "create", "--team", "00000000-0000-4000-8000-000000000000", "--name", "X"}, "team", "not found")
	e.fails(1, []string{"books", "list", "--team", "00000000-0000-4000-8000-000000000000"}, "team", "not found")
	e.golden("books")

	// book.created carries the book, book.deleted the id alone; both carry
	// book_id.
	events := teamEvents(t, team)
	if len(events) != 3 {
		t.Fatalf("events = %v, want book.created ×2, book.deleted", events)
	}
	withBook := map[string]bool{"event": true, "timestamp": true, "team_id": true, "book_id": true, "data": true}
	created, deletedEvent := events[0], events[2]
	if created.Type != "book.created" || created.BookID == nil || *created.BookID != book["id"] {
		t.Errorf("first event = %+v, want book.created for %v", created, book["id"])
	}
	requirePayload(t, created, withBook)
	if !reflect.DeepEqual(created.Payload["data"], book) || created.Payload["book_id"] != book["id"] {
		t.Errorf("book.created payload = %v, want data = %v", created.Payload, book)
	}
	if deletedEvent.Type != "book.deleted" || deletedEvent.BookID == nil || *deletedEvent.BookID != book["id"] {
		t.Errorf("last event = %+v, want book.deleted for %v", deletedEvent, book["id"])
	}
	requirePayload(t, deletedEvent, withBook)
	if want := map[string]any{"id": book["id"]}; !reflect.DeepEqual(deletedEvent.Payload["data"], want) {
		t.Errorf("book.deleted data = %v, want %v", deletedEvent.Payload["data"], want)
	}
}
