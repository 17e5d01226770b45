package api

import (
	_ "embed" // the OpenAPI document
	"net/http"
	"time"

	"github.com/gorilla/mux"
)

// matchedRoute carries the matched route's template from inside the router
// back out to withAccessLog, which counts the request: only the router knows
// the template, and only the outer middleware sees every request, including
// the 404s and 405s no route matched.
type matchedRoute struct{ tpl string }

// unmatched is the route label of a request no route matched.
const unmatched = "unmatched"

func (m *matchedRoute) template() string {
	if m.tpl == "" {
		return unmatched
	}
	return m.tpl
}

// routeTemplate records the template of the matched route (router
// middleware runs only when a route matched).
func routeTemplate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if m, ok := r.Context().Value(ctxRoute).(*matchedRoute); ok {
			if route := mux.CurrentRoute(r); route != nil {
				m.tpl, _ = route.GetPathTemplate()
			}
		}
		next.ServeHTTP(w, r)
	})
}

type noObserver struct{}

func (noObserver) ObserveRequest(string, int, time.Duration) {}
func (noObserver) RateLimited()                              {}

func orElse(h, fallback http.Handler) http.Handler {
	if h == nil {
		return fallback
	}
	return h
}

// openAPIDoc is the OpenAPI 3.1 document of every route; openapi_test.go
// keeps it and the router in step.
//
//go:embed openapi.json
var openAPIDoc []byte

// OpenAPI returns the OpenAPI document served at GET /openapi.json.
func OpenAPI() []byte { return openAPIDoc }

func serveOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, _ = w.Write(openAPIDoc)
}
