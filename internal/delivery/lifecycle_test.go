package delivery_test

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/relaybook/relaybook/internal/postgres"
	"github.com/relaybook/relaybook/internal/relaybook"
)

// tinyDelays make an attempt sequence (3 attempts) end within a second.
var tinyDelays = []time.Duration{20 * time.Millisecond, 40 * time.Millisecond}

// switchable answers 503 while down is set, 200 otherwise.
func switchable(t *testing.T, down *atomic.Bool) *receiver {
	return newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if down.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("OK"))
	})
}

// states counts a webhook's deliveries by state.
func (e *env) states(webhookID string) map[string]int {
	e.t.Helper()
	rows, err := e.db.SQL().Query(`SELECT state, count(*) FROM deliveries WHERE webhook_id = $1 GROUP BY state`, webhookID)
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var s string
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			e.t.Fatal(err)
		}
		out[s] = n
	}
	return out
}

func (e *env) waitStates(webhookID string, want map[string]int) {
	e.t.Helper()
	waitUntil(e.t, 15*time.Second, "delivery states "+stateString(want), func() bool {
		got := e.states(webhookID)
		if len(got) != len(want) {
			return false
		}
		for k, v := range want {
			if got[k] != v {
				return false
			}
		}
		return true
	})
}

func stateString(m map[string]int) string {
	s := ""
	for k, v := range m {
		s += k + "=" + string(rune('0'+v%10)) + " "
	}
	return s
}

// successes counts, per event id, the requests the receiver answered 200.
func successes(reqs []request, downUntil int) map[string]int {
	ids := map[string]int{}
	for i, r := range reqs {
		if i >= downUntil {
			ids[r.Header.Get("X-Relay-Event-ID")]++
		}
	}
	return ids
}

