package delivery

import (
	"slices"
	"testing"
	"time"

	"github.com/relaybook/relaybook/internal/relaybook"
)

func TestClassify(t *testing.T) {
	cases := map[int]Outcome{
		200: Succeeded, 201: Succeeded, 204: Succeeded, 299: Succeeded,
		301: Final, 302: Final, 304: Final, 400: Final, 401: Final, 404: Final, 410: Final, 429: Final,
		500: Retryable, 502: Retryable, 503: Retryable, 599: Retryable,
		100: Final,
	}
	for status, want := range cases {
		if got := Classify(status); got != want {
			t.Errorf("Classify(%d) = %v, want %v", status, got, want)
		}
	}
}

func TestNextState(t *testing.T) {
	delays := []time.Duration{10 * time.Second, time.Minute, 5 * time.Minute}
	at := time.Date(2026, 2, 18, 16, 52, 56, 0, time.UTC)
	cases := []struct {
		outcome Outcome
		attempt int
		state   string
		next    time.Time
	}{
		{Succeeded, 1, relaybook.DeliverySucceeded, at},
		{Final, 1, relaybook.DeliveryFailed, at},
		{Retryable, 1, relaybook.DeliveryPending, at.Add(10 * time.Second)},
		{Retryable, 2, relaybook.DeliveryPending, at.Add(time.Minute)},
		{Retryable, 3, relaybook.DeliveryPending, at.Add(5 * time.Minute)},
		{Retryable, 4, relaybook.DeliveryFailed, at},
		{Succeeded, 4, relaybook.DeliverySucceeded, at},
	}
	for _, c := range cases {
		state, next := NextState(c.outcome, c.attempt, delays, at)
		if state != c.state || !next.Equal(c.next) {
			t.Errorf("NextState(%v, attempt %d) = %s %s, want %s %s", c.outcome, c.attempt, state, next, c.state, c.next)
		}
	}
}

func TestSplitSlots(t *testing.T) {
	cases := []struct {
		concurrency, n int
		want           []int
	}{
		{100, 2, []int{50, 50}},
		{101, 2, []int{51, 50}},
		{7, 3, []int{3, 2, 2}},
		{1, 2, []int{1}}, // never a server with no slots
		{0, 2, []int{0}}, // one server with Asynq's default
	}
	for _, c := range cases {
		if got := splitSlots(c.concurrency, c.n); !slices.Equal(got, c.want) {
			t.Errorf("splitSlots(%d, %d) = %v, want %v", c.concurrency, c.n, got, c.want)
		}
	}
}
