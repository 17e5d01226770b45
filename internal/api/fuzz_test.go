package api_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/relaybook/relaybook/internal/api"
)

// Bodies that exercise every field and every way a body can be wrong; the
// fuzzers start from these. `go test` runs them as ordinary cases.
var contactSeeds = []string{
	`{"first_name":"Jane","last_name":"Cooper","company":"Acme Corp","job_title":"Head","emails":[{"label":"work","value":"jane@acme.example"}],"phones":[{"label":"m","value":"+1 555"}],"notes":"n","starred":true,"birthday":"1990-04-01","website":"https://x.example","addresses":[{"label":"w","street":"1 Main","city":"S","region":"IL","postal_code":"62701","country":"US"}],"socials":[{"label":"li","value":"jc"}]}`,
	`{"first_name":"Jane"}`,
	`{"company":"Acme","birthday":null}`,
	`{"birthday":"0000-01-01","first_name":"x"}`,
	`{"birthday":"9999-12-31","first_name":"x"}`,
	`{"birthday":"1990-02-30","first_name":"x"}`,
	`{"first_name":"a\u0000b"}`,
	`{"first_name":"\ud800"}`,
	"{\"first_name\":\"\xff\xfe\"}",
	`{"emails":[{"label":"","value":"a@b"}]}`,
	`{"emails":[{"label":"x","value":"\"quoted\"@example.com"}]}`,
	`{"emails":[{"value":"<a@b.example>"}]}`,
	`{"addresses":[{"city":"\u0000"}],"first_name":"x"}`,
	`{"starred":"true"}`,
	`{"emails":{}}`,
	`{"first_name":1e999}`,
	`{"notes":"` + strings.Repeat("é", 20001) + `"}`,
	`{}`,
	`null`,
	`[]`,
	`{"first_name":"x"} {}`,
	`{"first_name":`,
	``,
	`{"unknown":1}`,
	`{"first_name":"x","first_name":"y"}`,
	`{"socials":[{"label":"x","value":"y"},{"label":"x","value":"y"}],"company":" "}`,
}

var webhookSeeds = []string{
	`{"url":"https://your-server.com/webhook","events":["contact.created","contact.updated","contact.deleted"]}`,
	`{"url":"https://x.example","events":["member.joined","member.removed","book.created","book.deleted"]}`,
	`{"url":"http://x.example","events":["contact.created"]}`,
	`{"url":"https://x.example/\u0000","events":["contact.created"]}`,
	`{"url":"https://[::1]:99999/","events":["contact.created"]}`,
	`{"url":"https:///nohost","events":["contact.created"]}`,
	`{"url":"https://x.example#frag","events":["contact.created"]}`,
	`{"url":"https://x.example","events":[]}`,
	`{"url":"https://x.example","events":["contact.created","contact.created"]}`,
	`{"url":"https://x.example","events":[null]}`,
	`{"url":null,"events":null}`,
	`{"url":"https://x.example","events":["contact.created"],"active":true}`,
	`{"url":["https://x.example"]}`,
	`{}`,
	``,
	`{"url":"https://x.example","events":["contact.created"]}}`,
}

// fuzzJSON fuzzes one JSON body: whatever arrives, the answer is the
// route's success status or a 4xx envelope, never a 5xx or a panic.
func fuzzJSON(f *testing.F, seeds []string, route func(e *env, tm *team) (method, url string, h map[string]string, success int)) {
	for _, s := range seeds {
		f.Add(s)
	}
	e := newEnv(f, api.Options{})
	method, url, h, success := route(e, e.newTeam(f))
	allowed := []int{success, http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity}
	f.Fuzz(func(t *testing.T, body string) {
		r := do(t, method, url, h, body)
		if !slices.Contains(allowed, r.Status) {
			t.Fatalf("status %d not one of %v: %s", r.Status, allowed, r.Raw)
		}
	})
}

func FuzzContactCreate(f *testing.F) {
	fuzzJSON(f, contactSeeds, func(e *env, tm *team) (string, string, map[string]string, int) {
		return "POST", e.url + "/api/v1/contacts", tm.keyHeaders(), http.StatusCreated
	})
}

func FuzzContactPatch(f *testing.F) {
	fuzzJSON(f, contactSeeds, func(e *env, tm *team) (string, string, map[string]string, int) {
		c := newContact(f, e, tm, "Jane")
		return "PATCH", e.url + "/api/v1/contacts/" + c.ID, tm.keyHeaders(), http.StatusOK
	})
}

func FuzzWebhookCreate(f *testing.F) {
	fuzzJSON(f, webhookSeeds, func(e *env, tm *team) (string, string, map[string]string, int) {
		return "POST", e.url + "/api/teams/" + tm.ID + "/webhooks", bearerHeader(token(f, tm.Admin)), http.StatusCreated
	})
}
