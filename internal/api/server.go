// Package api is RelayBook's REST API on gorilla/mux: /api/v1 for API-key
// clients (contacts, books, labels) and /api/teams/{team_id} for team admins
// with a JWT (webhooks and their delivery logs).
//
// Handlers speak relaybook errors only; statusOf maps their codes to HTTP
// statuses in one place, and every response is a JSON envelope:
// {"data": …} or {"error": {"code", "message", "field"}}.
package api

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/gorilla/mux"

	"github.com/relaybook/relaybook/internal/health"
	"github.com/relaybook/relaybook/internal/relaybook"
)

// Services are the domain services the API calls.
type Services struct {
	Contacts   relaybook.ContactService
	Books      relaybook.BookService
	APIKeys    relaybook.APIKeyService
	Webhooks   relaybook.WebhookService
	Deliveries relaybook.DeliveryService
	Members    relaybook.MemberService
	Events     relaybook.EventService
	// Tester sends "webhooks test" events from the API process itself.
	Tester relaybook.WebhookTester
}

// Limiter admits or refuses one request for a key (internal/ratelimit).
type Limiter interface {
	Allow(ctx context.Context, key string) (relaybook.RateLimit, error)
}

// Options configure a Server beyond its services.
type Options struct {
	// JWTSecret verifies team-admin tokens (auth.jwt_secret).
	JWTSecret []byte
	// Limiter limits requests per API key and per admin user; nil turns
	// rate limiting off (tests that are not about it).
	Limiter Limiter
	// Logger receives one line per request and every internal error; nil
	// discards.
	Logger *slog.Logger
	// Ping reports whether the database answers, for GET /healthz; nil
	// reports healthy.
	Ping func(ctx context.Context) error
	// Ready answers GET /readyz (health.Ready over PostgreSQL and Redis);
	// nil answers 200.
	Ready http.Handler
	// Metrics answers GET /metrics (metrics.Handler); nil answers 404.
	Metrics http.Handler
	// Observer counts requests by route template and rate-limit
	// rejections (metrics.HTTP); nil counts nothing.
	Observer Observer
	// Events streams live events to `relaybook listen` (see stream.go);
	// nil answers the stream route with 503.
	Events relaybook.EventStream
	// Heartbeat is how often an idle event stream gets a comment, so that
	// proxies keep it open; 0 means DefaultHeartbeat.
	Heartbeat time.Duration
}

// Observer receives one call per request, with the route's template (like
// /api/v1/contacts/{id}; "unmatched" when no route matched), and one per
// request the rate limiter refused.
type Observer interface {
	ObserveRequest(route string, code int, d time.Duration)
	RateLimited()
}

// Timeouts of the HTTP server: a slow client cannot hold a connection, and
// a 1 MiB body still has ample time to arrive.
const (
	ReadHeaderTimeout = 5 * time.Second
	ReadTimeout       = 30 * time.Second
	WriteTimeout      = 30 * time.Second
	IdleTimeout       = 120 * time.Second
)

// Server is the API: its routes, and the HTTP server that runs them.
type Server struct {
	svc     Services
	secret  []byte
	limiter Limiter
	log     *slog.Logger
	ping    func(ctx context.Context) error
	ready   http.Handler
	metrics http.Handler
	obs     Observer
	stream  streamOptions
	handler http.Handler
}

// NewServer returns a Server on the given services.
func NewServer(svc Services, opts Options) *Server {
	s := &Server{svc: svc, secret: opts.JWTSecret, limiter: opts.Limiter, log: opts.Logger, ping: opts.Ping,
		ready: opts.Ready, metrics: opts.Metrics, obs: opts.Observer,
		stream: streamOptions{events: opts.Events, heartbeat: opts.Heartbeat}}
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if s.obs == nil {
		s.obs = noObserver{}
	}
	s.handler = s.withRequestID(s.withAccessLog(s.withRecover(s.routes())))
	return s
}

// Handler returns the API as an http.Handler (httptest servers, embedding).
func (s *Server) Handler() http.Handler { return s.handler }

