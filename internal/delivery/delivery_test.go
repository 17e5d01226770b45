package delivery_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/relaybook/relaybook/internal/postgres"
	"github.com/relaybook/relaybook/internal/relaybook"
)

// TestEveryEventArrivesSigned drives every event type through the engine and
// checks what a receiver gets: the seed's payloads and headers, a signature
// the seed's Go snippet accepts, and nothing for inactive webhooks or other
// teams.
func TestEveryEventArrivesSigned(t *testing.T) {
	e := newEnv(t)
	e.dispatch()
	ctx := context.Background()
	rc := newReceiver(t, nil)
	hook := e.webhook(rc.URL + "/hook")

	// An inactive webhook of this team and an active one of another team must
	// receive nothing.
	silent := newReceiver(t, nil)
	inactive := e.webhook(silent.URL + "/inactive")
	off := false
	if _, err := postgres.NewWebhookService(e.db).UpdateWebhook(ctx, relaybook.AnyTeam, inactive.Webhook.ID, relaybook.WebhookPatch{Active: &off}); err != nil {
		t.Fatal(err)
	}
	other := newEnv(t)
	other.webhook(silent.URL + "/other-team")

	e.startWorker(workerOpts{})

	members := postgres.NewMemberService(e.db)
	m, err := members.AddMember(ctx, relaybook.MemberInput{TeamID: e.team.ID, Email: "jane@acme.test", Name: "Jane", Role: "admin"})
	if err != nil {
		t.Fatal(err)
	}
	b := e.book()
	c := e.createContact(b, "Jane")
	scope := relaybook.Scope{TeamID: e.team.ID, BookID: b.ID}
	contacts := postgres.NewContactService(e.db)
	last := "Cooper"
	if _, err := contacts.UpdateContact(ctx, scope, c.ID, relaybook.ContactInput{LastName: &last}); err != nil {
		t.Fatal(err)
	}
	if err := contacts.DeleteContact(ctx, scope, c.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := members.RemoveMember(ctx, e.team.ID, m.UserID); err != nil {
		t.Fatal(err)
	}
	if _, err := postgres.NewBookService(e.db).DeleteBook(ctx, b.ID); err != nil {
		t.Fatal(err)
	}

	reqs := rc.waitFor(t, 7, 10*time.Second)
	byEvent := map[string]request{}
	for _, r := range reqs {
		if !verifySignature(r.Body, r.Header.Get("X-Relay-Signature"), hook.Secret) {
			t.Errorf("seed snippet rejects signature of %s", r.Header.Get("X-Relay-Event"))
		}
		for h, want := range map[string]string{"Content-Type": "application/json", "User-Agent": "RelayBook-Webhooks/1.0", "X-Relay-Attempt": "1"} {
			if got := r.Header.Get(h); got != want {
				t.Errorf("%s = %q, want %q", h, got, want)
			}
		}
		p := decode(t, r.Body)
		if p["event"] != r.Header.Get("X-Relay-Event") {
			t.Errorf("X-Relay-Event %q but payload event %v", r.Header.Get("X-Relay-Event"), p["event"])
		}
		if r.Header.Get("X-Relay-Event-ID") == "" {
			t.Error("no X-Relay-Event-ID")
		}
		if p["team_id"] != e.team.ID {
			t.Errorf("team_id = %v", p["team_id"])
		}
		if ts, _ := p["timestamp"].(string); len(ts) != len(relaybook.TimeFormat) || !strings.HasSuffix(ts, "Z") {
			t.Errorf("timestamp %q is not ISO 8601 UTC with milliseconds", ts)
		}
		byEvent[p["event"].(string)] = r
	}
	for _, ev := range relaybook.EventTypes {
		r, ok := byEvent[ev]
		if !ok {
			t.Errorf("no %s delivered", ev)
			continue
		}
		p := decode(t, r.Body)
		data, _ := p["data"].(map[string]any)
		_, hasBook := p["book_id"]
		switch ev {
		case relaybook.EventContactCreated, relaybook.EventContactUpdated:
			for _, field := range []string{"id", "book_id", "first_name", "last_name", "company", "job_title", "emails", "phones", "notes", "starred", "birthday", "website", "addresses", "socials", "created_at", "updated_at"} {
				if _, ok := data[field]; !ok {
					t.Errorf("%s data lacks %s", ev, field)
				}
			}
			if p["book_id"] != b.ID {
				t.Errorf("%s book_id = %v", ev, p["book_id"])
			}
		case relaybook.EventContactDeleted, relaybook.EventBookDeleted:
			if len(data) != 1 || data["id"] == nil {
				t.Errorf("%s data = %v, want {id} only", ev, data)
			}
			if !hasBook {
				t.Errorf("%s lacks book_id", ev)
			}
		case relaybook.EventBookCreated:
			if data["id"] != b.ID || data["name"] != "Book" || data["team_id"] != e.team.ID {
				t.Errorf("book.created data = %v", data)
			}
		case relaybook.EventMemberJoined, relaybook.EventMemberRemoved:
			if data["user_id"] != m.UserID || data["email"] != "jane@acme.test" || data["role"] != "admin" {
				t.Errorf("%s data = %v", ev, data)
			}
			if hasBook {
				t.Errorf("%s must not carry book_id", ev)
			}
		}
	}
	if got := contactLast(byEvent[relaybook.EventContactUpdated]); got != "Cooper" {
		t.Errorf("contact.updated last_name = %q", got)
	}

	waitUntil(t, 5*time.Second, "7 attempt rows", func() bool { return len(e.attempts(hook.Webhook.ID)) == 7 })
	for _, a := range e.attempts(hook.Webhook.ID) {
		if !a.Success || a.ResponseStatus == nil || *a.ResponseStatus != 200 || a.ResponseBody != "OK" || a.Attempt != 1 {
			t.Errorf("attempt row %+v", a)
		}
	}
	time.Sleep(300 * time.Millisecond)
	if n := len(silent.requests()); n != 0 {
		t.Errorf("inactive or foreign webhooks got %d requests", n)
	}
	if n := len(rc.requests()); n != 7 {
		t.Errorf("receiver got %d requests, want exactly 7", n)
	}
}

func contactLast(r request) string {
	var p struct {
		Data struct {
			LastName string `json:"last_name"`
		} `json:"data"`
	}
	_ = json.Unmarshal(r.Body, &p)
	return p.Data.LastName
}

// scheduleCase: the receiver answers statuses in turn; the delivery must
// make exactly len(want) attempts.
func TestRetrySchedule(t *testing.T) {
	delays := []time.Duration{300 * time.Millisecond, 600 * time.Millisecond, 900 * time.Millisecond}
	cases := []struct {
		name      string
		statuses  []int
		attempts  int
		succeeded bool
	}{
		{"500 500 200 → 3 attempts", []int{500, 500, 200}, 3, true},
		{"410 → final", []int{410}, 1, false},
		{"302 → final, not followed", []int{302}, 1, false},
		{"4 failures → failed, no 5th", []int{503, 502, 500, 500, 200}, 4, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Each case waits out real retry delays and then a settling
			// second; they share nothing (own team, queue and receiver),
			// so they wait together.
			t.Parallel()
			e := newEnv(t)
			e.dispatch()
			followed := make(chan struct{}, 1)
			rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/elsewhere" {
					followed <- struct{}{}
					return
				}
				status := tc.statuses[min(n, len(tc.statuses))-1]
				if status == 302 {
					w.Header().Set("Location", "/elsewhere")
				}
				w.WriteHeader(status)
				w.Write([]byte("status " + http.StatusText(status)))
			})
			hook := e.webhook(rc.URL+"/hook", relaybook.EventContactCreated)
			e.startWorker(workerOpts{delays: delays})
			e.createContact(e.book(), "Ann")

			reqs := rc.waitFor(t, tc.attempts, 10*time.Second)
			waitUntil(t, 5*time.Second, "attempt rows", func() bool { return len(e.attempts(hook.Webhook.ID)) == tc.attempts })
			// Long enough for a wrongly scheduled extra attempt to show up.
			time.Sleep(delays[len(delays)-1] + time.Second)
			reqs = rc.requests()
			if len(reqs) != tc.attempts {
				t.Fatalf("receiver got %d requests, want %d", len(reqs), tc.attempts)
			}
			select {
			case <-followed:
				t.Error("redirect was followed")
			default:
			}
			for i := 1; i < len(reqs); i++ {
				gap := reqs[i].At.Sub(reqs[i-1].At)
				if gap < delays[i-1] {
					t.Errorf("retry %d came after %s, before its delay %s", i, gap, delays[i-1])
				}
				if gap > delays[i-1]+2*time.Second {
					t.Errorf("retry %d came after %s, more than 2 s late", i, gap)
				}
				if reqs[i].Header.Get("X-Relay-Event-ID") != reqs[0].Header.Get("X-Relay-Event-ID") || string(reqs[i].Body) != string(reqs[0].Body) {
					t.Error("a retry changed the event id or the body")
				}
				if reqs[i].Attempt != i+1 {
					t.Errorf("request %d has X-Relay-Attempt %d", i+1, reqs[i].Attempt)
				}
			}
			log := e.attempts(hook.Webhook.ID)
			for i, a := range log {
				wantStatus := tc.statuses[i]
				if a.ResponseStatus == nil || *a.ResponseStatus != wantStatus || a.Attempt != i+1 {
					t.Errorf("attempt %d logged %+v, want status %d", i+1, a, wantStatus)
				}
			}
			if last := log[len(log)-1]; last.Success != tc.succeeded {
				t.Errorf("last attempt success = %v, want %v", last.Success, tc.succeeded)
			}
			var state string
			if err := e.db.SQL().Get(&state, `SELECT state FROM deliveries WHERE webhook_id = $1`, hook.Webhook.ID); err != nil {
				t.Fatal(err)
			}
			want := map[bool]string{true: "succeeded", false: "failed"}[tc.succeeded]
			if state != want {
				t.Errorf("delivery state %q, want %q", state, want)
			}
		})
	}
}

