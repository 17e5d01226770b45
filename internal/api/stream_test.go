package api_test

import (
	"bufio"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/relaybook/relaybook/internal/api"
	"github.com/relaybook/relaybook/internal/livestream"
	"github.com/relaybook/relaybook/internal/relaybook"
	"github.com/relaybook/relaybook/internal/testenv"
)

// sseEvent is one event or comment as a stream client reads it.
type sseEvent struct {
	ID, Type, Data, Comment string
}

// openStream GETs the stream and returns a function that reads the next
// event or comment.
func openStream(t *testing.T, url, tok string) func() sseEvent {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	must(t, err)
	req.Header.Set("Authorization", "Bearer "+tok)
	res, err := http.DefaultClient.Do(req)
	must(t, err)
	t.Cleanup(func() { res.Body.Close() })
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("stream: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	return func() sseEvent {
		t.Helper()
		var ev sseEvent
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatal("the stream ended")
				}
				field, value, _ := strings.Cut(l, ": ")
				switch {
				case l == "":
					return ev
				case strings.HasPrefix(l, ":"):
					ev.Comment = strings.TrimPrefix(l, ": ")
				case field == "id":
					ev.ID = value
				case field == "event":
					ev.Type = value
				case field == "data":
					ev.Data = value
				}
			case <-time.After(5 * time.Second):
				t.Fatal("nothing on the stream for 5 s")
			}
		}
	}
}

func TestEventStream(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	hub := livestream.NewHub(ctx, testenv.Redis(t), 16, nil)
	e := newEnv(t, api.Options{Events: hub, Heartbeat: 200 * time.Millisecond})
	pub := livestream.NewPublisher(testenv.Redis(t), 64, nil)
	defer pub.Close()
	e.db.Events = pub
	tm, other := e.newTeam(t), e.newTeam(t)
	stream := e.url + "/api/teams/" + tm.ID + "/events/stream"

	do(t, "GET", stream, nil, nil).expect(t, http.StatusUnauthorized, relaybook.EUNAUTHORIZED)
	do(t, "GET", stream, bearerHeader(token(t, tm.Member)), nil).expect(t, http.StatusForbidden, relaybook.EFORBIDDEN)
	do(t, "GET", stream, bearerHeader(token(t, other.Admin)), nil).expect(t, http.StatusForbidden, relaybook.EFORBIDDEN)
	do(t, "GET", stream+"?events=contact.exploded", bearerHeader(token(t, tm.Admin)), nil).expect(t, http.StatusUnprocessableEntity, relaybook.EINVALID, "events")

	next := openStream(t, stream+"?events=contact.created,contact.deleted", token(t, tm.Admin))
	if ev := next(); ev.Comment != "stream open" {
		t.Fatalf("first on the stream: %+v, want the opening comment", ev)
	}
	h := map[string]string{"Authorization": "Bearer " + tm.Key, "X-Book-ID": tm.Book.ID}
	var c relaybook.Contact
	do(t, "POST", e.url+"/api/v1/contacts", h, `{"first_name":"Streamed"}`).expect(t, http.StatusCreated).data(t, &c)
	do(t, "PATCH", e.url+"/api/v1/contacts/"+c.ID, h, `{"last_name":"Filtered"}`).expect(t, http.StatusOK)
	do(t, "DELETE", e.url+"/api/v1/contacts/"+c.ID, h, nil).expect(t, http.StatusNoContent)

	var got []sseEvent
	for len(got) < 2 {
		if ev := next(); ev.Type != "" {
			got = append(got, ev)
		}
	}
	stored := e.contactEvents(t, tm.ID)
	for i, want := range []string{relaybook.EventContactCreated, relaybook.EventContactDeleted} {
		if got[i].Type != want || got[i].ID == "" {
			t.Errorf("stream event %d: %+v, want %s", i, got[i], want)
		}
		var payload []byte
		must(t, e.db.SQL().Get(&payload, `SELECT payload FROM events WHERE id = $1`, got[i].ID))
		if got[i].Data != string(payload) {
			t.Errorf("stream event %d data differs from the stored payload:\n%s\n%s", i, got[i].Data, payload)
		}
	}
	if len(stored) != 3 {
		t.Errorf("%d contact events stored, want 3", len(stored))
	}
	// Idle, the stream carries heartbeats.
	if ev := next(); ev.Comment != "heartbeat" {
		t.Errorf("idle stream: %+v, want a heartbeat comment", ev)
	}
}

func TestEventStreamUnavailable(t *testing.T) {
	e := newEnv(t, api.Options{})
	tm := e.newTeam(t)
	do(t, "GET", e.url+"/api/teams/"+tm.ID+"/events/stream", bearerHeader(token(t, tm.Admin)), nil).expect(t, http.StatusServiceUnavailable)
}

// fakeStream hands out one subscription that has already dropped events.
type fakeStream struct{ sub *fakeSub }

func (f fakeStream) Subscribe(string) (relaybook.EventSubscription, error) { return f.sub, nil }

type fakeSub struct{ ch chan relaybook.LiveEvent }

func (s *fakeSub) Events() <-chan relaybook.LiveEvent { return s.ch }
func (s *fakeSub) Dropped() uint64                    { return 3 }
func (s *fakeSub) Close()                             {}

func TestEventStreamReportsDrops(t *testing.T) {
	sub := &fakeSub{ch: make(chan relaybook.LiveEvent, 1)}
	sub.ch <- relaybook.LiveEvent{ID: "e1", Type: relaybook.EventBookCreated, Payload: []byte(`{"event":"book.created"}`)}
	e := newEnv(t, api.Options{Events: fakeStream{sub}})
	tm := e.newTeam(t)
	next := openStream(t, e.url+"/api/teams/"+tm.ID+"/events/stream", token(t, tm.Admin))
	if ev := next(); ev.Type != "dropped" || ev.Data != `{"dropped":3}` {
		t.Errorf("first: %+v, want the drop report", ev)
	}
	next() // the opening comment
	if ev := next(); ev.ID != "e1" || ev.Data != `{"event":"book.created"}` {
		t.Errorf("then: %+v, want the event", ev)
	}
}
