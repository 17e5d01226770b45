package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/relaybook/relaybook/internal/api"
	"github.com/relaybook/relaybook/internal/relaybook"
)

// Regression tests for what an outside probe found (issue 18); each names
// the item it covers.

// Item 1: a NUL in a label name or colour is a 422 naming the field, never
// a driver error. (Invalid UTF-8 cannot arrive through JSON, whose decoder
// replaces it; the CLI's path is covered in the postgres tests.)
func TestLabelTextRefused(t *testing.T) {
	e := newEnv(t, api.Options{})
	tm := e.newTeam(t)
	c := newContact(t, e, tm, "Jane")
	url := e.url + "/api/v1/contacts/" + c.ID + "/labels"
	cases := []struct {
		body  string
		field string
	}{
		{`{"name":"a\u0000b"}`, "name"},
		{`{"name":"x","color":"\u0000"}`, "color"},
		{`{"name":"x","color":"` + strings.Repeat("c", 33) + `"}`, "color"},
	}
	for _, tc := range cases {
		do(t, http.MethodPost, url, tm.keyHeaders(), tc.body).expect(t, http.StatusUnprocessableEntity, relaybook.EINVALID, tc.field)
	}
}

// Item 2: ids in upper case name the same objects and are stored and echoed
// in canonical (lower) case.
func TestUpperCaseIDs(t *testing.T) {
	e := newEnv(t, api.Options{})
	tm := e.newTeam(t)
	h := tm.keyHeaders()
	h["X-Book-ID"] = strings.ToUpper(tm.Book.ID)
	var created relaybook.Contact
	do(t, http.MethodPost, e.url+"/api/v1/contacts", h, `{"first_name":"Jane"}`).expect(t, http.StatusCreated).data(t, &created)
	if created.BookID != tm.Book.ID {
		t.Fatalf("book_id %q echoed, want the canonical %q", created.BookID, tm.Book.ID)
	}
	var listed []relaybook.Contact
	do(t, http.MethodGet, e.url+"/api/v1/contacts", h, nil).expect(t, http.StatusOK).data(t, &listed)
	if len(listed) != 1 || listed[0].BookID != tm.Book.ID {
		t.Fatalf("listed %+v, want one contact with book_id %q", listed, tm.Book.ID)
	}
	ev := e.contactEvents(t, tm.ID)
	if len(ev) != 1 || ev[0].Payload["book_id"] != tm.Book.ID {
		t.Fatalf("event payload book_id %v, want %q", ev[0].Payload["book_id"], tm.Book.ID)
	}

	admin := bearerHeader(token(t, tm.Admin))
	var hook struct {
		Webhook relaybook.Webhook `json:"webhook"`
	}
	do(t, http.MethodPost, e.url+"/api/teams/"+strings.ToUpper(tm.ID)+"/webhooks", admin,
		`{"url":"https://example.com/hook","events":["contact.created"]}`).expect(t, http.StatusCreated).data(t, &hook)
	if hook.Webhook.TeamID != tm.ID {
		t.Fatalf("webhook team_id %q, want %q", hook.Webhook.TeamID, tm.ID)
	}
	up := e.url + "/api/teams/" + strings.ToUpper(tm.ID) + "/webhooks/" + strings.ToUpper(hook.Webhook.ID)
	var got relaybook.Webhook
	do(t, http.MethodGet, up, admin, nil).expect(t, http.StatusOK).data(t, &got)
	if got.ID != hook.Webhook.ID {
		t.Fatalf("got webhook %q, want %q", got.ID, hook.Webhook.ID)
	}
	do(t, http.MethodGet, up+"/deliveries", admin, nil).expect(t, http.StatusOK)
}

