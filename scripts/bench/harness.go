package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/relaybook/relaybook/internal/postgres"
	"github.com/relaybook/relaybook/internal/queue"
	"github.com/relaybook/relaybook/internal/relaybook"
	"github.com/relaybook/relaybook/internal/secretbox"
	"github.com/relaybook/relaybook/internal/signature"
)

const benchDatabase = "relaybook_bench"

// harness holds what every step shares: the database, Redis, the receiver,
// the relaybook binary and the processes it runs.
type harness struct {
	s        settings
	dir      string
	bin      string
	dbURL    string
	redisURL string
	env      []string
	db       *postgres.DB
	rc       *receiver
	payload  []byte
	secret   string
	client   *http.Client

	worker  *exec.Cmd
	serve   *exec.Cmd
	apiBase string

	profileServe  func(step string, seconds int) func()
	profileWorker func(step string, seconds int) func()
}

// profile, with BENCH_PROFILE set, gives a process a pprof listener (call
// it before the process starts) and returns a function that starts a CPU
// profile of the next `seconds`, saved as bench-<name>-<step>.cpu.prof; the
// function it returns waits for the profile to be saved.
func (h *harness) profile(name string, cmd *exec.Cmd) func(step string, seconds int) (wait func()) {
	noop := func(string, int) func() { return func() {} }
	if os.Getenv("BENCH_PROFILE") == "" {
		return noop
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return noop
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd.Env = append(cmd.Env, "RELAYBOOK_DEBUG_PPROF_ADDR="+addr)
	return func(step string, seconds int) func() {
		file, endpoint := "bench-"+name+"-"+step+".cpu.prof", "profile"
		if os.Getenv("BENCH_PROFILE") == "trace" {
			// An execution trace instead: where goroutines wait
			// (go tool trace -pprof=net|sync|sched FILE).
			file, endpoint = "bench-"+name+"-"+step+".trace", "trace"
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			time.Sleep(200 * time.Millisecond) // let the listener come up
			resp, err := http.Get(fmt.Sprintf("http://%s/debug/pprof/%s?seconds=%d", addr, endpoint, seconds))
			if err != nil {
				logf("profile %s: %v", name, err)
				return
			}
			defer resp.Body.Close()
			out, err := os.Create(file)
			if err != nil {
				return
			}
			defer out.Close()
			io.Copy(out, resp.Body)
			logf("saved %s", file)
		}()
		return func() { <-done }
	}
}

func newHarness(ctx context.Context, s settings) (*harness, error) {
	h := &harness{s: s}
	var err error
	if h.dir, err = os.MkdirTemp("", "relaybook-bench-"); err != nil {
		return nil, err
	}
	if h.payload, err = os.ReadFile("testdata/bench/contact_created.json"); err != nil {
		return nil, fmt.Errorf("run from the repository root: %w", err)
	}
	if h.secret, err = signature.NewSecret(); err != nil {
		return nil, err
	}
	h.bin = filepath.Join(h.dir, "relaybook")
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", h.bin, "./cmd/relaybook").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go build: %v\n%s", err, out)
	}
	if err := h.freshDatabase(ctx); err != nil {
		return nil, err
	}
	h.redisURL = fmt.Sprintf("redis://%s/%d", s.redisAddr, s.redisDB)
	rdb := redis.NewClient(&redis.Options{Addr: s.redisAddr, DB: s.redisDB})
	err = rdb.FlushDB(ctx).Err()
	rdb.Close()
	if err != nil {
		return nil, fmt.Errorf("Redis at %s: %w", s.redisAddr, err)
	}
	key := randomHex(32)
	cfgFile := filepath.Join(h.dir, "empty.yaml")
	if err := os.WriteFile(cfgFile, nil, 0o600); err != nil {
		return nil, err
	}
	h.env = append(os.Environ(),
		"RELAYBOOK_DATABASE_URL="+h.dbURL,
		"RELAYBOOK_REDIS_URL="+h.redisURL,
		"RELAYBOOK_SECURITY_ENCRYPTION_KEY="+key,
		"RELAYBOOK_AUTH_JWT_SECRET="+randomHex(32),
		"RELAYBOOK_WEBHOOKS_ALLOW_HTTP=true",
		"RELAYBOOK_WEBHOOKS_ALLOW_PRIVATE_NETWORKS=true",
	)
	if out, err := h.command(ctx, "migrate").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("migrate: %v\n%s", err, out)
	}
	if h.db, err = postgres.Open(ctx, h.dbURL, 8); err != nil {
		return nil, err
	}
	box, err := secretbox.New(key)
	if err != nil {
		return nil, err
	}
	h.db.Cipher = box
	h.db.URLPolicy = relaybook.URLPolicy{AllowHTTP: true}
	if h.rc, err = startReceiver(); err != nil {
		return nil, err
	}
	h.client = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConns: 512, MaxIdleConnsPerHost: 512}}
	return h, nil
}

