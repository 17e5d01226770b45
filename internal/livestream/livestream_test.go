package livestream_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/relaybook/relaybook/internal/livestream"
	"github.com/relaybook/relaybook/internal/relaybook"
	"github.com/relaybook/relaybook/internal/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }

func event(team string, n int) relaybook.Event {
	return relaybook.Event{ID: fmt.Sprintf("evt-%d", n), Type: relaybook.EventContactCreated, TeamID: team,
		Payload: []byte(fmt.Sprintf("{\"n\":%d,\"text\":\"line\\nbreak \u00e9\"}", n))}
}

func receive(t *testing.T, sub relaybook.EventSubscription) relaybook.LiveEvent {
	t.Helper()
	select {
	case ev, ok := <-sub.Events():
		if !ok {
			t.Fatal("subscription closed")
		}
		return ev
	case <-time.After(5 * time.Second):
		t.Fatal("no event within 5 s")
	}
	return relaybook.LiveEvent{}
}

// TestSlowListenerDropsAlone: one hub publishes through Redis to another
// (two serve processes); a listener that never reads loses what overflows
// its buffer, counted, while a listener that keeps up gets every event, in
// order and byte for byte, and another team's listener gets none.
func TestSlowListenerDropsAlone(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rdb := testenv.Redis(t)
	const buffer = 8
	hub := livestream.NewHub(ctx, rdb, buffer, nil)
	pub := livestream.NewPublisher(testenv.Redis(t), 64, nil)
	defer pub.Close()

	team, other := testenv.UniqueName("team"), testenv.UniqueName("team")
	slow, err := hub.Subscribe(team)
	if err != nil {
		t.Fatal(err)
	}
	fast, err := hub.Subscribe(team)
	if err != nil {
		t.Fatal(err)
	}
	stranger, err := hub.Subscribe(other)
	if err != nil {
		t.Fatal(err)
	}
	const n = 40
	for i := range n {
		want := event(team, i)
		pub.Publish([]relaybook.Event{want})
		got := receive(t, fast)
		if got.ID != want.ID || got.Type != want.Type || got.TeamID != team || string(got.Payload) != string(want.Payload) {
			t.Fatalf("fast listener got %+v, want %+v", got, want)
		}
	}
	if d := fast.Dropped(); d != 0 {
		t.Errorf("the listener that kept up dropped %d", d)
	}
	if d := slow.Dropped(); d != n-buffer {
		t.Errorf("the slow listener dropped %d, want %d (its buffer holds %d)", d, n-buffer, buffer)
	}
	for i := range buffer {
		if got := receive(t, slow); got.ID != event(team, i).ID {
			t.Errorf("slow listener's buffered event %d is %s", i, got.ID)
		}
	}
	select {
	case ev := <-stranger.Events():
		t.Errorf("another team's listener got %+v", ev)
	default:
	}

	// A closed subscription stops; the hub's end closes the rest.
	slow.Close()
	if _, ok := <-slow.Events(); ok {
		t.Error("a closed subscription still delivers")
	}
	cancel()
	select {
	case _, ok := <-fast.Events():
		if ok {
			t.Error("an event after the hub ended")
		}
	case <-time.After(5 * time.Second):
		t.Error("the hub's end did not close its subscriptions")
	}
	if _, err := hub.Subscribe(team); relaybook.ErrorCode(err) != relaybook.EUNAVAILABLE {
		t.Errorf("Subscribe after the hub ended = %v, want EUNAVAILABLE", err)
	}
}

// TestPublishNeverBlocks: with Redis unreachable, Publish returns at once
// and counts what it could not queue.
func TestPublishNeverBlocks(t *testing.T) {
	pub := livestream.NewPublisher(unreachableRedis(), 4, nil)
	defer pub.Close()
	start := time.Now()
	for i := range 100 {
		pub.Publish([]relaybook.Event{event("t", i)})
	}
	if elapsed := time.Since(start); elapsed > time.Second {
		t.Errorf("100 Publish calls took %s with Redis down", elapsed)
	}
	if pub.Dropped() == 0 {
		t.Error("nothing counted as dropped with Redis down and a queue of 4")
	}
}

func unreachableRedis() *redis.Client {
	return redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", DialTimeout: 100 * time.Millisecond, MaxRetries: -1})
}

// TestResubscribe: a team's only listener leaving and a new one arriving at
// once (listen reconnecting) leaves the newcomer subscribed.
func TestResubscribe(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	hub := livestream.NewHub(ctx, testenv.Redis(t), 8, nil)
	pub := livestream.NewPublisher(testenv.Redis(t), 8, nil)
	defer pub.Close()
	team := testenv.UniqueName("team")
	for i := range 20 {
		sub, err := hub.Subscribe(team)
		if err != nil {
			t.Fatal(err)
		}
		go sub.Close() // races the next Subscribe
		if i == 19 {
			next, err := hub.Subscribe(team)
			if err != nil {
				t.Fatal(err)
			}
			time.Sleep(100 * time.Millisecond) // let the racing Close finish
			pub.Publish([]relaybook.Event{event(team, i)})
			if got := receive(t, next); got.ID != event(team, i).ID {
				t.Errorf("got %+v", got)
			}
		}
	}
}
