package postgres_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/google/uuid"

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

// Concurrent creates share statements; each must land in its own book with
// its own event and deliveries, and a create into a foreign book must write
// nothing while its neighbours succeed.
func TestConcurrentCreatesEachGetTheirOwnOutcome(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	contacts := postgres.NewContactService(f.db)
	other, err := postgres.NewTeamService(f.db).CreateTeam(ctx, "Other")
	if err != nil {
		t.Fatal(err)
	}
	foreign := relaybook.Scope{TeamID: other.ID, BookID: f.book.ID}
	own := relaybook.Scope{TeamID: f.team.ID, BookID: f.book.ID}
	const n = 120
	ids := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			name := fmt.Sprintf("c%03d", i)
			sc := own
			if i%10 == 0 {
				sc = foreign
			}
			c, err := contacts.CreateContact(ctx, sc, relaybook.ContactInput{FirstName: &name})
			var rb *relaybook.Error
			switch {
			case sc == foreign:
				if !errors.As(err, &rb) || rb.Code != relaybook.ENOTFOUND {
					t.Errorf("create %d into a foreign book: %v, want not found", i, err)
				}
			case err != nil:
				t.Errorf("create %d: %v", i, err)
			case c.FirstName != name:
				t.Errorf("create %d returned %q", i, c.FirstName)
			default:
				ids[i] = c.ID
			}
		})
	}
	wg.Wait()
	var stored struct {
		Contacts, Events, Deliveries int
	}
	err = f.db.SQL().Get(&stored, `SELECT
		(SELECT count(*) FROM contacts WHERE book_id = $1) AS contacts,
		(SELECT count(*) FROM events WHERE book_id = $1 AND type = 'contact.created') AS events,
		(SELECT count(*) FROM deliveries d JOIN events e ON e.id = d.event_id WHERE e.book_id = $1) AS deliveries`, f.book.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := n - n/10; stored.Contacts != want || stored.Events != want || stored.Deliveries != want {
		t.Errorf("stored %+v, want %d of each", stored, want)
	}
	if len(f.jobs.jobs) != n-n/10 {
		t.Errorf("dispatched %d jobs, want %d", len(f.jobs.jobs), n-n/10)
	}
	// Each event carries its own contact.
	for i, id := range ids {
		if id == "" {
			continue
		}
		var name string
		if err := f.db.SQL().Get(&name, `SELECT convert_from(payload, 'UTF8')::jsonb #>> '{data,first_name}' FROM events WHERE book_id = $1 AND convert_from(payload, 'UTF8')::jsonb #>> '{data,id}' = $2`, f.book.ID, id); err != nil {
			t.Fatalf("event of contact %d: %v", i, err)
		}
		if name != fmt.Sprintf("c%03d", i) {
			t.Errorf("contact %d's event carries %q", i, name)
		}
	}
}

// A batch that fails as a whole (here: one contact's id is taken) is
// retried contact by contact, so only the bad one fails.
func TestCreateBatchFailureFailsOnlyTheBadContact(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	sc := relaybook.Scope{TeamID: f.team.ID, BookID: f.book.ID}
	first := "Taken"
	taken, err := postgres.NewContactService(f.db).CreateContact(ctx, sc, relaybook.ContactInput{FirstName: &first})
	if err != nil {
		t.Fatal(err)
	}
	contact := func(id string) *relaybook.Contact {
		now := relaybook.Now()
		return &relaybook.Contact{ID: id, BookID: f.book.ID, Emails: []relaybook.LabeledValue{}, Phones: []relaybook.LabeledValue{},
			Addresses: []relaybook.Address{}, Socials: []relaybook.LabeledValue{}, Labels: []relaybook.ContactLabel{}, CreatedAt: now, UpdatedAt: now}
	}
	created, errs := f.db.CreateBatch(f.team.ID, contact(uuid.NewString()), contact(taken.ID), contact(uuid.NewString()))
	if !created[0] || !created[2] || errs[0] != nil || errs[2] != nil {
		t.Errorf("good contacts: created %v, errors %v", created, errs)
	}
	if errs[1] == nil {
		t.Error("the contact with a taken id did not fail")
	}
	var n int
	if err := f.db.SQL().Get(&n, `SELECT count(*) FROM contacts WHERE book_id = $1`, f.book.ID); err != nil || n != 3 {
		t.Errorf("book holds %d contacts (err %v), want 3", n, err)
	}
}
