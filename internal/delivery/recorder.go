package delivery

import (
	"context"
	"log/slog"
	"time"

	"github.com/relaybook/relaybook/internal/batch"
	"github.com/relaybook/relaybook/internal/relaybook"
)

// Recorder groups attempt records from concurrent handlers into shared
// commits. Record returns only after the record's commit, so no task is
// acknowledged before its log row is durable.
type Recorder struct {
	b *batch.Batcher[relaybook.AttemptRecord, struct{}]
}

// recordLinger lets a record batch wait for company: no receiver waits on
// the log write (the request has been sent), only the task's acknowledgement
// does, so a millisecond buys fewer, fuller commits.
const recordLinger = time.Millisecond

// NewRecorder starts writers committing batches of at most maxRows.
func NewRecorder(store relaybook.DeliveryStore, writers, maxRows int, log *slog.Logger) *Recorder {
	if log == nil {
		log = slog.Default()
	}
	return &Recorder{b: batch.New(writers, maxRows, recordLinger, func(recs []relaybook.AttemptRecord) ([]struct{}, []error) {
		return make([]struct{}, len(recs)), writeAttempts(store, recs, log)
	})}
}

// writeAttempts commits a batch. If the batch fails as a whole, each record
// is tried alone, so one bad row cannot fail its neighbours.
func writeAttempts(store relaybook.DeliveryStore, recs []relaybook.AttemptRecord, log *slog.Logger) []error {
	errs := make([]error, len(recs))
	err := store.RecordAttempts(context.Background(), recs)
	if err == nil || len(recs) == 1 {
		for i := range errs {
			errs[i] = err
		}
		return errs
	}
	log.Warn("attempt batch failed; writing its records one by one", "rows", len(recs), "error", err.Error())
	for i := range recs {
		errs[i] = store.RecordAttempts(context.Background(), recs[i:i+1])
	}
	return errs
}

// Record queues rec and waits until it is committed (or fails).
func (r *Recorder) Record(ctx context.Context, rec relaybook.AttemptRecord) error {
	_, err := r.b.Do(ctx, rec)
	return err
}

// Close writes what is queued and stops the writers.
func (r *Recorder) Close() { r.b.Close() }