func (s *Server) routes() *mux.Router {
	r := mux.NewRouter()
	r.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, relaybook.Errorf(relaybook.ENOTFOUND, "no route for %s %s", r.Method, truncate(r.URL.Path, 200)))
	})
	r.MethodNotAllowedHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.writeJSON(w, r, http.StatusMethodNotAllowed, envelope{Error: &errorBody{
			Code: "method_not_allowed", Message: r.Method + " is not allowed on " + truncate(r.URL.Path, 200)}})
	})

	r.Use(routeTemplate, canonicalIDs)

	// Probes, metrics and the API's description: no authentication.
	r.Handle("/healthz", http.HandlerFunc(s.handleHealth)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/livez", health.Live()).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/readyz", orElse(s.ready, health.Live())).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/metrics", orElse(s.metrics, http.NotFoundHandler())).Methods(http.MethodGet)
	r.Handle("/openapi.json", http.HandlerFunc(serveOpenAPI)).Methods(http.MethodGet)

	// API-key routes. Contact and label routes work inside the book that
	// X-Book-ID names.
	key := func(h http.HandlerFunc) http.Handler { return s.apiKeyAuth(h) }
	book := func(h http.HandlerFunc) http.Handler { return s.apiKeyAuth(s.bookScope(h)) }
	// Routes hang off the root router, not subrouters: gorilla/mux answers
	// a method mismatch inside a subrouter with 404 instead of 405.
	v1 := pathPrefix{r, "/api/v1"}
	v1.Handle("/contacts", book(s.handleListContacts)).Methods(http.MethodGet)
	v1.Handle("/contacts", book(s.handleCreateContact)).Methods(http.MethodPost)
	v1.Handle("/contacts/{id}", book(s.handleGetContact)).Methods(http.MethodGet)
	v1.Handle("/contacts/{id}", book(s.handleUpdateContact)).Methods(http.MethodPatch)
	v1.Handle("/contacts/{id}", book(s.handleDeleteContact)).Methods(http.MethodDelete)
	v1.Handle("/contacts/{id}/labels", book(s.handleAddLabel)).Methods(http.MethodPost)
	v1.Handle("/contacts/{id}/labels/{lid}", book(s.handleRemoveLabel)).Methods(http.MethodDelete)
	v1.Handle("/books", key(s.handleListBooks)).Methods(http.MethodGet)
	v1.Handle("/books/{id}", key(s.handleGetBook)).Methods(http.MethodGet)
	v1.Handle("/books/{id}/labels", key(s.handleListLabels)).Methods(http.MethodGet)

	// Team-admin routes (JWT).
	admin := func(h http.HandlerFunc) http.Handler { return s.teamAdmin(h) }
	t := pathPrefix{r, "/api/teams/{team_id}"}
	t.Handle("/webhooks", admin(s.handleCreateWebhook)).Methods(http.MethodPost)
	t.Handle("/webhooks", admin(s.handleListWebhooks)).Methods(http.MethodGet)
	t.Handle("/webhooks/{webhook_id}", admin(s.handleGetWebhook)).Methods(http.MethodGet)
	t.Handle("/webhooks/{webhook_id}", admin(s.handleUpdateWebhook)).Methods(http.MethodPatch)
	t.Handle("/webhooks/{webhook_id}", admin(s.handleDeleteWebhook)).Methods(http.MethodDelete)
	t.Handle("/webhooks/{webhook_id}/deliveries", admin(s.handleListDeliveries)).Methods(http.MethodGet)
	t.Handle("/webhooks/{webhook_id}/test", admin(s.handleTestWebhook)).Methods(http.MethodPost)
	t.Handle("/webhooks/{webhook_id}/rotate-secret", admin(s.handleRotateSecret)).Methods(http.MethodPost)
	// The stream before {event_id}: routes match in the order they are added.
	t.Handle("/events/stream", admin(s.handleEventStream)).Methods(http.MethodGet)
	t.Handle("/events", admin(s.handleListEvents)).Methods(http.MethodGet)
	t.Handle("/events/{event_id}", admin(s.handleGetEvent)).Methods(http.MethodGet)
	t.Handle("/webhooks/{webhook_id}/recover", admin(s.handleRecoverWebhook)).Methods(http.MethodPost)
	return r
}

type pathPrefix struct {
	r      *mux.Router
	prefix string
}

func (p pathPrefix) Handle(path string, h http.Handler) *mux.Route {
	return p.r.Handle(p.prefix+path, h)
}

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	if s.ping != nil {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := s.ping(ctx); err != nil {
			s.fail(w, r, &relaybook.Error{Code: relaybook.EUNAVAILABLE, Message: "database unavailable"})
			return
		}
	}
	s.ok(w, r, http.StatusOK, map[string]string{"status": "ok"})
}

// Serve runs the API on ln until ctx is cancelled, then shuts down
// gracefully: in-flight requests get up to shutdownTimeout to finish.
func (s *Server) Serve(ctx context.Context, ln net.Listener, shutdownTimeout time.Duration) error {
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: ReadHeaderTimeout,
		ReadTimeout:       ReadTimeout,
		WriteTimeout:      WriteTimeout,
		IdleTimeout:       IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.log.Info("shutting down", "timeout", shutdownTimeout.String())
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	err := srv.Shutdown(shutdownCtx)
	if serveErr := <-errc; serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) && err == nil {
		err = serveErr
	}
	return err
}