func (e *env) recoverSince(webhookID, since string) int {
	e.t.Helper()
	win, err := relaybook.ParseRecoveryWindow(since, "", time.Now())
	if err != nil {
		e.t.Fatal(err)
	}
	rec, err := postgres.NewDeliveryService(e.db).Recover(context.Background(), e.team.ID, webhookID, win, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return rec.Queued
}

func (e *env) setActive(webhookID string, active bool) *relaybook.Webhook {
	e.t.Helper()
	w, err := postgres.NewWebhookService(e.db).UpdateWebhook(context.Background(), e.team.ID, webhookID, relaybook.WebhookPatch{Active: &active})
	if err != nil {
		e.t.Fatal(err)
	}
	return w
}

// settle gives stray duplicate sends a moment to show up before a test
// counts what arrived.
func settle() { time.Sleep(500 * time.Millisecond) }

// TestOutageRecover: the receiver is down until every delivery of 5 events
// has failed; once it is back, recover --since 10m queues exactly 5, each
// event arrives exactly once more, and a second recover queues nothing.
func TestOutageRecover(t *testing.T) {
	e := newEnv(t)
	e.dispatch()
	var down atomic.Bool
	down.Store(true)
	rc := switchable(t, &down)
	hook := e.webhook(rc.URL, relaybook.EventContactCreated).Webhook
	e.startWorker(workerOpts{delays: tinyDelays})
	createContacts(e, e.book(), 5)
	e.waitStates(hook.ID, map[string]int{"failed": 5})
	failedReqs := len(rc.requests())
	if failedReqs != 15 {
		t.Errorf("%d requests during the outage, want 5 events × 3 attempts", failedReqs)
	}

	down.Store(false)
	if n := e.recoverSince(hook.ID, "10m"); n != 5 {
		t.Fatalf("recover queued %d, want 5", n)
	}
	e.waitStates(hook.ID, map[string]int{"succeeded": 5})
	settle()
	reqs := rc.requests()
	got := successes(reqs, failedReqs)
	if len(reqs) != failedReqs+5 || len(got) != 5 {
		t.Errorf("after recover: %d requests over %d events, want each of 5 events once more", len(reqs)-failedReqs, len(got))
	}
	for _, r := range reqs[failedReqs:] {
		if r.Attempt != 4 {
			t.Errorf("recovered attempt numbered %d, want 4 (numbers keep counting)", r.Attempt)
		}
	}
	if n := e.recoverSince(hook.ID, "10m"); n != 0 {
		t.Errorf("second recover queued %d, want 0", n)
	}
	win, err := relaybook.ParseWindow("2h", "1h", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if rec, err := postgres.NewDeliveryService(e.db).Recover(context.Background(), e.team.ID, hook.ID, win, nil); err != nil || rec.Queued != 0 {
		t.Errorf("recover of a window before every event: %+v, %v; want 0 queued", rec, err)
	}
}

// TestPauseHoldsResumeSends: events of a paused webhook are held, not
// sent and not dropped; resuming sends them all, oldest first.
func TestPauseHoldsResumeSends(t *testing.T) {
	e := newEnv(t)
	e.dispatch()
	rc := newReceiver(t, nil)
	hook := e.webhook(rc.URL, relaybook.EventContactCreated).Webhook
	e.startWorker(workerOpts{concurrency: 1})
	paused := e.setActive(hook.ID, false)
	if paused.DisabledReason == nil || *paused.DisabledReason != relaybook.WebhookPaused || paused.DisabledAt == nil {
		t.Errorf("paused webhook: disabled_reason %v, disabled_at %v", paused.DisabledReason, paused.DisabledAt)
	}
	b := e.book()
	var names []string
	for _, n := range []string{"First", "Second", "Third"} {
		c := e.createContact(b, n)
		names = append(names, c.ID)
	}
	e.waitStates(hook.ID, map[string]int{"held": 3})
	settle()
	if n := len(rc.requests()); n != 0 {
		t.Fatalf("a paused webhook was sent %d requests", n)
	}
	if n := len(e.attempts(hook.ID)); n != 0 {
		t.Errorf("holding logged %d attempts, want none", n)
	}

	resumed := e.setActive(hook.ID, true)
	if resumed.DisabledReason != nil || resumed.DisabledAt != nil {
		t.Errorf("resumed webhook still says disabled: %v %v", resumed.DisabledReason, resumed.DisabledAt)
	}
	reqs := rc.waitFor(t, 3, 10*time.Second)
	for i, r := range reqs {
		data, _ := decode(t, r.Body)["data"].(map[string]any)
		if data["id"] != names[i] {
			t.Errorf("request %d carried contact %v, want %s (oldest event first)", i, data["id"], names[i])
		}
	}
	e.waitStates(hook.ID, map[string]int{"succeeded": 3})
}

// TestRetryFallingDueWhilePausedIsHeld: a delivery retrying when its
// webhook is paused is held at its next attempt, with no attempt logged,
// and resuming starts it on a fresh attempt sequence.
func TestRetryFallingDueWhilePausedIsHeld(t *testing.T) {
	e := newEnv(t)
	e.dispatch()
	var calls atomic.Int32
	rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if n == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("OK"))
	})
	hook := e.webhook(rc.URL, relaybook.EventContactCreated).Webhook
	e.startWorker(workerOpts{delays: []time.Duration{700 * time.Millisecond}})
	e.createContact(e.book(), "Retry")
	rc.waitFor(t, 1, 5*time.Second)
	e.setActive(hook.ID, false)
	e.waitStates(hook.ID, map[string]int{"held": 1})
	if n := len(e.attempts(hook.ID)); n != 1 {
		t.Errorf("%d attempts logged, want only the first", n)
	}
	e.setActive(hook.ID, true)
	reqs := rc.waitFor(t, 2, 5*time.Second)
	if reqs[1].Attempt != 2 {
		t.Errorf("resumed attempt numbered %d, want 2", reqs[1].Attempt)
	}
	e.waitStates(hook.ID, map[string]int{"succeeded": 1})
}

