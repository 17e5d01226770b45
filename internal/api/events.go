package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gorilla/mux"

	"github.com/relaybook/relaybook/internal/relaybook"
)

// The operator routes: events with their delivery state, the filtered
// delivery log, and test sends.

func (s *Server) handleListEvents(w http.ResponseWriter, r *http.Request) {
	limit, window, err := pageQuery(r, relaybook.DefaultEventLimit)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	page, err := s.svc.Events.ListEvents(r.Context(), relaybook.EventFilter{
		TeamID: mux.Vars(r)["team_id"], Type: q.Get("type"), Window: window, Limit: limit, Cursor: q.Get("cursor"),
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writePage(w, r, page.Events, limit, page.NextCursor)
}

func (s *Server) handleGetEvent(w http.ResponseWriter, r *http.Request) {
	vars := mux.Vars(r)
	e, err := s.svc.Events.FindEvent(r.Context(), vars["team_id"], vars["event_id"])
	s.respond(w, r, http.StatusOK, e, err)
}

func (s *Server) handleListDeliveries(w http.ResponseWriter, r *http.Request) {
	limit, window, err := pageQuery(r, relaybook.DefaultDeliveryLimit)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	failed := false
	if raw := q.Get("failed"); raw != "" {
		if failed, err = strconv.ParseBool(raw); err != nil {
			s.fail(w, r, relaybook.Invalid("failed", "must be true or false, got %q", truncate(raw, 40)))
			return
		}
	}
	vars := mux.Vars(r)
	page, err := s.svc.Deliveries.ListAttempts(r.Context(), relaybook.DeliveryFilter{
		TeamID: vars["team_id"], WebhookID: vars["webhook_id"], Limit: limit, FailedOnly: failed,
		EventID: q.Get("event"), Window: window, Cursor: q.Get("cursor"),
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writePage(w, r, page.Attempts, limit, page.NextCursor)
}

// webhookTest is the body of POST …/webhooks/{id}/test; it may be empty.
type webhookTest struct {
	Event string `json:"event"`
}

func (s *Server) handleTestWebhook(w http.ResponseWriter, r *http.Request) {
	var body webhookTest
	if r.ContentLength != 0 {
		if err := decodeJSON(w, r, &body); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	if body.Event != "" && !relaybook.IsEventType(body.Event) {
		s.fail(w, r, relaybook.Invalid("event", "must be one of the event names, got %q", truncate(body.Event, 60)))
		return
	}
	vars := mux.Vars(r)
	a, err := s.svc.Tester.TestWebhook(r.Context(), vars["team_id"], vars["webhook_id"], body.Event)
	s.respond(w, r, http.StatusOK, a, err)
}

// writePage writes {"data": items, "pagination": {"limit", "next_cursor"}}.
func (s *Server) writePage(w http.ResponseWriter, r *http.Request, items any, limit int, next string) {
	p := &pagination{Limit: limit}
	if next != "" {
		p.NextCursor = &next
	}
	s.writeJSON(w, r, http.StatusOK, envelope{Data: items, Pagination: p})
}

// queryWindow reads the since and until query parameters: Go durations
// back from now, or RFC 3339 times.
func queryWindow(r *http.Request) (relaybook.Window, error) {
	q := r.URL.Query()
	return relaybook.ParseWindow(q.Get("since"), q.Get("until"), time.Now())
}

// pageQuery reads the limit (def when absent) and the since/until window of
// a paged list.
func pageQuery(r *http.Request, def int) (int, relaybook.Window, error) {
	limit, err := queryLimit(r, def)
	if err != nil {
		return 0, relaybook.Window{}, err
	}
	window, err := queryWindow(r)
	return limit, window, err
}