// command runs the relaybook binary with the bench's environment and an
// empty config file, so a developer's relaybook.yaml is not read.
func (h *harness) command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, h.bin, append([]string{"--config", filepath.Join(h.dir, "empty.yaml")}, args...)...)
	cmd.Env = h.env
	return cmd
}

func (h *harness) freshDatabase(ctx context.Context) error {
	admin, err := postgres.Open(ctx, h.s.adminURL, 1)
	if err != nil {
		return fmt.Errorf("PostgreSQL: %w", err)
	}
	defer admin.Close()
	if _, err := admin.SQL().ExecContext(ctx, "DROP DATABASE IF EXISTS "+benchDatabase+" WITH (FORCE)"); err != nil {
		return err
	}
	if _, err := admin.SQL().ExecContext(ctx, "CREATE DATABASE "+benchDatabase); err != nil {
		return err
	}
	u, err := url.Parse(h.s.adminURL)
	if err != nil {
		return err
	}
	u.Path = "/" + benchDatabase
	h.dbURL = u.String()
	return nil
}

func (h *harness) close() {
	for _, p := range []*exec.Cmd{h.serve, h.worker} {
		stopProcess(p)
	}
	if h.db != nil {
		h.db.Close()
	}
	if os.Getenv("BENCH_KEEP_LOGS") != "" {
		logf("logs kept in %s", h.dir)
		return
	}
	os.RemoveAll(h.dir)
}

func stopProcess(p *exec.Cmd) {
	if p == nil || p.Process == nil || p.ProcessState != nil {
		return
	}
	p.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { p.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		p.Process.Kill()
		<-done
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// post makes one signed delivery-shaped POST, as the worker does.
func (h *harness) post(ctx context.Context, client *http.Client, target string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(h.payload))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "RelayBook-Webhooks/1.0")
	req.Header.Set("X-Relay-Event", "contact.created")
	req.Header.Set("X-Relay-Signature", signature.Sign(h.secret, h.payload))
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	resp.Body.Close()
	if resp.StatusCode != 200 {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return nil
}

// ceilingPost is ceiling A: the best rate of a bare signed POST loop over
// keep-alive connections, over a few concurrency levels.
func (h *harness) ceilingPost(ctx context.Context) (float64, error) {
	best := 0.0
	for _, conc := range []int{16, 50, 100} {
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conc, MaxIdleConns: conc}}
		dur := h.s.d(3*time.Second, 300*time.Millisecond)
		var n atomic.Int64
		var firstErr error
		var once sync.Once
		deadline := time.Now().Add(dur)
		var wg sync.WaitGroup
		start := time.Now()
		for range conc {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for time.Now().Before(deadline) {
					if err := h.post(ctx, client, h.rc.url("/a")); err != nil {
						once.Do(func() { firstErr = err })
						return
					}
					n.Add(1)
				}
			}()
		}
		wg.Wait()
		client.CloseIdleConnections()
		if firstErr != nil {
			return 0, firstErr
		}
		rate := float64(n.Load()) / time.Since(start).Seconds()
		logf("ceiling A: concurrency %d: %.0f POST/s", conc, rate)
		best = max(best, rate)
	}
	return best, nil
}

