package api

import (
	"bufio"
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/relaybook/relaybook/internal/relaybook"
)

// DefaultHeartbeat is how often an idle event stream gets a comment line:
// well under the idle timeouts of common proxies (60 s and up).
const DefaultHeartbeat = 15 * time.Second

type streamOptions struct {
	events    relaybook.EventStream
	heartbeat time.Duration
}

// handleEventStream is GET /api/teams/{team_id}/events/stream: the team's new
// events as Server-Sent Events, for `relaybook listen`. Each event is
//
//	id: <event id>
//	event: <event type>
//	data: <the exact payload a webhook receives>
//
// A listener that falls behind loses events instead of slowing anyone else;
// it is told with an event "dropped" whose data is {"dropped": <total>}.
// Comment lines (": …") open the stream and keep it alive.
func (s *Server) handleEventStream(w http.ResponseWriter, r *http.Request) {
	want, err := streamFilter(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if s.stream.events == nil {
		s.fail(w, r, relaybook.Errorf(relaybook.EUNAVAILABLE, "live event streams are not available on this server"))
		return
	}
	sub, err := s.stream.events.Subscribe(mux.Vars(r)["team_id"])
	if err != nil {
		s.fail(w, r, err)
		return
	}
	defer sub.Close()

	rc := http.NewResponseController(w)
	// The stream outlives the server's read and write timeouts by design
	// (checked by hand: a stream stays open past 40 s behind Serve's 30 s
	// timeouts); its heartbeats are what detect a listener that went away.
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.SetWriteDeadline(time.Time{})
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	w.WriteHeader(http.StatusOK)

	heartbeat := s.stream.heartbeat
	if heartbeat <= 0 {
		heartbeat = DefaultHeartbeat
	}
	ticker := time.NewTicker(heartbeat)
	defer ticker.Stop()
	bw := bufio.NewWriter(w)
	var reported uint64
	send := func(write func()) bool {
		if d := sub.Dropped(); d != reported {
			reported = d
			fmt.Fprintf(bw, "event: dropped\ndata: {\"dropped\":%d}\n\n", d)
		}
		write()
		return bw.Flush() == nil && rc.Flush() == nil
	}
	if !send(func() { bw.WriteString(": stream open\n\n") }) {
		return
	}
	for {
		select {
		case <-r.Context().Done():
			return
		case ev, ok := <-sub.Events():
			if !ok {
				return // the server is shutting down
			}
			if want != nil && !want[ev.Type] {
				continue
			}
			if !send(func() { writeEvent(bw, ev) }) {
				return
			}
		case <-ticker.C:
			if !send(func() { bw.WriteString(": heartbeat\n\n") }) {
				return
			}
		}
	}
}

// writeEvent writes one SSE event. Payloads are compact JSON, one line; a
// newline would still survive as several data lines, which SSE joins.
func writeEvent(bw *bufio.Writer, ev relaybook.LiveEvent) {
	fmt.Fprintf(bw, "id: %s\nevent: %s\n", ev.ID, ev.Type)
	for line := range bytes.SplitSeq(ev.Payload, []byte("\n")) {
		bw.WriteString("data: ")
		bw.Write(line)
		bw.WriteByte('\n')
	}
	bw.WriteByte('\n')
}

// streamFilter parses ?events=a,b; nil means every event type.
func streamFilter(r *http.Request) (map[string]bool, error) {
	raw, ok := r.URL.Query()["events"]
	if !ok || strings.Join(raw, "") == "" {
		return nil, nil
	}
	var list []string
	for _, v := range raw {
		for _, e := range strings.Split(v, ",") {
			if e = strings.TrimSpace(e); e != "" {
				list = append(list, e)
			}
		}
	}
	if err := relaybook.ValidateEventTypes("events", list); err != nil {
		return nil, err
	}
	want := make(map[string]bool, len(list))
	for _, e := range list {
		want[e] = true
	}
	return want, nil
}
