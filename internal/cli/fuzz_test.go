package cli_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/relaybook/relaybook/internal/testenv"
)

// FuzzNameArguments feeds the CLI's name arguments whatever a shell can
// pass (issue 18: `teams create --name $'bad\xffname'` printed a raw driver
// error). Whatever arrives, the command either succeeds and stores exactly
// what it printed, or fails with one line naming the field, exit 1 (or 2
// for a usage error), and no driver text.
func FuzzNameArguments(f *testing.F) {
	for _, s := range []string{"Acme", "  Acme  ", "bad\xffname", "\xfe", "a\x00b", "", "   ", strings.Repeat("é", 201), "Ünïcödé 🚀", "-x"} {
		f.Add(s)
	}
	vars := map[string]string{
		"RELAYBOOK_DATABASE_URL":            testenv.DatabaseURL(f),
		"RELAYBOOK_REDIS_URL":               testenv.RedisURL(f),
		"RELAYBOOK_SECURITY_ENCRYPTION_KEY": testEncryptionKey,
		"RELAYBOOK_AUTH_JWT_SECRET":         testJWTSecret,
	}
	for k, v := range vars {
		old, had := os.LookupEnv(k)
		os.Setenv(k, v)
		f.Cleanup(func() {
			if had {
				os.Setenv(k, old)
			} else {
				os.Unsetenv(k)
			}
		})
	}
	config := emptyConfigFile(f)
	team := runCLI(config, false, "teams", "create", "--name", "Fuzz", "-o", "json")
	var t0 struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal([]byte(team.Stdout), &t0); err != nil || t0.ID == "" {
		f.Fatalf("teams create: %+v", team)
	}
	f.Fuzz(func(t *testing.T, name string) {
		for _, args := range [][]string{
			{"teams", "create", "--name=" + name, "-o", "json"},
			{"books", "create", "--team", t0.ID, "--name=" + name, "-o", "json"},
			{"keys", "create", "--team", t0.ID, "--name=" + name, "-o", "json"},
		} {
			r := runCLI(config, false, args...)
			if r.Code != 0 {
				if (r.Code != 1 && r.Code != 2) || strings.Count(r.Stderr, "\n") != 1 || !strings.Contains(r.Stderr, "name") ||
					strings.Contains(r.Stderr, "pq:") {
					t.Fatalf("%q: exit %d, stderr %q: want exit 1 or 2 and one line naming the field", args[:2], r.Code, r.Stderr)
				}
				continue
			}
			var got struct {
				ID     string `json:"id"`
				Name   string `json:"name"`
				APIKey *struct {
					Name string `json:"name"`
				} `json:"api_key"`
			}
			if err := json.Unmarshal([]byte(r.Stdout), &got); err != nil {
				t.Fatalf("%q: output is not JSON: %q", args[:2], r.Stdout)
			}
			if got.APIKey != nil {
				got.Name = got.APIKey.Name
			}
			if got.Name != strings.TrimSpace(name) {
				t.Fatalf("%q: printed name %q for %q", args[:2], got.Name, name)
			}
			if args[0] == "books" && !listed(config, got.ID, got.Name, "books", "list", "--team", t0.ID, "-o", "json") {
				t.Fatalf("book %q (%q) is not listed as printed", got.ID, got.Name)
			}
		}
	})
}

func emptyConfigFile(f *testing.F) string {
	path := f.TempDir() + "/relaybook.yaml"
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		f.Fatal(err)
	}
	return path
}

// listed reports whether a list command prints an object with id and name.
func listed(config, id, name string, args ...string) bool {
	var items []struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	}
	r := runCLI(config, false, args...)
	if err := json.Unmarshal([]byte(r.Stdout), &items); err != nil {
		return false
	}
	for _, it := range items {
		if it.ID == id {
			return it.Name == name
		}
	}
	return false
}
