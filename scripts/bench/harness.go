package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/relaybook/relaybook/internal/postgres"
	"github.com/relaybook/relaybook/internal/relaybook"
	"github.com/relaybook/relaybook/internal/secretbox"
	"github.com/relaybook/relaybook/internal/signature"
)

// benchDatabase is the bench's own database, dropped and created again;
// BENCH_DB_NAME changes it so two checkouts on one machine can run at once.
var benchDatabase = "relaybook_bench"

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
	rc       *receiverProc
	redisPID int // for CPU accounting; 0 if Redis did not say
	payload  []byte
	secret   string
	client   *http.Client

	worker  *exec.Cmd
	serve   *exec.Cmd
	apiBase string

	profileServe  func(step string, seconds int) func()
	profileWorker func(step string, seconds int) func()

	// loadgenCPU is the CPU the last load generator process used (user
	// and system), read when it exits.
	loadgenCPU time.Duration
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
	if err == nil {
		h.redisPID = redisPID(ctx, rdb)
	}
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

// redisPID asks Redis for its process id, so its CPU can be counted; 0
// when it does not answer or runs elsewhere (its CPU is then left out, and
// the log says so).
func redisPID(ctx context.Context, rdb *redis.Client) int {
	info, err := rdb.Info(ctx, "server").Result()
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "process_id:"); ok {
			pid, _ := strconv.Atoi(v)
			if _, ok := procCPU(pid); ok {
				return pid
			}
		}
	}
	logf("redis-server's process is not on this machine: its CPU is not counted")
	return 0
}

// procEntry is a running child process and the group its CPU counts in.
type procEntry struct {
	pid   int
	group string
}

// running lists the bench's child processes that are up.
func (h *harness) running() []procEntry {
	var out []procEntry
	for _, p := range []struct {
		cmd   *exec.Cmd
		group string
	}{{h.serve, "serve"}, {h.worker, "worker"}, {h.rc.cmd, "receiver"}} {
		if p.cmd != nil && p.cmd.Process != nil && p.cmd.ProcessState == nil {
			out = append(out, procEntry{p.cmd.Process.Pid, p.group})
		}
	}
	return out
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
	if h.rc != nil {
		stopProcess(h.rc.cmd)
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
func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
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
