// Package listen is the client side of `relaybook listen`: it follows a
// team's live event stream on a running serve (Server-Sent Events) and hands
// each event to a forwarder that POSTs it to a local URL. It reconnects with
// backoff when the stream drops; live only, so events sent while it was
// disconnected are not replayed.
package listen

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/relaybook/relaybook/internal/relaybook"
)

// Forwarder sends one event to the local URL and describes the answer in a
// few words ("200 OK", "network error: …").
type Forwarder func(ctx context.Context, ev relaybook.LiveEvent) (answer string)

// Listener follows one team's stream.
type Listener struct {
	API     string // serve's base URL, like http://127.0.0.1:8080
	TeamID  string
	Token   string // a team-admin JWT
	Events  []string
	Forward Forwarder
	// Out gets one line per event; Status gets connection news.
	Out, Status io.Writer
	// Client makes the stream request; it must have no overall timeout.
	Client *http.Client
	// IdleTimeout ends a stream that sent nothing, not even a heartbeat,
	// for this long; MaxBackoff caps the wait between reconnections.
	IdleTimeout time.Duration
	MaxBackoff  time.Duration
	// Ready, when set, runs once, when the first stream opens: before any
	// event is forwarded, and never when the server refuses the listener.
	Ready func()

	readyOnce sync.Once
}

// permanentError is an answer that reconnecting cannot change (a bad token,
// a team the token does not administer, a bad --events).
type permanentError struct{ msg string }

func (e *permanentError) Error() string { return e.msg }

// Run follows the stream until ctx ends (nil) or the server refuses it for
// good (the server's message).
func (l *Listener) Run(ctx context.Context) error {
	backoff := 500 * time.Millisecond
	for {
		connected, err := l.follow(ctx)
		if ctx.Err() != nil {
			return nil
		}
		var perm *permanentError
		if errors.As(err, &perm) {
			return err
		}
		if connected {
			backoff = 500 * time.Millisecond
		}
		fmt.Fprintf(l.Status, "stream lost (%v); reconnecting in %s\n", err, backoff)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, l.MaxBackoff)
	}
}

func (l *Listener) streamURL() string {
	u := strings.TrimRight(l.API, "/") + "/api/teams/" + url.PathEscape(l.TeamID) + "/events/stream"
	if len(l.Events) > 0 {
		u += "?events=" + url.QueryEscape(strings.Join(l.Events, ","))
	}
	return u
}

// follow reads one connection's stream; connected says whether the server
// opened it.
func (l *Listener) follow(ctx context.Context) (connected bool, err error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, l.streamURL(), nil)
	if err != nil {
		return false, &permanentError{fmt.Sprintf("--api: %v", err)}
	}
	req.Header.Set("Authorization", "Bearer "+l.Token)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := l.Client.Do(req)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return false, refusal(resp)
	}

	// Heartbeats arrive every 15 s; silence for longer means a dead link
	// that TCP may take minutes to notice.
	idle := time.AfterFunc(l.IdleTimeout, func() { cancel(errors.New("no heartbeat")) })
	defer idle.Stop()
	var ev relaybook.LiveEvent
	var data []string
	r := bufio.NewReaderSize(resp.Body, 64<<10)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			if cause := context.Cause(ctx); cause != nil {
				err = cause
			}
			return connected, err
		}
		idle.Reset(l.IdleTimeout)
		line = strings.TrimRight(line, "\r\n")
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch {
		case line == "":
			if data != nil {
				ev.Payload = []byte(strings.Join(data, "\n"))
				l.dispatch(ctx, ev)
			}
			ev, data = relaybook.LiveEvent{TeamID: l.TeamID}, nil
		case field == "" && !connected: // the server's opening comment
			connected = true
			if l.Ready != nil {
				l.readyOnce.Do(l.Ready)
			}
			fmt.Fprintf(l.Status, "connected to %s; listening for team %s's events\n", l.API, l.TeamID)
		case field == "id":
			ev.ID = value
		case field == "event":
			ev.Type = value
		case field == "data":
			data = append(data, value)
		}
	}
}

func (l *Listener) dispatch(ctx context.Context, ev relaybook.LiveEvent) {
	if ev.Type == "dropped" {
		var d struct {
			Dropped uint64 `json:"dropped"`
		}
		_ = json.Unmarshal(ev.Payload, &d)
		fmt.Fprintf(l.Status, "this listener fell behind: the server dropped %d events for it so far\n", d.Dropped)
		return
	}
	start := time.Now()
	answer := l.Forward(ctx, ev)
	fmt.Fprintf(l.Out, "%s  %-16s %s  -> %s (%d ms)\n", start.UTC().Format(time.RFC3339), ev.Type, ev.ID, answer, time.Since(start).Milliseconds())
}

// refusal turns a non-200 answer into an error: permanent for 4xx other
// than 429, since reconnecting will not fix a token or a team.
func refusal(resp *http.Response) error {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	var e struct {
		Error struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	text := strings.TrimSpace(string(body))
	if json.Unmarshal(body, &e) == nil && e.Error.Message != "" {
		text = e.Error.Message
	}
	msg := fmt.Sprintf("the server answered %s: %s", resp.Status, text)
	if resp.StatusCode >= 400 && resp.StatusCode < 500 && resp.StatusCode != http.StatusTooManyRequests {
		return &permanentError{msg}
	}
	return errors.New(msg)
}
