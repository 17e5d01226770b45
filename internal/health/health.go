// Package health answers the probes an orchestrator sends: /livez (the
// process runs) and /readyz (the services it needs answer). serve mounts
// the handlers on its router; the worker serves them on worker.admin_addr
// next to /metrics.
package health

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
)

// Timeout bounds each check, so a hung dependency answers 503 instead of
// hanging the probe.
const Timeout = 2 * time.Second

// Check is one dependency: its name as the response shows it ("postgresql",
// "redis") and a ping.
type Check struct {
	Name string
	Ping func(ctx context.Context) error
}

// Live answers 200 while the process can serve HTTP at all.
func Live() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		write(w, http.StatusOK, map[string]any{"data": map[string]string{"status": "ok"}})
	})
}

// Ready pings every check at once and answers 200 when all answer, or 503
// with an error that names each one that does not. The ping's own error
// stays out of the response (it can carry addresses); the process log has it.
func Ready(checks []Check, onDown func(name string, err error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), Timeout)
		defer cancel()
		status := make(map[string]string, len(checks))
		var mu sync.Mutex
		var wg sync.WaitGroup
		for _, c := range checks {
			wg.Go(func() {
				err := c.Ping(ctx)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					status[c.Name] = "down"
					if onDown != nil {
						onDown(c.Name, err)
					}
					return
				}
				status[c.Name] = "ok"
			})
		}
		wg.Wait()
		var down []string
		for name, s := range status {
			if s != "ok" {
				down = append(down, name)
			}
		}
		if len(down) == 0 {
			write(w, http.StatusOK, map[string]any{"data": map[string]any{"status": "ready", "checks": status}})
			return
		}
		sort.Strings(down)
		write(w, http.StatusServiceUnavailable, map[string]any{
			"error":  map[string]string{"code": "unavailable", "message": "not ready: " + strings.Join(down, ", ") + " not answering"},
			"checks": status,
		})
	})
}

func write(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