// TestAutoDisableHoldsAndReenableSends: with the thresholds lowered, a
// webhook whose deliveries keep failing is disabled ("failing"); its new
// events are held, and re-enabling it sends them.
func TestAutoDisableHoldsAndReenableSends(t *testing.T) {
	e := newEnv(t)
	e.db.AutoDisable = relaybook.AutoDisable{Failures: 3, After: 50 * time.Millisecond}
	e.dispatch()
	var down atomic.Bool
	down.Store(true)
	rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if down.Load() {
			w.WriteHeader(http.StatusGone) // final: one attempt each
			return
		}
		w.Write([]byte("OK"))
	})
	hook := e.webhook(rc.URL, relaybook.EventContactCreated).Webhook
	e.startWorker(workerOpts{concurrency: 1})
	b := e.book()
	for i := range 3 {
		e.createContact(b, "Failing")
		e.waitStates(hook.ID, map[string]int{"failed": i + 1})
		time.Sleep(30 * time.Millisecond) // the streak must span After
	}
	w, err := postgres.NewWebhookService(e.db).FindWebhook(context.Background(), e.team.ID, hook.ID)
	if err != nil {
		t.Fatal(err)
	}
	if w.Active || w.DisabledReason == nil || *w.DisabledReason != relaybook.WebhookFailing || w.DisabledAt == nil {
		t.Fatalf("after 3 failures: active %v, disabled_reason %v, disabled_at %v", w.Active, w.DisabledReason, w.DisabledAt)
	}

	down.Store(false)
	e.createContact(b, "Held 1")
	e.createContact(b, "Held 2")
	e.waitStates(hook.ID, map[string]int{"failed": 3, "held": 2})
	before := len(rc.requests())
	e.setActive(hook.ID, true)
	rc.waitFor(t, before+2, 10*time.Second)
	e.waitStates(hook.ID, map[string]int{"failed": 3, "succeeded": 2})
	if got := e.recoverSince(hook.ID, "10m"); got != 3 {
		t.Errorf("recover after re-enabling queued %d, want the 3 failed", got)
	}
	e.waitStates(hook.ID, map[string]int{"succeeded": 5})
}

// TestAutoDisableNeedsTheSpan: failures in a burst shorter than
// disable_after do not disable, and a success resets the streak.
func TestAutoDisableNeedsTheSpan(t *testing.T) {
	e := newEnv(t)
	e.db.AutoDisable = relaybook.AutoDisable{Failures: 2, After: time.Hour}
	e.dispatch()
	rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 3 {
			w.Write([]byte("OK"))
			return
		}
		w.WriteHeader(http.StatusGone)
	})
	hook := e.webhook(rc.URL, relaybook.EventContactCreated).Webhook
	e.startWorker(workerOpts{concurrency: 1})
	b := e.book()
	for i := range 3 {
		e.createContact(b, "Burst")
		rc.waitFor(t, i+1, 5*time.Second)
		waitUntil(t, 5*time.Second, "the delivery to end", func() bool { return e.states(hook.ID)["pending"] == 0 })
	}
	var streak int
	var active bool
	if err := e.db.SQL().QueryRow(`SELECT failure_streak, active FROM webhooks WHERE id = $1`, hook.ID).Scan(&streak, &active); err != nil {
		t.Fatal(err)
	}
	if !active || streak != 0 {
		t.Errorf("after fail, fail, success: active %v, failure_streak %d; want active with the streak reset", active, streak)
	}
}

