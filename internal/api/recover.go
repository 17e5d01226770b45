package api

import (
	"net/http"
	"time"

	"github.com/gorilla/mux"

	"github.com/relaybook/relaybook/internal/relaybook"
)

// webhookRecover is the body of POST …/webhooks/{id}/recover: durations
// counted back from now, or RFC 3339 times; until defaults to now.
type webhookRecover struct {
	Since string `json:"since"`
	Until string `json:"until"`
}

func (s *Server) handleRecoverWebhook(w http.ResponseWriter, r *http.Request) {
	vars := mux.Vars(r)
	// An unknown or foreign webhook is a 404 whatever the body holds.
	if _, err := s.svc.Webhooks.FindWebhook(r.Context(), vars["team_id"], vars["webhook_id"]); err != nil {
		s.fail(w, r, err)
		return
	}
	var body webhookRecover
	if err := decodeJSON(w, r, &body); err != nil {
		s.fail(w, r, err)
		return
	}
	win, err := relaybook.ParseRecoveryWindow(body.Since, body.Until, time.Now())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rec, err := s.svc.Deliveries.Recover(r.Context(), vars["team_id"], vars["webhook_id"], win, nil)
	s.respond(w, r, http.StatusAccepted, rec, err)
}
