package delivery

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/hibiken/asynq"

	"github.com/relaybook/relaybook/internal/queue"
	"github.com/relaybook/relaybook/internal/relaybook"
)

// TaskEnqueuer schedules the next attempt (queue.Enqueuer).
type TaskEnqueuer interface {
	Enqueue(ctx context.Context, tasks []relaybook.DeliveryTask) (int, error)
}

// Handler processes queue.TypeDeliver tasks.
type Handler struct {
	Loader   *Loader
	Recorder *Recorder
	Client   *http.Client
	Enqueuer TaskEnqueuer
	// Store holds deliveries whose webhook is inactive.
	Store relaybook.DeliveryStore
	// RetryDelays are the waits before retry 1, 2, … of an attempt
	// sequence; a sequence has len(RetryDelays)+1 attempts.
	RetryDelays []time.Duration
	Log         *slog.Logger
	// Observer hears of every attempt sent (metrics); nil: nobody.
	Observer relaybook.AttemptObserver
}

// ProcessTask implements asynq.Handler. It returns an error only when the
// attempt could not be loaded or recorded (PostgreSQL down): Asynq then
// runs the task again, and the receiver may see the attempt twice, which
// at-least-once delivery allows and X-Relay-Event-ID lets it dedupe.
func (h *Handler) ProcessTask(ctx context.Context, t *asynq.Task) error {
	task, err := queue.ParseDeliverTask(t.Payload())
	if err != nil {
		return err
	}
	job, err := h.Loader.Load(ctx, task.DeliveryID)
	if relaybook.ErrorCode(err) == relaybook.ENOTFOUND {
		return nil // the webhook was deleted with its deliveries
	}
	if err != nil {
		return fmt.Errorf("load delivery %s: %w", task.DeliveryID, err)
	}
	if job.State != relaybook.DeliveryPending || job.Attempts >= task.Attempt {
		return nil // already done: a duplicate task, or the sweeper raced a retry
	}

	if !job.Active {
		// Paused or disabled: the delivery waits, without an attempt, until
		// the webhook is resumed (which sends it) — never dropped.
		if _, err := h.Store.HoldDelivery(ctx, job.DeliveryID, task.Attempt); err != nil {
			return fmt.Errorf("hold delivery %s: %w", task.DeliveryID, err)
		}
		return nil
	}
	res := Send(ctx, h.Client, job, task.Attempt)
	if ctx.Err() != nil {
		// Shut down mid-request: hand the task back without a verdict.
		return ctx.Err()
	}
	h.report(job, task.Attempt, res)

	rec := h.record(job, task.Attempt, res)
	if err := h.Recorder.Record(ctx, rec); err != nil {
		return fmt.Errorf("record attempt %d of delivery %s: %w", task.Attempt, task.DeliveryID, err)
	}
	if rec.State == relaybook.DeliveryPending {
		h.scheduleNext(relaybook.DeliveryTask{DeliveryID: job.DeliveryID, Attempt: task.Attempt + 1, RunAt: rec.NextAttemptAt})
	}
	return nil
}

// record builds the log row and the delivery's next state; the store
// gives the row its id.
func (h *Handler) record(job *relaybook.DeliveryJob, attempt int, res Result) relaybook.AttemptRecord {
	rec := relaybook.AttemptRecord{DeliveryAttempt: relaybook.DeliveryAttempt{
		DeliveryID:   job.DeliveryID,
		WebhookID:    job.WebhookID,
		EventID:      job.EventID,
		EventType:    job.EventType,
		Attempt:      attempt,
		ResponseBody: res.Body,
		DurationMS:   res.Duration.Milliseconds(),
		Success:      res.Outcome == Succeeded,
		Error:        res.Err,
		// Full precision, not NewTime's milliseconds: the log orders an
		// attempt by when it finished.
		CreatedAt: relaybook.Time{Time: res.FinishedAt},
	}}
	if res.Status != 0 {
		rec.ResponseStatus = &res.Status
	}
	// The schedule counts within the attempt sequence: a delivery re-opened
	// after attempt 4 retries its attempt 5 as a first attempt.
	rec.State, rec.NextAttemptAt = NextState(res.Outcome, attempt-job.SequenceStart, h.RetryDelays, res.FinishedAt)
	return rec
}

// NextState applies the retry rules to the attempt at position attempt
// (1-based) of its sequence: success and final outcomes end the delivery;
// a retryable one waits delays[attempt-1] after the attempt finished (so a
// retry is never early), until the delays run out.
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
func (h *Handler) scheduleNext(task relaybook.DeliveryTask) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if _, err := h.Enqueuer.Enqueue(ctx, []relaybook.DeliveryTask{task}); err != nil {
		h.logger().Warn("cannot schedule retry; the sweeper will enqueue it when due",
			"delivery_id", task.DeliveryID, "attempt", task.Attempt, "error", err.Error())
	}
}

func (h *Handler) logger() *slog.Logger {
	if h.Log == nil {
		return slog.Default()
	}
	return h.Log
}
