package api

import (
	"net/http"

	"github.com/gorilla/mux"

	"github.com/relaybook/relaybook/internal/relaybook"
)

func (s *Server) handleListContacts(w http.ResponseWriter, r *http.Request) {
	limit, err := queryLimit(r, relaybook.DefaultContactLimit)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	page, err := s.svc.Contacts.ListContacts(r.Context(), scopeFrom(r.Context()), limit, r.URL.Query().Get("cursor"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := pagination{Limit: limit}
	if page.NextCursor != "" {
		p.NextCursor = &page.NextCursor
	}
	s.writeList(w, r, page.Contacts, p)
}

func (s *Server) handleCreateContact(w http.ResponseWriter, r *http.Request) {
	var in relaybook.ContactInput
	if err := decodeJSON(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	c, err := s.svc.Contacts.CreateContact(r.Context(), scopeFrom(r.Context()), in)
	s.respond(w, r, http.StatusCreated, c, err)
}

func (s *Server) handleGetContact(w http.ResponseWriter, r *http.Request) {
	c, err := s.svc.Contacts.FindContact(r.Context(), scopeFrom(r.Context()), mux.Vars(r)["id"])
	s.respond(w, r, http.StatusOK, c, err)
}

func (s *Server) handleUpdateContact(w http.ResponseWriter, r *http.Request) {
	var in relaybook.ContactInput
	if err := decodeJSON(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	c, err := s.svc.Contacts.UpdateContact(r.Context(), scopeFrom(r.Context()), mux.Vars(r)["id"], in)
	s.respond(w, r, http.StatusOK, c, err)
}

func (s *Server) handleDeleteContact(w http.ResponseWriter, r *http.Request) {
	if err := s.svc.Contacts.DeleteContact(r.Context(), scopeFrom(r.Context()), mux.Vars(r)["id"]); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// handleAddLabel puts a label on a contact: {"label_id": …} for an existing
// label, or {"name": …, "color": …} to use the book's label of that name,
// created when there is none. It answers with the updated contact.
func (s *Server) handleAddLabel(w http.ResponseWriter, r *http.Request) {
	var ref relaybook.LabelRef
	if err := decodeJSON(w, r, &ref); err != nil {
		s.fail(w, r, err)
		return
	}
	c, err := s.svc.Contacts.AddLabel(r.Context(), scopeFrom(r.Context()), mux.Vars(r)["id"], ref)
	s.respond(w, r, http.StatusOK, c, err)
}

func (s *Server) handleRemoveLabel(w http.ResponseWriter, r *http.Request) {
	vars := mux.Vars(r)
	c, err := s.svc.Contacts.RemoveLabel(r.Context(), scopeFrom(r.Context()), vars["id"], vars["lid"])
	s.respond(w, r, http.StatusOK, c, err)
}

func (s *Server) handleListBooks(w http.ResponseWriter, r *http.Request) {
	books, err := s.svc.Books.ListBooks(r.Context(), apiKeyFrom(r.Context()).TeamID)
	s.respond(w, r, http.StatusOK, books, err)
}

func (s *Server) handleGetBook(w http.ResponseWriter, r *http.Request) {
	b, err := s.svc.Books.FindBook(r.Context(), apiKeyFrom(r.Context()).TeamID, mux.Vars(r)["id"])
	s.respond(w, r, http.StatusOK, b, err)
}

func (s *Server) handleListLabels(w http.ResponseWriter, r *http.Request) {
	labels, err := s.svc.Books.ListLabels(r.Context(), apiKeyFrom(r.Context()).TeamID, mux.Vars(r)["id"])
	s.respond(w, r, http.StatusOK, labels, err)
}

// respond writes {"data": v} with status, or the error envelope for err.
func (s *Server) respond(w http.ResponseWriter, r *http.Request, status int, v any, err error) {
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.ok(w, r, status, v)
}
