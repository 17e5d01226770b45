package api_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/gorilla/mux"
	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"

	"github.com/relaybook/relaybook/internal/api"
)

// operations lists "METHOD /path/template" for every route of the router.
func routerOperations(t *testing.T) []string {
	t.Helper()
	var ops []string
	err := api.NewServer(api.Services{}, api.Options{}).Router().Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		tpl, err := route.GetPathTemplate()
		if err != nil {
			return err
		}
		methods, err := route.GetMethods()
		if err != nil {
			t.Errorf("route %s has no methods: every route must say which it answers", tpl)
			return nil
		}
		for _, m := range methods {
			ops = append(ops, m+" "+tpl)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(ops)
	return ops
}

func documentOperations(t *testing.T) []string {
	t.Helper()
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(api.OpenAPI(), &doc); err != nil {
		t.Fatalf("openapi.json is not JSON: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.1.") {
		t.Errorf("openapi = %q, want 3.1.x", doc.OpenAPI)
	}
	var ops []string
	for path, item := range doc.Paths {
		for method := range item {
			if method == "parameters" || method == "summary" || method == "description" {
				continue
			}
			ops = append(ops, strings.ToUpper(method)+" "+path)
		}
	}
	slices.Sort(ops)
	return ops
}

// The document and the router describe the same routes: a route added to
// one and not the other fails here, whichever it was added to.
func TestOpenAPIMatchesRouter(t *testing.T) {
	routes, documented := routerOperations(t), documentOperations(t)
	if len(routes) == 0 {
		t.Fatal("the router has no routes")
	}
	for _, op := range routes {
		if !slices.Contains(documented, op) {
			t.Errorf("route %s is in the router but not in internal/api/openapi.json", op)
		}
	}
	for _, op := range documented {
		if !slices.Contains(routes, op) {
			t.Errorf("operation %s is in internal/api/openapi.json but not in the router", op)
		}
	}
}

func newValidator(t *testing.T) validator.Validator {
	t.Helper()
	doc, err := libopenapi.NewDocument(api.OpenAPI())
	if err != nil {
		t.Fatalf("parse openapi.json: %v", err)
	}
	v, errs := validator.NewValidator(doc)
	if len(errs) > 0 {
		t.Fatalf("build validator: %v", errs)
	}
	if ok, verrs := v.ValidateDocument(); !ok {
		for _, e := range verrs {
			t.Errorf("openapi.json is not a valid OpenAPI 3.1 document: %s: %s", e.Message, e.Reason)
		}
		t.FailNow()
	}
	return v
}

// exchange sends one request to the real API and checks both the request
// and the response against the document.
func exchange(t *testing.T, v validator.Validator, method, url string, headers map[string]string, body string, wantStatus int) []byte {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	must(t, err)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, val := range headers {
		req.Header.Set(k, val)
	}
	// The validator reads the body; keep a copy for the server.
	check, err := http.NewRequest(method, req.URL.Path+"?"+req.URL.RawQuery, strings.NewReader(body))
	must(t, err)
	check.Header = req.Header.Clone()
	if ok, errs := v.ValidateHttpRequest(check); !ok && wantStatus < 400 {
		for _, e := range errs {
			t.Errorf("%s %s: request does not match the document: %s: %s", method, req.URL.Path, e.Message, e.Reason)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	must(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	must(t, err)
	if resp.StatusCode != wantStatus {
		t.Fatalf("%s %s: status %d, want %d: %s", method, req.URL.Path, resp.StatusCode, wantStatus, raw)
	}
	resp.Body = io.NopCloser(bytes.NewReader(raw))
	check, _ = http.NewRequest(method, req.URL.Path+"?"+req.URL.RawQuery, strings.NewReader(body))
	check.Header = req.Header.Clone()
	if ok, errs := v.ValidateHttpResponse(check, resp); !ok {
		for _, e := range errs {
			t.Errorf("%s %s → %d: response does not match the document: %s: %s", method, req.URL.Path, resp.StatusCode, e.Message, e.Reason)
		}
	}
	return raw
}

// Example requests of every kind, and their real responses (successes and
// error envelopes), validate against the document.
func TestOpenAPIValidatesExamples(t *testing.T) {
	v := newValidator(t)
	e := newEnv(t, api.Options{})
	tm := e.newTeam(t)
	admin := bearerHeader(token(t, tm.Admin))
	key := tm.keyHeaders()

	exchange(t, v, "GET", e.url+"/healthz", nil, "", 200)
	exchange(t, v, "GET", e.url+"/livez", nil, "", 200)
	exchange(t, v, "GET", e.url+"/readyz", nil, "", 200)
	exchange(t, v, "GET", e.url+"/openapi.json", nil, "", 200)

	raw := exchange(t, v, "POST", e.url+"/api/v1/contacts", key,
		`{"first_name":"Jane","last_name":"Doe","emails":[{"label":"work","value":"jane@acme.test"}],"birthday":"1990-04-01","addresses":[{"label":"home","city":"Lyon"}]}`, 201)
	var created struct {
		Data struct{ ID string } `json:"data"`
	}
	must(t, json.Unmarshal(raw, &created))
	c := e.url + "/api/v1/contacts/" + created.Data.ID
	exchange(t, v, "GET", e.url+"/api/v1/contacts?limit=1", key, "", 200)
	exchange(t, v, "GET", c, key, "", 200)
	exchange(t, v, "PATCH", c, key, `{"company":"Acme","birthday":null}`, 200)
	raw = exchange(t, v, "POST", c+"/labels", key, `{"name":"VIP","color":"#ff0000"}`, 200)
	var labelled struct {
		Data struct {
			Labels []struct{ ID string } `json:"labels"`
		} `json:"data"`
	}
	must(t, json.Unmarshal(raw, &labelled))
	if len(labelled.Data.Labels) != 1 {
		t.Fatalf("label not added: %s", raw)
	}
	exchange(t, v, "GET", e.url+"/api/v1/books", key, "", 200)
	exchange(t, v, "GET", e.url+"/api/v1/books/"+tm.Book.ID, key, "", 200)
	exchange(t, v, "GET", e.url+"/api/v1/books/"+tm.Book.ID+"/labels", key, "", 200)
	exchange(t, v, "DELETE", c+"/labels/"+labelled.Data.Labels[0].ID, key, "", 200)
	exchange(t, v, "DELETE", c, key, "", 204)

	hooks := e.url + "/api/teams/" + tm.ID + "/webhooks"
	raw = exchange(t, v, "POST", hooks, admin, `{"url":"https://example.com/hook","events":["contact.created"]}`, 201)
	var hook struct {
		Data struct {
			Webhook struct{ ID string } `json:"webhook"`
		} `json:"data"`
	}
	must(t, json.Unmarshal(raw, &hook))
	h := hooks + "/" + hook.Data.Webhook.ID
	exchange(t, v, "GET", hooks, admin, "", 200)
	exchange(t, v, "GET", h, admin, "", 200)
	exchange(t, v, "PATCH", h, admin, `{"active":false}`, 200)
	exchange(t, v, "GET", h+"/deliveries?limit=10", admin, "", 200)
	exchange(t, v, "POST", h+"/rotate-secret", admin, `{"grace":"1h"}`, 200)
	exchange(t, v, "POST", h+"/rotate-secret", admin, `{"grace":"soon"}`, 422)
	exchange(t, v, "DELETE", h, admin, "", 204)

	// Error envelopes.
	exchange(t, v, "GET", e.url+"/api/v1/books", nil, "", 401)
	exchange(t, v, "GET", hooks, bearerHeader(token(t, tm.Member)), "", 403)
	exchange(t, v, "GET", c, key, "", 404)
	// A 405 has no operation to validate against; its envelope is the
	// document's Error all the same.
	r := do(t, "PUT", e.url+"/api/v1/books", key, nil)
	r.expect(t, 405, "method_not_allowed")
	exchange(t, v, "POST", e.url+"/api/v1/contacts", key, `{"first_name":`, 400)
	exchange(t, v, "POST", e.url+"/api/v1/contacts", key, `{"emails":[{"label":"work","value":"not an email"}]}`, 422)
	exchange(t, v, "GET", e.url+"/api/v1/contacts?limit=500", key, "", 422)
}
