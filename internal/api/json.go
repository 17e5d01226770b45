package api

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/relaybook/relaybook/internal/relaybook"
)

// MaxBodyBytes is the largest request body the API reads; more is a 413.
const MaxBodyBytes = 1 << 20

// statusOf maps an error code to its HTTP status. It is the only place that
// does: handlers return *relaybook.Error and never pick a status for an error
// themselves.
func statusOf(code string) int {
	switch code {
	case relaybook.EMALFORMED:
		return http.StatusBadRequest
	case relaybook.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case relaybook.EFORBIDDEN:
		return http.StatusForbidden
	case relaybook.ENOTFOUND:
		return http.StatusNotFound
	case relaybook.ECONFLICT:
		return http.StatusConflict
	case relaybook.ETOOLARGE:
		return http.StatusRequestEntityTooLarge
	case relaybook.EINVALID:
		return http.StatusUnprocessableEntity
	case relaybook.ERATELIMITED:
		return http.StatusTooManyRequests
	case relaybook.EUNAVAILABLE:
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}

// envelope is the body of every response: data on success, error otherwise.
type envelope struct {
	Data       any         `json:"data,omitempty"`
	Pagination *pagination `json:"pagination,omitempty"`
	Error      *errorBody  `json:"error,omitempty"`
}

type pagination struct {
	Limit      int     `json:"limit"`
	NextCursor *string `json:"next_cursor"`
}

type errorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

// writeJSON writes v with a status. Encoding errors are bugs in our own
// types; the status line is already out, so they are only logged.
func (s *Server) writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		s.log.ErrorContext(r.Context(), "encode response", "request_id", requestID(r.Context()), "error", err)
	}
}

// listBuffers recycles list response buffers (tens of KB each): allocating
// and zeroing a fresh one per request showed in the list profile.
var listBuffers = sync.Pool{New: func() any { return new([]byte) }}

// maxPooledListBuffer keeps a rare huge page from pinning its buffer.
const maxPooledListBuffer = 1 << 20

// writeList writes {"data": [docs…], "pagination": p} from documents
// that are already JSON, in one write: the envelope writeJSON would make,
// without decoding and re-encoding every item.
func (s *Server) writeList(w http.ResponseWriter, r *http.Request, docs []json.RawMessage, p pagination) {
	tail, err := json.Marshal(p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	size := len(`{"data":[],"pagination":}`) + len(docs) + len(tail) + 1
	for _, d := range docs {
		size += len(d)
	}
	bp := listBuffers.Get().(*[]byte)
	buf := slices.Grow((*bp)[:0], size)
	defer func() {
		// Write has copied buf out by the time it returns.
		if *bp = buf[:0]; cap(buf) <= maxPooledListBuffer {
			listBuffers.Put(bp)
		}
	}()
	buf = append(buf, `{"data":[`...)
	for i, d := range docs {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, d...)
	}
	buf = append(buf, `],"pagination":`...)
	buf = append(append(append(buf, tail...), '}'), '\n')
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(buf)))
	w.WriteHeader(http.StatusOK)
	w.Write(buf)
}

// ok writes {"data": data}.
func (s *Server) ok(w http.ResponseWriter, r *http.Request, status int, data any) {
	s.writeJSON(w, r, status, envelope{Data: data})
}

// fail writes the error envelope for err. Errors without a relaybook code
// are bugs or infrastructure failures: the caller gets "internal error", the
// log gets the detail with the request id to find it by.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	status, body := http.StatusInternalServerError, errorBody{Code: relaybook.EINTERNAL, Message: "internal error"}
	var rb *relaybook.Error
	if errors.As(err, &rb) {
		status = statusOf(rb.Code)
	}
	switch {
	case status == http.StatusInternalServerError && r.Context().Err() != nil:
		// The client went away mid-request; nobody reads this answer.
		s.log.InfoContext(r.Context(), "request abandoned", append(requestAttrs(r), "error", err.Error())...)
	case status == http.StatusInternalServerError:
		s.log.ErrorContext(r.Context(), "internal error", append(requestAttrs(r), "error", err.Error())...)
	default:
		if status == http.StatusServiceUnavailable {
			s.log.ErrorContext(r.Context(), "dependency unavailable", append(requestAttrs(r), "error", rb.Message)...)
		}
		body = errorBody{Code: rb.Code, Message: rb.Message, Field: rb.Field}
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="relaybook"`)
	}
	s.writeJSON(w, r, status, envelope{Error: &body})
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// queryLimit parses the limit query parameter: def when absent, else a
// whole number from 1 up. The upper bound is the domain's to check (relaybook.CheckLimit),
// so the API and the CLI answer alike.
func queryLimit(r *http.Request, def int) (int, error) {
	raw := r.URL.Query().Get("limit")
	if raw == "" {
		return def, nil
	}
	// Only plain digits: "+3", "03" and "3.0" are refused, not guessed at.
	n, err := strconv.Atoi(raw)
	if err != nil || strconv.Itoa(n) != raw || n < 1 {
		return 0, relaybook.Invalid("limit", "must be a whole number from 1 up, got %q", truncate(raw, 40))
	}
	return n, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// requestAttrs identify a request in the log: never its headers, query or
// body, which can hold credentials.
func requestAttrs(r *http.Request) []any {
	return []any{slog.String("request_id", requestID(r.Context())), slog.String("method", r.Method), slog.String("path", r.URL.Path)}
}
