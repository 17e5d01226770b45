package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/relaybook/relaybook/internal/authtoken"
	"github.com/relaybook/relaybook/internal/relaybook"
)

type ctxKey int

const (
	ctxRequestID ctxKey = iota
	ctxAPIKey
	ctxScope
	ctxUserID
)

func requestID(ctx context.Context) string {
	id, _ := ctx.Value(ctxRequestID).(string)
	return id
}

func apiKeyFrom(ctx context.Context) *relaybook.APIKey {
	k, _ := ctx.Value(ctxAPIKey).(*relaybook.APIKey)
	return k
}

func scopeFrom(ctx context.Context) relaybook.Scope {
	sc, _ := ctx.Value(ctxScope).(relaybook.Scope)
	return sc
}

func userFrom(ctx context.Context) string {
	id, _ := ctx.Value(ctxUserID).(string)
	return id
}

// withRequestID gives every request an id, echoed in X-Request-ID and in
// every log line about it. A caller's own id is kept when it is short and
// plain, so it can be traced through a load balancer.
func (s *Server) withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-ID")
		if !plainID(id) {
			b := make([]byte, 12)
			_, _ = rand.Read(b)
			id = hex.EncodeToString(b)
		}
		w.Header().Set("X-Request-ID", id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxRequestID, id)))
	})
}

func plainID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// statusRecorder remembers the status a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (w *statusRecorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusRecorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusRecorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// withAccessLog logs one line per request: method, path, status, duration.
// Never headers (Authorization), query secrets or bodies.
func (s *Server) withAccessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		status := rec.status
		if status == 0 {
			status = http.StatusOK
		}
		s.log.InfoContext(r.Context(), "request", append(requestAttrs(r),
			"status", status, "duration_ms", float64(time.Since(start).Microseconds())/1000)...)
	})
}

// withRecover turns a panic into a logged 500 envelope instead of a dropped
// connection.
func (s *Server) withRecover(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w}
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.ErrorContext(r.Context(), "panic", append(requestAttrs(r), "panic", fmt.Sprint(v), "stack", string(debug.Stack()))...)
			if rec.status == 0 {
				s.writeJSON(w, r, http.StatusInternalServerError, envelope{Error: &errorBody{Code: relaybook.EINTERNAL, Message: "internal error"}})
			}
		}()
		next.ServeHTTP(rec, r)
	})
}

// bearer returns the token of an "Authorization: Bearer <token>" header.
func bearer(r *http.Request) (string, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return "", relaybook.Errorf(relaybook.EUNAUTHORIZED, "missing Authorization header; send Authorization: Bearer <token>")
	}
	scheme, token, ok := strings.Cut(h, " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" || strings.ContainsAny(token, " \t") {
		return "", relaybook.Errorf(relaybook.EUNAUTHORIZED, "malformed Authorization header; send Authorization: Bearer <token>")
	}
	return token, nil
}

// apiKeyAuth authenticates an API key on every request (a revoke takes
// effect on the next one, on every process) and applies the key's rate
// limit.
func (s *Server) apiKeyAuth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, err := bearer(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if !strings.HasPrefix(token, relaybook.APIKeyPrefix) {
			s.fail(w, r, relaybook.Errorf(relaybook.EUNAUTHORIZED, "/api/v1 takes an API key (rlb_…)"))
			return
		}
		key, err := s.svc.APIKeys.Authenticate(r.Context(), token)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if !s.allow(w, r, "apikey:"+key.ID) {
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxAPIKey, key)))
	})
}

// canonicalIDs rewrites the ids in a request's path to their canonical
// (lower-case) form before any handler sees them, so an id in upper case
// names the same object, is compared equal to what is stored, and is never
// echoed back in another form. What is not an id is left for the handler
// to refuse.
func canonicalIDs(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		vars := mux.Vars(r) // the router's own map: rewriting it rewrites the request's
		for name, v := range vars {
			if id, ok := relaybook.CanonicalID(v); ok {
				vars[name] = id
			}
		}
		next.ServeHTTP(w, r)
	})
}

// bookScope takes X-Book-ID as the scope of every contact and label route.
// It does not look the book up: every contact query is scoped by book and
// team in SQL, so another team's (or no) book is a 404 there, and the
// request saves a round trip to PostgreSQL.
func (s *Server) bookScope(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := apiKeyFrom(r.Context())
		bookID := strings.TrimSpace(r.Header.Get("X-Book-ID"))
		if bookID == "" {
			s.fail(w, r, relaybook.Invalid("X-Book-ID", "header is required for contact and label routes: the id of one of your team's books"))
			return
		}
		if id, ok := relaybook.CanonicalID(bookID); ok {
			bookID = id
		}
		sc := relaybook.Scope{TeamID: key.TeamID, BookID: bookID}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxScope, sc)))
	})
}

// teamAdmin authenticates a team-admin JWT and checks that its user is an
// admin of the team in the path. Admin requests are rate limited per user,
// with the same limit as API keys.
func (s *Server) teamAdmin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, err := bearer(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		userID, err := authtoken.Parse(s.secret, token)
		if err != nil {
			// The reason (expired, bad signature, wrong algorithm) stays out
			// of the response; the log has it for the operator.
			s.log.InfoContext(r.Context(), "rejected token", append(requestAttrs(r), "reason", err.Error())...)
			s.fail(w, r, relaybook.Errorf(relaybook.EUNAUTHORIZED, "invalid or expired token; /api/teams takes a team-admin JWT"))
			return
		}
		if !s.allow(w, r, "user:"+userID) {
			return
		}
		teamID := mux.Vars(r)["team_id"]
		m, err := s.svc.Members.FindMember(r.Context(), teamID, userID)
		if relaybook.ErrorCode(err) == relaybook.ENOTFOUND || (err == nil && m.Role != relaybook.RoleAdmin) {
			s.fail(w, r, relaybook.Errorf(relaybook.EFORBIDDEN, "you are not an admin of team %q", truncate(teamID, 64)))
			return
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxUserID, userID)))
	})
}

// allow applies the rate limit for key, sets the X-RateLimit-* headers, and
// answers 429 when the limit is spent. The limiter absorbs Redis outages
// itself (a per-process window); it errs only when the request's context
// has ended, and then the request goes on to fail on its own.
func (s *Server) allow(w http.ResponseWriter, r *http.Request, key string) bool {
	if s.limiter == nil {
		return true
	}
	res, err := s.limiter.Allow(r.Context(), key)
	if err != nil {
		s.log.WarnContext(r.Context(), "rate limiter failed; request let through", append(requestAttrs(r), "error", err.Error())...)
		return true
	}
	h := w.Header()
	h.Set("X-RateLimit-Limit", strconv.Itoa(res.Limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(max(res.Remaining, 0)))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(res.ResetUnix(), 10))
	if res.Allowed {
		return true
	}
	retry := max(res.RetryAfterSeconds(), 1)
	h.Set("Retry-After", strconv.Itoa(retry))
	s.fail(w, r, relaybook.Errorf(relaybook.ERATELIMITED, "rate limit of %d requests per minute exceeded; retry in %d s", res.Limit, retry))
	return false
}
