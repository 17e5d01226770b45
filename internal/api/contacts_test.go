package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/relaybook/relaybook/internal/api"
	"github.com/relaybook/relaybook/internal/relaybook"
)

// v1Routes are every /api/v1 route with a path that exists for team t.
func v1Routes(t *team, contactID, labelID string) []struct{ method, path string } {
	return []struct{ method, path string }{
		{"GET", "/api/v1/contacts"},
		{"POST", "/api/v1/contacts"},
		{"GET", "/api/v1/contacts/" + contactID},
		{"PATCH", "/api/v1/contacts/" + contactID},
		{"DELETE", "/api/v1/contacts/" + contactID},
		{"GET", "/api/v1/books"},
		{"GET", "/api/v1/books/" + t.Book.ID},
		{"GET", "/api/v1/books/" + t.Book.ID + "/labels"},
		{"POST", "/api/v1/contacts/" + contactID + "/labels"},
		{"DELETE", "/api/v1/contacts/" + contactID + "/labels/" + labelID},
	}
}

func newContact(tb testing.TB, e *env, t *team, name string) *relaybook.Contact {
	tb.Helper()
	c, err := e.svc.Contacts.CreateContact(context.Background(), relaybook.Scope{TeamID: t.ID, BookID: t.Book.ID},
		relaybook.ContactInput{FirstName: &name})
	must(tb, err)
	return c
}

func TestAPIKeyAuthFailures(t *testing.T) {
	e := newEnv(t, api.Options{})
	tm := e.newTeam(t)
	c := newContact(t, e, tm, "Jane")
	label, err := e.svc.Books.CreateLabel(context.Background(), tm.ID, tm.Book.ID, relaybook.LabelInput{Name: "VIP", Color: "red"})
	must(t, err)

	revoked, err := e.svc.APIKeys.CreateAPIKey(context.Background(), tm.ID, "old")
	must(t, err)
	_, err = e.svc.APIKeys.RevokeAPIKey(context.Background(), revoked.APIKey.ID)
	must(t, err)

	auths := map[string]string{
		"missing":          "",
		"not bearer":       "Basic " + tm.Key,
		"bearer only":      "Bearer",
		"bearer blank":     "Bearer   ",
		"key without type": tm.Key,
		"two tokens":       "Bearer " + tm.Key + " " + tm.Key,
		"unknown key":      "Bearer rlb_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"short key":        "Bearer rlb_x",
		"revoked key":      "Bearer " + revoked.Key,
		"team-admin JWT":   "Bearer " + token(t, tm.Admin),
	}
	for _, rt := range v1Routes(tm, c.ID, label.ID) {
		for name, auth := range auths {
			t.Run(rt.method+" "+rt.path+"/"+name, func(t *testing.T) {
				h := map[string]string{"X-Book-ID": tm.Book.ID}
				if auth != "" {
					h["Authorization"] = auth
				}
				r := do(t, rt.method, e.url+rt.path, h, `{"first_name":"x"}`).expect(t, http.StatusUnauthorized, relaybook.EUNAUTHORIZED)
				if r.Header.Get("WWW-Authenticate") == "" {
					t.Error("401 without WWW-Authenticate")
				}
			})
		}
	}
	// The revoke happened after the key was used: the next request fails.
	do(t, "GET", e.url+"/api/v1/books", map[string]string{"Authorization": "Bearer " + tm.Key}, nil).expect(t, http.StatusOK)
	_, err = e.svc.APIKeys.RevokeAPIKey(context.Background(), tm.KeyID)
	must(t, err)
	r := do(t, "GET", e.url+"/api/v1/books", map[string]string{"Authorization": "Bearer " + tm.Key}, nil).expect(t, http.StatusUnauthorized)
	if !strings.Contains(r.Body.Error.Message, "revoked") {
		t.Errorf("revoked key message: %q", r.Body.Error.Message)
	}
}

