package api

import "github.com/gorilla/mux"

// Router exposes the route table to the OpenAPI drift test.
func (s *Server) Router() *mux.Router { return s.routes() }
