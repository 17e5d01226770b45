package delivery

import (
	"context"

	"github.com/relaybook/relaybook/internal/batch"
	"github.com/relaybook/relaybook/internal/postgres"
	"github.com/relaybook/relaybook/internal/relaybook"
)

// JobStore loads what attempts need (postgres.DB).
type JobStore interface {
	LoadDeliveryJobs(ctx context.Context, deliveryIDs []string) (map[string]*postgres.DeliveryJob, error)
}

// Loader groups the loads of concurrent handlers into one query.
type Loader struct {
	b *batch.Batcher[string, *postgres.DeliveryJob]
}

// NewLoader starts readers loading batches of at most maxSize deliveries.
func NewLoader(store JobStore, readers, maxSize int) *Loader {
	return &Loader{b: batch.New(readers, maxSize, 0, func(ids []string) ([]*postgres.DeliveryJob, []error) {
		jobs := make([]*postgres.DeliveryJob, len(ids))
		errs := make([]error, len(ids))
		found, err := store.LoadDeliveryJobs(context.Background(), ids)
		for i, id := range ids {
			switch {
			case err != nil:
				errs[i] = err
			case found[id] == nil:
				errs[i] = relaybook.NotFound("delivery", id)
			default:
				jobs[i] = found[id]
			}
		}
		return jobs, errs
	})}
}

// Load returns one delivery's job; ENOTFOUND when it no longer exists.
func (l *Loader) Load(ctx context.Context, deliveryID string) (*postgres.DeliveryJob, error) {
	return l.b.Do(ctx, deliveryID)
}

// Close stops the readers.
func (l *Loader) Close() { l.b.Close() }
