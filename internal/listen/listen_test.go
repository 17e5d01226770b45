package listen_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/relaybook/relaybook/internal/listen"
	"github.com/relaybook/relaybook/internal/relaybook"
)

// syncBuffer is a Writer tests can read while Run writes.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newListener(url string, forwarded chan<- relaybook.LiveEvent, out, status io.Writer) *listen.Listener {
	return &listen.Listener{
		API: url, TeamID: "team-1", Token: "tok", Events: []string{"contact.created"},
		Out: out, Status: status, Client: &http.Client{},
		IdleTimeout: time.Second, MaxBackoff: 100 * time.Millisecond,
		Forward: func(_ context.Context, ev relaybook.LiveEvent) string {
			forwarded <- ev
			return "204 No Content"
		},
	}
}

// TestReconnects: the first connection ends after one event; Run
// reconnects, keeps forwarding, and returns nil when its context ends.
func TestReconnects(t *testing.T) {
	var conns atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok" || r.URL.Path != "/api/teams/team-1/events/stream" || r.URL.Query().Get("events") != "contact.created" {
			http.Error(w, "bad request "+r.URL.String(), http.StatusBadRequest)
			return
		}
		n := conns.Add(1)
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprintf(w, ": stream open\n\nid: e%d\nevent: contact.created\ndata: {\"n\":%d}\n\n", n, n)
		w.(http.Flusher).Flush()
		if n > 1 {
			fmt.Fprint(w, "event: dropped\ndata: {\"dropped\":5}\n\n")
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		}
	}))
	defer srv.Close()
	forwarded := make(chan relaybook.LiveEvent, 10)
	var out, status syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- newListener(srv.URL, forwarded, &out, &status).Run(ctx) }()
	for i := 1; i <= 2; i++ {
		select {
		case ev := <-forwarded:
			if ev.ID != fmt.Sprintf("e%d", i) || string(ev.Payload) != fmt.Sprintf(`{"n":%d}`, i) || ev.Type != "contact.created" || ev.TeamID != "team-1" {
				t.Errorf("event %d forwarded as %+v", i, ev)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("event %d never forwarded; status:\n%s", i, status.String())
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(status.String(), "dropped 5 events") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run after cancel = %v, want nil", err)
	}
	st := status.String()
	if strings.Count(st, "connected to") != 2 || !strings.Contains(st, "stream lost") || !strings.Contains(st, "dropped 5 events") {
		t.Errorf("status output:\n%s", st)
	}
	if lines := strings.Count(out.String(), "\n"); lines != 2 || !strings.Contains(out.String(), "contact.created") || !strings.Contains(out.String(), "-> 204 No Content") {
		t.Errorf("event lines:\n%s", out.String())
	}
}

// TestRefusedForGood: a 4xx (bad token, not an admin) ends Run with the
// server's message instead of reconnecting forever.
func TestRefusedForGood(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprint(w, `{"error":{"code":"forbidden","message":"you are not an admin of team \"team-1\""}}`)
	}))
	defer srv.Close()
	var out, status syncBuffer
	err := newListener(srv.URL, make(chan relaybook.LiveEvent), &out, &status).Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "403") || !strings.Contains(err.Error(), "not an admin") {
		t.Errorf("Run = %v, want the 403 and its message", err)
	}
}