func TestForeignBooksAndContacts(t *testing.T) {
	e := newEnv(t, api.Options{})
	mine, other := e.newTeam(t), e.newTeam(t)
	c := newContact(t, e, mine, "Jane")
	label, err := e.svc.Books.CreateLabel(context.Background(), mine.ID, mine.Book.ID, relaybook.LabelInput{Name: "VIP", Color: ""})
	must(t, err)
	theirs := newContact(t, e, other, "Bob")

	// The other team's key, aimed at my book: every route is a 404.
	intoMyBook := map[string]string{"Authorization": "Bearer " + other.Key, "X-Book-ID": mine.Book.ID}
	for _, rt := range v1Routes(mine, c.ID, label.ID) {
		if rt.path == "/api/v1/books" {
			continue
		}
		// A valid body, so the request gets as far as the scope check.
		body := `{"first_name":"x"}`
		if strings.HasSuffix(rt.path, "/labels") {
			body = `{"name":"x"}`
		}
		t.Run("foreign book "+rt.method+" "+rt.path, func(t *testing.T) {
			do(t, rt.method, e.url+rt.path, intoMyBook, body).expect(t, http.StatusNotFound, relaybook.ENOTFOUND)
		})
	}
	// The other team's key in its own book, aimed at my contact: 404.
	for _, rt := range v1Routes(other, c.ID, label.ID)[2:5] {
		t.Run("foreign contact "+rt.method, func(t *testing.T) {
			do(t, rt.method, e.url+rt.path, other.keyHeaders(), `{"first_name":"x"}`).expect(t, http.StatusNotFound, relaybook.ENOTFOUND)
		})
	}
	do(t, "POST", e.url+"/api/v1/contacts/"+c.ID+"/labels", other.keyHeaders(), `{"name":"x"}`).expect(t, http.StatusNotFound)
	// My contact in my book with another team's label: 404, and my label
	// cannot be put on their contact.
	do(t, "POST", e.url+"/api/v1/contacts/"+theirs.ID+"/labels", other.keyHeaders(), map[string]string{"label_id": label.ID}).expect(t, http.StatusNotFound)

	// My book list does not show theirs.
	var books []relaybook.Book
	do(t, "GET", e.url+"/api/v1/books", mine.keyHeaders(), nil).expect(t, http.StatusOK).data(t, &books)
	if len(books) != 1 || books[0].ID != mine.Book.ID {
		t.Errorf("books = %+v, want only %s", books, mine.Book.ID)
	}

	// Unknown and garbage book ids, and a missing header.
	for _, id := range []string{"00000000-0000-0000-0000-000000000000", "not-a-uuid", "'; DROP TABLE books; --"} {
		h := mine.keyHeaders()
		h["X-Book-ID"] = id
		do(t, "GET", e.url+"/api/v1/contacts", h, nil).expect(t, http.StatusNotFound, relaybook.ENOTFOUND)
		do(t, "GET", e.url+"/api/v1/books/"+strings.ReplaceAll(id, " ", "%20"), h, nil).expect(t, http.StatusNotFound, relaybook.ENOTFOUND)
	}
	noBook := map[string]string{"Authorization": "Bearer " + mine.Key}
	for _, rt := range v1Routes(mine, c.ID, label.ID) {
		if strings.HasPrefix(rt.path, "/api/v1/books") {
			continue
		}
		do(t, rt.method, e.url+rt.path, noBook, `{"first_name":"x"}`).expect(t, http.StatusUnprocessableEntity, relaybook.EINVALID, "X-Book-ID")
	}
	// Unknown contact ids in my own book.
	for _, id := range []string{"00000000-0000-0000-0000-000000000000", "nope"} {
		do(t, "GET", e.url+"/api/v1/contacts/"+id, mine.keyHeaders(), nil).expect(t, http.StatusNotFound)
		do(t, "PATCH", e.url+"/api/v1/contacts/"+id, mine.keyHeaders(), `{}`).expect(t, http.StatusNotFound)
		do(t, "DELETE", e.url+"/api/v1/contacts/"+id, mine.keyHeaders(), nil).expect(t, http.StatusNotFound)
	}
	// Nothing was written by any of it.
	if evs := e.contactEvents(t, mine.ID); len(evs) != 1 {
		t.Errorf("my team has %d contact events, want 1 (the fixture)", len(evs))
	}
}

