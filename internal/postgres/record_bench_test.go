package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/relaybook/relaybook/internal/relaybook"
)

// BenchmarkRecordAttempts100 records batches of 100 attempts, each moving
// its delivery forward, as a busy worker's recorder does.
func BenchmarkRecordAttempts100(b *testing.B) {
	f := newFixture(b)
	ctx := context.Background()
	ids := make([]string, 100)
	for i := range ids {
		ids[i] = f.delivery(b).DeliveryID
	}
	loaded, err := f.db.LoadDeliveryJobs(ctx, ids)
	if err != nil {
		b.Fatal(err)
	}
	recs := make([]relaybook.AttemptRecord, 0, len(ids))
	b.ResetTimer()
	for n := 1; n <= b.N; n++ {
		recs = recs[:0]
		for _, id := range ids {
			recs = append(recs, f.attempt(loaded[id], n, "pending", time.Now().Add(time.Minute)))
		}
		if err := f.db.RecordAttempts(ctx, recs); err != nil {
			b.Fatal(err)
		}
	}
}