// TestRedeliverPendingQueuesNothing: redelivering an attempt whose delivery
// is already pending again (re-opened by a recover) queues nothing, so
// redelivering every failed attempt row sends each event once.
func TestRedeliverPendingQueuesNothing(t *testing.T) {
	e := newEnv(t)
	e.dispatch()
	var down atomic.Bool
	down.Store(true)
	rc := switchable(t, &down)
	hook := e.webhook(rc.URL, relaybook.EventContactCreated).Webhook
	e.startWorker(workerOpts{delays: tinyDelays})
	createContacts(e, e.book(), 2)
	e.waitStates(hook.ID, map[string]int{"failed": 2})
	failedReqs := len(rc.requests())

	// Paused: a recover re-opens them as held, so they stay put while the
	// test redelivers.
	e.setActive(hook.ID, false)
	if n := e.recoverSince(hook.ID, "10m"); n != 2 {
		t.Fatalf("recover queued %d, want 2", n)
	}
	svc := postgres.NewDeliveryService(e.db)
	page, err := svc.ListAttempts(context.Background(), relaybook.DeliveryFilter{WebhookID: hook.ID, FailedOnly: true, Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	failed := page.Attempts
	if len(failed) != 6 {
		t.Fatalf("%d failed attempt rows, want 6", len(failed))
	}
	for _, a := range failed {
		r, err := svc.Redeliver(context.Background(), a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if r.Queued || r.State != relaybook.DeliveryHeld {
			t.Errorf("redeliver of %s (delivery held): queued %v, state %s", a.ID, r.Queued, r.State)
		}
	}
	down.Store(false)
	e.setActive(hook.ID, true)
	e.waitStates(hook.ID, map[string]int{"succeeded": 2})
	settle()
	if got := successes(rc.requests(), failedReqs); len(got) != 2 || got[failed[0].EventID] != 1 || len(rc.requests()) != failedReqs+2 {
		t.Errorf("after redelivering 6 attempt rows: %v, want each of 2 events once", got)
	}
}

// TestConcurrentReopenDeliversOnce: recover, redeliver of every failed
// attempt row and resume all race on the same failed deliveries, with two
// workers running: each event is delivered exactly once more.
func TestConcurrentReopenDeliversOnce(t *testing.T) {
	e := newEnv(t)
	e.dispatch()
	var down atomic.Bool
	down.Store(true)
	rc := switchable(t, &down)
	hook := e.webhook(rc.URL, relaybook.EventContactCreated).Webhook
	e.startWorker(workerOpts{delays: tinyDelays, sweepGrace: 50 * time.Millisecond})
	e.startWorker(workerOpts{delays: tinyDelays, sweepGrace: 50 * time.Millisecond})
	const events = 10
	createContacts(e, e.book(), events)
	e.waitStates(hook.ID, map[string]int{"failed": events})
	failedReqs := len(rc.requests())
	svc := postgres.NewDeliveryService(e.db)
	page, err := svc.ListAttempts(context.Background(), relaybook.DeliveryFilter{WebhookID: hook.ID, FailedOnly: true, Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	failed := page.Attempts
	e.setActive(hook.ID, false)
	down.Store(false)

	var wg sync.WaitGroup
	var queued atomic.Int64
	run := func(f func() int) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			queued.Add(int64(f()))
		}()
	}
	for range 2 {
		run(func() int { return e.recoverSince(hook.ID, "10m") })
	}
	for _, a := range failed {
		run(func() int {
			r, err := svc.Redeliver(context.Background(), a.ID)
			if err != nil {
				t.Error(err)
				return 0
			}
			if r.Queued {
				return 1
			}
			return 0
		})
	}
	run(func() int { e.setActive(hook.ID, true); return 0 })
	wg.Wait()
	if n := queued.Load(); n != events {
		t.Errorf("recover and redeliver queued %d in all, want %d (one sequence per delivery)", n, events)
	}
	e.waitStates(hook.ID, map[string]int{"succeeded": events})
	settle()
	got := successes(rc.requests(), failedReqs)
	if len(got) != events {
		t.Errorf("%d events delivered again, want %d", len(got), events)
	}
	for id, n := range got {
		if n != 1 {
			t.Errorf("event %s delivered %d more times, want once", id, n)
		}
	}
}
