package cli_test

import (
	"bufio"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/relaybook/relaybook/internal/signature"
)

// TestListenEndToEnd runs two serve processes and a listen process against
// the first: contacts created through either serve's API reach the local
// receiver, signed with the secret listen printed, and listen survives its
// serve restarting. Nothing is written to the team's webhooks or logs.
func TestListenEndToEnd(t *testing.T) {
	e := newEnv(t)
	bin := buildBinary(t)
	team := e.object("teams", "create", "--name", "Listeners")["id"].(string)
	admin := e.object("members", "add", "--team", team, "--email", "lena@listen.test", "--role", "admin")["user_id"].(string)
	token := strings.TrimSpace(e.ok("token", "--user", admin).Stdout)
	key := e.object("keys", "create", "--team", team, "--name", "listen")["key"].(string)
	book := e.object("books", "create", "--team", team, "--name", "Live")["id"].(string)

	serveA := startProcess(t, bin, "serve", "--addr", "127.0.0.1:0")
	addrA := serveA.waitFor(t, regexp.MustCompile(`addr=(127\.0\.0\.1:\d+)`))[1]
	serveB := startProcess(t, bin, "serve", "--addr", "127.0.0.1:0")
	addrB := serveB.waitFor(t, regexp.MustCompile(`addr=(127\.0\.0\.1:\d+)`))[1]

	var mu sync.Mutex
	var got []capturedRequest
	arrived := make(chan struct{}, 100)
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, capturedRequest{Header: r.Header.Clone(), Body: body})
		mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
		arrived <- struct{}{}
	}))
	defer rc.Close()

	t.Setenv("RELAYBOOK_TOKEN", token) // listen reads it when --token is absent
	listen := startProcess(t, bin, "listen", "--team", team, "--forward-to", rc.URL+"/hook", "--api", "http://"+addrA)
	secret := listen.waitFor(t, regexp.MustCompile(`(whsec_[0-9a-f]{64})`))[1]
	listen.waitFor(t, regexp.MustCompile(`connected to`))

	receive := func(first string) capturedRequest {
		t.Helper()
		select {
		case <-arrived:
		case <-time.After(10 * time.Second):
			t.Fatalf("the contact %s never reached the local receiver; listen said:\n%s", first, listen.output())
		}
		mu.Lock()
		defer mu.Unlock()
		r := got[len(got)-1]
		checkForwarded(t, r, secret, first)
		return r
	}

	createContact(t, addrB, key, book, "FromB") // written on the other serve
	receive("FromB")
	createContact(t, addrA, key, book, "FromA")
	receive("FromA")
	listen.waitFor(t, regexp.MustCompile(`contact\.created\s+\S+\s+-> 202 Accepted`))

	// The serve that listen follows restarts: listen reconnects.
	serveA.stop(t, syscall.SIGTERM)
	listen.waitFor(t, regexp.MustCompile(`stream lost`))
	startProcess(t, bin, "serve", "--addr", addrA).waitFor(t, regexp.MustCompile(`relaybook serve listening`))
	listen.waitForCount(t, "connected to", 2, 15*time.Second)
	createContact(t, addrB, key, book, "AfterRestart")
	receive("AfterRestart")

	var touched int
	if err := db(t).SQL().Get(&touched, `SELECT (SELECT count(*) FROM webhooks WHERE team_id = $1) +
		(SELECT count(*) FROM deliveries d JOIN events ev ON ev.id = d.event_id WHERE ev.team_id = $1)`, team); err != nil {
		t.Fatal(err)
	}
	if touched != 0 {
		t.Errorf("listen left %d webhooks or deliveries behind; it must be live only", touched)
	}

	// Ctrl-C ends it cleanly.
	if code := listen.stop(t, os.Interrupt); code != 0 {
		t.Errorf("listen exited %d after Ctrl-C, want 0:\n%s", code, listen.output())
	}
	serveB.stop(t, syscall.SIGTERM)
}

type capturedRequest struct {
	Header http.Header
	Body   []byte
}

