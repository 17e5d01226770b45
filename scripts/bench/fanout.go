package main

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

// fanout creates one contact in a team with 100 webhooks and times from the
// create request until all 100 deliveries have arrived.
func (h *harness) fanout(ctx context.Context) (float64, error) {
	paths := make([]string, 100)
	for i := range paths {
		paths[i] = "/fan/" + strconv.Itoa(i)
	}
	f, err := h.fixture(ctx, "fanout", paths...)
	if err != nil {
		return 0, err
	}
	start := time.Now()
	if _, _, err := newAPIClient(h.apiBase, f.key, f.book.ID).createContact(ctx); err != nil {
		return 0, err
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		times, err := h.rc.fanoutTimes(ctx)
		if err != nil {
			return 0, err
		}
		if len(times) == 100 {
			last := times[0]
			for _, t := range times {
				if t.After(last) {
					last = t
				}
			}
			ms := float64(last.Sub(start).Microseconds()) / 1000
			logf("fan-out: 100 webhooks in %.2f ms", ms)
			return ms, nil
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("only %d of 100 fan-out deliveries arrived", len(times))
		}
		time.Sleep(2 * time.Millisecond)
	}
}
