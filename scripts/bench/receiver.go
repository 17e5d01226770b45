package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The receiver is the webhook endpoint every step posts to. It runs in its
// own process (`bench receiver`), as a customer's endpoint would, so its CPU
// is counted apart from the load generator's and the bench's own work does
// not compete with it inside one Go runtime. It answers 200 at once and
// records what the steps need: for paths under /e2e the first arrival of
// each contact id, for paths under /fan/ the first arrival per path, and a
// count per path. The bench reads them through /_bench/ endpoints.
type receiver struct {
	mu       sync.Mutex
	arrivals map[string]int64 // contact id → first arrival, Unix ns
	fanout   map[string]int64 // path → first arrival, Unix ns
	counts   sync.Map         // path → *atomic.Int64
}

// receiverMain is the `receiver` role: it prints its address on stdout,
// then serves until the bench kills it.
func receiverMain() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	rc := &receiver{arrivals: map[string]int64{}, fanout: map[string]int64{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /_bench/arrivals", rc.serveArrivals)
	mux.HandleFunc("GET /_bench/fanout", rc.serveFanout)
	mux.HandleFunc("GET /_bench/count", rc.serveCount)
	mux.HandleFunc("/", rc.serve)
	fmt.Fprintln(os.Stdout, ln.Addr().String())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	return srv.Serve(ln)
}

func (rc *receiver) serve(w http.ResponseWriter, r *http.Request) {
	now := time.Now().UnixNano()
	body, _ := io.ReadAll(r.Body)
	switch {
	case strings.HasPrefix(r.URL.Path, "/e2e"):
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
	c, ok := rc.counts.Load(r.URL.Path)
	if !ok {
		c, _ = rc.counts.LoadOrStore(r.URL.Path, new(atomic.Int64))
	}
	c.(*atomic.Int64).Add(1)
	w.Write([]byte("OK"))
}

// serveArrivals answers a JSON list of contact ids with their arrival
// times in the same order, 0 for one not arrived yet.
func (rc *receiver) serveArrivals(w http.ResponseWriter, r *http.Request) {
	var ids []string
	if err := json.NewDecoder(r.Body).Decode(&ids); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	out := make([]int64, len(ids))
	rc.mu.Lock()
	for i, id := range ids {
		out[i] = rc.arrivals[id]
	}
	rc.mu.Unlock()
	json.NewEncoder(w).Encode(out)
}

func (rc *receiver) serveFanout(w http.ResponseWriter, r *http.Request) {
	rc.mu.Lock()
	out := make([]int64, 0, len(rc.fanout))
	for _, t := range rc.fanout {
		out = append(out, t)
	}
	rc.mu.Unlock()
	json.NewEncoder(w).Encode(out)
}

func (rc *receiver) serveCount(w http.ResponseWriter, r *http.Request) {
	var n int64
	if c, ok := rc.counts.Load(r.URL.Query().Get("path")); ok {
		n = c.(*atomic.Int64).Load()
	}
	json.NewEncoder(w).Encode(n)
}
