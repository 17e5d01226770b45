package livestream

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/relaybook/relaybook/internal/relaybook"
)

// Hub is one serve process's end of the live streams: one Redis pub/sub
// connection, subscribed to the channels of the teams that have listeners
// here, fanning each event out to those listeners. Fan-out never waits: a
// listener whose buffer is full loses the event and its Dropped count grows.
type Hub struct {
	ps     *redis.PubSub
	buffer int
	log    *slog.Logger

	mu     sync.Mutex
	teams  map[string]*teamSubs
	closed bool

	// netMu orders SUBSCRIBE and UNSUBSCRIBE commands, so that a team's
	// last listener leaving while a new one arrives cannot unsubscribe the
	// newcomer's channel.
	netMu sync.Mutex
}

type teamSubs struct {
	subs  map[*Subscription]struct{}
	ready chan struct{} // closed when Redis confirms the subscription
	once  sync.Once
}

var _ relaybook.EventStream = (*Hub)(nil)

// subscribeTimeout bounds the wait for Redis to confirm a new team's
// channel; a listener is told the stream is live only after it.
const subscribeTimeout = 5 * time.Second

// NewHub starts a Hub that gives each listener a buffer of that many events.
// It closes every stream when ctx ends (serve shutting down).
func NewHub(ctx context.Context, rdb redis.UniversalClient, buffer int, log *slog.Logger) *Hub {
	if log == nil {
		log = slog.Default()
	}
	h := &Hub{ps: rdb.Subscribe(ctx), buffer: buffer, log: log, teams: map[string]*teamSubs{}}
	msgs := h.ps.ChannelWithSubscriptions(redis.WithChannelSize(1024))
	go h.run(msgs)
	go func() {
		<-ctx.Done()
		h.close()
	}()
	return h
}

// Subscribe implements relaybook.EventStream. It returns once events
// published from now on will reach the subscription.
func (h *Hub) Subscribe(teamID string) (relaybook.EventSubscription, error) {
	sub := &Subscription{hub: h, teamID: teamID, ch: make(chan relaybook.LiveEvent, h.buffer)}
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil, relaybook.Errorf(relaybook.EUNAVAILABLE, "the server is shutting down")
	}
	t := h.teams[teamID]
	first := t == nil
	if first {
		t = &teamSubs{subs: map[*Subscription]struct{}{}, ready: make(chan struct{})}
		h.teams[teamID] = t
	}
	t.subs[sub] = struct{}{}
	h.mu.Unlock()

	ctx, cancel := context.WithTimeout(context.Background(), subscribeTimeout)
	defer cancel()
	if first {
		h.netMu.Lock()
		err := h.ps.Subscribe(ctx, channel(teamID))
		h.netMu.Unlock()
		if err != nil {
			sub.Close()
			return nil, relaybook.Errorf(relaybook.EUNAVAILABLE, "event stream: redis: %v", err)
		}
	}
	select {
	case <-t.ready:
		return sub, nil
	case <-ctx.Done():
		sub.Close()
		return nil, relaybook.Errorf(relaybook.EUNAVAILABLE, "event stream: redis did not confirm the subscription")
	}
}

func (h *Hub) run(msgs <-chan any) {
	for msg := range msgs {
		switch m := msg.(type) {
		case *redis.Subscription:
			if m.Kind == "subscribe" {
				h.mu.Lock()
				if t := h.teams[strings.TrimPrefix(m.Channel, channelPrefix)]; t != nil {
					t.once.Do(func() { close(t.ready) })
				}
				h.mu.Unlock()
			}
		case *redis.Message:
			teamID := strings.TrimPrefix(m.Channel, channelPrefix)
			ev, ok := decode(teamID, m.Payload)
			if !ok {
				h.log.Warn("ignoring a malformed live event", "channel", m.Channel)
				continue
			}
			h.fanOut(ev)
		}
	}
}

func (h *Hub) fanOut(ev relaybook.LiveEvent) {
	h.mu.Lock()
	defer h.mu.Unlock()
	t := h.teams[ev.TeamID]
	if t == nil {
		return
	}
	for sub := range t.subs {
		select {
		case sub.ch <- ev:
		default:
			sub.dropped.Add(1)
		}
	}
}

func (h *Hub) remove(sub *Subscription) {
	h.mu.Lock()
	t := h.teams[sub.teamID]
	if t == nil {
		h.mu.Unlock()
		return // closed with the hub
	}
	delete(t.subs, sub)
	close(sub.ch)
	last := len(t.subs) == 0
	if last {
		delete(h.teams, sub.teamID)
	}
	h.mu.Unlock()
	if !last {
		return
	}
	h.netMu.Lock()
	defer h.netMu.Unlock()
	h.mu.Lock()
	back := h.teams[sub.teamID] != nil // a new listener came meanwhile
	h.mu.Unlock()
	if !back {
		ctx, cancel := context.WithTimeout(context.Background(), subscribeTimeout)
		defer cancel()
		_ = h.ps.Unsubscribe(ctx, channel(sub.teamID)) // a failure only costs messages nobody reads
	}
}

func (h *Hub) close() {
	h.mu.Lock()
	h.closed = true
	for _, t := range h.teams {
		for sub := range t.subs {
			close(sub.ch)
		}
	}
	h.teams = map[string]*teamSubs{}
	h.mu.Unlock()
	_ = h.ps.Close()
}

// Subscription implements relaybook.EventSubscription.
type Subscription struct {
	hub     *Hub
	teamID  string
	ch      chan relaybook.LiveEvent
	dropped atomic.Uint64
	once    sync.Once
}

// Events implements relaybook.EventSubscription.
func (s *Subscription) Events() <-chan relaybook.LiveEvent { return s.ch }

// Dropped implements relaybook.EventSubscription.
func (s *Subscription) Dropped() uint64 { return s.dropped.Load() }

// Close implements relaybook.EventSubscription.
func (s *Subscription) Close() { s.once.Do(func() { s.hub.remove(s) }) }
