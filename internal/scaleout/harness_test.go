// Package scaleout tests RelayBook running past one machine (issue 16,
// design.md "Running past one machine"): the built relaybook binary as
// several serve and worker processes against a Redis Cluster, a Redis
// behind Sentinel (through a failover), PgBouncer in transaction pooling
// mode, and several workers draining one queue. The Redis Cluster, Sentinel
// and PgBouncer are started by the scripts under scripts/ and stopped by
// the tests that start them.
package scaleout

import (
	"bytes"
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/relaybook/relaybook/internal/postgres"
	"github.com/relaybook/relaybook/internal/relaybook"
	"github.com/relaybook/relaybook/internal/secretbox"
	"github.com/relaybook/relaybook/internal/testenv"
)

const (
	testEncryptionKey = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	testJWTSecret     = "test-jwt-secret-with-enough-bytes-0123456789"
)

var (
	repoRoot string
	binary   string
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "relaybook-scaleout-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	repoRoot, _ = filepath.Abs("../..")
	binary = filepath.Join(dir, "relaybook")
	// The product as operators run it: its own binary, without the race
	// detector (the processes' code is raced in its own packages).
	build := exec.Command(goTool(), "build", "-o", binary, "./cmd/relaybook")
	build.Dir = repoRoot
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "scaleout: build relaybook: %v\n%s", err, out)
		os.Exit(1)
	}
	code := testenv.Main(m)
	os.RemoveAll(dir)
	os.Exit(code)
}

func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(runtime.GOROOT(), "bin", "go")
}

// port is a loopback port for this package's services, overridable so two
// checkouts testing at once can keep apart.
func port(envName, def string) string { return cmp.Or(os.Getenv(envName), def) }

