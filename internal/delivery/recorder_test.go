package delivery

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/relaybook/relaybook/internal/relaybook"
)

// fakeStore is a relaybook.DeliveryStore in memory. RecordAttempts refuses
// any batch holding a record whose Error is "poison", as a database refuses
// a statement with one bad row.
type fakeStore struct {
	calls    int
	recorded []relaybook.AttemptRecord
}

var errPoison = errors.New("poisoned batch")

func (s *fakeStore) LoadDeliveryJobs(context.Context, []string) (map[string]*relaybook.DeliveryJob, error) {
	return map[string]*relaybook.DeliveryJob{}, nil
}

func (s *fakeStore) RecordAttempts(_ context.Context, recs []relaybook.AttemptRecord) error {
	s.calls++
	for _, r := range recs {
		if r.Error == "poison" {
			return errPoison
		}
	}
	s.recorded = append(s.recorded, recs...)
	return nil
}

func (s *fakeStore) HoldDelivery(context.Context, string, int) (bool, error) { return false, nil }

func (s *fakeStore) ReleaseHeld(context.Context, int) ([]relaybook.DeliveryTask, error) {
	return nil, nil
}

func (s *fakeStore) DueTasks(context.Context, time.Time, time.Time, string, int) ([]relaybook.DeliveryTask, error) {
	return nil, nil
}

// TestWriteAttemptsIsolatesABadRecord: when a batch fails as a whole, each
// record is written alone, so only the bad one fails.
func TestWriteAttemptsIsolatesABadRecord(t *testing.T) {
	store := &fakeStore{}
	rec := func(id, errText string) relaybook.AttemptRecord {
		return relaybook.AttemptRecord{DeliveryAttempt: relaybook.DeliveryAttempt{DeliveryID: id, Attempt: 1, Error: errText}}
	}
	errs := writeAttempts(store, []relaybook.AttemptRecord{rec("a", ""), rec("b", "poison"), rec("c", "")},
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	if errs[0] != nil || !errors.Is(errs[1], errPoison) || errs[2] != nil {
		t.Errorf("errors %v, want only the second to fail", errs)
	}
	if store.calls != 4 {
		t.Errorf("%d store calls, want the batch then one per record", store.calls)
	}
	if len(store.recorded) != 2 || store.recorded[0].DeliveryID != "a" || store.recorded[1].DeliveryID != "c" {
		t.Errorf("recorded %+v, want a and c", store.recorded)
	}
}

// TestWriteAttemptsSharesOneCommit: a good batch is one store call.
func TestWriteAttemptsSharesOneCommit(t *testing.T) {
	store := &fakeStore{}
	recs := make([]relaybook.AttemptRecord, 5)
	for _, err := range writeAttempts(store, recs, nil) {
		if err != nil {
			t.Fatal(err)
		}
	}
	if store.calls != 1 || len(store.recorded) != 5 {
		t.Errorf("%d calls wrote %d records, want 1 call for 5", store.calls, len(store.recorded))
	}
}