func TestTimeoutIsRetried(t *testing.T) {
	e := newEnv(t)
	e.dispatch()
	rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 1 {
			time.Sleep(700 * time.Millisecond)
		}
		w.Write([]byte("OK"))
	})
	hook := e.webhook(rc.URL, relaybook.EventContactCreated)
	e.startWorker(workerOpts{timeout: 300 * time.Millisecond})
	e.createContact(e.book(), "Slow")
	rc.waitFor(t, 2, 10*time.Second)
	waitUntil(t, 5*time.Second, "2 attempt rows", func() bool { return len(e.attempts(hook.Webhook.ID)) == 2 })
	log := e.attempts(hook.Webhook.ID)
	if log[0].Success || log[0].ResponseStatus != nil || !strings.Contains(log[0].Error, "timeout") {
		t.Errorf("first attempt should be a logged timeout: %+v", log[0])
	}
	if !log[1].Success {
		t.Errorf("second attempt should succeed: %+v", log[1])
	}
}

// TestSSRFGuardRefusesLoopback: with private networks not allowed, a
// loopback target is refused at dial time, logged, and not retried.
func TestSSRFGuardRefusesLoopback(t *testing.T) {
	e := newEnv(t)
	e.dispatch()
	rc := newReceiver(t, nil)
	hook := e.webhook(rc.URL, relaybook.EventContactCreated)
	deny := false
	e.startWorker(workerOpts{allowPrivate: &deny})
	e.createContact(e.book(), "Eve")
	waitUntil(t, 5*time.Second, "a refused attempt", func() bool { return len(e.attempts(hook.Webhook.ID)) == 1 })
	a := e.attempts(hook.Webhook.ID)[0]
	if a.Success || !strings.Contains(a.Error, "refused") {
		t.Errorf("attempt %+v should be refused by the SSRF guard", a)
	}
	time.Sleep(time.Second)
	if n := len(rc.requests()); n != 0 {
		t.Errorf("loopback receiver got %d requests", n)
	}
	if n := len(e.attempts(hook.Webhook.ID)); n != 1 {
		t.Errorf("%d attempts, want 1 (a refused target is final)", n)
	}
}

