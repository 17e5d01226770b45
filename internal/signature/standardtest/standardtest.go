// Package standardtest verifies captured webhook requests with the official
// npm standardwebhooks library, so tests prove that receivers using it accept
// what RelayBook sends. Test support only: it installs the package from the
// npm registry into the test's temporary directory.
package standardtest

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

//go:embed verify.js
var verifyJS []byte

// Request is one captured request and the secret a receiver holds.
type Request struct {
	Secret string
	Header http.Header
	Body   []byte
}

// Verifier runs verify.js with node against an installed standardwebhooks.
type Verifier struct {
	node, dir string
}

// New installs standardwebhooks into a temporary directory. Without node or
// npm the test is skipped, and fails with CI=true.
func New(t testing.TB) *Verifier {
	t.Helper()
	node, err := exec.LookPath("node")
	if err == nil {
		_, err = exec.LookPath("npm")
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("node and npm are required with CI=true: %v", err)
		}
		t.Skipf("node or npm not installed: %v", err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "package.json"), []byte(`{"private": true}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "verify.js"), verifyJS, 0o600); err != nil {
		t.Fatal(err)
	}
	install := exec.Command("npm", "install", "--no-audit", "--no-fund", "--no-package-lock", "--silent", "standardwebhooks@1")
	install.Dir = dir
	if out, err := install.CombinedOutput(); err != nil {
		t.Fatalf("npm install standardwebhooks: %v\n%s", err, out)
	}
	return &Verifier{node: node, dir: dir}
}

// Verify returns, for each request, "" when the library accepts it or the
// library's reason for refusing it. The library checks webhook-timestamp
// against the clock, so call it soon after the requests were captured.
func (v *Verifier) Verify(t testing.TB, reqs []Request) []string {
	t.Helper()
	type check struct {
		Secret  string            `json:"secret"`
		Headers map[string]string `json:"headers"`
		Body    []byte            `json:"body"`
	}
	checks := make([]check, len(reqs))
	for i, r := range reqs {
		h := make(map[string]string, len(r.Header))
		for k := range r.Header {
			h[strings.ToLower(k)] = r.Header.Get(k)
		}
		checks[i] = check{Secret: r.Secret, Headers: h, Body: r.Body}
	}
	in, err := json.Marshal(checks)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(v.node, "verify.js")
	cmd.Dir = v.dir
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node verify.js: %v\n%s", err, stderr.String())
	}
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	if len(lines) != len(reqs) {
		t.Fatalf("node printed %d verdicts for %d requests:\n%s", len(lines), len(reqs), out)
	}
	verdicts := make([]string, len(lines))
	for i, l := range lines {
		reason, refused := strings.CutPrefix(l, "invalid: ")
		switch {
		case refused:
			verdicts[i] = reason
		case l != "valid":
			t.Fatalf("node printed %q", l)
		}
	}
	return verdicts
}