// ceilingAsynq is ceiling B: N tasks enqueued, then an Asynq server with
// the worker's concurrency and poll interval whose handler makes the same
// signed POST. No PostgreSQL.
func (h *harness) ceilingAsynq(ctx context.Context) (float64, error) {
	n := h.s.n(20000, 200)
	opt, err := asynq.ParseRedisURI(h.redisURL)
	if err != nil {
		return 0, err
	}
	const qname = "bench-ceiling"
	client := asynq.NewClient(opt)
	defer client.Close()
	if err := parallel(8, n, func(i int) error {
		_, err := client.EnqueueContext(ctx, asynq.NewTask("bench:post", []byte(strconv.Itoa(i))), asynq.Queue(qname), asynq.TaskID("c"+strconv.Itoa(i)))
		return err
	}); err != nil {
		return 0, err
	}
	httpClient := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 50, MaxIdleConns: 50}}
	var done atomic.Int64
	finished := make(chan struct{})
	srv := asynq.NewServer(opt, asynq.Config{
		Concurrency: 50, Queues: map[string]int{qname: 1},
		TaskCheckInterval: 2 * time.Millisecond, LogLevel: asynq.ErrorLevel,
	})
	start := time.Now()
	if err := srv.Start(asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
		if err := h.post(ctx, httpClient, h.rc.url("/b")); err != nil {
			return err
		}
		if done.Add(1) == int64(n) {
			close(finished)
		}
		return nil
	})); err != nil {
		return 0, err
	}
	select {
	case <-finished:
	case <-time.After(3 * time.Minute):
		srv.Shutdown()
		return 0, fmt.Errorf("only %d of %d tasks done", done.Load(), n)
	}
	elapsed := time.Since(start)
	srv.Shutdown()
	rate := float64(n) / elapsed.Seconds()
	logf("ceiling B: %d tasks in %s: %.0f/s", n, elapsed.Round(time.Millisecond), rate)
	return rate, nil
}

// parallel runs fn(0..n-1) on conc goroutines and returns the first error.
func parallel(conc, n int, fn func(i int) error) error {
	var next atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if err := fn(i); err != nil {
					once.Do(func() { firstErr = err })
					return
				}
			}
		}()
	}
	wg.Wait()
	return firstErr
}

// team creates a team with a book and an API key, and webhooks to the
// given receiver paths subscribed to contact.created.
type fixture struct {
	team   *relaybook.Team
	book   *relaybook.Book
	key    string
	hookID string
}

func (h *harness) fixture(ctx context.Context, name string, paths ...string) (*fixture, error) {
	f := &fixture{}
	var err error
	if f.team, err = postgres.NewTeamService(h.db).CreateTeam(ctx, name); err != nil {
		return nil, err
	}
	if f.book, err = postgres.NewBookService(h.db).CreateBook(ctx, f.team.ID, name+" book"); err != nil {
		return nil, err
	}
	k, err := postgres.NewAPIKeyService(h.db).CreateAPIKey(ctx, f.team.ID, name+" key")
	if err != nil {
		return nil, err
	}
	f.key = k.Key
	for _, p := range paths {
		w, err := postgres.NewWebhookService(h.db).CreateWebhook(ctx, relaybook.WebhookInput{
			TeamID: f.team.ID, URL: h.rc.url(p), Events: []string{relaybook.EventContactCreated}})
		if err != nil {
			return nil, err
		}
		f.hookID = w.Webhook.ID
	}
	return f, nil
}

type workerResult struct {
	perSecond float64
	peakRSSMB float64
}

