package signature_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/relaybook/relaybook/internal/signature"
)

// vector is one entry of testdata/signature_vectors.json. The signatures
// there were computed with openssl, not with this package, so a bug in Sign
// cannot hide by also being in the expected values.
type vector struct {
	Name      string `json:"name"`
	Secret    string `json:"secret"`
	Body      string `json:"body"`
	Signature string `json:"signature"`
}

func loadVectors(t *testing.T) []vector {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "testdata", "signature_vectors.json"))
	if err != nil {
		t.Fatalf("read vectors: %v", err)
	}
	var doc struct {
		Vectors []vector `json:"vectors"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("parse vectors: %v", err)
	}
	if len(doc.Vectors) == 0 {
		t.Fatal("no vectors in testdata/signature_vectors.json")
	}
	return doc.Vectors
}

func TestSignMatchesIndependentVectors(t *testing.T) {
	for _, v := range loadVectors(t) {
		t.Run(v.Name, func(t *testing.T) {
			if got := signature.Sign(v.Secret, []byte(v.Body)); got != v.Signature {
				t.Errorf("Sign = %s, want %s", got, v.Signature)
			}
			if !signature.Verify(v.Secret, []byte(v.Body), v.Signature) {
				t.Error("Verify rejected the vector's signature")
			}
		})
	}
}

func TestVerifyRejects(t *testing.T) {
	const secret = "whsec_2beae64c928c7ef9f49e560d70bee05ec3369c1c0a5b3d7e9f1a2b3c4d5e6f70"
	body := []byte(`{"event":"contact.created"}`)
	good := signature.Sign(secret, body)

	tests := []struct {
		name   string
		secret string
		body   []byte
		sig    string
	}{
		{"tampered body", secret, []byte(`{"event":"contact.deleted"}`), good},
		{"wrong secret", secret + "0", body, good},
		{"secret hex decoded instead of used as a string", secret[len(signature.SecretPrefix):], body, good},
		{"uppercase hex", secret, body, strings.ToUpper(good)},
		{"truncated signature", secret, body, good[:len(good)-2]},
		{"empty signature", secret, body, ""},
		{"flipped last digit", secret, body, good[:len(good)-1] + flip(good[len(good)-1])},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if signature.Verify(tt.secret, tt.body, tt.sig) {
				t.Error("Verify accepted an invalid signature")
			}
		})
	}
}

func flip(c byte) string {
	if c == '0' {
		return "1"
	}
	return "0"
}

func TestNewSecret(t *testing.T) {
	format := regexp.MustCompile(`^whsec_[0-9a-f]{64}$`)
	seen := make(map[string]bool)
	for range 100 {
		s, err := signature.NewSecret()
		if err != nil {
			t.Fatalf("NewSecret: %v", err)
		}
		if !format.MatchString(s) {
			t.Fatalf("NewSecret = %q, want whsec_ + 64 lowercase hex", s)
		}
		if seen[s] {
			t.Fatalf("NewSecret repeated %q", s)
		}
		seen[s] = true
	}
}

// verifySignature is the Go example from the public docs (seed 004), copied
// verbatim: receivers paste it, so Sign's output must pass it unchanged.
func verifySignature(body []byte, signature, secret string) bool {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	expected := hex.EncodeToString(mac.Sum(nil))
	return hmac.Equal([]byte(signature), []byte(expected))
}

// check is one question for a verifier: does sig sign body under secret?
type check struct {
	Body   []byte `json:"body"` // base64 in JSON, so any bytes survive
	Sig    string `json:"sig"`
	Secret string `json:"secret"`
}

// pythonHarness and nodeHarness follow the seed's snippet
// (testdata/seed004) to read a JSON list of checks on stdin and print one
// verdict per line. Node's body is a Buffer, as req.rawBody is in the docs'
// handler.
const pythonHarness = `
import base64, json, sys
for c in json.load(sys.stdin):
    print("valid" if verify_signature(base64.b64decode(c["body"]), c["sig"], c["secret"]) else "invalid")
`

const nodeHarness = `
for (const c of JSON.parse(require('fs').readFileSync(0, 'utf8'))) {
  console.log(verifySignature(Buffer.from(c.body, 'base64'), c.sig, c.secret) ? "valid" : "invalid");
}
`

// snippet reads one of the seed's receiver snippets from testdata/seed004.
func snippet(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "seed004", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestDocumentedReceiversAccept checks Sign against the receiver snippets of
// the public docs: each must accept Sign's output and reject a tampered body.
// The Python and Node subtests skip when the interpreter is not installed,
// and fail for it with CI=true.
func TestDocumentedReceiversAccept(t *testing.T) {
	secret, err := signature.NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	// Even checks carry Sign's output and must pass; odd ones a tampered body.
	var checks []check
	for _, v := range loadVectors(t) {
		body := []byte(v.Body)
		sig := signature.Sign(secret, body)
		checks = append(checks,
			check{Body: body, Sig: sig, Secret: secret},
			check{Body: append(bytes.Clone(body), ' '), Sig: sig, Secret: secret})
	}

	verifiers := []struct {
		name   string
		verify func(t *testing.T, checks []check) []bool
	}{
		{"go", func(_ *testing.T, checks []check) []bool {
			var out []bool
			for _, c := range checks {
				out = append(out, verifySignature(c.Body, c.Sig, c.Secret))
			}
			return out
		}},
		{"python", script("python3", "-c", snippet(t, "verify_signature.py")+pythonHarness)},
		{"node", script("node", "-e", snippet(t, "verify_signature.js")+nodeHarness)},
	}
	for _, vf := range verifiers {
		t.Run(vf.name, func(t *testing.T) {
			t.Parallel() // the interpreters start slowly; overlap them
			verdicts := vf.verify(t, checks)
			if len(verdicts) != len(checks) {
				t.Fatalf("%d verdicts for %d checks", len(verdicts), len(checks))
			}
			for i, ok := range verdicts {
				if want := i%2 == 0; ok != want {
					t.Errorf("check %d (%.40q…): valid = %v, want %v", i, checks[i].Body, ok, want)
				}
			}
		})
	}
}

// script returns a verifier that runs an interpreter with args, the checks
// as JSON on stdin, and reads one "valid"/"invalid" line per check.
func script(interpreter string, args ...string) func(t *testing.T, checks []check) []bool {
	return func(t *testing.T, checks []check) []bool {
		t.Helper()
		path, err := exec.LookPath(interpreter)
		if err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is required with CI=true: %v", interpreter, err)
			}
			t.Skipf("%s not installed: %v", interpreter, err)
		}
		in, err := json.Marshal(checks)
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(path, args...)
		cmd.Stdin = bytes.NewReader(in)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s: %v\n%s", interpreter, err, stderr.String())
		}
		var verdicts []bool
		for _, line := range strings.Fields(string(out)) {
			switch line {
			case "valid", "invalid":
				verdicts = append(verdicts, line == "valid")
			default:
				t.Fatalf("%s printed %q", interpreter, line)
			}
		}
		return verdicts
	}
}

// TestSnippetsMatchSeed checks that testdata/seed004 and the Go copy above
// still read, word for word, as the public docs, so the receivers tested here
// are the ones users paste. The seed lives in the shared folder beside the
// repository (found by walking up); with CI=true it must be there.
func TestSnippetsMatchSeed(t *testing.T) {
	seed := findSeed(t)
	for _, name := range []string{"verify_signature.py", "verify_signature.js", "verify_signature.go.txt"} {
		if !strings.Contains(seed, words(snippet(t, name))) {
			t.Errorf("testdata/seed004/%s no longer matches the seed's snippet", name)
		}
	}
	src, err := os.ReadFile("signature_test.go")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(words(string(src)), words(snippet(t, "verify_signature.go.txt"))) {
		t.Error("verifySignature in this file differs from testdata/seed004/verify_signature.go.txt")
	}
}

// words collapses every run of white space to one space: the seed text has
// lost its line breaks and indentation.
func words(s string) string { return strings.Join(strings.Fields(s), " ") }

func findSeed(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	for {
		matches, _ := filepath.Glob(filepath.Join(dir, "shared", "seeds", "004_*.txt"))
		if len(matches) == 1 {
			b, err := os.ReadFile(matches[0])
			if err != nil {
				t.Fatal(err)
			}
			return words(string(b))
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			if os.Getenv("CI") == "true" {
				t.Fatal("shared/seeds/004_*.txt not found above the repository; CI=true requires it")
			}
			t.Skip("shared/seeds/004_*.txt not found above the repository")
		}
		dir = parent
	}
}