// TestRedeliverSendsAgain: a redelivery of a failed delivery re-opens the
// same delivery; it goes out as attempt 2 (numbers keep counting) with the
// same event id and body.
func TestRedeliverSendsAgain(t *testing.T) {
	e := newEnv(t)
	e.dispatch()
	rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 1 {
			w.WriteHeader(http.StatusGone)
			return
		}
		w.Write([]byte("OK"))
	})
	hook := e.webhook(rc.URL, relaybook.EventContactCreated)
	e.startWorker(workerOpts{})
	e.createContact(e.book(), "Again")
	waitUntil(t, 5*time.Second, "the failed attempt", func() bool { return len(e.attempts(hook.Webhook.ID)) == 1 })
	failed := e.attempts(hook.Webhook.ID)[0]
	if _, err := postgres.NewDeliveryService(e.db).Redeliver(context.Background(), failed.ID); err != nil {
		t.Fatal(err)
	}
	reqs := rc.waitFor(t, 2, 5*time.Second)
	if reqs[1].Attempt != 2 || reqs[1].Header.Get("X-Relay-Event-ID") != reqs[0].Header.Get("X-Relay-Event-ID") || string(reqs[1].Body) != string(reqs[0].Body) {
		t.Errorf("redelivery: attempt %d, event id %q vs %q", reqs[1].Attempt, reqs[1].Header.Get("X-Relay-Event-ID"), reqs[0].Header.Get("X-Relay-Event-ID"))
	}
	waitUntil(t, 5*time.Second, "the redelivery logged", func() bool { return len(e.attempts(hook.Webhook.ID)) == 2 })
	if a := e.attempts(hook.Webhook.ID)[1]; !a.Success || a.DeliveryID != failed.DeliveryID {
		t.Errorf("redelivery logged as %+v", a)
	}
}

