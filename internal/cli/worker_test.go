package cli_test

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"
)

// waitForMetrics scrapes url until every want appears (a want starting
// with ~ is a regular expression), and returns the last scrape.
func waitForMetrics(t *testing.T, url string, wants ...string) string {
	t.Helper()
	var body string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		_, body = get(t, url)
		missing := false
		for _, w := range wants {
			if !has(body, w) {
				missing = true
				break
			}
		}
		if !missing {
			return body
		}
	}
	for _, w := range wants {
		if !has(body, w) {
			t.Errorf("metrics never showed %q", w)
		}
	}
	return body
}

func has(body, want string) bool {
	if re, ok := strings.CutPrefix(want, "~"); ok {
		return regexp.MustCompile(re).MatchString(body)
	}
	return strings.Contains(body, want)
}

// requireNoSecret fails when log holds any of secrets.
func requireNoSecret(t *testing.T, log string, secrets map[string]string) {
	t.Helper()
	for what, s := range secrets {
		if s != "" && strings.Contains(log, s) {
			t.Errorf("the log carries the %s", what)
		}
	}
}

// A worker delivers to receivers answering 2xx, 4xx and 5xx, to one too
// slow to answer and to a closed port; its /metrics counts each under its
// result, its log (JSON) warns about each failure without a secret. A
// second worker, with the SSRF guard on, refuses a loopback target and
// counts and logs that too.
func TestWorkerMetricsAndLogs(t *testing.T) {
	e := newEnv(t)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ok":
			w.WriteHeader(200)
		case "/bad":
			w.WriteHeader(400)
		case "/err":
			w.WriteHeader(500)
		case "/slow":
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		}
	}))
	defer receiver.Close()
	setConfigEnv(t, map[string]string{
		"RELAYBOOK_WEBHOOKS_ALLOW_HTTP":             "true",
		"RELAYBOOK_WEBHOOKS_ALLOW_PRIVATE_NETWORKS": "true",
		"RELAYBOOK_DELIVERY_TIMEOUT":                "1s",
		"RELAYBOOK_DELIVERY_RETRY_DELAYS":           "1h",
		"RELAYBOOK_WORKER_SHUTDOWN_TIMEOUT":         "3s",
		"RELAYBOOK_WORKER_CONCURRENCY":              "8",
		"RELAYBOOK_LOG_FORMAT":                      "json",
		"RELAYBOOK_LOG_LEVEL":                       "debug",
	})
	team := e.object("teams", "create", "--name", "Metrics")["id"].(string)
	secrets := map[string]string{"encryption key": testEncryptionKey, "JWT secret": testJWTSecret}
	for _, path := range []string{"/ok", "/bad", "/err", "/slow"} {
		hook := e.object("webhooks", "create", "--team", team, "--url", receiver.URL+path, "--events", "book.created")
		secrets["webhook secret "+path] = hook["secret"].(string)
	}
	closed := e.object("webhooks", "create", "--team", team, "--url", "http://127.0.0.1:1/closed", "--events", "book.created")
	secrets["webhook secret closed"] = closed["secret"].(string)
	secrets["API key"] = e.object("keys", "create", "--team", team, "--name", "Metrics")["key"].(string)

	admin := freeAddr(t)
	t.Setenv("RELAYBOOK_WORKER_ADMIN_ADDR", admin)
	worker := startInProcess(t, e.config, "http://"+admin+"/livez", "worker")
	if code, body := get(t, "http://"+admin+"/readyz"); code != 200 {
		t.Errorf("worker /readyz = %d %s", code, body)
	}
	e.ok("books", "create", "--team", team, "--name", "Customers")
	scrape := waitForMetrics(t, "http://"+admin+"/metrics",
		`relaybook_delivery_attempts_total{event_type="book.created",result="success"} 1`,
		`relaybook_delivery_attempts_total{event_type="book.created",result="http_4xx"} 1`,
		`relaybook_delivery_attempts_total{event_type="book.created",result="http_5xx"} 1`,
		`relaybook_delivery_attempts_total{event_type="book.created",result="timeout"} 1`,
		`relaybook_delivery_attempts_total{event_type="book.created",result="network"} 1`,
		`relaybook_delivery_attempt_duration_seconds_count 5`,
		`relaybook_event_delivery_latency_seconds_count 5`,
	)
	// The 5xx, the timeout and the closed port wait for their retry (other
	// tests of the package may have left more): at least 3 pending, once
	// the refresher has run.
	waitForMetrics(t, "http://"+admin+"/metrics",
		`~(?m)^relaybook_deliveries_pending ([3-9]|\d\d+)$`,
		"relaybook_deliveries_held 0",
		"relaybook_oldest_pending_delivery_age_seconds ",
		`relaybook_queue_tasks{queue="deliveries",state="scheduled"}`,
		"go_goroutines", "process_cpu_seconds_total",
	)
	if regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-`).MatchString(scrape) || strings.Contains(scrape, "127.0.0.1") {
		t.Error("worker metrics carry an id or a URL")
	}
	worker.stop()
	<-worker.done
	worker.done <- 0
	log := worker.stderr.String()
	requireJSONLines(t, log)
	requireNoSecret(t, log, secrets)
	for _, want := range []string{`"result":"http_4xx","duration_ms":`, `"status":500`, `"result":"timeout"`, `"error":"timeout: `, `"result":"network"`, `"event_type":"book.created"`, `"attempt":1`} {
		if !strings.Contains(log, want) {
			t.Errorf("the worker log lacks %s:\n%s", want, log)
		}
	}
	if strings.Count(log, `"msg":"delivery attempt failed"`) != 4 {
		t.Errorf("want 4 warnings, one per failed attempt:\n%s", log)
	}

	// The SSRF guard on: a loopback receiver is refused, counted and logged.
	t.Setenv("RELAYBOOK_WEBHOOKS_ALLOW_PRIVATE_NETWORKS", "false")
	team2 := e.object("teams", "create", "--name", "Refused")["id"].(string)
	hook := e.object("webhooks", "create", "--team", team2, "--url", receiver.URL+"/ok", "--events", "book.created")
	secrets["webhook secret refused"] = hook["secret"].(string)
	admin2 := freeAddr(t)
	t.Setenv("RELAYBOOK_WORKER_ADMIN_ADDR", admin2)
	guarded := startInProcess(t, e.config, "http://"+admin2+"/livez", "worker")
	e.ok("books", "create", "--team", team2, "--name", "Suppliers")
	waitForMetrics(t, "http://"+admin2+"/metrics", `relaybook_delivery_attempts_total{event_type="book.created",result="refused"} 1`)
	guarded.stop()
	<-guarded.done
	guarded.done <- 0
	log = guarded.stderr.String()
	requireJSONLines(t, log)
	requireNoSecret(t, log, secrets)
	if !strings.Contains(log, `"msg":"delivery target refused"`) {
		t.Errorf("the refused target is not logged:\n%s", log)
	}
}
