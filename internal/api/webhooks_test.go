package api_test

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/relaybook/relaybook/internal/api"
	"github.com/relaybook/relaybook/internal/authtoken"
	"github.com/relaybook/relaybook/internal/relaybook"
)

func teamRoutes(teamID, webhookID string) []struct{ method, path string } {
	base := "/api/teams/" + teamID + "/webhooks"
	return []struct{ method, path string }{
		{"POST", base},
		{"GET", base},
		{"GET", base + "/" + webhookID},
		{"PATCH", base + "/" + webhookID},
		{"DELETE", base + "/" + webhookID},
		{"GET", base + "/" + webhookID + "/deliveries"},
		{"POST", base + "/" + webhookID + "/rotate-secret"},
		{"POST", base + "/" + webhookID + "/recover"},
	}
}

func newWebhook(tb testing.TB, e *env, teamID string, events ...string) *relaybook.Webhook {
	tb.Helper()
	nw, err := e.svc.Webhooks.CreateWebhook(context.Background(), relaybook.WebhookInput{
		TeamID: teamID, URL: "https://hooks.example.com/relay", Events: events})
	must(tb, err)
	return nw.Webhook
}

func TestTeamAuthFailures(t *testing.T) {
	e := newEnv(t, api.Options{})
	tm, other := e.newTeam(t), e.newTeam(t)
	hook := newWebhook(t, e, tm.ID, relaybook.EventContactCreated)

	forged, err := authtoken.Mint([]byte("some other secret"), tm.Admin, time.Hour, time.Now())
	must(t, err)
	expired, err := authtoken.Mint(jwtSecret, tm.Admin, -time.Minute, time.Now())
	must(t, err)
	noExp, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": tm.Admin}).SignedString(jwtSecret)
	must(t, err)
	hs512, err := jwt.NewWithClaims(jwt.SigningMethodHS512, jwt.MapClaims{"sub": tm.Admin, "exp": time.Now().Add(time.Hour).Unix()}).SignedString(jwtSecret)
	must(t, err)
	algNone, err := jwt.NewWithClaims(jwt.SigningMethodNone, jwt.MapClaims{"sub": tm.Admin, "exp": time.Now().Add(time.Hour).Unix()}).SignedString(jwt.UnsafeAllowNoneSignatureType)
	must(t, err)

	notUUID, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": "not-a-user", "exp": time.Now().Add(time.Hour).Unix()}).SignedString(jwtSecret)
	must(t, err)
	unauthorized := map[string]string{
		"sub not a user id": "Bearer " + notUUID,
		"missing":           "",
		"not bearer":        "Token " + token(t, tm.Admin),
		"bearer only":       "Bearer ",
		"garbage":           "Bearer not.a.jwt",
		"forged":            "Bearer " + forged,
		"expired":           "Bearer " + expired,
		"no exp":            "Bearer " + noExp,
		"HS512":             "Bearer " + hs512,
		"alg none":          "Bearer " + algNone,
		"API key":           "Bearer " + tm.Key,
		"tampered claims":   "Bearer " + tamper(t, token(t, tm.Member), tm.Admin),
	}
	outsider, err := e.svc.Members.AddMember(context.Background(), relaybook.MemberInput{TeamID: other.ID, Email: fmt.Sprintf("x%d@example.com", time.Now().UnixNano()), Role: relaybook.RoleMember})
	must(t, err)
	_, err = e.svc.Members.RemoveMember(context.Background(), other.ID, outsider.UserID)
	must(t, err)
	forbidden := map[string]string{
		"member, not admin":   token(t, tm.Member),
		"admin of other team": token(t, other.Admin),
		"user in no team":     token(t, outsider.UserID),
	}
	for _, rt := range teamRoutes(tm.ID, hook.ID) {
		body := `{"url":"https://x.example","events":["contact.created"]}`
		for name, auth := range unauthorized {
			t.Run(rt.method+" "+rt.path+"/"+name, func(t *testing.T) {
				h := map[string]string{}
				if auth != "" {
					h["Authorization"] = auth
				}
				do(t, rt.method, e.url+rt.path, h, body).expect(t, http.StatusUnauthorized, relaybook.EUNAUTHORIZED)
			})
		}
		for name, tok := range forbidden {
			t.Run(rt.method+" "+rt.path+"/"+name, func(t *testing.T) {
				do(t, rt.method, e.url+rt.path, bearerHeader(tok), body).expect(t, http.StatusForbidden, relaybook.EFORBIDDEN)
			})
		}
	}
	// A team that does not exist is the same 403: no probing for team ids.
	for _, id := range []string{"00000000-0000-0000-0000-000000000000", "nope"} {
		do(t, "GET", e.url+"/api/teams/"+id+"/webhooks", bearerHeader(token(t, tm.Admin)), nil).expect(t, http.StatusForbidden)
	}
	// Nothing was created or deleted.
	hooks, err := e.svc.Webhooks.ListWebhooks(context.Background(), tm.ID)
	must(t, err)
	if len(hooks) != 1 {
		t.Errorf("%d webhooks after refused requests, want 1", len(hooks))
	}
}

