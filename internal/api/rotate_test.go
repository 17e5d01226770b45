package api_test

import (
	"net/http"
	"testing"

	"github.com/relaybook/relaybook/internal/api"
	"github.com/relaybook/relaybook/internal/relaybook"
)

func TestRotateSecret(t *testing.T) {
	e := newEnv(t, api.Options{})
	tm, other := e.newTeam(t), e.newTeam(t)
	hook := newWebhook(t, e, tm.ID, relaybook.EventContactCreated)
	h := bearerHeader(token(t, tm.Admin))
	url := e.url + "/api/teams/" + tm.ID + "/webhooks/" + hook.ID + "/rotate-secret"

	var seen []string
	for _, body := range []any{nil, `{}`, `{"grace":"0s"}`, `{"grace":"90m"}`, `{"grace":"720h"}`} {
		var got struct {
			Webhook relaybook.Webhook `json:"webhook"`
			Secret  string            `json:"secret"`
		}
		do(t, "POST", url, h, body).expect(t, http.StatusOK).data(t, &got)
		if got.Webhook.ID != hook.ID || !secretPattern.MatchString(got.Secret) {
			t.Fatalf("rotate with %v: webhook %s, secret %.10q…", body, got.Webhook.ID, got.Secret)
		}
		for _, s := range seen {
			if s == got.Secret {
				t.Fatal("a rotation returned a secret seen before")
			}
		}
		seen = append(seen, got.Secret)
	}

	for name, body := range map[string]string{
		"negative":       `{"grace":"-1s"}`,
		"over 30 days":   `{"grace":"721h"}`,
		"not a duration": `{"grace":"soon"}`,
		"days unit":      `{"grace":"2d"}`,
		"a number":       `{"grace":3600}`,
	} {
		t.Run(name, func(t *testing.T) {
			do(t, "POST", url, h, body).expect(t, http.StatusUnprocessableEntity, relaybook.EINVALID, "grace")
		})
	}
	do(t, "POST", url, h, `{"grace":"1h","extra":1}`).expect(t, http.StatusUnprocessableEntity, relaybook.EINVALID, "extra")
	do(t, "POST", url, h, `{"grace":`).expect(t, http.StatusBadRequest, relaybook.EMALFORMED)
	// Another team's admin cannot rotate it through their own team's path.
	do(t, "POST", e.url+"/api/teams/"+other.ID+"/webhooks/"+hook.ID+"/rotate-secret",
		bearerHeader(token(t, other.Admin)), nil).expect(t, http.StatusNotFound, relaybook.ENOTFOUND)
}
