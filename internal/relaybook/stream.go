package relaybook

// EventPublisher passes committed events on to live listeners (`relaybook
// listen`), across serve processes. Publish runs right after a commit on the
// request's path, so it must not block: live listeners get no history and
// no retries, and an event that cannot be passed on at once is dropped.
type EventPublisher interface {
	Publish(events []Event)
}

// LiveEvent is one event as a live stream carries it: the exact payload a
// webhook receives, with the id and type its headers carry.
type LiveEvent struct {
	ID      string
	Type    string
	TeamID  string
	Payload []byte
}

// EventSubscription is one listener's bounded share of a team's live
// events. A listener that falls behind loses events rather than holding up
// delivery or other listeners; Dropped counts what it lost.
type EventSubscription interface {
	// Events delivers the team's events; it is closed when the stream ends
	// (Close, or the server shutting down).
	Events() <-chan LiveEvent
	// Dropped is how many events this subscription has lost so far.
	Dropped() uint64
	Close()
}

// EventStream subscribes listeners to a team's live events.
type EventStream interface {
	Subscribe(teamID string) (EventSubscription, error)
}