// tamper swaps the sub claim of a signed token without re-signing it.
func tamper(tb testing.TB, tok, sub string) string {
	tb.Helper()
	parts := strings.Split(tok, ".")
	claims := fmt.Sprintf(`{"sub":%q,"exp":%d}`, sub, time.Now().Add(time.Hour).Unix())
	parts[1] = b64(claims)
	return strings.Join(parts, ".")
}

var secretPattern = regexp.MustCompile(`^whsec_[0-9a-f]{64}$`)

func TestWebhookLifecycle(t *testing.T) {
	e := newEnv(t, api.Options{})
	tm, other := e.newTeam(t), e.newTeam(t)
	h := bearerHeader(token(t, tm.Admin))
	base := e.url + "/api/teams/" + tm.ID + "/webhooks"

	r := do(t, "POST", base, h, `{"url":"https://your-server.com/webhook","events":["contact.created","contact.updated","contact.deleted"]}`).expect(t, http.StatusCreated)
	var created struct {
		Webhook relaybook.Webhook `json:"webhook"`
		Secret  string            `json:"secret"`
	}
	r.data(t, &created)
	w := created.Webhook
	if !secretPattern.MatchString(created.Secret) {
		t.Errorf("secret %q is not whsec_ and 64 hex", created.Secret)
	}
	if w.ID == "" || w.TeamID != tm.ID || w.URL != "https://your-server.com/webhook" || len(w.Events) != 3 || !w.Active ||
		w.CreatedBy == nil || *w.CreatedBy != tm.Admin {
		t.Errorf("created webhook: %+v", w)
	}

	var list []relaybook.Webhook
	r = do(t, "GET", base, h, nil).expect(t, http.StatusOK)
	r.data(t, &list)
	if len(list) != 1 || list[0].ID != w.ID {
		t.Errorf("list = %+v", list)
	}
	if strings.Contains(string(r.Raw), "whsec_") || strings.Contains(string(r.Raw), "secret") {
		t.Errorf("list shows the secret: %s", r.Raw)
	}
	var got relaybook.Webhook
	r = do(t, "GET", base+"/"+w.ID, h, nil).expect(t, http.StatusOK)
	r.data(t, &got)
	if got.ID != w.ID || got.URL != w.URL || strings.Contains(string(r.Raw), "whsec_") {
		t.Errorf("get = %s", r.Raw)
	}

	// PATCH changes only what it sends.
	do(t, "PATCH", base+"/"+w.ID, h, `{"active":false}`).expect(t, http.StatusOK).data(t, &got)
	if got.Active || got.URL != w.URL || len(got.Events) != 3 {
		t.Errorf("after active=false: %+v", got)
	}
	do(t, "PATCH", base+"/"+w.ID, h, `{"url":"https://new-server.com/webhook","events":["contact.created"]}`).expect(t, http.StatusOK).data(t, &got)
	if got.Active || got.URL != "https://new-server.com/webhook" || len(got.Events) != 1 {
		t.Errorf("after url+events: %+v", got)
	}

	// Another team's webhook, through this team's path: 404 on every route,
	// for an admin of either team.
	theirs := newWebhook(t, e, other.ID, relaybook.EventBookCreated)
	for _, tok := range []string{token(t, tm.Admin)} {
		for _, rt := range teamRoutes(tm.ID, theirs.ID)[2:] {
			do(t, rt.method, e.url+rt.path, bearerHeader(tok), `{"active":false}`).expect(t, http.StatusNotFound, relaybook.ENOTFOUND)
		}
	}
	theirsNow, err := e.svc.Webhooks.FindWebhook(context.Background(), relaybook.AnyTeam, theirs.ID)
	must(t, err)
	if !theirsNow.Active {
		t.Error("another team's webhook was changed")
	}
	for _, id := range []string{"00000000-0000-0000-0000-000000000000", "nope"} {
		do(t, "GET", base+"/"+id, h, nil).expect(t, http.StatusNotFound)
		do(t, "PATCH", base+"/"+id, h, `{}`).expect(t, http.StatusNotFound)
		do(t, "DELETE", base+"/"+id, h, nil).expect(t, http.StatusNotFound)
		do(t, "GET", base+"/"+id+"/deliveries", h, nil).expect(t, http.StatusNotFound)
	}

	do(t, "DELETE", base+"/"+w.ID, h, nil).expect(t, http.StatusNoContent)
	do(t, "GET", base+"/"+w.ID, h, nil).expect(t, http.StatusNotFound)
	do(t, "DELETE", base+"/"+w.ID, h, nil).expect(t, http.StatusNotFound)
	do(t, "GET", base, h, nil).expect(t, http.StatusOK).data(t, &list)
	if len(list) != 0 {
		t.Errorf("list after delete = %+v", list)
	}
}

