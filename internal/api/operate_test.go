package api_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/relaybook/relaybook/internal/api"
	"github.com/relaybook/relaybook/internal/relaybook"
	"github.com/relaybook/relaybook/internal/signature"
)

type eventObject struct {
	ID         string          `json:"id"`
	Type       string          `json:"type"`
	TeamID     string          `json:"team_id"`
	BookID     *string         `json:"book_id"`
	CreatedAt  string          `json:"created_at"`
	Payload    json.RawMessage `json:"payload"`
	Deliveries []struct {
		WebhookID     string  `json:"webhook_id"`
		State         string  `json:"state"`
		Attempts      int     `json:"attempts"`
		NextAttemptAt *string `json:"next_attempt_at"`
		LastStatus    *int    `json:"last_status"`
	} `json:"deliveries"`
}

// createContacts makes n contacts through the API: n contact.created events.
func createContacts(t *testing.T, e *env, tm *team, n int) {
	t.Helper()
	for range n {
		do(t, http.MethodPost, e.url+"/api/v1/contacts", tm.keyHeaders(), map[string]any{"first_name": "Ada"}).expect(t, http.StatusCreated)
	}
}

func (e *env) hook(t *testing.T, tm *team, events ...string) *relaybook.CreatedWebhook {
	t.Helper()
	h, err := e.svc.Webhooks.CreateWebhook(context.Background(), relaybook.WebhookInput{TeamID: tm.ID, URL: "https://example.com/hook", Events: events})
	must(t, err)
	return h
}

func TestEventsRoutes(t *testing.T) {
	e := newEnv(t, api.Options{})
	tm := e.newTeam(t)
	a := e.hook(t, tm, "contact.created")
	b := e.hook(t, tm, "contact.created", "contact.deleted")
	createContacts(t, e, tm, 3)
	admin := bearerHeader(token(t, tm.Admin))
	base := e.url + "/api/teams/" + tm.ID + "/events"

	// The oldest contact event: its delivery to A gave up after a 503.
	var first string
	must(t, e.db.SQL().Get(&first, `SELECT id FROM events WHERE team_id = $1 AND type = 'contact.created' ORDER BY created_at, id LIMIT 1`, tm.ID))
	_, err := e.db.SQL().Exec(`UPDATE deliveries SET state = 'failed', attempts = 4 WHERE event_id = $1 AND webhook_id = $2`, first, a.Webhook.ID)
	must(t, err)
	_, err = e.db.SQL().Exec(`INSERT INTO delivery_attempts (id, delivery_id, webhook_id, event_id, event_type, attempt, response_status, duration_ms, success, created_at)
		SELECT gen_random_uuid(), id, webhook_id, event_id, 'contact.created', 4, 503, 12, false, now() FROM deliveries WHERE event_id = $1 AND webhook_id = $2`, first, a.Webhook.ID)
	must(t, err)

	// Two pages of contact.created, newest first, then no cursor.
	var page1, page2 []eventObject
	r := do(t, http.MethodGet, base+"?type=contact.created&limit=2", admin, nil).expect(t, http.StatusOK)
	r.data(t, &page1)
	if len(page1) != 2 || r.Body.Pagination == nil || r.Body.Pagination.Limit != 2 || r.Body.Pagination.NextCursor == nil {
		t.Fatalf("page 1: %s", r.Raw)
	}
	r = do(t, http.MethodGet, base+"?type=contact.created&limit=2&cursor="+url.QueryEscape(*r.Body.Pagination.NextCursor), admin, nil).expect(t, http.StatusOK)
	r.data(t, &page2)
	if len(page2) != 1 || r.Body.Pagination.NextCursor != nil {
		t.Fatalf("page 2: %s", r.Raw)
	}
	all := append(page1, page2...)
	if all[2].ID != first || all[0].CreatedAt < all[1].CreatedAt || all[1].CreatedAt < all[2].CreatedAt {
		t.Fatalf("not newest first, or the oldest is not last: %+v", all)
	}
	states := map[string]string{}
	for _, d := range all[2].Deliveries {
		states[d.WebhookID] = d.State
		if d.WebhookID == a.Webhook.ID && (d.Attempts != 4 || d.LastStatus == nil || *d.LastStatus != 503 || d.NextAttemptAt != nil) {
			t.Errorf("delivery to A: %+v, want failed after 4 attempts, last 503, nothing next", d)
		}
		if d.WebhookID == b.Webhook.ID && (d.Attempts != 0 || d.NextAttemptAt == nil || d.LastStatus != nil) {
			t.Errorf("delivery to B: %+v, want pending, not yet tried", d)
		}
	}
	if len(all[2].Deliveries) != 2 || states[a.Webhook.ID] != "failed" || states[b.Webhook.ID] != "pending" {
		t.Errorf("deliveries of the oldest event: %+v", all[2].Deliveries)
	}
	if all[0].Payload != nil || all[0].TeamID != tm.ID || all[0].BookID == nil || *all[0].BookID != tm.Book.ID {
		t.Errorf("list item: %+v (no payload in lists; team and book set)", all[0])
	}

	// Every type (member and book events too) without a filter.
	var every []eventObject
	do(t, http.MethodGet, base, admin, nil).expect(t, http.StatusOK).data(t, &every)
	if len(every) < 5 {
		t.Errorf("unfiltered list has %d events, want the book, members and contacts", len(every))
	}

	// show: the object plus the exact payload.
	var shown eventObject
	do(t, http.MethodGet, base+"/"+first, admin, nil).expect(t, http.StatusOK).data(t, &shown)
	var stored []byte
	must(t, e.db.SQL().Get(&stored, `SELECT payload FROM events WHERE id = $1`, first))
	if shown.ID != first || string(shown.Payload) != string(stored) || len(shown.Deliveries) != 2 {
		t.Errorf("events show: %+v, payload %s, want %s", shown, shown.Payload, stored)
	}

	// The window.
	var none []eventObject
	do(t, http.MethodGet, base+"?until="+url.QueryEscape(time.Now().Add(-time.Hour).Format(time.RFC3339)), admin, nil).expect(t, http.StatusOK).data(t, &none)
	var recent []eventObject
	do(t, http.MethodGet, base+"?type=contact.created&since=1h", admin, nil).expect(t, http.StatusOK).data(t, &recent)
	if len(none) != 0 || len(recent) != 3 {
		t.Errorf("until 1h ago: %d events, want 0; since 1h: %d, want 3", len(none), len(recent))
	}

	for _, c := range []struct{ query, field string }{
		{"since=yesterday", "since"},
		{"until=-5m", "until"},
		{"since=1h&until=2h", "until"},
		{"limit=0", "limit"},
		{"limit=201", "limit"},
		{"cursor=bogus", "cursor"},
		{"type=contact.exploded", "type"},
	} {
		do(t, http.MethodGet, base+"?"+c.query, admin, nil).expect(t, http.StatusUnprocessableEntity, relaybook.EINVALID, c.field)
	}

	// Another team's event is not found through this team; another team's
	// admin is refused.
	other := e.newTeam(t)
	do(t, http.MethodGet, e.url+"/api/teams/"+other.ID+"/events/"+first, bearerHeader(token(t, other.Admin)), nil).expect(t, http.StatusNotFound)
	do(t, http.MethodGet, base, bearerHeader(token(t, other.Admin)), nil).expect(t, http.StatusForbidden)
}