func TestContactLifecycleAndEvents(t *testing.T) {
	e := newEnv(t, api.Options{})
	tm := e.newTeam(t)
	h := tm.keyHeaders()

	create := `{"first_name":" Jane ","last_name":"Cooper","company":"Acme Corp","job_title":"Head of Partnerships",
		"emails":[{"label":"work","value":"jane@acme.example"}],"phones":[{"label":"mobile","value":"+1 555 0100"}],
		"notes":"met at the fair","starred":true,"birthday":"1990-04-01","website":"https://jane.example",
		"addresses":[{"label":"work","street":"1 Main St","city":"Springfield","region":"IL","postal_code":"62701","country":"US"}],
		"socials":[{"label":"linkedin","value":"janecooper"}]}`
	var c relaybook.Contact
	do(t, "POST", e.url+"/api/v1/contacts", h, create).expect(t, http.StatusCreated).data(t, &c)
	if c.ID == "" || c.BookID != tm.Book.ID || c.FirstName != "Jane" || c.Company != "Acme Corp" || !c.Starred ||
		c.Birthday == nil || *c.Birthday != "1990-04-01" || len(c.Emails) != 1 || len(c.Addresses) != 1 || c.Addresses[0].PostalCode != "62701" ||
		len(c.Socials) != 1 || len(c.Phones) != 1 || c.Labels == nil {
		t.Fatalf("created contact: %+v", c)
	}

	var got relaybook.Contact
	do(t, "GET", e.url+"/api/v1/contacts/"+c.ID, h, nil).expect(t, http.StatusOK).data(t, &got)
	if !reflect.DeepEqual(got, c) {
		t.Errorf("GET = %+v, want %+v", got, c)
	}

	// PATCH changes only what it sends; null clears the birthday.
	var patched relaybook.Contact
	do(t, "PATCH", e.url+"/api/v1/contacts/"+c.ID, h, `{"company":"Globex","birthday":null,"phones":[]}`).expect(t, http.StatusOK).data(t, &patched)
	if patched.Company != "Globex" || patched.Birthday != nil || len(patched.Phones) != 0 ||
		patched.FirstName != "Jane" || patched.Notes != c.Notes || len(patched.Emails) != 1 || !patched.Starred {
		t.Errorf("patched contact: %+v", patched)
	}

	do(t, "DELETE", e.url+"/api/v1/contacts/"+c.ID, h, nil).expect(t, http.StatusNoContent)
	do(t, "GET", e.url+"/api/v1/contacts/"+c.ID, h, nil).expect(t, http.StatusNotFound)
	do(t, "DELETE", e.url+"/api/v1/contacts/"+c.ID, h, nil).expect(t, http.StatusNotFound)

	evs := e.contactEvents(t, tm.ID)
	wantTypes := []string{relaybook.EventContactCreated, relaybook.EventContactUpdated, relaybook.EventContactDeleted}
	if len(evs) != len(wantTypes) {
		t.Fatalf("events: %+v", evs)
	}
	for i, ev := range evs {
		if ev.Type != wantTypes[i] || ev.TeamID != tm.ID || ev.BookID == nil || *ev.BookID != tm.Book.ID {
			t.Errorf("event %d: %s team %s book %v", i, ev.Type, ev.TeamID, ev.BookID)
		}
		if ev.Payload["event"] != ev.Type || ev.Payload["team_id"] != tm.ID || ev.Payload["book_id"] != tm.Book.ID {
			t.Errorf("event %d payload envelope: %v", i, ev.Payload)
		}
		if ts, _ := ev.Payload["timestamp"].(string); len(ts) != len(relaybook.TimeFormat) {
			t.Errorf("event %d timestamp %q is not %s", i, ts, relaybook.TimeFormat)
		}
	}
	// contact.created and contact.updated carry the full contact, exactly
	// as the API showed it; contact.deleted carries the id alone.
	assertData(t, evs[0], c)
	assertData(t, evs[1], patched)
	if data := evs[2].Payload["data"]; !reflect.DeepEqual(data, map[string]any{"id": c.ID}) {
		t.Errorf("contact.deleted data = %v, want only the id", data)
	}
}