func TestWebhookValidation(t *testing.T) {
	e := newEnv(t, api.Options{})
	tm := e.newTeam(t)
	h := bearerHeader(token(t, tm.Admin))
	base := e.url + "/api/teams/" + tm.ID + "/webhooks"
	hook := newWebhook(t, e, tm.ID, relaybook.EventContactCreated)
	ok := `"events":["contact.created"]`

	create := []struct{ name, body, field string }{
		{"url missing", `{` + ok + `}`, "url"},
		{"url empty", `{"url":"",` + ok + `}`, "url"},
		{"url http", `{"url":"http://x.example/h",` + ok + `}`, "url"},
		{"url ftp", `{"url":"ftp://x.example/h",` + ok + `}`, "url"},
		{"url relative", `{"url":"/hook",` + ok + `}`, "url"},
		{"url not a URL", `{"url":"https://exa mple.com/%zz",` + ok + `}`, "url"},
		{"url credentials", `{"url":"https://u:p@x.example/h",` + ok + `}`, "url"},
		{"url too long", `{"url":"https://x.example/` + strings.Repeat("a", 2048) + `",` + ok + `}`, "url"},
		{"url wrong type", `{"url":42,` + ok + `}`, "url"},
		{"events missing", `{"url":"https://x.example/h"}`, "events"},
		{"events empty", `{"url":"https://x.example/h","events":[]}`, "events"},
		{"events null", `{"url":"https://x.example/h","events":null}`, "events"},
		{"events unknown", `{"url":"https://x.example/h","events":["contact.exploded"]}`, "events"},
		{"events twice", `{"url":"https://x.example/h","events":["book.created","book.created"]}`, "events"},
		{"events wrong type", `{"url":"https://x.example/h","events":"contact.created"}`, "events"},
		{"events item wrong type", `{"url":"https://x.example/h","events":[1]}`, "events"},
		{"unknown field", `{"url":"https://x.example/h",` + ok + `,"secret":"whsec_mine"}`, "secret"},
		{"active on create", `{"url":"https://x.example/h",` + ok + `,"active":false}`, "active"},
	}
	for _, tc := range create {
		t.Run("create/"+tc.name, func(t *testing.T) {
			do(t, "POST", base, h, tc.body).expect(t, http.StatusUnprocessableEntity, relaybook.EINVALID, tc.field)
		})
	}
	patch := []struct{ name, body, field string }{
		{"url http", `{"url":"http://x.example/h"}`, "url"},
		{"url empty", `{"url":""}`, "url"},
		{"events empty", `{"events":[]}`, "events"},
		{"events unknown", `{"events":["nope"]}`, "events"},
		{"active wrong type", `{"active":"no"}`, "active"},
		{"unknown field", `{"team_id":"x"}`, "team_id"},
	}
	for _, tc := range patch {
		t.Run("patch/"+tc.name, func(t *testing.T) {
			do(t, "PATCH", base+"/"+hook.ID, h, tc.body).expect(t, http.StatusUnprocessableEntity, relaybook.EINVALID, tc.field)
		})
	}
	for _, body := range []string{``, `{`, `{"url":"https://x.example"} {}`, `[]`} {
		do(t, "POST", base, h, body).expect(t, http.StatusBadRequest, relaybook.EMALFORMED)
		do(t, "PATCH", base+"/"+hook.ID, h, body).expect(t, http.StatusBadRequest, relaybook.EMALFORMED)
	}
	big := `{"url":"https://x.example/` + strings.Repeat("a", api.MaxBodyBytes) + `",` + ok + `}`
	do(t, "POST", base, h, big).expect(t, http.StatusRequestEntityTooLarge, relaybook.ETOOLARGE)
	do(t, "PATCH", base+"/"+hook.ID, h, big).expect(t, http.StatusRequestEntityTooLarge, relaybook.ETOOLARGE)

	hooks, err := e.svc.Webhooks.ListWebhooks(context.Background(), tm.ID)
	must(t, err)
	if len(hooks) != 1 || hooks[0].UpdatedAt != hook.UpdatedAt {
		t.Errorf("webhooks changed by refused requests: %+v", hooks)
	}
}