// Item 4: field names match exactly; another case is an unknown field.
func TestFieldNamesAreCaseSensitive(t *testing.T) {
	e := newEnv(t, api.Options{})
	tm := e.newTeam(t)
	c := newContact(t, e, tm, "Jane")
	do(t, http.MethodPost, e.url+"/api/v1/contacts", tm.keyHeaders(), `{"FIRST_NAME":"a"}`).
		expect(t, http.StatusUnprocessableEntity, relaybook.EINVALID, "FIRST_NAME")
	do(t, http.MethodPost, e.url+"/api/v1/contacts", tm.keyHeaders(), `{"first_name":"a","emails":[{"label":"w","Value":"a@b.co"}]}`).
		expect(t, http.StatusUnprocessableEntity, relaybook.EINVALID, "emails[0].Value")
	do(t, http.MethodPatch, e.url+"/api/v1/contacts/"+c.ID, tm.keyHeaders(), `{"Notes":"x"}`).
		expect(t, http.StatusUnprocessableEntity, relaybook.EINVALID, "Notes")
	admin := bearerHeader(token(t, tm.Admin))
	do(t, http.MethodPost, e.url+"/api/teams/"+tm.ID+"/webhooks", admin, `{"URL":"https://example.com/h","events":["contact.created"]}`).
		expect(t, http.StatusUnprocessableEntity, relaybook.EINVALID, "URL")
	if n := len(e.contactEvents(t, tm.ID)); n != 1 {
		t.Fatalf("%d contact events, want only the one of the contact made directly", n)
	}
}

// Item 5: a PATCH that changes nothing writes nothing and emits nothing;
// null is refused; a PATCH cannot leave a contact create would refuse.
func TestPatchThatChangesNothing(t *testing.T) {
	e := newEnv(t, api.Options{})
	tm := e.newTeam(t)
	c := newContact(t, e, tm, "Jane")
	url := e.url + "/api/v1/contacts/" + c.ID
	var same relaybook.Contact
	do(t, http.MethodPatch, url, tm.keyHeaders(), `{}`).expect(t, http.StatusOK).data(t, &same)
	do(t, http.MethodPatch, url, tm.keyHeaders(), `{"first_name":"Jane"}`).expect(t, http.StatusOK)
	if same.UpdatedAt != c.UpdatedAt || same.FirstName != "Jane" {
		t.Fatalf("an empty patch changed the contact: %+v", same)
	}
	do(t, http.MethodPatch, url, tm.keyHeaders(), `null`).expect(t, http.StatusUnprocessableEntity, relaybook.EINVALID, "body")
	do(t, http.MethodPatch, url, tm.keyHeaders(), `{"first_name":""}`).expect(t, http.StatusUnprocessableEntity, relaybook.EINVALID, "first_name")
	if n := len(e.contactEvents(t, tm.ID)); n != 1 {
		t.Fatalf("%d contact events, want 1 (the create): no-op patches emit nothing", n)
	}
	do(t, http.MethodPatch, url, tm.keyHeaders(), `{"last_name":"Doe"}`).expect(t, http.StatusOK)
	if n := len(e.contactEvents(t, tm.ID)); n != 2 {
		t.Fatalf("%d contact events, want 2 after a real change", n)
	}
}

// Item 6: a webhook URL's port must be 1 to 65535.
func TestWebhookURLPort(t *testing.T) {
	e := newEnv(t, api.Options{})
	tm := e.newTeam(t)
	admin := bearerHeader(token(t, tm.Admin))
	for _, u := range []string{"https://example.com:99999/", "https://example.com:0/", "https://example.com:-1/"} {
		r := do(t, http.MethodPost, e.url+"/api/teams/"+tm.ID+"/webhooks", admin, `{"url":"`+u+`","events":["contact.created"]}`)
		r.expect(t, http.StatusUnprocessableEntity, relaybook.EINVALID, "url")
	}
	do(t, http.MethodPost, e.url+"/api/teams/"+tm.ID+"/webhooks", admin, `{"url":"https://example.com:8443/","events":["contact.created"]}`).
		expect(t, http.StatusCreated)
}
