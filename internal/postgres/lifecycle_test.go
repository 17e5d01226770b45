package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/relaybook/relaybook/internal/postgres"
	"github.com/relaybook/relaybook/internal/relaybook"
)

func webhookService(f *fixture) *postgres.WebhookService { return postgres.NewWebhookService(f.db) }

func newContact(f *fixture, name string) (*relaybook.Contact, error) {
	return postgres.NewContactService(f.db).CreateContact(context.Background(),
		relaybook.Scope{TeamID: f.team.ID, BookID: f.book.ID}, relaybook.ContactInput{FirstName: &name})
}

// load returns the delivery engine's view of a delivery.
func (f *fixture) load(t *testing.T, id string) *relaybook.DeliveryJob {
	t.Helper()
	jobs, err := f.db.LoadDeliveryJobs(context.Background(), []string{id})
	if err != nil {
		t.Fatal(err)
	}
	return jobs[id]
}

// streak reads the webhook's failure bookkeeping and the row's version
// (xmin changes on every write).
func (f *fixture) streak(t *testing.T) (n int, active bool, reason *string, xmin string) {
	t.Helper()
	err := f.db.SQL().QueryRow(`SELECT failure_streak, active, disabled_reason, xmin::text FROM webhooks WHERE id = $1`,
		f.webhook.Webhook.ID).Scan(&n, &active, &reason, &xmin)
	if err != nil {
		t.Fatal(err)
	}
	return n, active, reason, xmin
}

// end records the first attempt of a fresh delivery as its last, with the
// given final state, at the given time.
func (f *fixture) end(t *testing.T, state string, at time.Time) relaybook.AttemptRecord {
	t.Helper()
	j := f.load(t, f.delivery(t).DeliveryID)
	rec := f.attempt(j, 1, state, at)
	rec.CreatedAt = relaybook.Time{Time: at}
	rec.Success = state == relaybook.DeliverySucceeded
	return rec
}

// TestFailureStreak: failures count up within and across batches, a success
// resets the count (only the failures after it in its batch remain), a
// success on a clean webhook does not write its row, and the threshold
// disables only once the streak spans disable_after.
func TestFailureStreak(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.db.AutoDisable = relaybook.AutoDisable{Failures: 4, After: time.Hour}
	t0 := time.Now().Add(-2 * time.Hour)

	_, _, _, before := f.streak(t)
	if err := f.db.RecordAttempts(ctx, []relaybook.AttemptRecord{f.end(t, "succeeded", t0)}); err != nil {
		t.Fatal(err)
	}
	if n, _, _, after := f.streak(t); n != 0 || after != before {
		t.Errorf("a success on a clean webhook: streak %d, row rewritten %v; want no write", n, after != before)
	}

	batch := []relaybook.AttemptRecord{
		f.end(t, "failed", t0.Add(time.Minute)),
		f.end(t, "succeeded", t0.Add(2*time.Minute)),
		f.end(t, "failed", t0.Add(3*time.Minute)),
		f.end(t, "failed", t0.Add(4*time.Minute)),
	}
	if err := f.db.RecordAttempts(ctx, batch); err != nil {
		t.Fatal(err)
	}
	if n, active, _, _ := f.streak(t); n != 2 || !active {
		t.Errorf("fail, success, fail, fail: streak %d, active %v; want 2, active", n, active)
	}
	// Two more failures reach the threshold (4) but span only minutes.
	if err := f.db.RecordAttempts(ctx, []relaybook.AttemptRecord{f.end(t, "failed", t0.Add(5*time.Minute)), f.end(t, "failed", t0.Add(6*time.Minute))}); err != nil {
		t.Fatal(err)
	}
	if n, active, _, _ := f.streak(t); n != 4 || !active {
		t.Errorf("4 failures over 3 minutes: streak %d, active %v; want 4, still active", n, active)
	}
	// One more, an hour after the streak began: disabled.
	if err := f.db.RecordAttempts(ctx, []relaybook.AttemptRecord{f.end(t, "failed", t0.Add(64*time.Minute))}); err != nil {
		t.Fatal(err)
	}
	n, active, reason, _ := f.streak(t)
	if n != 5 || active || reason == nil || *reason != relaybook.WebhookFailing {
		t.Fatalf("5 failures over an hour: streak %d, active %v, reason %v; want disabled as failing", n, active, reason)
	}
	// Disabled: new events are held, not dispatched.
	before2 := len(f.jobs.jobs)
	if _, err := newContact(f, "Held"); err != nil {
		t.Fatal(err)
	}
	if len(f.jobs.jobs) != before2 {
		t.Errorf("an event of a disabled webhook was dispatched")
	}
	// Re-enabling clears the streak and dispatches what was held.
	active = true
	w, err := webhookService(f).UpdateWebhook(ctx, f.team.ID, f.webhook.Webhook.ID, relaybook.WebhookPatch{Active: &active})
	if err != nil {
		t.Fatal(err)
	}
	if n, _, _, _ := f.streak(t); n != 0 || w.DisabledReason != nil {
		t.Errorf("re-enabled: streak %d, disabled_reason %v", n, w.DisabledReason)
	}
	if len(f.jobs.jobs) != before2+1 {
		t.Errorf("re-enabling dispatched %d, want the held delivery", len(f.jobs.jobs)-before2)
	}
}

// TestReleaseHeld: a delivery held while its webhook is active (an event
// written while the webhook was being resumed) is released by the sweeper's
// ReleaseHeld; one of an inactive webhook stays held, and so does one that
// HoldDelivery is asked to hold while the webhook is active.
func TestReleaseHeld(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	task := f.delivery(t)
	if held, err := f.db.HoldDelivery(ctx, task.DeliveryID, 1); err != nil || held {
		t.Errorf("HoldDelivery with the webhook active = %v, %v; want false", held, err)
	}
	if _, err := f.db.SQL().Exec(`UPDATE deliveries SET state = 'held', attempts = 2 WHERE id = $1`, task.DeliveryID); err != nil {
		t.Fatal(err)
	}
	tasks, err := f.db.ReleaseHeld(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(tasks) != 1 || tasks[0].DeliveryID != task.DeliveryID || tasks[0].Attempt != 3 {
		t.Fatalf("ReleaseHeld = %+v, want the held delivery's attempt 3", tasks)
	}
	if j := f.load(t, task.DeliveryID); j.State != relaybook.DeliveryPending || j.SequenceStart != 2 {
		t.Errorf("released delivery: %s, sequence_start %d", j.State, j.SequenceStart)
	}

	inactive := false
	if _, err := webhookService(f).UpdateWebhook(ctx, f.team.ID, f.webhook.Webhook.ID, relaybook.WebhookPatch{Active: &inactive}); err != nil {
		t.Fatal(err)
	}
	if held, err := f.db.HoldDelivery(ctx, task.DeliveryID, 3); err != nil || !held {
		t.Errorf("HoldDelivery with the webhook paused = %v, %v; want true", held, err)
	}
	if tasks, err := f.db.ReleaseHeld(ctx, 10); err != nil || len(tasks) != 0 {
		t.Errorf("ReleaseHeld released %+v (%v) of a paused webhook", tasks, err)
	}
}
