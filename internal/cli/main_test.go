package cli_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/lib/pq"

	"github.com/relaybook/relaybook/internal/cli"
	"github.com/relaybook/relaybook/internal/postgres"
	"github.com/relaybook/relaybook/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/cli")

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }

// Fixed test secrets: the configuration comes from RELAYBOOK_* variables, as
// an operator's would.
const (
	testEncryptionKey = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	testJWTSecret     = "test-jwt-secret-with-enough-bytes-0123456789"
)

// env runs commands the way an admin's shell does, against this package's
// test database, and keeps a transcript of them for a golden file.
type env struct {
	t      *testing.T
	config string // an empty config file: a developer's ./relaybook.yaml is never read
	tty    bool   // run commands as if stdout were a terminal

	transcript strings.Builder
	norm       normalizer
}

// newEnv configures the commands of one test through the environment.
func newEnv(t *testing.T) *env {
	t.Helper()
	setConfigEnv(t, map[string]string{
		"RELAYBOOK_DATABASE_URL":                    testenv.DatabaseURL(t),
		"RELAYBOOK_REDIS_URL":                       testenv.RedisURL(t),
		"RELAYBOOK_SECURITY_ENCRYPTION_KEY":         testEncryptionKey,
		"RELAYBOOK_AUTH_JWT_SECRET":                 testJWTSecret,
		"RELAYBOOK_WEBHOOKS_ALLOW_HTTP":             "false",
		"RELAYBOOK_WEBHOOKS_ALLOW_PRIVATE_NETWORKS": "false",
	})
	return &env{t: t, config: emptyConfig(t), norm: normalizer{ids: map[string]string{}}}
}

func setConfigEnv(t *testing.T, vars map[string]string) {
	t.Helper()
	for k, v := range vars {
		t.Setenv(k, v)
	}
}

func emptyConfig(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "relaybook.yaml")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// result is what one command left behind.
type result struct {
	Stdout, Stderr string
	Code           int
}

// runCLI runs one command line with buffers for streams.
func runCLI(config string, tty bool, args ...string) result {
	var stdout, stderr bytes.Buffer
	io := &cli.IOStreams{In: strings.NewReader(""), Out: &stdout, ErrOut: &stderr, IsTerminal: tty}
	code := cli.Run(context.Background(), append([]string{"--config", config}, args...), io)
	return result{Stdout: stdout.String(), Stderr: stderr.String(), Code: code}
}

// run runs a command, records it in the transcript and checks the JSON
// contract: with -o json a successful command prints exactly one JSON
// document on stdout and nothing on stderr.
func (e *env) run(args ...string) result {
	e.t.Helper()
	r := runCLI(e.config, e.tty, args...)
	e.record(args, r)
	if isJSON(args) && r.Code == 0 {
		requireOneJSONDocument(e.t, args, r.Stdout)
		if r.Stderr != "" {
			e.t.Errorf("%v: JSON mode wrote to stderr: %q", args, r.Stderr)
		}
	}
	if r.Code != 0 && strings.Count(r.Stderr, "\n") != 1 {
		e.t.Errorf("%v: exit %d wants one line on stderr, got %q", args, r.Code, r.Stderr)
	}
	return r
}

// ok runs a command that must succeed.
func (e *env) ok(args ...string) result {
	e.t.Helper()
	r := e.run(args...)
	if r.Code != 0 {
		e.t.Fatalf("%v: exit %d, stderr %q", args, r.Code, r.Stderr)
	}
	return r
}

// fails runs a command that must fail with code and an error line
// containing every one of wants.
func (e *env) fails(code int, args []string, wants ...string) result {
	e.t.Helper()
	r := e.run(args...)
	if r.Code != code {
		e.t.Errorf("%v: exit %d, want %d (stderr %q)", args, r.Code, code, r.Stderr)
	}
	if r.Stdout != "" {
		e.t.Errorf("%v: failed but wrote to stdout: %q", args, r.Stdout)
	}
	for _, w := range wants {
		if !strings.Contains(r.Stderr, w) {
			e.t.Errorf("%v: stderr %q does not contain %q", args, r.Stderr, w)
		}
	}
	return r
}

// object runs a command with -o json that must succeed and decodes its output.
func (e *env) object(args ...string) map[string]any {
	e.t.Helper()
	var v map[string]any
	decode(e.t, e.ok(append(args, "-o", "json")...).Stdout, &v)
	return v
}

// array is object for commands that print a list.
func (e *env) array(args ...string) []map[string]any {
	e.t.Helper()
	var v []map[string]any
	decode(e.t, e.ok(append(args, "-o", "json")...).Stdout, &v)
	return v
}

func decode(t *testing.T, s string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(s), v); err != nil {
		t.Fatalf("decode %q: %v", s, err)
	}
}

func isJSON(args []string) bool {
	for i, a := range args {
		if a == "-ojson" || a == "--output=json" || a == "-o=json" ||
			((a == "-o" || a == "--output") && i+1 < len(args) && args[i+1] == "json") {
			return true
		}
	}
	return false
}

func requireOneJSONDocument(t *testing.T, args []string, out string) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(out))
	var first json.RawMessage
	if err := dec.Decode(&first); err != nil {
		t.Errorf("%v: stdout is not JSON: %v\n%s", args, err, out)
		return
	}
	var next json.RawMessage
	if err := dec.Decode(&next); !errors.Is(err, io.EOF) {
		t.Errorf("%v: stdout holds more than one JSON document:\n%s", args, out)
	}
}

