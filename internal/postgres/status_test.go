package postgres_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/relaybook/relaybook/internal/postgres"
	"github.com/relaybook/relaybook/internal/relaybook"
	"github.com/relaybook/relaybook/internal/secretbox"
	"github.com/relaybook/relaybook/internal/testenv"
)

// statusWebhook creates a team with one webhook and returns both ids.
func statusWebhook(t *testing.T, db *postgres.DB, active bool) (teamID, webhookID string) {
	t.Helper()
	ctx := context.Background()
	team, err := postgres.NewTeamService(db).CreateTeam(ctx, "Status "+t.Name())
	if err != nil {
		t.Fatal(err)
	}
	hook, err := postgres.NewWebhookService(db).CreateWebhook(ctx, relaybook.WebhookInput{
		TeamID: team.ID, URL: "https://example.test/" + t.Name(), Events: []string{relaybook.EventContactCreated}})
	if err != nil {
		t.Fatal(err)
	}
	if !active {
		off := false
		if _, err := postgres.NewWebhookService(db).UpdateWebhook(ctx, team.ID, hook.Webhook.ID, relaybook.WebhookPatch{Active: &off}); err != nil {
			t.Fatal(err)
		}
	}
	return team.ID, hook.Webhook.ID
}

// addDelivery writes an event, its delivery in state and its attempts (one
// per success flag, duration_ms from durations) straight into the tables.
func addDelivery(t *testing.T, conn *sql.DB, teamID, webhookID, state string, due time.Time, successes []bool, durations []int) {
	t.Helper()
	ev, del := uuid.NewString(), uuid.NewString()
	now := time.Now()
	mustExec(t, conn, `INSERT INTO events (id, type, team_id, payload, created_at) VALUES ($1, 'contact.created', $2, '{}', $3)`, ev, teamID, now)
	mustExec(t, conn, `INSERT INTO deliveries (id, event_id, webhook_id, state, attempts, next_attempt_at, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $7)`, del, ev, webhookID, state, len(successes), due, now)
	for i, ok := range successes {
		mustExec(t, conn, `INSERT INTO delivery_attempts (id, delivery_id, webhook_id, event_id, event_type, attempt, response_status, duration_ms, success, created_at)
			VALUES ($1, $2, $3, $4, 'contact.created', $5, $6, $7, $8, $9)`,
			uuid.NewString(), del, webhookID, ev, i+1, map[bool]int{true: 200, false: 500}[ok], durations[i], ok, now.Add(time.Duration(i)*time.Millisecond))
	}
}

func mustExec(t *testing.T, conn *sql.DB, q string, args ...any) {
	t.Helper()
	if _, err := conn.Exec(q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func TestStatus(t *testing.T) {
	ctx := context.Background()
	db := testenv.DB(t)
	box, err := secretbox.New("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")
	if err != nil {
		t.Fatal(err)
	}
	db.Cipher = box
	conn, err := sql.Open("postgres", testenv.DatabaseURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()

	team, healthy := statusWebhook(t, db, true)
	_, failing := statusWebhook(t, db, true)
	_, paused := statusWebhook(t, db, false)
	past := time.Now().Add(-90 * time.Second)
	addDelivery(t, conn, team, healthy, "succeeded", past, []bool{true}, []int{10})
	addDelivery(t, conn, team, healthy, "succeeded", past, []bool{false, true}, []int{30, 20})
	addDelivery(t, conn, team, healthy, "pending", past, nil, nil)
	addDelivery(t, conn, team, healthy, "pending", time.Now().Add(time.Hour), nil, nil) // not due: not backlog

	failTeam := teamOf(t, conn, failing)
	addDelivery(t, conn, failTeam, failing, "failed", past, []bool{false, false, false}, []int{100, 100, 100})
	pausedTeam := teamOf(t, conn, paused)
	addDelivery(t, conn, pausedTeam, paused, "succeeded", past, []bool{true}, []int{5})

	svc := postgres.NewStatusService(db)
	bl, err := svc.Backlog(ctx, team)
	if err != nil {
		t.Fatal(err)
	}
	if bl.Pending != 2 || bl.Held != 0 || bl.OldestPendingAge < 85*time.Second || bl.OldestPendingAge > 10*time.Minute {
		t.Errorf("backlog of the team = %+v; want 2 pending, the oldest due about 90 s ago", bl)
	}
	if all, err := svc.Backlog(ctx, ""); err != nil || all.Pending < 2 {
		t.Errorf("backlog of every team = %+v, %v", all, err)
	}

	all, err := svc.WebhookStatuses(ctx, relaybook.StatusFilter{Since: time.Now().Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]relaybook.WebhookStatus{}
	order := []string{}
	for _, s := range all {
		byID[s.WebhookID] = s
		order = append(order, s.WebhookID)
	}
	if len(order) < 3 || order[0] != failing {
		t.Errorf("most-failing first: order %v, want %s first", order, failing)
	}
	f := byID[failing]
	if f.State != relaybook.WebhookStateFailing || f.Attempts != 3 || f.Failed != 3 || f.SuccessRate == nil || *f.SuccessRate != 0 || f.P50MS != 100 {
		t.Errorf("failing webhook: %+v", f)
	}
	h := byID[healthy]
	if h.State != relaybook.WebhookStateActive || h.Attempts != 3 || h.Succeeded != 2 || h.Pending != 2 || h.P50MS != 20 || h.P95MS < 28 {
		t.Errorf("healthy webhook: %+v", h)
	}
	if p := byID[paused]; p.State != relaybook.WebhookStatePaused {
		t.Errorf("paused webhook: %+v", p)
	}

	// --team narrows; an old window sees no attempts.
	one, err := svc.WebhookStatuses(ctx, relaybook.StatusFilter{TeamID: team, Since: time.Now().Add(time.Minute)})
	if err != nil || len(one) != 1 || one[0].WebhookID != healthy || one[0].Attempts != 0 || one[0].SuccessRate != nil {
		t.Errorf("one team, empty window: %+v, %v", one, err)
	}
	if _, err := svc.WebhookStatuses(ctx, relaybook.StatusFilter{TeamID: "nope"}); relaybook.ErrorCode(err) != relaybook.EINVALID {
		t.Errorf("team nope: %v, want invalid", err)
	}
}

func teamOf(t *testing.T, conn *sql.DB, webhookID string) string {
	t.Helper()
	var id string
	if err := conn.QueryRow(`SELECT team_id FROM webhooks WHERE id = $1`, webhookID).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}
