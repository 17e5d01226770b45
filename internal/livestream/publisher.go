// Package livestream carries committed events to live listeners (`relaybook
// listen`) between serve processes through Redis pub/sub: the Publisher
// sends each team's events to its channel after commit, and a Hub in every
// serve process fans them out to that process's listeners. Live only: an
// event nobody listens to is gone, and none of this touches webhooks,
// deliveries or their log.
package livestream

import (
	"context"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/relaybook/relaybook/internal/relaybook"
)

// channelPrefix names a team's channel. Redis pub/sub ignores the database
// number, so team ids alone keep tenants and test runs apart.
const channelPrefix = "relaybook:events:"

func channel(teamID string) string { return channelPrefix + teamID }

// encode frames an event as "id\ntype\npayload": binary-safe, and the
// payload reaches listeners byte for byte, as a webhook receives it.
func encode(e relaybook.Event) string {
	var b strings.Builder
	b.Grow(len(e.ID) + len(e.Type) + len(e.Payload) + 2)
	b.WriteString(e.ID)
	b.WriteByte('\n')
	b.WriteString(e.Type)
	b.WriteByte('\n')
	b.Write(e.Payload)
	return b.String()
}

func decode(teamID, msg string) (relaybook.LiveEvent, bool) {
	id, rest, ok := strings.Cut(msg, "\n")
	if !ok {
		return relaybook.LiveEvent{}, false
	}
	typ, payload, ok := strings.Cut(rest, "\n")
	if !ok {
		return relaybook.LiveEvent{}, false
	}
	return relaybook.LiveEvent{ID: id, Type: typ, TeamID: teamID, Payload: []byte(payload)}, true
}

// Publisher implements relaybook.EventPublisher on Redis. Publish only
// queues (it runs on the request's path after commit); one goroutine sends
// what is queued in pipelined batches.
type Publisher struct {
	rdb     redis.UniversalClient
	queue   chan relaybook.Event
	stop    chan struct{}
	done    chan struct{}
	dropped atomic.Uint64
	log     *slog.Logger
}

var _ relaybook.EventPublisher = (*Publisher)(nil)

// publishBatch bounds one pipeline.
const publishBatch = 128

// NewPublisher starts a Publisher that queues at most buffer events.
func NewPublisher(rdb redis.UniversalClient, buffer int, log *slog.Logger) *Publisher {
	if log == nil {
		log = slog.Default()
	}
	p := &Publisher{rdb: rdb, queue: make(chan relaybook.Event, buffer), stop: make(chan struct{}), done: make(chan struct{}), log: log}
	go p.run()
	return p
}

// Publish queues events without blocking; when the queue is full (Redis
// slow or down) they are dropped: live listeners get no history.
func (p *Publisher) Publish(events []relaybook.Event) {
	for _, e := range events {
		select {
		case p.queue <- e:
		default:
			p.dropped.Add(1)
		}
	}
}

// Dropped is how many events were dropped because the queue was full.
func (p *Publisher) Dropped() uint64 { return p.dropped.Load() }

// Close sends what is queued (for at most a second) and stops.
func (p *Publisher) Close() {
	close(p.stop)
	<-p.done
}

func (p *Publisher) run() {
	defer close(p.done)
	var lastWarn time.Time
	batch := make([]relaybook.Event, 0, publishBatch)
	for {
		select {
		case e := <-p.queue:
			batch = append(batch[:0], e)
		case <-p.stop:
			p.drain()
			return
		}
		batch = p.take(batch)
		if err := p.send(batch); err != nil && time.Since(lastWarn) > time.Minute {
			lastWarn = time.Now()
			p.log.Warn("publishing events to live listeners failed; they miss these events", "count", len(batch), "error", err.Error())
		}
	}
}

func (p *Publisher) send(batch []relaybook.Event) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	pipe := p.rdb.Pipeline()
	for _, e := range batch {
		pipe.Publish(ctx, channel(e.TeamID), encode(e))
	}
	_, err := pipe.Exec(ctx)
	return err
}

func (p *Publisher) drain() {
	deadline := time.Now().Add(time.Second)
	for time.Now().Before(deadline) {
		batch := p.take(nil)
		if len(batch) == 0 {
			return
		}
		_ = p.send(batch)
	}
}

// take appends queued events to batch, up to publishBatch, without waiting.
func (p *Publisher) take(batch []relaybook.Event) []relaybook.Event {
	for len(batch) < publishBatch {
		select {
		case e := <-p.queue:
			batch = append(batch, e)
		default:
			return batch
		}
	}
	return batch
}
