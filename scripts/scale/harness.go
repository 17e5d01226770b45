package main

import (
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
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hibiken/asynq"
	_ "github.com/lib/pq"
	"github.com/redis/go-redis/v9"

	"github.com/relaybook/relaybook/internal/postgres"
	"github.com/relaybook/relaybook/internal/queue"
	"github.com/relaybook/relaybook/internal/relaybook"
	"github.com/relaybook/relaybook/internal/secretbox"
)

const (
	encryptionKey   = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	dbName          = "relaybook_scale"
	redisDB         = 13
	slowConcurrency = 20
	// maxConns is the pool of each worker here (database.max_conns).
	maxConns = 8
)

type harness struct {
	s        settings
	dir      string
	binary   string
	dbURL    string
	redisURL string
	db       *postgres.DB
	rdb      *redis.Client
	insp     *asynq.Inspector
	client   *asynq.Client
	rc       *receiver
	team     *relaybook.Team
	book     *relaybook.Book
	slowHook string
	fastHook string
}

func newHarness(ctx context.Context, s settings) (*harness, error) {
	h := &harness{s: s}
	var err error
	if h.dir, err = os.MkdirTemp("", "relaybook-scale-"); err != nil {
		return nil, err
	}
	h.binary = filepath.Join(h.dir, "relaybook")
	logf("building relaybook")
	if out, err := exec.Command("go", "build", "-o", h.binary, "./cmd/relaybook").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("build: %w: %s", err, out)
	}
	admin, err := sql.Open("postgres", s.adminURL)
	if err != nil {
		return nil, err
	}
	defer admin.Close()
	if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+dbName+" WITH (FORCE)"); err != nil {
		return nil, err
	}
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+dbName); err != nil {
		return nil, err
	}
	u, err := url.Parse(s.adminURL)
	if err != nil {
		return nil, err
	}
	u.Path = "/" + dbName
	h.dbURL = u.String()
	if h.db, err = postgres.Open(ctx, h.dbURL, 16); err != nil {
		return nil, err
	}
	if _, err := h.db.Migrate(ctx); err != nil {
		return nil, err
	}
	box, err := secretbox.New(encryptionKey)
	if err != nil {
		return nil, err
	}
	h.db.Cipher = box
	h.db.URLPolicy = relaybook.URLPolicy{AllowHTTP: true}

	h.redisURL = fmt.Sprintf("redis://%s/%d", s.redisAddr, redisDB)
	h.rdb = redis.NewClient(&redis.Options{Addr: s.redisAddr, DB: redisDB})
	if err := h.rdb.FlushDB(ctx).Err(); err != nil {
		return nil, fmt.Errorf("redis %s: %w", s.redisAddr, err)
	}
	opt, err := asynq.ParseRedisURI(h.redisURL)
	if err != nil {
		return nil, err
	}
	h.insp = asynq.NewInspector(opt)
	h.client = asynq.NewClient(opt)
	if h.rc, err = startReceiver(time.Duration(s.receiverMS) * time.Millisecond); err != nil {
		return nil, err
	}

	if h.team, err = postgres.NewTeamService(h.db).CreateTeam(ctx, "Scale"); err != nil {
		return nil, err
	}
	if h.book, err = postgres.NewBookService(h.db).CreateBook(ctx, h.team.ID, "Customers"); err != nil {
		return nil, err
	}
	hooks := postgres.NewWebhookService(h.db)
	for path, id := range map[string]*string{"/slow": &h.slowHook, "/fast": &h.fastHook} {
		w, err := hooks.CreateWebhook(ctx, relaybook.WebhookInput{TeamID: h.team.ID, URL: h.rc.url(path), Events: []string{relaybook.EventContactCreated}})
		if err != nil {
			return nil, err
		}
		*id = w.Webhook.ID
	}
	return h, nil
}

func (h *harness) close() {
	h.client.Close()
	h.insp.Close()
	h.rdb.Close()
	h.db.Close()
	h.rc.srv.Close()
	os.RemoveAll(h.dir)
}

// setActive leaves exactly one webhook active, so each event makes one
// delivery to the receiver path being measured.
func (h *harness) setActive(ctx context.Context, path string) error {
	active := h.slowHook
	if path == "/fast" {
		active = h.fastHook
	}
	_, err := h.db.SQL().ExecContext(ctx, `UPDATE webhooks SET active = (id = $1) WHERE team_id = $2`, active, h.team.ID)
	return err
}

