package cli_test

import (
	"strings"
	"testing"
)

// status against the real database and Redis: JSON with every section, the
// table on a terminal with the queue and backlog lines, and usage errors.
func TestStatus(t *testing.T) {
	e := newEnv(t)
	team := e.object("teams", "create", "--name", "Status")["id"].(string)
	hook := e.object("webhooks", "create", "--team", team, "--url", "https://example.com/hook", "--events", "contact.created")
	hookID := hook["webhook"].(map[string]any)["id"].(string)

	rep := e.object("status", "--team", strings.ToUpper(team), "--since", "2h")
	if rep["team_id"] != team {
		t.Errorf("status team_id = %v, want %s", rep["team_id"], team)
	}
	for _, k := range []string{"since", "queues", "backlog", "webhooks"} {
		if _, ok := rep[k]; !ok {
			t.Errorf("status -o json has no %q: %v", k, rep)
		}
	}
	hooks := rep["webhooks"].([]any)
	if len(hooks) != 1 || hooks[0].(map[string]any)["webhook_id"] != hookID || hooks[0].(map[string]any)["state"] != "active" {
		t.Errorf("status webhooks = %v, want the one active webhook", hooks)
	}

	e.tty = true
	out := e.ok("status", "--team", team).Stdout
	for _, want := range []string{"queue deliveries:", "backlog: 0 pending", "WEBHOOK", hookID, "active"} {
		if !strings.Contains(out, want) {
			t.Errorf("status on a terminal lacks %q:\n%s", want, out)
		}
	}
	e.fails(2, []string{"status", "--since", "-1h"}, "--since")
	e.fails(2, []string{"status", "--team", "nope"}, "--team")
}
