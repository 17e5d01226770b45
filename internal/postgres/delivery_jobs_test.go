package postgres_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/relaybook/relaybook/internal/postgres"
	"github.com/relaybook/relaybook/internal/relaybook"
	"github.com/relaybook/relaybook/internal/secretbox"
	"github.com/relaybook/relaybook/internal/testenv"
)

// recorder captures what the services dispatch after commit.
type recorder struct{ jobs []relaybook.DeliveryTask }

func (r *recorder) Dispatch(jobs []relaybook.DeliveryTask) { r.jobs = append(r.jobs, jobs...) }

type fixture struct {
	db      *postgres.DB
	team    *relaybook.Team
	book    *relaybook.Book
	webhook *relaybook.CreatedWebhook
	jobs    *recorder
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	ctx := context.Background()
	db := testenv.DB(t)
	box, err := secretbox.New("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")
	if err != nil {
		t.Fatal(err)
	}
	db.Cipher = box
	db.URLPolicy = relaybook.URLPolicy{AllowHTTP: true}
	f := &fixture{db: db, jobs: &recorder{}}
	db.Dispatcher = f.jobs
	if f.team, err = postgres.NewTeamService(db).CreateTeam(ctx, "Engine"); err != nil {
		t.Fatal(err)
	}
	if f.book, err = postgres.NewBookService(db).CreateBook(ctx, f.team.ID, "Book"); err != nil {
		t.Fatal(err)
	}
	if f.webhook, err = postgres.NewWebhookService(db).CreateWebhook(ctx, relaybook.WebhookInput{
		TeamID: f.team.ID, URL: "https://example.test/hook", Events: []string{relaybook.EventContactCreated}}); err != nil {
		t.Fatal(err)
	}
	return f
}

// delivery creates a contact and returns the one delivery it dispatched.
func (f *fixture) delivery(t testing.TB) relaybook.DeliveryTask {
	t.Helper()
	name := "Jane"
	before := len(f.jobs.jobs)
	if _, err := postgres.NewContactService(f.db).CreateContact(context.Background(),
		relaybook.Scope{TeamID: f.team.ID, BookID: f.book.ID}, relaybook.ContactInput{FirstName: &name}); err != nil {
		t.Fatal(err)
	}
	if len(f.jobs.jobs) != before+1 {
		t.Fatalf("create dispatched %d jobs, want 1", len(f.jobs.jobs)-before)
	}
	return f.jobs.jobs[len(f.jobs.jobs)-1]
}

func (f *fixture) attempt(job *relaybook.DeliveryJob, n int, state string, next time.Time) relaybook.AttemptRecord {
	status := 500
	return relaybook.AttemptRecord{
		DeliveryAttempt: relaybook.DeliveryAttempt{
			DeliveryID: job.DeliveryID, WebhookID: job.WebhookID, EventID: job.EventID, EventType: job.EventType,
			Attempt: n, ResponseStatus: &status, ResponseBody: "oops\x00\xff", DurationMS: 3, CreatedAt: relaybook.Now(),
		},
		State: state, NextAttemptAt: next,
	}
}

func TestLoadDeliveryJobs(t *testing.T) {
	f := newFixture(t)
	job := f.delivery(t)
	if job.Attempt != 1 {
		t.Errorf("first job is attempt %d", job.Attempt)
	}
	jobs, err := f.db.LoadDeliveryJobs(context.Background(), []string{job.DeliveryID, "not-a-uuid", "01a20000-0000-7000-8000-000000000000"})
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs) != 1 {
		t.Fatalf("loaded %d jobs, want only the existing one", len(jobs))
	}
	j := jobs[job.DeliveryID]
	if j.Secret != f.webhook.Secret || j.URL != "https://example.test/hook" || j.State != "pending" || j.Attempts != 0 || !j.Active {
		t.Errorf("job %+v (secret matches: %v)", j, j.Secret == f.webhook.Secret)
	}
	var p map[string]any
	if err := json.Unmarshal(j.Payload, &p); err != nil || p["event"] != relaybook.EventContactCreated {
		t.Errorf("payload %s: %v", j.Payload, err)
	}
}

// TestRecordAttemptsMovesForwardOnly: every attempt gets its log row, but a
// stale one (a duplicate task) does not move the delivery back.
func TestRecordAttemptsMovesForwardOnly(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	job := f.delivery(t)
	loaded, err := f.db.LoadDeliveryJobs(ctx, []string{job.DeliveryID})
	if err != nil {
		t.Fatal(err)
	}
	j := loaded[job.DeliveryID]
	retryAt := time.Now().Add(time.Minute).Truncate(time.Millisecond)
	if err := f.db.RecordAttempts(ctx, []relaybook.AttemptRecord{f.attempt(j, 2, "pending", retryAt)}); err != nil {
		t.Fatal(err)
	}
	// A stale attempt 1 arrives late, claiming success.
	if err := f.db.RecordAttempts(ctx, []relaybook.AttemptRecord{f.attempt(j, 1, "succeeded", time.Now())}); err != nil {
		t.Fatal(err)
	}
	var d struct {
		State    string    `db:"state"`
		Attempts int       `db:"attempts"`
		Next     time.Time `db:"next_attempt_at"`
	}
	if err := f.db.SQL().Get(&d, `SELECT state, attempts, next_attempt_at FROM deliveries WHERE id = $1`, job.DeliveryID); err != nil {
		t.Fatal(err)
	}
	if d.State != "pending" || d.Attempts != 2 || !d.Next.Equal(retryAt) {
		t.Errorf("delivery %+v, want pending after attempt 2, next at %s", d, retryAt)
	}
	page, err := postgres.NewDeliveryService(f.db).ListAttempts(ctx, relaybook.DeliveryFilter{WebhookID: f.webhook.Webhook.ID})
	if err != nil {
		t.Fatal(err)
	}
	log := page.Attempts
	if len(log) != 2 {
		t.Fatalf("%d log rows, want 2", len(log))
	}
	if log[0].ResponseBody != "oops\uFFFD" && log[1].ResponseBody != "oops\uFFFD" {
		t.Errorf("response body not made storable: %q", log[0].ResponseBody)
	}
}

