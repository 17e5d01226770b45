package api_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/relaybook/relaybook/internal/api"
	"github.com/relaybook/relaybook/internal/relaybook"
)

func TestRecoverWebhook(t *testing.T) {
	e := newEnv(t, api.Options{})
	tm, other := e.newTeam(t), e.newTeam(t)
	hook := newWebhook(t, e, tm.ID, relaybook.EventBookCreated)
	_, err := e.svc.Books.CreateBook(context.Background(), tm.ID, "Recovered")
	must(t, err)
	// No worker runs here: the test ends the delivery as failed itself.
	_, err = e.db.SQL().Exec(`UPDATE deliveries SET state = 'failed', attempts = 4 WHERE webhook_id = $1`, hook.ID)
	must(t, err)
	h := bearerHeader(token(t, tm.Admin))
	url := e.url + "/api/teams/" + tm.ID + "/webhooks/" + hook.ID + "/recover"

	var got struct {
		WebhookID string    `json:"webhook_id"`
		Since     time.Time `json:"since"`
		Until     time.Time `json:"until"`
		Queued    int       `json:"queued"`
	}
	do(t, "POST", url, h, `{"since": "1h"}`).expect(t, http.StatusAccepted).data(t, &got)
	if got.WebhookID != hook.ID || got.Queued != 1 || time.Since(got.Since) < 59*time.Minute || time.Since(got.Until) > time.Minute {
		t.Errorf("recover = %+v, want the one failed delivery of the last hour", got)
	}
	var state string
	must(t, e.db.SQL().Get(&state, `SELECT state FROM deliveries WHERE webhook_id = $1`, hook.ID))
	if state != relaybook.DeliveryPending {
		t.Errorf("recovered delivery is %s, want pending", state)
	}
	do(t, "POST", url, h, `{"since": "1h"}`).expect(t, http.StatusAccepted).data(t, &got)
	if got.Queued != 0 {
		t.Errorf("second recover queued %d, want 0", got.Queued)
	}
	since := time.Now().Add(-24 * 365 * time.Hour).UTC().Format(time.RFC3339)
	do(t, "POST", url, h, `{"since": "`+since+`", "until": "5m"}`).expect(t, http.StatusAccepted)

	do(t, "POST", url, h, `{"since": "yesterday"}`).expect(t, http.StatusUnprocessableEntity, relaybook.EINVALID, "since")
	do(t, "POST", url, h, `{}`).expect(t, http.StatusUnprocessableEntity, relaybook.EINVALID, "since")
	do(t, "POST", url, h, `{"since": "1h", "until": "soon"}`).expect(t, http.StatusUnprocessableEntity, relaybook.EINVALID, "until")
	do(t, "POST", url, h, `{"since": "1h", "until": "2h"}`).expect(t, http.StatusUnprocessableEntity, relaybook.EINVALID, "until")
	do(t, "POST", url, h, `{"since": 5}`).expect(t, http.StatusUnprocessableEntity, relaybook.EINVALID, "since")
	foreign := e.url + "/api/teams/" + other.ID + "/webhooks/" + hook.ID + "/recover"
	do(t, "POST", foreign, bearerHeader(token(t, other.Admin)), `{"since": "1h"}`).expect(t, http.StatusNotFound, relaybook.ENOTFOUND)
}

func TestPauseResumeWebhook(t *testing.T) {
	e := newEnv(t, api.Options{})
	tm := e.newTeam(t)
	hook := newWebhook(t, e, tm.ID, relaybook.EventBookCreated)
	h := bearerHeader(token(t, tm.Admin))
	url := e.url + "/api/teams/" + tm.ID + "/webhooks/" + hook.ID
	var w map[string]any
	do(t, "PATCH", url, h, `{"active": false}`).expect(t, http.StatusOK).data(t, &w)
	if w["active"] != false || w["disabled_reason"] != relaybook.WebhookPaused || w["disabled_at"] == nil {
		t.Errorf("paused webhook = %v", w)
	}
	_, err := e.svc.Books.CreateBook(context.Background(), tm.ID, "While paused")
	must(t, err)
	var state string
	must(t, e.db.SQL().Get(&state, `SELECT state FROM deliveries WHERE webhook_id = $1`, hook.ID))
	if state != relaybook.DeliveryHeld {
		t.Errorf("delivery of an event while paused is %s, want held", state)
	}
	do(t, "PATCH", url, h, `{"active": true}`).expect(t, http.StatusOK).data(t, &w)
	if w["active"] != true || w["disabled_reason"] != nil || w["disabled_at"] != nil {
		t.Errorf("resumed webhook = %v", w)
	}
	must(t, e.db.SQL().Get(&state, `SELECT state FROM deliveries WHERE webhook_id = $1`, hook.ID))
	if state != relaybook.DeliveryPending {
		t.Errorf("held delivery after resume is %s, want pending", state)
	}
}