// assertData checks that an event's data is the contact, field for field.
func assertData(tb testing.TB, ev eventRow, c relaybook.Contact) {
	tb.Helper()
	raw, err := json.Marshal(c)
	must(tb, err)
	var want map[string]any
	must(tb, json.Unmarshal(raw, &want))
	if !reflect.DeepEqual(ev.Payload["data"], any(want)) {
		tb.Errorf("%s data =\n%v\nwant\n%v", ev.Type, ev.Payload["data"], want)
	}
}

func TestContactValidation(t *testing.T) {
	e := newEnv(t, api.Options{})
	tm := e.newTeam(t)
	h := tm.keyHeaders()
	existing := newContact(t, e, tm, "Jane")
	long := strings.Repeat("x", 501)
	many := "[" + strings.TrimSuffix(strings.Repeat(`{"label":"a","value":"b"},`, 51), ",") + "]"

	cases := []struct {
		name, body, field string
	}{
		{"first_name too long", `{"first_name":"` + long + `"}`, "first_name"},
		{"first_name wrong type", `{"first_name":5}`, "first_name"},
		{"first_name NUL", `{"first_name":"a\u0000b"}`, "first_name"},
		{"last_name too long", `{"last_name":"` + long + `"}`, "last_name"},
		{"company wrong type", `{"company":["x"]}`, "company"},
		{"job_title too long", `{"job_title":"` + long + `"}`, "job_title"},
		{"website too long", `{"website":"` + long + `"}`, "website"},
		{"notes too long", `{"notes":"` + strings.Repeat("n", 20001) + `"}`, "notes"},
		{"notes wrong type", `{"notes":{}}`, "notes"},
		{"starred wrong type", `{"starred":"yes"}`, "starred"},
		{"birthday not a date", `{"birthday":"April 1st"}`, "birthday"},
		{"birthday impossible", `{"birthday":"1990-02-30"}`, "birthday"},
		{"birthday year zero", `{"birthday":"0000-01-01"}`, "birthday"},
		{"birthday wrong type", `{"birthday":19900401}`, "birthday"},
		{"emails not an address", `{"emails":[{"label":"work","value":"not an email"}]}`, "emails[0].value"},
		{"emails empty value", `{"emails":[{"label":"work","value":""}]}`, "emails[0].value"},
		{"emails wrong type", `{"emails":"jane@acme.example"}`, "emails"},
		{"emails item wrong type", `{"emails":[{"label":"work","value":7}]}`, "emails.value"},
		{"emails unknown item field", `{"emails":[{"label":"work","value":"a@b.example","primary":true}]}`, "primary"},
		{"phones empty value", `{"phones":[{"label":"work","value":"  "}]}`, "phones[0].value"},
		{"phones too many", `{"phones":` + many + `}`, "phones"},
		{"socials label too long", `{"socials":[{"label":"` + long + `","value":"x"}]}`, "socials[0].label"},
		{"addresses city too long", `{"addresses":[{"city":"` + long + `"}]}`, "addresses[0].city"},
		{"addresses wrong type", `{"addresses":{"city":"x"}}`, "addresses"},
		{"unknown field", `{"first_name":"Jane","nickname":"JJ"}`, "nickname"},
		{"read-only field", `{"first_name":"Jane","id":"x"}`, "id"},
	}
	for _, tc := range cases {
		t.Run("create/"+tc.name, func(t *testing.T) {
			do(t, "POST", e.url+"/api/v1/contacts", h, tc.body).expect(t, http.StatusUnprocessableEntity, relaybook.EINVALID, tc.field)
		})
		t.Run("patch/"+tc.name, func(t *testing.T) {
			do(t, "PATCH", e.url+"/api/v1/contacts/"+existing.ID, h, tc.body).expect(t, http.StatusUnprocessableEntity, relaybook.EINVALID, tc.field)
		})
	}
	t.Run("create/nothing to call it by", func(t *testing.T) {
		do(t, "POST", e.url+"/api/v1/contacts", h, `{"notes":"who?"}`).expect(t, http.StatusUnprocessableEntity, relaybook.EINVALID, "first_name")
		do(t, "POST", e.url+"/api/v1/contacts", h, `{}`).expect(t, http.StatusUnprocessableEntity, relaybook.EINVALID, "first_name")
		do(t, "POST", e.url+"/api/v1/contacts", h, `null`).expect(t, http.StatusUnprocessableEntity, relaybook.EINVALID, "body")
	})

	malformed := map[string]string{
		"empty":            ``,
		"not JSON":         `first_name=Jane`,
		"truncated":        `{"first_name":"Jane"`,
		"trailing garbage": `{"first_name":"Jane"} x`,
		"two objects":      `{"first_name":"Jane"}{"first_name":"Bob"}`,
		"array":            `[{"first_name":"Jane"}]`,
		"string":           `"Jane"`,
		"bad escape":       `{"first_name":"\x"}`,
	}
	for name, body := range malformed {
		t.Run("malformed/"+name, func(t *testing.T) {
			do(t, "POST", e.url+"/api/v1/contacts", h, body).expect(t, http.StatusBadRequest, relaybook.EMALFORMED)
			do(t, "PATCH", e.url+"/api/v1/contacts/"+existing.ID, h, body).expect(t, http.StatusBadRequest, relaybook.EMALFORMED)
		})
	}

	t.Run("body over 1 MiB", func(t *testing.T) {
		big := `{"notes":"` + strings.Repeat("a", api.MaxBodyBytes) + `"}`
		do(t, "POST", e.url+"/api/v1/contacts", h, big).expect(t, http.StatusRequestEntityTooLarge, relaybook.ETOOLARGE)
		do(t, "PATCH", e.url+"/api/v1/contacts/"+existing.ID, h, big).expect(t, http.StatusRequestEntityTooLarge, relaybook.ETOOLARGE)
		// Trailing bytes past the limit count too.
		do(t, "POST", e.url+"/api/v1/contacts", h, `{"first_name":"x"}`+strings.Repeat(" ", api.MaxBodyBytes)).expect(t, http.StatusRequestEntityTooLarge)
	})

	// None of the failures wrote anything: one event, the fixture's.
	if evs := e.contactEvents(t, tm.ID); len(evs) != 1 {
		t.Errorf("%d contact events after failed writes, want 1", len(evs))
	}
	var got relaybook.Contact
	do(t, "GET", e.url+"/api/v1/contacts/"+existing.ID, h, nil).expect(t, http.StatusOK).data(t, &got)
	if got.FirstName != "Jane" || got.UpdatedAt != existing.UpdatedAt {
		t.Errorf("contact changed by failed patches: %+v", got)
	}
}

