package delivery

import (
	"context"
	"fmt"
	"net/http"

	"github.com/relaybook/relaybook/internal/relaybook"
)

// Tester sends "webhooks test" events from the process that is asked (the
// API server or the CLI), not through the queue: the caller waits for the
// receiver's answer. It implements relaybook.WebhookTester.
type Tester struct {
	Store relaybook.TestStore
	// Client is a safehttp client (webhooks.allow_private_networks,
	// delivery.timeout), like the worker's.
	Client *http.Client
}

var _ relaybook.WebhookTester = (*Tester)(nil)

// TestWebhook sends one sample event now, paused webhook or not, and logs
// it as a finished attempt: a test is never retried, whatever the answer.
func (t *Tester) TestWebhook(ctx context.Context, teamID, webhookID, eventType string) (*relaybook.DeliveryAttempt, error) {
	send, err := t.Store.PrepareTest(ctx, teamID, webhookID, eventType)
	if err != nil {
		return nil, err
	}
	job := &send.Job
	res := Send(ctx, t.Client, job, 1)
	if ctx.Err() != nil {
		return nil, fmt.Errorf("test send: %w", ctx.Err())
	}
	// No retry delays: the one attempt is final, succeeded or failed.
	rec := (&Handler{}).record(job, 1, res)
	if err := t.Store.RecordTest(context.WithoutCancel(ctx), send, &rec); err != nil {
		return nil, err
	}
	a := rec.DeliveryAttempt
	a.Payload = job.Payload
	return &a, nil
}