// workerThroughput commits N deliveries, enqueues them, then starts a
// `relaybook worker` with the shipped defaults and times until every
// attempt row is committed.
func (h *harness) workerThroughput(ctx context.Context) (workerResult, error) {
	n := h.s.n(20000, 200)
	f, err := h.fixture(ctx, "worker", "/w")
	if err != nil {
		return workerResult{}, err
	}
	var ids []string
	err = h.db.SQL().SelectContext(ctx, &ids, `
		WITH e AS (
			INSERT INTO events (id, type, team_id, book_id, payload, created_at)
			SELECT gen_random_uuid(), 'contact.created', $1, $2, $3, now() FROM generate_series(1, $4)
			RETURNING id
		)
		INSERT INTO deliveries (id, event_id, webhook_id, next_attempt_at, created_at, updated_at)
		SELECT gen_random_uuid(), e.id, $5, now(), now(), now() FROM e
		RETURNING id`, f.team.ID, f.book.ID, h.payload, n, f.hookID)
	if err != nil {
		return workerResult{}, err
	}
	opt, err := asynq.ParseRedisURI(h.redisURL)
	if err != nil {
		return workerResult{}, err
	}
	client := asynq.NewClient(opt)
	defer client.Close()
	enq := &queue.Enqueuer{Client: client, Queue: queue.DefaultQueue, DeliveryTimeout: 10 * time.Second}
	if err := parallel(8, len(ids), func(i int) error {
		_, err := enq.Enqueue(ctx, []relaybook.DeliveryTask{{DeliveryID: ids[i], Attempt: 1, RunAt: time.Now()}})
		return err
	}); err != nil {
		return workerResult{}, err
	}
	logf("worker: %d deliveries committed and enqueued; starting relaybook worker", n)

	start := time.Now()
	logFile, err := h.startWorker()
	if err != nil {
		return workerResult{}, err
	}
	waitProfile := h.profileWorker("drain", max(1, n/4000))
	deadline := time.Now().Add(4 * time.Minute)
	// The worker commits each attempt row in the statement that moves its
	// delivery out of pending, so "no delivery pending" is "every attempt
	// committed". Polling asks whether one pending delivery is left, which
	// stops at the first it finds; counting the attempt rows every 20 ms
	// cost PostgreSQL up to a third of a core by the end of the drain (no
	// autovacuum here, so no index-only scans), CPU the worker being
	// measured then lacked.
	for {
		var pending bool
		if err := h.db.SQL().GetContext(ctx, &pending, `SELECT EXISTS (SELECT 1 FROM deliveries WHERE state = 'pending' AND webhook_id = $1)`, f.hookID); err != nil {
			return workerResult{}, err
		}
		if !pending {
			break
		}
		if time.Now().After(deadline) {
			return workerResult{}, fmt.Errorf("deliveries still pending after 4 minutes (worker log: %s)", logFile.Name())
		}
		time.Sleep(20 * time.Millisecond)
	}
	elapsed := time.Since(start)
	var logged int
	if err := h.db.SQL().GetContext(ctx, &logged, `SELECT count(*) FROM delivery_attempts WHERE webhook_id = $1`, f.hookID); err != nil {
		return workerResult{}, err
	}
	if logged != n {
		return workerResult{}, fmt.Errorf("%d attempts logged for %d deliveries (worker log: %s)", logged, n, logFile.Name())
	}
	defer waitProfile()
	var failed int
	h.db.SQL().GetContext(ctx, &failed, `SELECT count(*) FROM delivery_attempts WHERE webhook_id = $1 AND NOT success`, f.hookID)
	if failed > 0 {
		return workerResult{}, fmt.Errorf("%d attempts failed (worker log: %s)", failed, logFile.Name())
	}
	rss, err := peakRSSMB(h.worker.Process.Pid)
	if err != nil {
		return workerResult{}, err
	}
	rate := float64(n) / elapsed.Seconds()
	logf("worker: %d attempts logged in %s: %.0f/s; peak RSS %.1f MB", n, elapsed.Round(time.Millisecond), rate, rss)
	return workerResult{perSecond: rate, peakRSSMB: rss}, nil
}

// startWorker runs `relaybook worker` with the shipped defaults and returns
// its log file.
func (h *harness) startWorker() (*os.File, error) {
	logFile, err := os.Create(filepath.Join(h.dir, "worker.log"))
	if err != nil {
		return nil, err
	}
	h.worker = h.command(context.Background(), "worker")
	h.worker.Stderr = logFile
	h.profileWorker = h.profile("worker", h.worker)
	return logFile, h.worker.Start()
}

// startIdleWorker starts the worker when its throughput step is skipped and
// waits until it is ready, so the steps after it meet a running worker as
// they do in a full run.
func (h *harness) startIdleWorker(ctx context.Context) error {
	logFile, err := h.startWorker()
	if err != nil {
		return err
	}
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if b, _ := os.ReadFile(logFile.Name()); strings.Contains(string(b), "worker started") {
			time.Sleep(time.Second) // a running worker has settled
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("relaybook worker did not start (log: %s)", logFile.Name())
}

// peakRSSMB reads a process's high-water resident set size (VmHWM).
func peakRSSMB(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			kb, err := strconv.Atoi(strings.Fields(line)[1])
			if err != nil {
				return 0, err
			}
			return float64(kb) / 1024, nil
		}
	}
	return 0, errors.New("no VmHWM in /proc status")
}

// startServe runs `relaybook serve` with the rate limit raised out of the
// way and waits until it answers.
func (h *harness) startServe(ctx context.Context) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	addr := ln.Addr().String()
	ln.Close()
	logFile, err := os.Create(filepath.Join(h.dir, "serve.log"))
	if err != nil {
		return err
	}
	h.serve = h.command(context.Background(), "serve", "--addr", addr)
	h.serve.Env = append(h.serve.Env, "RELAYBOOK_RATELIMIT_PER_MINUTE=1000000000")
	h.serve.Stderr = logFile
	h.profileServe = h.profile("serve", h.serve)
	if err := h.serve.Start(); err != nil {
		return err
	}
	h.apiBase = "http://" + addr
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := h.client.Get(h.apiBase + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("relaybook serve did not answer (log: %s)", logFile.Name())
}