func TestContactPagination(t *testing.T) {
	e := newEnv(t, api.Options{})
	tm := e.newTeam(t)
	h := tm.keyHeaders()
	want := map[string]bool{}
	for i := range 7 {
		var c relaybook.Contact
		do(t, "POST", e.url+"/api/v1/contacts", h, fmt.Sprintf(`{"first_name":"Person %d"}`, i)).expect(t, http.StatusCreated).data(t, &c)
		want[c.ID] = true
	}
	// Another book's contacts never show up.
	other, err := e.svc.Books.CreateBook(context.Background(), tm.ID, "Other")
	must(t, err)
	_, err = e.svc.Contacts.CreateContact(context.Background(), relaybook.Scope{TeamID: tm.ID, BookID: other.ID}, relaybook.ContactInput{Company: ptr("Elsewhere")})
	must(t, err)

	seen := map[string]int{}
	var sizes []int
	cursor := ""
	for page := 0; ; page++ {
		if page > 5 {
			t.Fatal("pagination does not end")
		}
		url := e.url + "/api/v1/contacts?limit=3"
		if cursor != "" {
			url += "&cursor=" + cursor
		}
		r := do(t, "GET", url, h, nil).expect(t, http.StatusOK)
		var contacts []relaybook.Contact
		r.data(t, &contacts)
		if r.Body.Pagination == nil || r.Body.Pagination.Limit != 3 {
			t.Fatalf("pagination: %s", r.Raw)
		}
		sizes = append(sizes, len(contacts))
		for _, c := range contacts {
			seen[c.ID]++
		}
		if r.Body.Pagination.NextCursor == nil {
			if !strings.Contains(string(r.Raw), `"next_cursor":null`) {
				t.Errorf("last page must say next_cursor null: %s", r.Raw)
			}
			break
		}
		cursor = *r.Body.Pagination.NextCursor
	}
	if !reflect.DeepEqual(sizes, []int{3, 3, 1}) {
		t.Errorf("page sizes %v, want [3 3 1]", sizes)
	}
	if len(seen) != len(want) {
		t.Errorf("saw %d contacts, want %d", len(seen), len(want))
	}
	for id, n := range seen {
		if !want[id] || n != 1 {
			t.Errorf("contact %s seen %d times (ours: %v)", id, n, want[id])
		}
	}

	// Default limit.
	r := do(t, "GET", e.url+"/api/v1/contacts", h, nil).expect(t, http.StatusOK)
	if r.Body.Pagination.Limit != relaybook.DefaultContactLimit || r.Body.Pagination.NextCursor != nil {
		t.Errorf("default page: %s", r.Raw)
	}
	do(t, "GET", e.url+"/api/v1/contacts?limit=200", h, nil).expect(t, http.StatusOK)

	for _, q := range []string{"limit=0", "limit=201", "limit=-1", "limit=abc", "limit=3.5", "limit=%2B3", "limit=99999999999999999999"} {
		do(t, "GET", e.url+"/api/v1/contacts?"+q, h, nil).expect(t, http.StatusUnprocessableEntity, relaybook.EINVALID, "limit")
	}
	// Cursors are opaque: anything we did not hand out is a 422, including
	// well-formed ones that point outside PostgreSQL's time range.
	for _, c := range []string{"garbage", "!!!", "MTIzfG5vdC1hLXV1aWQ", b64("9223372036854775807|00000000-0000-0000-0000-000000000000"),
		b64("-9223372036854775808|00000000-0000-0000-0000-000000000000"), b64("12abc|00000000-0000-0000-0000-000000000000")} {
		do(t, "GET", e.url+"/api/v1/contacts?cursor="+c, h, nil).expect(t, http.StatusUnprocessableEntity, relaybook.EINVALID, "cursor")
	}
}

