package delivery

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/relaybook/relaybook/internal/relaybook"
)

// fakePruner has rows older than any cutoff and hands them out a batch at
// a time, as PostgreSQL's PruneBatch does.
type fakePruner struct {
	mu      sync.Mutex
	events  int64
	cutoffs []time.Time
	fail    error
}

func (p *fakePruner) PruneBatch(_ context.Context, cutoff time.Time, batch int) (relaybook.PruneCounts, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cutoffs = append(p.cutoffs, cutoff)
	if p.fail != nil {
		return relaybook.PruneCounts{}, p.fail
	}
	n := min(p.events, int64(batch))
	p.events -= n
	return relaybook.PruneCounts{Events: n, Deliveries: 2 * n, Attempts: 3 * n}, nil
}

func (p *fakePruner) CountPrunable(context.Context, time.Time) (relaybook.PruneCounts, error) {
	return relaybook.PruneCounts{}, errors.New("not used")
}

func (p *fakePruner) calls() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.cutoffs)
}

func TestRetentionPrunesInBatchesUntilNothingIsLeft(t *testing.T) {
	p := &fakePruner{events: 25}
	r := &Retention{Store: p, Period: 720 * time.Hour, BatchSize: 10, Pause: time.Millisecond}
	before := time.Now().Add(-720 * time.Hour)
	got, err := r.Prune(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if want := (relaybook.PruneCounts{Events: 25, Deliveries: 50, Attempts: 75}); got != want {
		t.Errorf("pruned %+v, want %+v", got, want)
	}
	// Batches of 10, 10 and 5, then an empty one that ends the run.
	if len(p.cutoffs) != 4 {
		t.Errorf("%d batches, want 4", len(p.cutoffs))
	}
	for _, c := range p.cutoffs {
		if c.Before(before) || c.After(time.Now().Add(-720*time.Hour)) || !c.Equal(p.cutoffs[0]) {
			t.Errorf("cutoff %s: want one cutoff, retention.period before the run", c)
		}
	}
}

func TestRetentionRunKeepsGoingAfterAFailure(t *testing.T) {
	p := &fakePruner{fail: errors.New("database down")}
	r := &Retention{Store: p, Period: time.Hour, Interval: 5 * time.Millisecond, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); r.Run(ctx) }()
	deadline := time.Now().Add(5 * time.Second)
	for p.calls() < 3 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
	if p.calls() < 3 {
		t.Errorf("%d runs before the deadline; a failed run must not stop the ticker", p.calls())
	}
}