// createContact POSTs a contact and returns its id and when the 201 came.
func (h *harness) createContact(ctx context.Context, f *fixture) (string, time.Time, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.apiBase+"/api/v1/contacts",
		strings.NewReader(`{"first_name":"Jane","last_name":"Cooper","company":"Acme Corp","emails":[{"label":"work","value":"jane@acme.test"}]}`))
	if err != nil {
		return "", time.Time{}, err
	}
	req.Header.Set("Authorization", "Bearer "+f.key)
	req.Header.Set("X-Book-ID", f.book.ID)
	req.Header.Set("Content-Type", "application/json")
	resp, err := h.client.Do(req)
	if err != nil {
		return "", time.Time{}, err
	}
	defer resp.Body.Close()
	at := time.Now()
	var body struct {
		Data struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if resp.StatusCode != http.StatusCreated {
		b, _ := io.ReadAll(resp.Body)
		return "", at, fmt.Errorf("create contact: %d %s", resp.StatusCode, b)
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return "", at, err
	}
	return body.Data.ID, at, nil
}

type latencies struct{ p50, p95, p99, coldP99 float64 }

// endToEnd creates contacts through the API at 500/s and measures from each
// 201 to the receiver's arrival. The first second is sent to a `serve` that
// has taken no request yet and is reported on its own (coldP99): what a
// process pays once after it starts (its connections, statements and
// buffers) is not the sustained latency the other figures describe. After a
// pause, the next 20 s are the measured run.
func (h *harness) endToEnd(ctx context.Context) (latencies, error) {
	f, err := h.fixture(ctx, "e2e", "/e2e")
	if err != nil {
		return latencies{}, err
	}
	rate := 500
	if v, err := strconv.Atoi(os.Getenv("BENCH_E2E_RATE")); err == nil && v > 0 {
		rate = v // for investigating; the reported figure is at 500/s
	}
	var l latencies
	coldDur := h.s.d(time.Second, 200*time.Millisecond)
	cold, _, err := h.openLoop(ctx, f, rate, int(coldDur.Seconds()*float64(rate)))
	if err != nil {
		return l, err
	}
	sort.Float64s(cold)
	l.coldP99 = percentile(cold, 99)
	logf("e2e: first second from a cold serve: p50 %.2f ms, p99 %.2f ms", percentile(cold, 50), l.coldP99)
	time.Sleep(time.Second)

	dur := h.s.d(20*time.Second, 2*time.Second)
	secs := max(1, int(dur.Seconds())-1)
	waitServe, waitWorker := h.profileServe("e2e", secs), h.profileWorker("e2e", secs)
	lat, api, err := h.openLoop(ctx, f, rate, int(dur.Seconds()*float64(rate)))
	waitServe()
	waitWorker()
	if err != nil {
		return l, err
	}
	// Per-second p99s show whether the tail is spread out or one bad second.
	var perSecond []string
	for sec := 0; sec*rate < len(lat); sec++ {
		chunk := slices.Clone(lat[sec*rate : min(len(lat), (sec+1)*rate)])
		sort.Float64s(chunk)
		perSecond = append(perSecond, fmt.Sprintf("%.0f", percentile(chunk, 99)))
	}
	logf("e2e: p99 of each second, ms: %s", strings.Join(perSecond, " "))
	sort.Float64s(api)
	logf("e2e: the API's own latency (request to 201): p50 %.2f ms, p99 %.2f ms", percentile(api, 50), percentile(api, 99))
	sort.Float64s(lat)
	l.p50, l.p95, l.p99 = percentile(lat, 50), percentile(lat, 95), percentile(lat, 99)
	logf("e2e: %d contacts at %d/s: p50 %.2f ms, p95 %.2f ms, p99 %.2f ms", len(lat), rate, l.p50, l.p95, l.p99)
	return l, nil
}

