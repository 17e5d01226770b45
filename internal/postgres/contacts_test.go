package postgres_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/relaybook/relaybook/internal/postgres"
	"github.com/relaybook/relaybook/internal/relaybook"
)

// Concurrent list requests share one query; each must get its own book's
// page after its own cursor, and a foreign book stays not found.
func TestConcurrentPagesAreEachRequestsOwn(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	contacts := postgres.NewContactService(f.db)
	other, err := postgres.NewBookService(f.db).CreateBook(ctx, f.team.ID, "Other")
	if err != nil {
		t.Fatal(err)
	}
	scopes := []relaybook.Scope{{TeamID: f.team.ID, BookID: f.book.ID}, {TeamID: f.team.ID, BookID: other.ID}}
	for i := range 30 {
		sc := scopes[0]
		if i%3 == 0 {
			sc = scopes[1]
		}
		name := fmt.Sprintf("c%02d", i)
		if _, err := contacts.CreateContact(ctx, sc, relaybook.ContactInput{FirstName: &name}); err != nil {
			t.Fatal(err)
		}
	}
	// Walk each book alone first: these are the expected pages.
	type request struct {
		sc     relaybook.Scope
		limit  int
		cursor string
	}
	var requests []request
	want := map[int]string{}
	for _, sc := range scopes {
		for _, limit := range []int{1, 4, 7} {
			cursor := ""
			for {
				page, err := contacts.ListContacts(ctx, sc, limit, cursor)
				if err != nil {
					t.Fatal(err)
				}
				want[len(requests)] = names(t, page)
				requests = append(requests, request{sc, limit, cursor})
				if page.NextCursor == "" {
					break
				}
				cursor = page.NextCursor
			}
		}
	}
	foreign := relaybook.Scope{TeamID: "0c03c7ac-2ba0-42a7-b946-4c7e6daee4db", BookID: f.book.ID}
	var wg sync.WaitGroup
	for round := range 5 {
		for i, r := range requests {
			wg.Go(func() {
				page, err := contacts.ListContacts(ctx, r.sc, r.limit, r.cursor)
				if err != nil {
					t.Errorf("request %d: %v", i, err)
					return
				}
				if got := names(t, page); got != want[i] {
					t.Errorf("round %d request %d: got %s, want %s", round, i, got, want[i])
				}
			})
		}
		wg.Go(func() {
			_, err := contacts.ListContacts(ctx, foreign, 10, "")
			var rb *relaybook.Error
			if !errors.As(err, &rb) || rb.Code != relaybook.ENOTFOUND {
				t.Errorf("foreign team listed the book: %v", err)
			}
		})
	}
	wg.Wait()
}

// names summarises a page: its contacts' first names and whether it has a
// next page.
func names(t *testing.T, page *relaybook.ContactPage) string {
	t.Helper()
	out := ""
	for _, doc := range page.Contacts {
		var c relaybook.Contact
		if err := json.Unmarshal(doc, &c); err != nil {
			t.Fatal(err)
		}
		out += c.FirstName + " "
	}
	return fmt.Sprintf("%s(more: %t)", out, page.NextCursor != "")
}
