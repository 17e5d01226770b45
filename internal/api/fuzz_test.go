package api_test

import (
	"encoding/json"
	"net/http"
	"reflect"
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

var labelSeeds = []string{
	`{"name":"VIP","color":"red"}`,
	`{"name":"  VIP  "}`,
	`{"name":"vip"}`,
	`{"name":"a\u0000b"}`,
	`{"name":"x","color":"\u0000"}`,
	`{"name":"x","color":"` + strings.Repeat("c", 40) + `"}`,
	`{"name":"` + strings.Repeat("é", 201) + `"}`,
	`{"label_id":"00000000-0000-0000-0000-000000000000"}`,
	`{"label_id":"not-a-uuid"}`,
	`{"label_id":"x","name":"y"}`,
	`{"NAME":"x"}`,
	`{"name":""}`,
	`{}`,
	`null`,
	`[]`,
}

var webhookPatchSeeds = []string{
	`{"active":false}`,
	`{"active":true,"events":["contact.deleted"]}`,
	`{"url":"https://moved.example/hook"}`,
	`{"url":"https://x.example:99999/"}`,
	`{"url":"https://x.example/\u0000"}`,
	`{"events":[]}`,
	`{"events":["nope"]}`,
	`{"URL":"https://x.example"}`,
	`{"active":"no"}`,
	`{}`,
	`null`,
}

// fuzzRoute is one write route under fuzzing: where to send the body, what
// success looks like, and where a later GET reads the object back.
type fuzzRoute struct {
	method, url string
	headers     map[string]string
	success     int
	// readBack returns the GET URL for a successful answer's data and the
	// part of that data the GET must return unchanged; nil skips the check.
	readBack func(t *testing.T, data []byte) (url string, want []byte)
}

// fuzzJSON fuzzes one JSON body. Whatever arrives, the answer is the route's
// success status or a 4xx envelope, never a 5xx or a panic; and what a
// success answered is what a later GET returns, so nothing is stored in
// another form than the one shown.
func fuzzJSON(f *testing.F, seeds []string, route func(e *env, tm *team) fuzzRoute) {
	for _, s := range seeds {
		f.Add(s)
	}
	e := newEnv(f, api.Options{})
	rt := route(e, e.newTeam(f))
	// 404: a body may name an object that does not exist (a label_id).
	allowed := []int{rt.success, http.StatusBadRequest, http.StatusNotFound, http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity}
	f.Fuzz(func(t *testing.T, body string) {
		r := do(t, rt.method, rt.url, rt.headers, body)
		if !slices.Contains(allowed, r.Status) {
			t.Fatalf("status %d not one of %v: %s", r.Status, allowed, r.Raw)
		}
		if r.Status != rt.success || rt.readBack == nil {
			return
		}
		url, want := rt.readBack(t, r.Body.Data)
		got := do(t, http.MethodGet, url, rt.headers, nil).expect(t, http.StatusOK)
		if !jsonEqual(t, got.Body.Data, want) {
			t.Fatalf("answered %s but a GET returns %s", want, got.Body.Data)
		}
	})
}

func jsonEqual(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	must(t, json.Unmarshal(a, &x))
	must(t, json.Unmarshal(b, &y))
	return reflect.DeepEqual(x, y)
}

// field returns one member of a JSON object.
func field(t *testing.T, data []byte, name string) []byte {
	t.Helper()
	var m map[string]json.RawMessage
	must(t, json.Unmarshal(data, &m))
	return m[name]
}

func idOf(data []byte) string {
	var v struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal(data, &v)
	return v.ID
}

func contactRoute(e *env) func(t *testing.T, data []byte) (string, []byte) {
	return func(_ *testing.T, data []byte) (string, []byte) {
		return e.url + "/api/v1/contacts/" + idOf(data), data
	}
}

func FuzzContactCreate(f *testing.F) {
	fuzzJSON(f, contactSeeds, func(e *env, tm *team) fuzzRoute {
		return fuzzRoute{"POST", e.url + "/api/v1/contacts", tm.keyHeaders(), http.StatusCreated, contactRoute(e)}
	})
}

func FuzzContactPatch(f *testing.F) {
	fuzzJSON(f, contactSeeds, func(e *env, tm *team) fuzzRoute {
		c := newContact(f, e, tm, "Jane")
		return fuzzRoute{"PATCH", e.url + "/api/v1/contacts/" + c.ID, tm.keyHeaders(), http.StatusOK, contactRoute(e)}
	})
}

func FuzzLabelAdd(f *testing.F) {
	fuzzJSON(f, labelSeeds, func(e *env, tm *team) fuzzRoute {
		c := newContact(f, e, tm, "Jane")
		return fuzzRoute{"POST", e.url + "/api/v1/contacts/" + c.ID + "/labels", tm.keyHeaders(), http.StatusOK, contactRoute(e)}
	})
}

func FuzzWebhookCreate(f *testing.F) {
	fuzzJSON(f, webhookSeeds, func(e *env, tm *team) fuzzRoute {
		base := e.url + "/api/teams/" + tm.ID + "/webhooks"
		return fuzzRoute{"POST", base, bearerHeader(token(f, tm.Admin)), http.StatusCreated, func(t *testing.T, data []byte) (string, []byte) {
			hook := field(t, data, "webhook")
			return base + "/" + idOf(hook), hook
		}}
	})
}

func FuzzWebhookUpdate(f *testing.F) {
	fuzzJSON(f, webhookPatchSeeds, func(e *env, tm *team) fuzzRoute {
		admin := bearerHeader(token(f, tm.Admin))
		var created struct {
			Webhook struct {
				ID string `json:"id"`
			} `json:"webhook"`
		}
		do(f, "POST", e.url+"/api/teams/"+tm.ID+"/webhooks", admin,
			`{"url":"https://x.example/hook","events":["contact.created"]}`).expect(f, http.StatusCreated).data(f, &created)
		url := e.url + "/api/teams/" + tm.ID + "/webhooks/" + created.Webhook.ID
		return fuzzRoute{"PATCH", url, admin, http.StatusOK, func(_ *testing.T, data []byte) (string, []byte) { return url, data }}
	})
}

// The write routes this round added: recover, rotate-secret and test. A
// body is answered with the route's success status or a 4xx; never a 5xx.
var recoverSeeds = []string{
	`{"since":"10m"}`, `{"since":"24h","until":"1h"}`, `{"since":"2026-12-01T00:00:00Z"}`,
	`{"since":"1h","until":"2h"}`, `{"since":"-5m"}`, `{"since":"yesterday"}`, `{"since":""}`,
	`{"until":"1h"}`, `{"since":10}`, `{"SINCE":"1h"}`, `{}`, `null`, `[]`,
}

var rotateSeeds = []string{
	`{"grace":"24h"}`, `{"grace":"0s"}`, `{"grace":"-1h"}`, `{"grace":"721h"}`, `{"grace":"soon"}`,
	`{"grace":86400}`, `{"GRACE":"1h"}`, `{}`, `null`,
}

var testSendSeeds = []string{
	`{"event":"contact.created"}`, `{"event":"member.joined"}`, `{"event":"nope"}`, `{"event":""}`,
	`{"event":null}`, `{"EVENT":"contact.created"}`, `{}`, `null`, `{"event":["contact.created"]}`,
}

func adminWebhookRoute(e *env, tm *team, f *testing.F, suffix string, success int) fuzzRoute {
	admin := bearerHeader(token(f, tm.Admin))
	var created struct {
		Webhook struct {
			ID string `json:"id"`
		} `json:"webhook"`
	}
	// A closed loopback port: a test send gets its answer (a refusal) at once.
	do(f, "POST", e.url+"/api/teams/"+tm.ID+"/webhooks", admin,
		`{"url":"https://127.0.0.1:1/hook","events":["contact.created"]}`).expect(f, http.StatusCreated).data(f, &created)
	return fuzzRoute{"POST", e.url + "/api/teams/" + tm.ID + "/webhooks/" + created.Webhook.ID + suffix, admin, success, nil}
}

func FuzzWebhookRecover(f *testing.F) {
	fuzzJSON(f, recoverSeeds, func(e *env, tm *team) fuzzRoute {
		return adminWebhookRoute(e, tm, f, "/recover", http.StatusAccepted)
	})
}

func FuzzWebhookRotateSecret(f *testing.F) {
	fuzzJSON(f, rotateSeeds, func(e *env, tm *team) fuzzRoute {
		return adminWebhookRoute(e, tm, f, "/rotate-secret", http.StatusOK)
	})
}

func FuzzWebhookTestSend(f *testing.F) {
	fuzzJSON(f, testSendSeeds, func(e *env, tm *team) fuzzRoute {
		return adminWebhookRoute(e, tm, f, "/test", http.StatusOK)
	})
}