// openLoop creates total contacts at rate per second, each request at its
// slot whatever the server does, and returns in sending order each one's
// latency from 201 to arrival and the API's own (request to 201), in ms.
func (h *harness) openLoop(ctx context.Context, f *fixture, rate, total int) (deliver, api []float64, err error) {
	type sent struct {
		id     string
		at     time.Time
		sentAt time.Time
	}
	results := make([]sent, total)
	var wg sync.WaitGroup
	var errCount atomic.Int64
	var firstErr atomic.Value
	start := time.Now()
	for i := range total {
		time.Sleep(time.Until(start.Add(time.Duration(i) * time.Second / time.Duration(rate))))
		wg.Add(1)
		go func() {
			defer wg.Done()
			sentAt := time.Now()
			id, at, err := h.createContact(ctx, f)
			if err != nil {
				errCount.Add(1)
				firstErr.CompareAndSwap(nil, err.Error())
				return
			}
			results[i] = sent{id, at, sentAt}
		}()
	}
	wg.Wait()
	if n := errCount.Load(); n > 0 {
		return nil, nil, fmt.Errorf("%d of %d creates failed: %v", n, total, firstErr.Load())
	}
	deadline := time.Now().Add(30 * time.Second)
	for _, r := range results {
		for {
			if arrived, ok := h.rc.arrival(r.id); ok {
				deliver = append(deliver, max(0, float64(arrived.Sub(r.at).Microseconds())/1000))
				api = append(api, float64(r.at.Sub(r.sentAt).Microseconds())/1000)
				break
			}
			if time.Now().After(deadline) {
				return nil, nil, fmt.Errorf("contact %s never arrived (%d of %d did)", r.id, len(deliver), total)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	return deliver, api, nil
}

func percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted)-1) * p / 100)
	return sorted[i]
}

type apiResult struct{ create, list float64 }

// apiThroughput runs closed loops of contact creates, then of list pages.
func (h *harness) apiThroughput(ctx context.Context) (apiResult, error) {
	f, err := h.fixture(ctx, "api")
	if err != nil {
		return apiResult{}, err
	}
	// Like ceiling A, each figure is the best of a few client counts: a
	// throughput is the rate at saturation, and on this machine 32 clients
	// left a fifth of the CPU idle while requests waited on each other's
	// round trips.
	dur := h.s.d(4*time.Second, 400*time.Millisecond)
	list := func() error {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, h.apiBase+"/api/v1/contacts?limit=50", nil)
		req.Header.Set("Authorization", "Bearer "+f.key)
		req.Header.Set("X-Book-ID", f.book.ID)
		resp, err := h.client.Do(req)
		if err != nil {
			return err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return fmt.Errorf("list contacts: %d", resp.StatusCode)
		}
		return nil
	}
	var res apiResult
	for _, step := range []struct {
		name string
		fn   func() error
		best *float64
	}{
		{"create", func() error { _, _, err := h.createContact(ctx, f); return err }, &res.create},
		{"list", list, &res.list},
	} {
		for i, conc := range apiConcurrency {
			wait := func() {}
			if i == 0 {
				wait = h.profileServe(step.name, max(1, int(dur.Seconds())))
			}
			rate, err := closedLoop(conc, dur, step.fn)
			wait()
			if err != nil {
				return apiResult{}, err
			}
			logf("API: %s %.0f/s with %d clients", step.name, rate, conc)
			*step.best = max(*step.best, rate)
		}
	}
	return res, nil
}

// apiConcurrency are the client counts the API steps try (BENCH_API_CONC
// picks one).
var apiConcurrency = func() []int {
	if v, err := strconv.Atoi(os.Getenv("BENCH_API_CONC")); err == nil && v > 0 {
		return []int{v}
	}
	return []int{32, 64, 128}
}()

func closedLoop(conc int, dur time.Duration, fn func() error) (float64, error) {
	var n atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(dur)
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				if err := fn(); err != nil {
					once.Do(func() { firstErr = err })
					return
				}
				n.Add(1)
			}
		}()
	}
	wg.Wait()
	return float64(n.Load()) / time.Since(start).Seconds(), firstErr
}

// fanout creates one contact in a team with 100 webhooks and times from the
// create request until all 100 deliveries have arrived.
func (h *harness) fanout(ctx context.Context) (float64, error) {
	paths := make([]string, 100)
	for i := range paths {
		paths[i] = "/fan/" + strconv.Itoa(i)
	}
	f, err := h.fixture(ctx, "fanout", paths...)
	if err != nil {
		return 0, err
	}
	start := time.Now()
	if _, _, err := h.createContact(ctx, f); err != nil {
		return 0, err
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		times := h.rc.fanoutTimes()
		if len(times) == 100 {
			last := times[0]
			for _, t := range times {
				if t.After(last) {
					last = t
				}
			}
			ms := float64(last.Sub(start).Microseconds()) / 1000
			logf("fan-out: 100 webhooks in %.2f ms", ms)
			return ms, nil
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("only %d of 100 fan-out deliveries arrived", len(times))
		}
		time.Sleep(time.Millisecond)
	}
}