func TestDeliveries(t *testing.T) {
	e := newEnv(t, api.Options{})
	tm := e.newTeam(t)
	h := bearerHeader(token(t, tm.Admin))
	hook := newWebhook(t, e, tm.ID, relaybook.EventContactCreated)
	url := e.url + "/api/teams/" + tm.ID + "/webhooks/" + hook.ID + "/deliveries"

	var attempts []relaybook.DeliveryAttempt
	do(t, "GET", url, h, nil).expect(t, http.StatusOK).data(t, &attempts)
	if attempts == nil || len(attempts) != 0 {
		t.Errorf("deliveries of a new webhook = %v, want []", attempts)
	}

	// A contact change creates a delivery; log three attempts for it.
	newContact(t, e, tm, "Jane")
	var deliveryID, eventID string
	must(t, e.db.SQL().QueryRow(`SELECT id, event_id FROM deliveries WHERE webhook_id = $1`, hook.ID).Scan(&deliveryID, &eventID))
	base := time.Now().Add(-time.Hour)
	for i := 1; i <= 3; i++ {
		status := 500
		if i == 3 {
			status = 200
		}
		_, err := e.db.SQL().Exec(`INSERT INTO delivery_attempts (id, delivery_id, webhook_id, event_id, event_type, attempt,
			response_status, response_body, duration_ms, success, error, created_at)
			VALUES (gen_random_uuid(), $1, $2, $3, 'contact.created', $4, $5, 'body', 12, $6, '', $7)`,
			deliveryID, hook.ID, eventID, i, status, i == 3, base.Add(time.Duration(i)*time.Minute))
		must(t, err)
	}
	do(t, "GET", url, h, nil).expect(t, http.StatusOK).data(t, &attempts)
	if len(attempts) != 3 || attempts[0].Attempt != 3 || !attempts[0].Success || attempts[2].Attempt != 1 {
		t.Fatalf("attempts = %+v", attempts)
	}
	if attempts[0].WebhookID != hook.ID || attempts[0].EventType != "contact.created" || len(attempts[0].Payload) == 0 {
		t.Errorf("attempt = %+v", attempts[0])
	}
	do(t, "GET", url+"?limit=2", h, nil).expect(t, http.StatusOK).data(t, &attempts)
	if len(attempts) != 2 || attempts[0].Attempt != 3 {
		t.Errorf("limit=2: %+v", attempts)
	}
	do(t, "GET", url+"?limit=200", h, nil).expect(t, http.StatusOK)
	for _, q := range []string{"limit=0", "limit=201", "limit=-5", "limit=ten", "limit="} {
		r := do(t, "GET", url+"?"+q, h, nil)
		if q == "limit=" {
			r.expect(t, http.StatusOK) // empty is the default
			continue
		}
		r.expect(t, http.StatusUnprocessableEntity, relaybook.EINVALID, "limit")
	}
}
