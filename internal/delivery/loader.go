package delivery

import (
	"context"

	"github.com/relaybook/relaybook/internal/batch"
	"github.com/relaybook/relaybook/internal/relaybook"
)

// Loader groups the loads of concurrent handlers into one query.
type Loader struct {
	b *batch.Batcher[string, *relaybook.DeliveryJob]
}

// NewLoader starts readers loading batches of at most maxSize deliveries.
func NewLoader(store relaybook.DeliveryStore, readers, maxSize int) *Loader {
	return &Loader{b: batch.New(readers, maxSize, 0, func(ids []string) ([]*relaybook.DeliveryJob, []error) {
		jobs := make([]*relaybook.DeliveryJob, len(ids))
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
func (l *Loader) Load(ctx context.Context, deliveryID string) (*relaybook.DeliveryJob, error) {
	return l.b.Do(ctx, deliveryID)
}

// Close stops the readers.
func (l *Loader) Close() { l.b.Close() }
