package main

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// receiver is the webhook endpoint every step posts to. It answers 200 at
// once and records what the step being measured needs: a count, and for
// the latency steps the arrival time per contact id or per path.
type receiver struct {
	srv  *http.Server
	addr string

	count atomic.Int64

	mu       sync.Mutex
	arrivals map[string]time.Time // contact id → first arrival (e2e)
	fanout   map[string]time.Time // path → first arrival (fan-out)
	notify   chan struct{}
}

func startReceiver() (*receiver, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	rc := &receiver{addr: ln.Addr().String(), arrivals: map[string]time.Time{}, fanout: map[string]time.Time{}, notify: make(chan struct{}, 1)}
	rc.srv = &http.Server{Handler: http.HandlerFunc(rc.serve), ReadHeaderTimeout: 5 * time.Second}
	go rc.srv.Serve(ln)
	return rc, nil
}

func (rc *receiver) url(path string) string { return "http://" + rc.addr + path }

func (rc *receiver) serve(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	body, _ := io.ReadAll(r.Body)
	switch {
	case r.URL.Path == "/e2e":
		var p struct {
			Data struct {
				ID string `json:"id"`
			} `json:"data"`
		}
		if json.Unmarshal(body, &p) == nil {
			rc.mu.Lock()
			if _, seen := rc.arrivals[p.Data.ID]; !seen {
				rc.arrivals[p.Data.ID] = now
			}
			rc.mu.Unlock()
		}
	case strings.HasPrefix(r.URL.Path, "/fan/"):
		rc.mu.Lock()
		if _, seen := rc.fanout[r.URL.Path]; !seen {
			rc.fanout[r.URL.Path] = now
		}
		rc.mu.Unlock()
	}
	rc.count.Add(1)
	select {
	case rc.notify <- struct{}{}:
	default:
	}
	w.Write([]byte("OK"))
}

func (rc *receiver) arrival(id string) (time.Time, bool) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	t, ok := rc.arrivals[id]
	return t, ok
}

func (rc *receiver) fanoutTimes() []time.Time {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	out := make([]time.Time, 0, len(rc.fanout))
	for _, t := range rc.fanout {
		out = append(out, t)
	}
	return out
}

// waitCount waits until the receiver has counted at least n requests.
func (rc *receiver) waitCount(n int64, timeout time.Duration) bool {
	deadline := time.After(timeout)
	for rc.count.Load() < n {
		select {
		case <-rc.notify:
		case <-time.After(10 * time.Millisecond):
		case <-deadline:
			return false
		}
	}
	return true
}