// TestStopFinishesInFlight: stopping a worker (SIGTERM) lets a delivery in
// flight finish and logs it before Stop returns.
func TestStopFinishesInFlight(t *testing.T) {
	e := newEnv(t)
	e.dispatch()
	inFlight := make(chan struct{}, 1)
	rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		inFlight <- struct{}{}
		time.Sleep(500 * time.Millisecond)
		w.Write([]byte("OK"))
	})
	hook := e.webhook(rc.URL, relaybook.EventContactCreated)
	w := e.startWorker(workerOpts{})
	e.createContact(e.book(), "Slow")
	select {
	case <-inFlight:
	case <-time.After(5 * time.Second):
		t.Fatal("the delivery never started")
	}
	w.Stop()
	log := e.attempts(hook.Webhook.ID)
	if len(log) != 1 || !log[0].Success {
		t.Fatalf("after Stop the log holds %+v, want the one successful attempt", log)
	}
}

// TestWorkerRunsTwoDequeuers: one worker process registers two Asynq
// servers on its queue that share its concurrency, and both are stopped
// by Stop.
func TestWorkerRunsTwoDequeuers(t *testing.T) {
	e := newEnv(t)
	w := e.startWorker(workerOpts{})
	insp := asynq.NewInspector(e.redis)
	defer insp.Close()
	ours := func() (n, slots int) {
		servers, err := insp.Servers()
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range servers {
			if _, ok := s.Queues[e.queue]; ok {
				n++
				slots += s.Concurrency
			}
		}
		return n, slots
	}
	deadline := time.Now().Add(5 * time.Second)
	n, slots := ours()
	for n < 2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		n, slots = ours()
	}
	if n != 2 || slots != 10 {
		t.Fatalf("worker registered %d servers with %d slots, want 2 sharing its 10", n, slots)
	}
	w.Stop()
	if n, _ := ours(); n != 0 {
		t.Fatalf("after Stop %d servers are still registered", n)
	}
}