func TestDeliveriesRouteFilters(t *testing.T) {
	e := newEnv(t, api.Options{})
	tm := e.newTeam(t)
	h := e.hook(t, tm, "contact.created")
	createContacts(t, e, tm, 3)
	admin := bearerHeader(token(t, tm.Admin))
	base := e.url + "/api/teams/" + tm.ID + "/webhooks/" + h.Webhook.ID + "/deliveries"

	var events []string
	must(t, e.db.SQL().Select(&events, `SELECT event_id FROM deliveries WHERE webhook_id = $1 ORDER BY created_at, event_id`, h.Webhook.ID))
	// Event 0: a 500 two hours ago, then a 200; event 1: a 500; event 2: a 200.
	log := []struct {
		event   int
		status  int
		success bool
		ago     time.Duration
	}{{0, 500, false, 2 * time.Hour}, {0, 200, true, 3 * time.Second}, {1, 500, false, 2 * time.Second}, {2, 200, true, time.Second}}
	for i, l := range log {
		_, err := e.db.SQL().Exec(`INSERT INTO delivery_attempts (id, delivery_id, webhook_id, event_id, event_type, attempt, response_status, duration_ms, success, created_at)
			SELECT gen_random_uuid(), id, webhook_id, event_id, 'contact.created', $3, $4, 5, $5, now() - $6 * interval '1 millisecond'
			FROM deliveries WHERE webhook_id = $1 AND event_id = $2`, h.Webhook.ID, events[l.event], i+1, l.status, l.success, l.ago.Milliseconds())
		must(t, err)
	}

	list := func(query string) ([]relaybook.DeliveryAttempt, *response) {
		var out []relaybook.DeliveryAttempt
		r := do(t, http.MethodGet, base+"?"+query, admin, nil).expect(t, http.StatusOK)
		r.data(t, &out)
		return out, r
	}
	if got, _ := list("failed=true"); len(got) != 2 || got[0].Success || got[1].Success {
		t.Errorf("failed=true: %+v, want the two 500s", got)
	}
	if got, _ := list("failed=false"); len(got) != 4 {
		t.Errorf("failed=false: %d attempts, want all 4", len(got))
	}
	if got, _ := list("event=" + events[0]); len(got) != 2 || got[0].EventID != events[0] || !got[0].Success {
		t.Errorf("event filter: %+v, want event 0's two attempts, the 200 first", got)
	}
	if got, _ := list("since=1h"); len(got) != 3 {
		t.Errorf("since=1h: %d attempts, want 3 (not the one 2h ago)", len(got))
	}
	if got, _ := list("until=1h"); len(got) != 1 || got[0].ResponseStatus == nil || *got[0].ResponseStatus != 500 {
		t.Errorf("until=1h: %+v, want the one 2h ago", got)
	}

	// The cursor walks the log once, newest first.
	seen := map[string]bool{}
	var order []relaybook.DeliveryAttempt
	query := "limit=3"
	for pages := 0; ; pages++ {
		got, r := list(query)
		for _, a := range got {
			if seen[a.ID] {
				t.Fatalf("attempt %s on two pages", a.ID)
			}
			seen[a.ID] = true
			order = append(order, a)
		}
		if r.Body.Pagination == nil || r.Body.Pagination.NextCursor == nil {
			break
		}
		if pages > 3 {
			t.Fatal("the cursor does not end")
		}
		query = "limit=3&cursor=" + url.QueryEscape(*r.Body.Pagination.NextCursor)
	}
	if len(order) != 4 || order[3].Attempt != 1 || order[0].Attempt != 4 {
		t.Errorf("paged log: %d attempts, want all 4 newest first", len(order))
	}

	for _, c := range []struct{ query, field string }{
		{"failed=maybe", "failed"},
		{"event=not-an-id", "event"},
		{"since=soon", "since"},
		{"since=1m&until=1h", "until"},
		{"cursor=%21%21", "cursor"},
	} {
		do(t, http.MethodGet, base+"?"+c.query, admin, nil).expect(t, http.StatusUnprocessableEntity, relaybook.EINVALID, c.field)
	}
}