// fill pauses the queue and makes n deliveries the way the API does: a
// contact create each, with its event and delivery, enqueued after commit.
func (h *harness) fill(ctx context.Context, n int) error {
	if err := h.insp.PauseQueue(queue.DefaultQueue); err != nil && !strings.Contains(err.Error(), "already paused") {
		return err
	}
	d := queue.NewDispatcher(&queue.Enqueuer{Client: h.client, Queue: queue.DefaultQueue, DeliveryTimeout: 10 * time.Second}, nil)
	h.db.Dispatcher = d
	defer func() { h.db.Dispatcher = nil }()
	contacts := postgres.NewContactService(h.db)
	scope := relaybook.Scope{TeamID: h.team.ID, BookID: h.book.ID}
	var next atomic.Int64
	var wg sync.WaitGroup
	var firstErr atomic.Value
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := next.Add(1); i <= int64(n); i = next.Add(1) {
				name := "Contact " + strconv.FormatInt(i, 10)
				if _, err := contacts.CreateContact(ctx, scope, relaybook.ContactInput{FirstName: &name}); err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	d.Close(30 * time.Second)
	if err, _ := firstErr.Load().(error); err != nil {
		return err
	}
	info, err := h.insp.GetQueueInfo(queue.DefaultQueue)
	if err != nil {
		return err
	}
	if info.Pending != n {
		return fmt.Errorf("queue holds %d pending tasks, want %d", info.Pending, n)
	}
	return nil
}

// worker is one running `relaybook worker`.
type worker struct {
	cmd *exec.Cmd
	out *os.File
}

func (h *harness) startWorker(concurrency int) (*worker, error) {
	out, err := os.CreateTemp(h.dir, "worker-*.log")
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(h.binary, "worker")
	cmd.Dir = h.dir
	cmd.Env = append(os.Environ(),
		"RELAYBOOK_DATABASE_URL="+h.dbURL,
		"RELAYBOOK_DATABASE_MAX_CONNS="+strconv.Itoa(maxConns),
		"RELAYBOOK_REDIS_URL="+h.redisURL,
		"RELAYBOOK_SECURITY_ENCRYPTION_KEY="+encryptionKey,
		"RELAYBOOK_WEBHOOKS_ALLOW_HTTP=true",
		"RELAYBOOK_WEBHOOKS_ALLOW_PRIVATE_NETWORKS=true",
		"RELAYBOOK_WORKER_CONCURRENCY="+strconv.Itoa(concurrency))
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	w := &worker{cmd: cmd, out: out}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		b, _ := os.ReadFile(out.Name())
		if strings.Contains(string(b), "worker started") {
			return w, nil
		}
	}
	w.stop()
	b, _ := os.ReadFile(out.Name())
	return nil, fmt.Errorf("worker did not start:\n%s", b)
}

func (w *worker) stop() {
	w.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { w.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		w.cmd.Process.Kill()
		<-done
	}
	w.out.Close()
}

// cpuSeconds is a process's user+system CPU time so far.
func cpuSeconds(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// Fields after the command name, which is in parentheses.
	f := strings.Fields(string(b)[strings.LastIndexByte(string(b), ')')+2:])
	utime, _ := strconv.ParseFloat(f[11], 64)
	stime, _ := strconv.ParseFloat(f[12], 64)
	return (utime + stime) / 100, nil // USER_HZ is 100 on Linux
}

// receiver answers every POST; /slow after the configured delay.
type receiver struct {
	srv   *http.Server
	addr  string
	delay time.Duration
	count atomic.Int64
}

func startReceiver(delay time.Duration) (*receiver, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	rc := &receiver{addr: ln.Addr().String(), delay: delay}
	rc.srv = &http.Server{Handler: http.HandlerFunc(rc.serve), ReadHeaderTimeout: 5 * time.Second}
	go rc.srv.Serve(ln)
	return rc, nil
}

func (rc *receiver) url(path string) string { return "http://" + rc.addr + path }

func (rc *receiver) serve(w http.ResponseWriter, r *http.Request) {
	io.Copy(io.Discard, r.Body)
	if r.URL.Path == "/slow" {
		time.Sleep(rc.delay)
	}
	rc.count.Add(1)
	w.WriteHeader(http.StatusOK)
}

// waitCount waits until the receiver has seen n requests in all.
func (rc *receiver) waitCount(ctx context.Context, n int64) error {
	for rc.count.Load() < n {
		select {
		case <-ctx.Done():
			return fmt.Errorf("%d of %d deliveries arrived: %w", rc.count.Load(), n, ctx.Err())
		case <-time.After(2 * time.Millisecond):
		}
	}
	return nil
}
