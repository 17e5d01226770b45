package cli

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/relaybook/relaybook/config"
	"github.com/relaybook/relaybook/internal/relaybook"
)

// rotate-secret and listen stop at the runF seam too: their flags become
// Options, or a usage error, with nothing behind the Factory.

func TestWebhooksRotateSecretOptions(t *testing.T) {
	runF, got := capture[webhooksRotateOptions]()
	if err := execute(newCmdWebhooksRotateSecret(noServices(), runF), "H1"); err != nil {
		t.Fatal(err)
	}
	if o := *got; o.ID != "H1" || o.Grace != relaybook.DefaultRotationGrace {
		t.Errorf("defaults: ID %q, grace %s; want H1 and %s", o.ID, o.Grace, relaybook.DefaultRotationGrace)
	}
	runF, got = capture[webhooksRotateOptions]()
	if err := execute(newCmdWebhooksRotateSecret(noServices(), runF), "H1", "--grace", "0s"); err != nil {
		t.Fatal(err)
	}
	if (*got).Grace != 0 {
		t.Errorf("--grace 0s: grace = %s", (*got).Grace)
	}
	for grace, want := range map[string]string{"-1m": "--grace: must not be negative", "721h": "--grace: must be at most 720h"} {
		runF, got := capture[webhooksRotateOptions]()
		requireUsage(t, execute(newCmdWebhooksRotateSecret(noServices(), runF), "H1", "--grace", grace), want)
		if *got != nil {
			t.Errorf("runF ran with --grace %s", grace)
		}
	}
	requireUsage(t, execute(newCmdWebhooksRotateSecret(noServices(), nil)), "missing ID")
}

// fakeRotator rotates secrets in memory and keeps what it was asked.
type fakeRotator struct {
	relaybook.WebhookService
	teamID, id string
	grace      time.Duration
}

func (f *fakeRotator) RotateSecret(_ context.Context, teamID, id string, grace time.Duration) (*relaybook.CreatedWebhook, error) {
	f.teamID, f.id, f.grace = teamID, id, grace
	at := relaybook.NewTime(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	return &relaybook.CreatedWebhook{
		Webhook: &relaybook.Webhook{ID: id, TeamID: "T1", URL: "https://example.com/hook", Events: []string{"contact.created"}, Active: true, CreatedAt: at, UpdatedAt: at},
		Secret:  "whsec_new",
	}, nil
}

// The operator's rotation is for any team's webhook; the new secret is
// printed once with a warning, and the grace's end is shown.
func TestWebhooksRotateRun(t *testing.T) {
	withKey := func() (*config.Config, error) {
		return &config.Config{Security: config.Security{EncryptionKey: "set"}}, nil
	}
	fake := &fakeRotator{}
	var out, errOut bytes.Buffer
	opts := &webhooksRotateOptions{
		printer:  printer{IO: &IOStreams{Out: &out, ErrOut: &errOut}, Format: "table"},
		Config:   withKey,
		Webhooks: func(context.Context) (relaybook.WebhookService, error) { return fake, nil },
		ID:       "H1",
		Grace:    2 * time.Hour,
	}
	if err := webhooksRotateRun(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	if fake.teamID != relaybook.AnyTeam || fake.id != "H1" || fake.grace != 2*time.Hour {
		t.Errorf("RotateSecret(%q, %q, %s), want (AnyTeam, H1, 2h)", fake.teamID, fake.id, fake.grace)
	}
	if !strings.Contains(out.String(), "whsec_new") || !strings.Contains(out.String(), "previous_secret_signs_until") || !strings.Contains(errOut.String(), "shown once") {
		t.Errorf("stdout %q, stderr %q; want the secret, the grace's end and the shown-once warning", out.String(), errOut.String())
	}

	// Without the encryption key it is a configuration error, before any call.
	fake = &fakeRotator{}
	opts.Config = func() (*config.Config, error) { return &config.Config{}, nil }
	var cfgErr *config.Error
	if err := webhooksRotateRun(context.Background(), opts); !errors.As(err, &cfgErr) || cfgErr.Key != "security.encryption_key" || fake.id != "" {
		t.Errorf("no key: error = %v, RotateSecret called for %q; want a config error and no call", err, fake.id)
	}
}

func TestListenOptions(t *testing.T) {
	const team = "00000000-0000-4000-8000-000000000000"
	t.Setenv("RELAYBOOK_TOKEN", "from-env")
	runF, got := capture[listenOptions]()
	if err := execute(newCmdListen(noServices(), runF), "--team", team, "--forward-to", "http://localhost:3000/hook",
		"--events", "contact.created, contact.deleted"); err != nil {
		t.Fatal(err)
	}
	o := *got
	if o.TeamID != team || o.ForwardTo != "http://localhost:3000/hook" || o.Token != "from-env" || o.API != "http://127.0.0.1:8080" ||
		strings.Join(o.Events, ",") != "contact.created,contact.deleted" || o.IO == nil {
		t.Errorf("options = %+v; want the flags, the token from RELAYBOOK_TOKEN and the default --api", o)
	}
	runF, got = capture[listenOptions]()
	if err := execute(newCmdListen(noServices(), runF), "--team", team, "--forward-to", "http://localhost:3000/hook", "--token", "flag"); err != nil {
		t.Fatal(err)
	}
	if o := *got; o.Token != "flag" || o.Events != nil {
		t.Errorf("--token flag, no --events: token %q, events %v; want the flag's token and every event", o.Token, o.Events)
	}
	runF, got = capture[listenOptions]()
	requireUsage(t, execute(newCmdListen(noServices(), runF), "--team", team, "--forward-to", "localhost:3000"), "--forward-to must be an http:// or https:// URL")
	if *got != nil {
		t.Error("runF ran with a --forward-to that is no URL")
	}
}
