package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/relaybook/relaybook/internal/cli"
)

// syncBuffer is a buffer a running process and the test share.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
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

// inProcess is serve or worker running in the test, with its stderr.
type inProcess struct {
	stderr *syncBuffer
	done   chan int
	stop   context.CancelFunc
}

// startProcess runs `relaybook args…` until the test ends, and waits until
// url answers.
func startInProcess(t *testing.T, config, url string, args ...string) *inProcess {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	p := &inProcess{stderr: &syncBuffer{}, done: make(chan int, 1), stop: cancel}
	go func() {
		p.done <- cli.Run(ctx, append([]string{"--config", config}, args...),
			&cli.IOStreams{In: strings.NewReader(""), Out: io.Discard, ErrOut: p.stderr})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-p.done:
		case <-time.After(20 * time.Second):
			t.Errorf("%v did not stop", args)
		}
	})
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		select {
		case code := <-p.done:
			t.Fatalf("%v exited %d before answering: %s", args, code, p.stderr.String())
		default:
		}
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			return p
		}
	}
	t.Fatalf("%v never answered on %s: %s", args, url, p.stderr.String())
	return nil
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// requireJSONLines fails unless every line of log is one JSON object.
func requireJSONLines(t *testing.T, log string) {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(log), "\n")
	if len(lines) == 0 || lines[0] == "" {
		t.Fatal("no log lines")
	}
	for _, line := range lines {
		var v map[string]any
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			t.Errorf("log line is not JSON (log.format=json): %q", line)
		} else if v["level"] == nil || v["msg"] == nil {
			t.Errorf("log line lacks level or msg: %q", line)
		}
	}
}

// With Redis unreachable, serve is alive but not ready, and says which
// dependency is down; /metrics counts requests by route template.
func TestServeProbesAndMetrics(t *testing.T) {
	e := newEnv(t)
	team := e.object("teams", "create", "--name", "Probes")["id"].(string)
	key := e.object("keys", "create", "--team", team, "--name", "Probes")["key"].(string)
	adminID := e.object("members", "add", "--team", team, "--email", "probe@acme.test", "--role", "admin")["user_id"].(string)
	jwt := strings.TrimSpace(e.ok("token", "--user", adminID).Stdout)
	addr := freeAddr(t)
	t.Setenv("RELAYBOOK_REDIS_URL", "redis://127.0.0.1:1/0") // nothing listens on port 1
	t.Setenv("RELAYBOOK_LOG_FORMAT", "json")
	base := "http://" + addr
	p := startInProcess(t, e.config, base+"/livez", "serve", "--addr", addr)

	if code, body := get(t, base+"/livez"); code != 200 {
		t.Errorf("/livez = %d %s, want 200 while Redis is down", code, body)
	}
	code, body := get(t, base+"/readyz")
	if code != 503 || !strings.Contains(body, "redis") || strings.Contains(body, `"postgresql":"down"`) {
		t.Errorf("/readyz = %d %s, want 503 naming redis (and postgresql ok)", code, body)
	}
	if code, _ := get(t, base+"/openapi.json"); code != 200 {
		t.Errorf("/openapi.json = %d", code)
	}
	get(t, base+"/api/v1/contacts/0a2c7c2e-2f6b-4a4b-9d6e-1f5d7f1b2c3d") // 401, by template
	get(t, base+"/no/such/route")
	// Authenticated requests (the limiter falls back to a per-process window
	// without Redis): their credentials must not reach the log.
	for path, token := range map[string]string{"/api/v1/books": key, "/api/teams/" + team + "/webhooks": jwt, "/api/teams/" + team + "/webhooks?x=1": jwt + "x"} {
		req, _ := http.NewRequest("GET", base+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}
	_, metrics := get(t, base+"/metrics")
	for _, want := range []string{
		`relaybook_http_requests_total{code="200",route="/livez"} `,
		`relaybook_http_requests_total{code="503",route="/readyz"} 1`,
		`relaybook_http_requests_total{code="401",route="/api/v1/contacts/{id}"} 1`,
		`relaybook_http_requests_total{code="404",route="unmatched"} 1`,
		`relaybook_http_request_duration_seconds_bucket{route="/livez",le="+Inf"} `,
		"relaybook_ratelimit_rejections_total 0",
		"go_goroutines ",
		"process_resident_memory_bytes ",
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if strings.Contains(metrics, "0a2c7c2e") {
		t.Error("/metrics carries an id from a path")
	}
	p.stop()
	<-p.done
	p.done <- 0 // for the cleanup
	log := p.stderr.String()
	requireJSONLines(t, log)
	requireNoSecret(t, log, map[string]string{"API key": key, "JWT": jwt, "JWT secret": testJWTSecret, "encryption key": testEncryptionKey})
	if !strings.Contains(log, `"check":"redis"`) {
		t.Errorf("the log does not say why /readyz failed:\n%s", log)
	}
}