// receiver is a local webhook endpoint that answers with status.
type receiver struct {
	*httptest.Server
	status atomic.Int32
	mu     sync.Mutex
	got    []*http.Request
	bodies [][]byte
}

func newReceiver(t *testing.T) *receiver {
	rc := &receiver{}
	rc.status.Store(http.StatusOK)
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.got, rc.bodies = append(rc.got, r), append(rc.bodies, body)
		rc.mu.Unlock()
		w.WriteHeader(int(rc.status.Load()))
		io.WriteString(w, "thanks")
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) last(t *testing.T) (*http.Request, []byte) {
	t.Helper()
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.got) == 0 {
		t.Fatal("the receiver got nothing")
	}
	return rc.got[len(rc.got)-1], rc.bodies[len(rc.bodies)-1]
}

func TestWebhookTestRoute(t *testing.T) {
	e := newEnv(t, api.Options{})
	tm := e.newTeam(t)
	rc := newReceiver(t)
	h := e.hook(t, tm, "member.joined", "contact.created")
	other := e.hook(t, tm, "contact.created") // must not get the test event
	// Paused, and pointing at the local receiver (creation insists on https).
	_, err := e.db.SQL().Exec(`UPDATE webhooks SET url = $1, active = false WHERE id = $2`, rc.URL+"/hook", h.Webhook.ID)
	must(t, err)
	admin := bearerHeader(token(t, tm.Admin))
	path := e.url + "/api/teams/" + tm.ID + "/webhooks/" + h.Webhook.ID + "/test"

	var a relaybook.DeliveryAttempt
	do(t, http.MethodPost, path, admin, nil).expect(t, http.StatusOK).data(t, &a)
	req, body := rc.last(t)
	if a.EventType != "member.joined" || !a.Success || a.ResponseStatus == nil || *a.ResponseStatus != 200 || a.Attempt != 1 || a.ID == "" {
		t.Errorf("test attempt: %+v, want member.joined (the first event) answered 200", a)
	}
	if req.Header.Get("X-Relay-Test") != "true" || req.Header.Get("X-Relay-Event") != "member.joined" || req.Header.Get("X-Relay-Event-ID") != a.EventID {
		t.Errorf("headers: %v", req.Header)
	}
	if !signature.Verify(h.Secret, body, req.Header.Get("X-Relay-Signature")) {
		t.Error("the test request's signature does not verify with the webhook's secret")
	}
	if string(a.Payload) != string(body) {
		t.Errorf("attempt payload %s, sent %s", a.Payload, body)
	}

	// Logged like any attempt: in the webhook's log, its event found by id
	// (but not in the team's event list).
	var logged []relaybook.DeliveryAttempt
	do(t, http.MethodGet, e.url+"/api/teams/"+tm.ID+"/webhooks/"+h.Webhook.ID+"/deliveries", admin, nil).expect(t, http.StatusOK).data(t, &logged)
	if len(logged) != 1 || logged[0].ID != a.ID {
		t.Errorf("delivery log: %+v, want the test attempt", logged)
	}
	var ev eventObject
	do(t, http.MethodGet, e.url+"/api/teams/"+tm.ID+"/events/"+a.EventID, admin, nil).expect(t, http.StatusOK).data(t, &ev)
	if len(ev.Deliveries) != 1 || ev.Deliveries[0].State != "succeeded" {
		t.Errorf("test event: %+v", ev)
	}
	var listed []eventObject
	do(t, http.MethodGet, e.url+"/api/teams/"+tm.ID+"/events?type=member.joined", admin, nil).expect(t, http.StatusOK).data(t, &listed)
	for _, l := range listed {
		if l.ID == a.EventID {
			t.Error("the test event is in the team's event list")
		}
	}

	// A 500 is logged and final: never retried, for this webhook only.
	rc.status.Store(http.StatusInternalServerError)
	do(t, http.MethodPost, path, admin, map[string]string{"event": "contact.created"}).expect(t, http.StatusOK).data(t, &a)
	if a.Success || a.ResponseStatus == nil || *a.ResponseStatus != 500 || a.EventType != "contact.created" {
		t.Errorf("test attempt on a 500: %+v", a)
	}
	var deliveries []struct {
		WebhookID string `db:"webhook_id"`
		State     string `db:"state"`
		Test      bool   `db:"test"`
	}
	must(t, e.db.SQL().Select(&deliveries, `SELECT webhook_id, state, test FROM deliveries WHERE event_id = $1`, a.EventID))
	if len(deliveries) != 1 || deliveries[0].WebhookID != h.Webhook.ID || deliveries[0].State != "failed" || !deliveries[0].Test {
		t.Errorf("deliveries of the test event: %+v, want one, failed, to the tested webhook only (not %s)", deliveries, other.Webhook.ID)
	}
	due, err := e.db.DueTasks(context.Background(), time.Now().Add(24*time.Hour), time.Time{}, "", 10000)
	must(t, err)
	for _, task := range due {
		var event string
		must(t, e.db.SQL().Get(&event, `SELECT event_id FROM deliveries WHERE id = $1`, task.DeliveryID))
		if event == a.EventID {
			t.Error("the failed test delivery is due for a retry")
		}
	}

	// During a secret rotation's grace a test is signed with both secrets,
	// like any other request.
	rc.status.Store(http.StatusOK)
	var rotated struct {
		Secret string `json:"secret"`
	}
	do(t, http.MethodPost, e.url+"/api/teams/"+tm.ID+"/webhooks/"+h.Webhook.ID+"/rotate-secret", admin, map[string]string{"grace": "1h"}).
		expect(t, http.StatusOK).data(t, &rotated)
	do(t, http.MethodPost, path, admin, nil).expect(t, http.StatusOK)
	req, body = rc.last(t)
	if !signature.Verify(rotated.Secret, body, req.Header.Get("X-Relay-Signature")) ||
		!signature.Verify(h.Secret, body, req.Header.Get("X-Relay-Signature-Previous")) {
		t.Errorf("a test during rotation: signatures %q / %q do not verify with the new and old secrets",
			req.Header.Get("X-Relay-Signature"), req.Header.Get("X-Relay-Signature-Previous"))
	}

	do(t, http.MethodPost, path, admin, map[string]string{"event": "contact.exploded"}).expect(t, http.StatusUnprocessableEntity, relaybook.EINVALID, "event")
	do(t, http.MethodPost, path, admin, map[string]string{"evnt": "contact.created"}).expect(t, http.StatusUnprocessableEntity)
	foreign := e.newTeam(t)
	do(t, http.MethodPost, e.url+"/api/teams/"+foreign.ID+"/webhooks/"+h.Webhook.ID+"/test", bearerHeader(token(t, foreign.Admin)), nil).expect(t, http.StatusNotFound)
}
