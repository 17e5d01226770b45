package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/relaybook/relaybook/config"
)

// `help environment` lists every RELAYBOOK_* variable config knows, and
// nothing is listed twice.
func TestHelpEnvironment(t *testing.T) {
	r := runCLI(emptyConfig(t), false, "help", "environment")
	if r.Code != 0 || r.Stderr != "" {
		t.Fatalf("help environment: exit %d, stderr %q", r.Code, r.Stderr)
	}
	for _, v := range config.EnvVars() {
		if strings.Count(r.Stdout, v.Name+" ") != 1 {
			t.Errorf("help environment lists %s %d times, want once:\n%s", v.Name, strings.Count(r.Stdout, v.Name+" "), r.Stdout)
		}
	}
	for _, key := range config.Keys() {
		if !strings.Contains(r.Stdout, config.EnvName(key)) {
			t.Errorf("help environment does not list %s (%s)", config.EnvName(key), key)
		}
	}
	for _, name := range []string{"RELAYBOOK_CONFIG", "RELAYBOOK_LOG_FORMAT", "RELAYBOOK_LOG_LEVEL", "RELAYBOOK_WORKER_ADMIN_ADDR"} {
		if !strings.Contains(r.Stdout, name) {
			t.Errorf("help environment does not list %s", name)
		}
	}
}

func TestHelpTopics(t *testing.T) {
	cfg := emptyConfig(t)
	if r := runCLI(cfg, false, "help", "nope"); r.Code != 2 || !strings.Contains(r.Stderr, `unknown help topic "nope"`) {
		t.Errorf("help nope: exit %d, stderr %q; want exit 2 naming the topic", r.Code, r.Stderr)
	}
	if r := runCLI(cfg, false, "help", "webhooks", "nope"); r.Code != 2 {
		t.Errorf("help webhooks nope: exit %d; want 2", r.Code)
	}
	if r := runCLI(cfg, false, "help", "status"); r.Code != 0 || !strings.Contains(r.Stdout, "--since") {
		t.Errorf("help status: exit %d, stdout %q", r.Code, r.Stdout)
	}
	root := runCLI(cfg, false, "--help").Stdout
	for _, cmd := range []string{"completion", "status"} {
		if !strings.Contains(root, "\n  "+cmd+" ") {
			t.Errorf("relaybook --help does not list %s:\n%s", cmd, root)
		}
	}
	if r := runCLI(cfg, false, "completion", "bash"); r.Code != 0 || !strings.Contains(r.Stdout, "relaybook") {
		t.Errorf("completion bash: exit %d, stderr %q", r.Code, r.Stderr)
	}
}

// RELAYBOOK_CONFIG names the file when --config does not.
func TestConfigFromEnvironment(t *testing.T) {
	path := filepath.Join(t.TempDir(), "elsewhere.yaml")
	if err := os.WriteFile(path, []byte("database:\n  url: mysql://nope/db\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("RELAYBOOK_CONFIG", path)
	var stdout, stderr strings.Builder
	r := runWithoutConfigFlag(t, &stdout, &stderr, "teams", "list")
	if r != 2 || !strings.Contains(stderr.String(), "database.url") {
		t.Errorf("teams list with RELAYBOOK_CONFIG naming a bad file: exit %d, stderr %q; want exit 2 naming database.url", r, stderr.String())
	}
	t.Setenv("RELAYBOOK_CONFIG", filepath.Join(t.TempDir(), "missing.yaml"))
	stderr.Reset()
	if r := runWithoutConfigFlag(t, &stdout, &stderr, "teams", "list"); r != 2 || !strings.Contains(stderr.String(), "missing.yaml") {
		t.Errorf("RELAYBOOK_CONFIG naming a missing file: exit %d, stderr %q", r, stderr.String())
	}
}

// A bad log setting is a configuration error naming the key.
func TestLogSettings(t *testing.T) {
	for key, bad := range map[string]string{"RELAYBOOK_LOG_FORMAT": "xml", "RELAYBOOK_LOG_LEVEL": "loud"} {
		t.Run(key, func(t *testing.T) {
			t.Setenv(key, bad)
			r := runCLI(emptyConfig(t), false, "teams", "list")
			want := strings.ToLower(strings.ReplaceAll(strings.TrimPrefix(key, "RELAYBOOK_"), "_", "."))
			if r.Code != 2 || !strings.Contains(r.Stderr, want) {
				t.Errorf("%s=%s: exit %d, stderr %q; want exit 2 naming %s", key, bad, r.Code, r.Stderr, want)
			}
		})
	}
}

// Without -ldflags the version comes from the build info, never "dev".
func TestVersionFromBuildInfo(t *testing.T) {
	r := runCLI(emptyConfig(t), false, "version")
	if r.Code != 0 || !strings.HasPrefix(r.Stdout, "relaybook ") || strings.Contains(r.Stdout, "relaybook  ") || strings.Contains(r.Stdout, " dev ") {
		t.Errorf("version: exit %d, stdout %q", r.Code, r.Stdout)
	}
}