func (e *env) record(args []string, r result) {
	quoted := make([]string, len(args))
	for i, a := range args {
		if a == "" || strings.ContainsAny(a, " \t\"'") {
			a = strconv.Quote(a)
		}
		quoted[i] = a
	}
	fmt.Fprintf(&e.transcript, "$ relaybook %s\n", e.norm.apply(strings.Join(quoted, " ")))
	e.transcript.WriteString(e.norm.apply(r.Stdout))
	for _, line := range strings.SplitAfter(e.norm.apply(r.Stderr), "\n") {
		if line != "" {
			e.transcript.WriteString("stderr> " + line)
		}
	}
	if r.Code != 0 {
		fmt.Fprintf(&e.transcript, "[exit %d]\n", r.Code)
	}
	e.transcript.WriteString("\n")
}

// note adds a comment line to the transcript.
func (e *env) note(format string, args ...any) {
	fmt.Fprintf(&e.transcript, "# "+format+"\n\n", args...)
}

// golden compares the transcript with testdata/cli/NAME.golden, or rewrites
// the file with -update.
func (e *env) golden(name string) {
	e.t.Helper()
	path := filepath.Join("..", "..", "testdata", "cli", name+".golden")
	got := e.transcript.String()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			e.t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		e.t.Fatalf("%v (run go test ./internal/cli -run %s -update to write it)", err, e.t.Name())
	}
	if got != string(want) {
		e.t.Errorf("output differs from %s (rerun with -update if the change is intended):\n%s", path, lineDiff(string(want), got))
	}
}

// lineDiff shows the first lines where two texts part.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return fmt.Sprintf("line %d:\n  want %q\n  got  %q", i+1, wl, gl)
		}
	}
	return "(no line differs)"
}

// normalizer replaces what changes from run to run: ids become <uuid-N> in
// order of first appearance (so the same id reads the same everywhere),
// times <time>, secrets <key>, <prefix>, <secret> and <jwt>.
type normalizer struct {
	ids map[string]string
}

var (
	uuidRe   = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	timeRe   = regexp.MustCompile(`\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z`)
	keyRe    = regexp.MustCompile(`rlb_[A-Za-z0-9_-]{20,}`)
	prefixRe = regexp.MustCompile(`rlb_[A-Za-z0-9_-]{8}`)
	secretRe = regexp.MustCompile(`whsec_[0-9a-f]{64}`)
	jwtRe    = regexp.MustCompile(`eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+`)
)

func (n *normalizer) apply(s string) string {
	s = uuidRe.ReplaceAllStringFunc(s, func(id string) string {
		if _, ok := n.ids[id]; !ok {
			n.ids[id] = fmt.Sprintf("<uuid-%d>", len(n.ids)+1)
		}
		return n.ids[id]
	})
	s = timeRe.ReplaceAllString(s, "<time>")
	s = keyRe.ReplaceAllString(s, "<key>")
	s = prefixRe.ReplaceAllString(s, "<prefix>")
	s = secretRe.ReplaceAllString(s, "<secret>")
	return jwtRe.ReplaceAllString(s, "<jwt>")
}

// db opens this package's test database for checks behind the CLI's back.
func db(t *testing.T) *postgres.DB { return testenv.DB(t) }

// dumpDatabase returns every row of every table as text, the way a leaked
// backup would show them.
func dumpDatabase(t *testing.T) string {
	t.Helper()
	sqlDB := db(t).SQL()
	var tables []string
	if err := sqlDB.Select(&tables, `SELECT table_name FROM information_schema.tables
		WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name`); err != nil {
		t.Fatal(err)
	}
	var dump strings.Builder
	for _, table := range tables {
		var rows string
		if err := sqlDB.Get(&rows, `SELECT coalesce(string_agg(t::text, E'\n'), '') FROM `+pq.QuoteIdentifier(table)+` t`); err != nil {
			t.Fatal(err)
		}
		dump.WriteString(table + "\n" + rows + "\n")
	}
	return dump.String()
}

// requireNotInDatabase checks that no table holds secret, neither as text
// nor as the hex that bytea columns show.
func requireNotInDatabase(t *testing.T, what, secret string) {
	t.Helper()
	dump := dumpDatabase(t)
	for _, form := range []string{secret, hex.EncodeToString([]byte(secret))} {
		if strings.Contains(dump, form) {
			t.Errorf("the database holds the %s in plaintext (%q)", what, form)
		}
	}
}

// requireAbsent checks that no output of a command shows a secret.
func requireAbsent(t *testing.T, r result, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if strings.Contains(r.Stdout, s) || strings.Contains(r.Stderr, s) {
			t.Errorf("a secret (%.10s…) appears in the output:\n%s%s", s, r.Stdout, r.Stderr)
		}
	}
}

// runWithoutConfigFlag runs a command line with no --config, as a shell
// that relies on RELAYBOOK_CONFIG does.
func runWithoutConfigFlag(t *testing.T, stdout, stderr io.Writer, args ...string) int {
	t.Helper()
	return cli.Run(context.Background(), args, &cli.IOStreams{In: strings.NewReader(""), Out: stdout, ErrOut: stderr})
}
