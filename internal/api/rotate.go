package api

import (
	"net/http"
	"time"

	"github.com/gorilla/mux"

	"github.com/relaybook/relaybook/internal/relaybook"
)

// rotateBody is the body of POST …/webhooks/{id}/rotate-secret; an empty
// body takes the default grace.
type rotateBody struct {
	Grace *string `json:"grace"`
}

func (s *Server) handleRotateSecret(w http.ResponseWriter, r *http.Request) {
	vars := mux.Vars(r)
	// An unknown or foreign webhook is a 404 whatever the body holds.
	if _, err := s.svc.Webhooks.FindWebhook(r.Context(), vars["team_id"], vars["webhook_id"]); err != nil {
		s.fail(w, r, err)
		return
	}
	var body rotateBody
	if r.ContentLength != 0 {
		if err := decodeJSON(w, r, &body); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	grace := relaybook.DefaultRotationGrace
	if body.Grace != nil {
		d, err := time.ParseDuration(*body.Grace)
		if err != nil {
			s.fail(w, r, relaybook.Invalid("grace", "must be a duration such as \"24h\" or \"90m\", got %q", truncate(*body.Grace, 64)))
			return
		}
		grace = d
	}
	nw, err := s.svc.Webhooks.RotateSecret(r.Context(), vars["team_id"], vars["webhook_id"], grace)
	s.respond(w, r, http.StatusOK, nw, err)
}