func ptr[T any](v T) *T { return &v }

// The list serves stored documents: after every kind of write, a contact's
// list entry must be byte for byte what GET returns for it.
func TestListEntriesMatchGetAfterEveryWrite(t *testing.T) {
	e := newEnv(t, api.Options{})
	tm := e.newTeam(t)
	h := tm.keyHeaders()
	var c relaybook.Contact
	do(t, "POST", e.url+"/api/v1/contacts", h, `{"first_name":"Jane","company":"A <&> B","birthday":"1990-04-01","emails":[{"label":"work","value":"jane@acme.example"}]}`).
		expect(t, http.StatusCreated).data(t, &c)
	var label relaybook.Contact
	steps := []struct {
		name string
		do   func()
	}{
		{"create", func() {}},
		{"patch", func() {
			do(t, "PATCH", e.url+"/api/v1/contacts/"+c.ID, h, `{"company":"Globex","birthday":null}`).expect(t, http.StatusOK)
		}},
		{"add label", func() {
			do(t, "POST", e.url+"/api/v1/contacts/"+c.ID+"/labels", h, `{"name":"VIP","color":"#ff0000"}`).expect(t, http.StatusOK).data(t, &label)
		}},
		{"remove label", func() {
			do(t, "DELETE", e.url+"/api/v1/contacts/"+c.ID+"/labels/"+label.Labels[0].ID, h, nil).expect(t, http.StatusOK)
		}},
	}
	for _, step := range steps {
		step.do()
		one := do(t, "GET", e.url+"/api/v1/contacts/"+c.ID, h, nil).expect(t, http.StatusOK)
		list := do(t, "GET", e.url+"/api/v1/contacts", h, nil).expect(t, http.StatusOK)
		var entries []json.RawMessage
		list.data(t, &entries)
		if len(entries) != 1 || string(entries[0]) != string(one.Body.Data) {
			t.Errorf("after %s: list entry\n %s\nwant GET's\n %s", step.name, list.Body.Data, one.Body.Data)
		}
	}
	if len(label.Labels) != 1 || label.Labels[0].Name != "VIP" {
		t.Errorf("add label returned %+v", label)
	}
}
