package api

import (
	"net/http"

	"github.com/gorilla/mux"

	"github.com/relaybook/relaybook/internal/relaybook"
)

// webhookCreate is the body of POST /api/teams/{team_id}/webhooks (seed 004).
type webhookCreate struct {
	URL    string   `json:"url"`
	Events []string `json:"events"`
}

func (s *Server) handleCreateWebhook(w http.ResponseWriter, r *http.Request) {
	var body webhookCreate
	if err := decodeJSON(w, r, &body); err != nil {
		s.fail(w, r, err)
		return
	}
	nw, err := s.svc.Webhooks.CreateWebhook(r.Context(), relaybook.WebhookInput{
		TeamID: mux.Vars(r)["team_id"], URL: body.URL, Events: body.Events, CreatedBy: userFrom(r.Context()),
	})
	s.respond(w, r, http.StatusCreated, nw, err)
}

func (s *Server) handleListWebhooks(w http.ResponseWriter, r *http.Request) {
	hooks, err := s.svc.Webhooks.ListWebhooks(r.Context(), mux.Vars(r)["team_id"])
	s.respond(w, r, http.StatusOK, hooks, err)
}

func (s *Server) handleGetWebhook(w http.ResponseWriter, r *http.Request) {
	vars := mux.Vars(r)
	hook, err := s.svc.Webhooks.FindWebhook(r.Context(), vars["team_id"], vars["webhook_id"])
	s.respond(w, r, http.StatusOK, hook, err)
}

func (s *Server) handleUpdateWebhook(w http.ResponseWriter, r *http.Request) {
	vars := mux.Vars(r)
	// An unknown or foreign webhook is a 404 whatever the body holds.
	if _, err := s.svc.Webhooks.FindWebhook(r.Context(), vars["team_id"], vars["webhook_id"]); err != nil {
		s.fail(w, r, err)
		return
	}
	var patch relaybook.WebhookPatch
	if err := decodeJSON(w, r, &patch); err != nil {
		s.fail(w, r, err)
		return
	}
	hook, err := s.svc.Webhooks.UpdateWebhook(r.Context(), vars["team_id"], vars["webhook_id"], patch)
	s.respond(w, r, http.StatusOK, hook, err)
}

func (s *Server) handleDeleteWebhook(w http.ResponseWriter, r *http.Request) {
	vars := mux.Vars(r)
	if _, err := s.svc.Webhooks.DeleteWebhook(r.Context(), vars["team_id"], vars["webhook_id"]); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