// startService runs scripts/<script> start with env and stops it when the
// test ends. A missing package or tool fails with CI=true (the script
// installs it when it can) and skips elsewhere.
func startService(t *testing.T, script string, env ...string) string {
	t.Helper()
	path := filepath.Join(repoRoot, "scripts", script)
	run := func(action string) (string, error) {
		cmd := exec.Command(path, action)
		cmd.Env = append(os.Environ(), env...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			return "", fmt.Errorf("%s %s: %w: %s", script, action, err, strings.TrimSpace(stderr.String()))
		}
		return strings.TrimSpace(string(out)), nil
	}
	t.Cleanup(func() {
		if _, err := run("stop"); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
	out, err := run("start")
	if err != nil {
		if testenv.CI() {
			t.Fatalf("%v", err)
		}
		t.Skipf("cannot start %s (run scripts/services.sh as root to install what it needs): %v", script, err)
	}
	return out
}

// serviceAction runs another action of a service script (a failover).
func serviceAction(t *testing.T, script, action string, env ...string) {
	t.Helper()
	cmd := exec.Command(filepath.Join(repoRoot, "scripts", script), action)
	cmd.Env = append(os.Environ(), env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", script, action, err, out)
	}
}

// proc is one relaybook process.
type proc struct {
	t    *testing.T
	name string
	cmd  *exec.Cmd
	out  *lockedBuffer
	done chan struct{}
	err  error
}

// baseEnv is every process's configuration; a test adds its Redis and
// database settings. A tiny pool per process: a test runs up to eight
// processes against a PostgreSQL other packages test against too.
func baseEnv(dbURL string) []string {
	return []string{
		"RELAYBOOK_DATABASE_URL=" + dbURL,
		"RELAYBOOK_DATABASE_MAX_CONNS=3",
		"RELAYBOOK_SECURITY_ENCRYPTION_KEY=" + testEncryptionKey,
		"RELAYBOOK_AUTH_JWT_SECRET=" + testJWTSecret,
		"RELAYBOOK_WEBHOOKS_ALLOW_HTTP=true",
		"RELAYBOOK_WEBHOOKS_ALLOW_PRIVATE_NETWORKS=true",
		// Whatever the normal path misses (an enqueue refused during a
		// failover) the sweeper picks up within a few seconds.
		"RELAYBOOK_WORKER_SWEEP_INTERVAL=1s",
		"RELAYBOOK_WORKER_SWEEP_GRACE=2s",
		"RELAYBOOK_DELIVERY_TIMEOUT=5s",
		"RELAYBOOK_WORKER_SHUTDOWN_TIMEOUT=10s",
	}
}

// startProc starts `relaybook args...` with env on top of a clean
// environment (no RELAYBOOK_* of the developer's, no relaybook.yaml).
func startProc(t *testing.T, name string, env []string, args ...string) *proc {
	t.Helper()
	cfg := filepath.Join(t.TempDir(), "relaybook.yaml")
	if err := os.WriteFile(cfg, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(binary, append([]string{"--config", cfg}, args...)...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "RELAYBOOK_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	p := &proc{t: t, name: name, cmd: cmd, out: &lockedBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.done
		if t.Failed() {
			t.Logf("--- %s output:\n%s", name, p.out.String())
		}
	})
	return p
}

// waitFor waits until the process has written s, failing if it exits
// first.
func (p *proc) waitFor(s string, timeout time.Duration) {
	p.t.Helper()
	deadline := time.Now().Add(timeout)
	for !strings.Contains(p.out.String(), s) {
		select {
		case <-p.done:
			p.t.Fatalf("%s exited (%v) before saying %q:\n%s", p.name, p.err, s, p.out.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("%s did not say %q within %s:\n%s", p.name, s, timeout, p.out.String())
		}
	}
}

// stop sends sig and waits for the process to exit.
func (p *proc) stop(sig syscall.Signal, timeout time.Duration) error {
	p.t.Helper()
	p.cmd.Process.Signal(sig)
	select {
	case <-p.done:
		return p.err
	case <-time.After(timeout):
		p.t.Fatalf("%s still running %s after signal %v", p.name, timeout, sig)
		return nil
	}
}

// exited waits for a process that should end by itself and returns its
// error and output.
func (p *proc) exited(timeout time.Duration) (error, string) {
	p.t.Helper()
	select {
	case <-p.done:
		return p.err, p.out.String()
	case <-time.After(timeout):
		p.t.Fatalf("%s did not exit within %s", p.name, timeout)
		return nil, ""
	}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startServe starts `relaybook serve` on a free port and waits until it
// answers; it returns the API's base URL.
func startServe(t *testing.T, name string, env []string) (*proc, string) {
	t.Helper()
	addr := freeAddr(t)
	p := startProc(t, name, append(env, "RELAYBOOK_SERVER_ADDR="+addr), "serve")
	p.waitFor("relaybook serve listening", 30*time.Second)
	return p, "http://" + addr
}

// startWorker starts `relaybook worker` and waits until it takes tasks.
func startWorker(t *testing.T, name string, env []string) *proc {
	t.Helper()
	p := startProc(t, name, env, "worker")
	p.waitFor("worker started", 30*time.Second)
	return p
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// receiver is a webhook endpoint that counts deliveries per event. With a
// delay it takes that long to answer, like a slow receiver, and counts a
// delivery only if the worker waited for the answer: a request cut off by a
// killed worker was not delivered.
type receiver struct {
	url   string
	delay time.Duration

	mu     sync.Mutex
	events map[string]int
	total  int
}

func newReceiver(t *testing.T, delay time.Duration) *receiver {
	t.Helper()
	r := &receiver{delay: delay, events: map[string]int{}}
	srv := &http.Server{Handler: http.HandlerFunc(r.serve)}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	r.url = "http://" + ln.Addr().String() + "/hook"
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	io.Copy(io.Discard, req.Body)
	if r.delay > 0 {
		select {
		case <-time.After(r.delay):
		case <-req.Context().Done():
			return
		}
	}
	r.mu.Lock()
	r.events[req.Header.Get("X-Relay-Event-ID")]++
	r.total++
	r.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// counts returns how many distinct events arrived and how many requests.
func (r *receiver) counts() (distinct, total int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.events), r.total
}

// waitDistinct waits until n distinct events have arrived.
func (r *receiver) waitDistinct(t *testing.T, n int, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		d, total := r.counts()
		if d >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d events arrived within %s (%d requests)", d, n, timeout, total)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// duplicates is how many requests repeated an event already received.
func (r *receiver) duplicates() int {
	d, total := r.counts()
	return total - d
}

// newDatabase creates and migrates a database of this test's own, dropped
// when it ends: every worker's sweeper scans its whole database, so tests
// running side by side must not share one.
func newDatabase(t *testing.T) string {
	t.Helper()
	testenv.DatabaseURL(t) // fails or skips when PostgreSQL is not there
	ctx := context.Background()
	admin, err := sql.Open("postgres", testenv.AdminURL())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	name := strings.ReplaceAll(testenv.UniqueName("relaybook_scaleout"), "-", "_")
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		admin, err := sql.Open("postgres", testenv.AdminURL())
		if err != nil {
			t.Error(err)
			return
		}
		defer admin.Close()
		if _, err := admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"); err != nil {
			t.Errorf("drop %s: %v", name, err)
		}
	})
	u, err := url.Parse(testenv.AdminURL())
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	db, err := postgres.Open(ctx, u.String(), 2)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return u.String()
}

// fixture is a team with a book, an API key and a webhook to a receiver
// for contact.created, made straight in PostgreSQL.
type fixture struct {
	db        *postgres.DB
	team      *relaybook.Team
	book      *relaybook.Book
	key       string
	webhookID string
}

func newFixture(t *testing.T, dbURL, hookURL string) *fixture {
	t.Helper()
	ctx := context.Background()
	db, err := postgres.Open(ctx, dbURL, 4)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	box, err := secretbox.New(testEncryptionKey)
	if err != nil {
		t.Fatal(err)
	}
	db.Cipher = box
	db.URLPolicy = relaybook.URLPolicy{AllowHTTP: true}
	f := &fixture{db: db}
	if f.team, err = postgres.NewTeamService(db).CreateTeam(ctx, testenv.UniqueName("team")); err != nil {
		t.Fatal(err)
	}
	if f.book, err = postgres.NewBookService(db).CreateBook(ctx, f.team.ID, "Customers"); err != nil {
		t.Fatal(err)
	}
	f.key = f.newKey(t)
	hook, err := postgres.NewWebhookService(db).CreateWebhook(ctx, relaybook.WebhookInput{
		TeamID: f.team.ID, URL: hookURL, Events: []string{relaybook.EventContactCreated}})
	if err != nil {
		t.Fatal(err)
	}
	f.webhookID = hook.Webhook.ID
	return f
}

// newKey makes another API key of the team: a fresh rate-limit quota.
func (f *fixture) newKey(t *testing.T) string {
	t.Helper()
	k, err := postgres.NewAPIKeyService(f.db).CreateAPIKey(context.Background(), f.team.ID, testenv.UniqueName("key"))
	if err != nil {
		t.Fatal(err)
	}
	return k.Key
}

// createContact POSTs one contact through the API at base and returns the
// status code.
func (f *fixture) createContact(t *testing.T, base, key string, i int) int {
	t.Helper()
	body := fmt.Sprintf(`{"first_name":"Contact %d"}`, i)
	req, err := http.NewRequest(http.MethodPost, base+"/api/v1/contacts", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("X-Book-ID", f.book.ID)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST contact %d to %s: %v", i, base, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// deliveryStates counts the webhook's deliveries by state.
func (f *fixture) deliveryStates(t *testing.T) map[string]int {
	t.Helper()
	rows, err := f.db.SQL().Query(`SELECT state, count(*) FROM deliveries WHERE webhook_id = $1 GROUP BY state`, f.webhookID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var s string
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			t.Fatal(err)
		}
		out[s] = n
	}
	return out
}