// TestRecordAttemptsSurvivesDeletedDelivery: a webhook deleted mid-flight
// takes its deliveries with it; recording its attempt must not fail the
// batch for others.
func TestRecordAttemptsSurvivesDeletedDelivery(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	a, b := f.delivery(t), f.delivery(t)
	loaded, err := f.db.LoadDeliveryJobs(ctx, []string{a.DeliveryID, b.DeliveryID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.SQL().Exec(`DELETE FROM deliveries WHERE id = $1`, a.DeliveryID); err != nil {
		t.Fatal(err)
	}
	err = f.db.RecordAttempts(ctx, []relaybook.AttemptRecord{
		f.attempt(loaded[a.DeliveryID], 1, "succeeded", time.Now()),
		f.attempt(loaded[b.DeliveryID], 1, "succeeded", time.Now()),
	})
	if err != nil {
		t.Fatal(err)
	}
	var state string
	if err := f.db.SQL().Get(&state, `SELECT state FROM deliveries WHERE id = $1`, b.DeliveryID); err != nil || state != "succeeded" {
		t.Errorf("the surviving delivery is %q (%v)", state, err)
	}
}

func TestDueTasksPagesPendingOnly(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	var ids []string
	for range 5 {
		ids = append(ids, f.delivery(t).DeliveryID)
	}
	loaded, err := f.db.LoadDeliveryJobs(ctx, ids[:1])
	if err != nil {
		t.Fatal(err)
	}
	if err := f.db.RecordAttempts(ctx, []relaybook.AttemptRecord{f.attempt(loaded[ids[0]], 1, "succeeded", time.Now())}); err != nil {
		t.Fatal(err)
	}
	now := time.Now().Add(time.Second)
	var got []relaybook.DeliveryTask
	var afterTime time.Time
	afterID := ""
	for {
		page, err := f.db.DueTasks(ctx, now, afterTime, afterID, 2)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, page...)
		if len(page) < 2 {
			break
		}
		afterTime, afterID = page[len(page)-1].RunAt, page[len(page)-1].DeliveryID
	}
	mine := map[string]bool{}
	for _, j := range got {
		mine[j.DeliveryID] = true
		if j.Attempt != 1 {
			t.Errorf("due job %s is attempt %d, want 1", j.DeliveryID, j.Attempt)
		}
	}
	if mine[ids[0]] {
		t.Error("a succeeded delivery is listed as due")
	}
	for _, id := range ids[1:] {
		if !mine[id] {
			t.Errorf("pending delivery %s not listed as due", id)
		}
	}
	if early, _ := f.db.DueTasks(ctx, time.Now().Add(-time.Hour), time.Time{}, "", 10); len(early) != 0 {
		t.Errorf("%d jobs due an hour ago, want none", len(early))
	}
}

// TestCreateInForeignBookWritesNothing: the one-statement create writes no
// contact, no event and no delivery when the book is not the team's.
func TestCreateInForeignBookWritesNothing(t *testing.T) {
	f := newFixture(t)
	other := newFixture(t)
	name := "Mallory"
	_, err := postgres.NewContactService(f.db).CreateContact(context.Background(),
		relaybook.Scope{TeamID: f.team.ID, BookID: other.book.ID}, relaybook.ContactInput{FirstName: &name})
	if relaybook.ErrorCode(err) != relaybook.ENOTFOUND {
		t.Fatalf("create in a foreign book: %v, want not found", err)
	}
	var n int
	f.db.SQL().Get(&n, `SELECT count(*) FROM events WHERE team_id = $1 AND type = 'contact.created'`, f.team.ID)
	if n != 0 || len(f.jobs.jobs) != 0 {
		t.Errorf("%d events and %d jobs written for a refused create", n, len(f.jobs.jobs))
	}
}

// TestSecretIsBoundToItsWebhook: a sealed secret copied onto another
// webhook's row does not open there.
func TestSecretIsBoundToItsWebhook(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	second, err := postgres.NewWebhookService(f.db).CreateWebhook(ctx, relaybook.WebhookInput{
		TeamID: f.team.ID, URL: "https://example.test/other", Events: []string{relaybook.EventContactCreated}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.SQL().Exec(`UPDATE webhooks SET secret_ciphertext = (SELECT secret_ciphertext FROM webhooks WHERE id = $1) WHERE id = $2`,
		f.webhook.Webhook.ID, second.Webhook.ID); err != nil {
		t.Fatal(err)
	}
	name := "Jane"
	if _, err := postgres.NewContactService(f.db).CreateContact(ctx,
		relaybook.Scope{TeamID: f.team.ID, BookID: f.book.ID}, relaybook.ContactInput{FirstName: &name}); err != nil {
		t.Fatal(err)
	}
	var ids []string
	if err := f.db.SQL().Select(&ids, `SELECT id FROM deliveries WHERE webhook_id = $1`, second.Webhook.ID); err != nil || len(ids) != 1 {
		t.Fatalf("deliveries of the second webhook: %v %v", ids, err)
	}
	if _, err := f.db.LoadDeliveryJobs(ctx, ids); err == nil {
		t.Error("a secret copied from another webhook opened")
	}
}
