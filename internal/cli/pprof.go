package cli

import (
	"log/slog"
	"net/http"
	"net/http/pprof"
	"time"
)

// startPprof serves Go's profiles on addr (debug.pprof_addr) for profiling
// serve and worker under load. It has its own mux, so nothing of it is
// reachable through the API's listener.
func startPprof(addr string, log *slog.Logger) {
	if addr == "" {
		return
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		log.Info("pprof listening", "addr", addr)
		if err := srv.ListenAndServe(); err != nil {
			log.Warn("pprof server stopped", "error", err.Error())
		}
	}()
}