// checkForwarded checks one forwarded request as a receiver would: the
// seed's snippet on X-Relay-Signature and the Standard Webhooks signature,
// both with the session secret, and the headers of a real delivery.
func checkForwarded(t *testing.T, r capturedRequest, secret, first string) {
	t.Helper()
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(r.Body)
	if !hmac.Equal([]byte(r.Header.Get("X-Relay-Signature")), []byte(hex.EncodeToString(mac.Sum(nil)))) {
		t.Errorf("%s: X-Relay-Signature does not verify with the printed secret", first)
	}
	if err := signature.VerifyStandard(secret, r.Header, r.Body, time.Now()); err != nil {
		t.Errorf("%s: webhook-signature: %v", first, err)
	}
	for h, want := range map[string]string{"X-Relay-Event": "contact.created", "X-Relay-Attempt": "1",
		"User-Agent": "RelayBook-Webhooks/1.0", "Content-Type": "application/json"} {
		if r.Header.Get(h) != want {
			t.Errorf("%s: %s = %q, want %q", first, h, r.Header.Get(h), want)
		}
	}
	if id := r.Header.Get("webhook-id"); id == "" || id != r.Header.Get("X-Relay-Event-ID") {
		t.Errorf("%s: webhook-id %q, X-Relay-Event-ID %q", first, id, r.Header.Get("X-Relay-Event-ID"))
	}
	var p struct {
		Event string `json:"event"`
		Data  struct {
			FirstName string `json:"first_name"`
		} `json:"data"`
	}
	if err := json.Unmarshal(r.Body, &p); err != nil || p.Event != "contact.created" || p.Data.FirstName != first {
		t.Errorf("forwarded body %s, want the contact.created payload of %s (%v)", r.Body, first, err)
	}
}

func createContact(t *testing.T, addr, key, book, first string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, "http://"+addr+"/api/v1/contacts", strings.NewReader(`{"first_name":"`+first+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("X-Book-ID", book)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("create contact on %s: %d %s", addr, res.StatusCode, body)
	}
}

func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "relaybook")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/relaybook/relaybook/cmd/relaybook").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// process is a relaybook process whose stdout and stderr lines are kept.
type process struct {
	cmd   *exec.Cmd
	mu    sync.Mutex
	lines []string
	more  chan struct{}
	done  chan struct{}
}

// startProcess runs the binary with this test's RELAYBOOK_* environment and
// an empty config file.
func startProcess(t *testing.T, bin string, args ...string) *process {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"--config", emptyConfig(t)}, args...)...)
	p := &process{cmd: cmd, more: make(chan struct{}, 1), done: make(chan struct{})}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for _, rd := range []io.Reader{stdout, stderr} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sc := bufio.NewScanner(rd)
			for sc.Scan() {
				p.mu.Lock()
				p.lines = append(p.lines, sc.Text())
				p.mu.Unlock()
				select {
				case p.more <- struct{}{}:
				default:
				}
			}
		}()
	}
	go func() { wg.Wait(); cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGKILL)
		<-p.done
	})
	return p
}

func (p *process) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.lines, "\n")
}

// waitFor waits for a line matching re and returns its submatches.
func (p *process) waitFor(t *testing.T, re *regexp.Regexp) []string {
	t.Helper()
	deadline := time.After(15 * time.Second)
	for {
		p.mu.Lock()
		for _, l := range p.lines {
			if m := re.FindStringSubmatch(l); m != nil {
				p.mu.Unlock()
				return m
			}
		}
		p.mu.Unlock()
		select {
		case <-p.more:
		case <-p.done:
			t.Fatalf("%v exited before printing %s:\n%s", p.cmd.Args[3:], re, p.output())
		case <-deadline:
			t.Fatalf("%v did not print %s in 15 s:\n%s", p.cmd.Args[3:], re, p.output())
		}
	}
}

func (p *process) waitForCount(t *testing.T, text string, n int, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for strings.Count(p.output(), text) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%v printed %q fewer than %d times:\n%s", p.cmd.Args[3:], text, n, p.output())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop signals the process and returns its exit code.
func (p *process) stop(t *testing.T, sig os.Signal) int {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		t.Fatalf("%v did not exit within 10 s of %v:\n%s", p.cmd.Args[3:], sig, p.output())
	}
	return p.cmd.ProcessState.ExitCode()
}

func TestListenUsage(t *testing.T) {
	e := newEnv(t)
	t.Setenv("RELAYBOOK_TOKEN", "")
	base := []string{"listen", "--team", "00000000-0000-4000-8000-000000000000", "--forward-to", "http://localhost:3000/hook"}
	e.fails(2, base, "--token", "RELAYBOOK_TOKEN")
	e.fails(2, []string{"listen", "--forward-to", "http://localhost:3000/hook", "--token", "t"}, "--team is required")
	e.fails(2, []string{"listen", "--team", "x", "--token", "t"}, "--forward-to is required")
	e.fails(2, append(base, "--token", "t", "--events", "contact.exploded"), "--events", "contact.exploded")
	e.fails(2, append(base[:4], "ftp://x", "--token", "t"), "--forward-to", "http://")
	e.fails(2, append(base, "--token", "t", "--api", "localhost:8080"), "--api")
	// A token the server refuses ends listen with the reason, not a retry loop.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"error":{"code":"unauthorized","message":"invalid or expired token"}}`)
	}))
	defer srv.Close()
	e.fails(1, append(base, "--token", "expired", "--api", srv.URL), "401", "invalid or expired token")
}
