package postgres_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/relaybook/relaybook/internal/postgres"
	"github.com/relaybook/relaybook/internal/relaybook"
)

// Every writer refuses text PostgreSQL cannot store with a 422-class error
// naming the field, instead of passing the driver's error on (issue 18,
// item 1: `teams create --name $'bad\xffname'`, `books create --name $'\xfe'`).
func TestWritersRefuseUnstorableText(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	bad := []string{"bad\xffname", "\xfe", "a\x00b"}
	for _, name := range bad {
		_, err := postgres.NewTeamService(f.db).CreateTeam(ctx, name)
		expectInvalid(t, "teams create", err, "name")
		_, err = postgres.NewBookService(f.db).CreateBook(ctx, f.team.ID, name)
		expectInvalid(t, "books create", err, "name")
		_, err = postgres.NewAPIKeyService(f.db).CreateAPIKey(ctx, f.team.ID, name)
		expectInvalid(t, "keys create", err, "name")
		_, err = postgres.NewMemberService(f.db).AddMember(ctx, relaybook.MemberInput{TeamID: f.team.ID, Email: "a@example.com", Name: name})
		expectInvalid(t, "members add", err, "name")
		_, err = postgres.NewBookService(f.db).CreateLabel(ctx, f.team.ID, f.book.ID, relaybook.LabelInput{Name: name})
		expectInvalid(t, "label", err, "name")
	}
	// A team id in upper case is stored and returned canonical.
	b, err := postgres.NewBookService(f.db).CreateBook(ctx, strings.ToUpper(f.team.ID), "Upper")
	if err != nil || b.TeamID != f.team.ID {
		t.Fatalf("CreateBook with an upper-case team id = %+v, %v; want team_id %q", b, err, f.team.ID)
	}
}

func expectInvalid(t *testing.T, what string, err error, field string) {
	t.Helper()
	var e *relaybook.Error
	if !errors.As(err, &e) || e.Code != relaybook.EINVALID || e.Field != field {
		t.Errorf("%s: error %v, want EINVALID on %s", what, err, field)
	}
}

// Receiver-controlled text is capped in bytes, on a character boundary,
// after cleaning (issue 18, item 3: a 60 KB Location header, a body whose
// 4,096th byte splits a character).
func TestReceiverTextIsCapped(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	task := f.delivery(t)
	loaded, err := f.db.LoadDeliveryJobs(ctx, []string{task.DeliveryID})
	if err != nil {
		t.Fatal(err)
	}
	rec := f.attempt(loaded[task.DeliveryID], 1, "failed", time.Now())
	rec.ResponseBody = strings.Repeat("a", 4095) + "é"
	rec.Error = "redirect not followed (" + strings.Repeat("L", 60000) + ")"
	if err := f.db.RecordAttempts(ctx, []relaybook.AttemptRecord{rec}); err != nil {
		t.Fatal(err)
	}
	var body, errText string
	if err := f.db.SQL().QueryRow(`SELECT response_body, error FROM delivery_attempts WHERE delivery_id = $1`, task.DeliveryID).Scan(&body, &errText); err != nil {
		t.Fatal(err)
	}
	if len(body) != 4095 || !utf8.ValidString(body) {
		t.Errorf("stored body of %d bytes (valid UTF-8: %v), want 4095", len(body), utf8.ValidString(body))
	}
	if len(errText) > relaybook.MaxStoredError {
		t.Errorf("stored error of %d bytes, want at most %d", len(errText), relaybook.MaxStoredError)
	}
}
