package delivery

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/hibiken/asynq"

	"github.com/relaybook/relaybook/internal/postgres"
	"github.com/relaybook/relaybook/internal/queue"
	"github.com/relaybook/relaybook/internal/relaybook"
)

// JobEnqueuer schedules the next attempt (queue.Enqueuer).
type JobEnqueuer interface {
	Enqueue(ctx context.Context, jobs []relaybook.Job) (int, error)
}

// Handler processes queue.TypeDeliver tasks.
type Handler struct {
	Loader   *Loader
	Recorder *Recorder
	Client   *http.Client
	Enqueuer JobEnqueuer
	// RetryDelays are the waits before retry 1, 2, …; a delivery gets
	// len(RetryDelays)+1 attempts.
	RetryDelays []time.Duration
	Log         *slog.Logger
}

// ProcessTask implements asynq.Handler. It returns an error only when the
// attempt could not be loaded or recorded (PostgreSQL down): Asynq then
// runs the task again, and the receiver may see the attempt twice, which
// at-least-once delivery allows and X-Relay-Event-ID lets it dedupe.
func (h *Handler) ProcessTask(ctx context.Context, t *asynq.Task) error {
	p, err := queue.ParseDeliverPayload(t.Payload())
	if err != nil {
		return err
	}
	job, err := h.Loader.Load(ctx, p.DeliveryID)
	if relaybook.ErrorCode(err) == relaybook.ENOTFOUND {
		return nil // the webhook was deleted with its deliveries
	}
	if err != nil {
		return fmt.Errorf("load delivery %s: %w", p.DeliveryID, err)
	}
	if job.State != relaybook.DeliveryPending || job.Attempts >= p.Attempt {
		return nil // already done: a duplicate task, or the sweeper raced a retry
	}

	var res Result
	if job.Active {
		res = Send(ctx, h.Client, job, p.Attempt)
		if ctx.Err() != nil {
			// Shut down mid-request: hand the task back without a verdict.
			return ctx.Err()
		}
	} else {
		now := time.Now()
		res = Result{Outcome: Final, Err: "webhook is inactive; not sent", FinishedAt: now}
	}

	rec := h.record(job, p.Attempt, res)
	if err := h.Recorder.Record(ctx, rec); err != nil {
		return fmt.Errorf("record attempt %d of delivery %s: %w", p.Attempt, p.DeliveryID, err)
	}
	if rec.State == relaybook.DeliveryPending {
		h.scheduleNext(relaybook.Job{DeliveryID: job.DeliveryID, Attempt: p.Attempt + 1, RunAt: rec.NextAttemptAt})
	}
	return nil
}

// record builds the log row and the delivery's next state.
func (h *Handler) record(job *postgres.DeliveryJob, attempt int, res Result) postgres.AttemptRecord {
	rec := postgres.AttemptRecord{
		ID:             postgres.NewAttemptID(),
		DeliveryID:     job.DeliveryID,
		WebhookID:      job.WebhookID,
		EventID:        job.EventID,
		EventType:      job.EventType,
		Attempt:        attempt,
		ResponseStatus: res.Status,
		ResponseBody:   res.Body,
		DurationMS:     res.Duration.Milliseconds(),
		Success:        res.Outcome == Succeeded,
		Error:          res.Err,
		CreatedAt:      res.FinishedAt,
	}
	rec.State, rec.NextAttemptAt = NextState(res.Outcome, attempt, h.RetryDelays, res.FinishedAt)
	return rec
}

// NextState applies the retry rules: success and final outcomes end the
// delivery; a retryable one waits RetryDelays[attempt-1] after the attempt
// finished (so a retry is never early), until the delays run out.
func NextState(o Outcome, attempt int, delays []time.Duration, finishedAt time.Time) (string, time.Time) {
	switch {
	case o == Succeeded:
		return relaybook.DeliverySucceeded, finishedAt
	case o == Retryable && attempt <= len(delays):
		return relaybook.DeliveryPending, finishedAt.Add(delays[attempt-1])
	default:
		return relaybook.DeliveryFailed, finishedAt
	}
}

// scheduleNext enqueues the next attempt. The delivery is already durable
// as pending with its due time, so if Redis refuses, the sweeper enqueues
// it later; the log line says so.
func (h *Handler) scheduleNext(job relaybook.Job) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if _, err := h.Enqueuer.Enqueue(ctx, []relaybook.Job{job}); err != nil {
		h.logger().Warn("cannot schedule retry; the sweeper will enqueue it when due",
			"delivery_id", job.DeliveryID, "attempt", job.Attempt, "error", err.Error())
	}
}

func (h *Handler) logger() *slog.Logger {
	if h.Log == nil {
		return slog.Default()
	}
	return h.Log
}
