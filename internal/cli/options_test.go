package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/relaybook/relaybook/config"
	"github.com/relaybook/relaybook/internal/authtoken"
	"github.com/relaybook/relaybook/internal/relaybook"
)

// These tests stop at the runF seam: a command line becomes an Options
// struct, or a usage error, with no configuration, database or Redis behind
// the Factory (its service getters are nil and would panic if called).

// noServices is a Factory with streams and nothing else.
func noServices() *Factory {
	return &Factory{IO: &IOStreams{In: strings.NewReader(""), Out: io.Discard, ErrOut: io.Discard}, Output: "table"}
}

// execute runs one command line on cmd alone, as its own root.
func execute(cmd *cobra.Command, args ...string) error {
	cmd.SetArgs(args)
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	cmd.SilenceUsage = true
	cmd.SilenceErrors = true
	return cmd.ExecuteContext(context.Background())
}

// capture returns a runF that keeps the Options it is given, and a pointer
// to them (nil until runF is called).
func capture[O any]() (func(*O) error, **O) {
	var got *O
	return func(o *O) error { got = o; return nil }, &got
}

func TestBooksCreateOptions(t *testing.T) {
	f := noServices()
	f.Output = "json"
	runF, got := capture[booksCreateOptions]()
	if err := execute(newCmdBooksCreate(f, runF), "--team", "T1", "--name", "Customers"); err != nil {
		t.Fatal(err)
	}
	if o := *got; o == nil || o.TeamID != "T1" || o.Name != "Customers" || o.Format != "json" || o.IO != f.IO {
		t.Errorf("options = %+v, want team T1, name Customers, -o json and the factory's streams", o)
	}

	runF, got = capture[booksCreateOptions]()
	err := execute(newCmdBooksCreate(f, runF), "--name", "Customers")
	requireUsage(t, err, "--team is required")
	if *got != nil {
		t.Error("runF ran despite the missing --team")
	}
}

func TestMembersAddOptions(t *testing.T) {
	for _, c := range []struct {
		args     []string
		wantRole string
		wantErr  string // a relaybook EINVALID error, exit 1 like the service's own
	}{
		{args: []string{"--team", "T1", "--email", "ada@acme.test"}, wantRole: "member"},
		{args: []string{"--team", "T1", "--email", "ada@acme.test", "--role", "admin"}, wantRole: "admin"},
		{args: []string{"--team", "T1", "--email", "ada@acme.test", "--role", ""}, wantRole: "member"},
		{args: []string{"--team", "T1", "--email", "ada@acme.test", "--role", "owner"}, wantErr: `role: must be admin or member, got "owner"`},
	} {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			runF, got := capture[membersAddOptions]()
			err := execute(newCmdMembersAdd(noServices(), runF), c.args...)
			if c.wantErr != "" {
				if relaybook.ErrorCode(err) != relaybook.EINVALID || !strings.Contains(err.Error(), c.wantErr) {
					t.Errorf("error = %v, want EINVALID %q", err, c.wantErr)
				}
				if exitCode(err) != ExitError {
					t.Errorf("exit code %d, want %d as for the service's validation", exitCode(err), ExitError)
				}
				if *got != nil {
					t.Error("runF ran despite the bad --role")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if o := *got; o.TeamID != "T1" || o.Email != "ada@acme.test" || o.Role != c.wantRole {
				t.Errorf("options = %+v, want role %q", o, c.wantRole)
			}
		})
	}
}

func TestDeliveriesListOptions(t *testing.T) {
	runF, got := capture[deliveriesListOptions]()
	if err := execute(newCmdDeliveriesList(noServices(), runF), "--webhook", "W1"); err != nil {
		t.Fatal(err)
	}
	if o := *got; o.WebhookID != "W1" || o.Limit != relaybook.DefaultDeliveryLimit || o.FailedOnly {
		t.Errorf("defaults: options = %+v", o)
	}
	runF, got = capture[deliveriesListOptions]()
	if err := execute(newCmdDeliveriesList(noServices(), runF), "--webhook", "W1", "--limit", "200", "--failed"); err != nil {
		t.Fatal(err)
	}
	if o := *got; o.Limit != 200 || !o.FailedOnly {
		t.Errorf("--limit 200 --failed: options = %+v", o)
	}
	for _, limit := range []string{"0", "201"} {
		runF, got := capture[deliveriesListOptions]()
		requireUsage(t, execute(newCmdDeliveriesList(noServices(), runF), "--webhook", "W1", "--limit", limit), "--limit must be between 1 and 200")
		if *got != nil {
			t.Errorf("runF ran with --limit %s", limit)
		}
	}
}

func TestWebhooksUpdateOptions(t *testing.T) {
	runF, got := capture[webhooksUpdateOptions]()
	if err := execute(newCmdWebhooksUpdate(noServices(), runF), "H1", "--active=false", "--events", "contact.created"); err != nil {
		t.Fatal(err)
	}
	o := *got
	if o.ID != "H1" || !o.SetActive || o.Active || !o.SetEvents || o.Events != "contact.created" || o.SetURL {
		t.Errorf("options = %+v, want id H1, --active=false and --events set, --url not", o)
	}
	runF, got = capture[webhooksUpdateOptions]()
	requireUsage(t, execute(newCmdWebhooksUpdate(noServices(), runF), "H1"), "nothing to change")
	if *got != nil {
		t.Error("runF ran with nothing to change")
	}
}

func TestTokenOptions(t *testing.T) {
	const user = "0b9d4a6e-6f1c-4a51-9a3e-3f2f1d1c0b7a"
	runF, got := capture[tokenOptions]()
	if err := execute(newCmdToken(noServices(), runF), "--user", user); err != nil {
		t.Fatal(err)
	}
	if o := *got; o.UserID != user || o.TTL != time.Hour {
		t.Errorf("defaults: options = %+v, want --ttl 1h", o)
	}
	runF, got = capture[tokenOptions]()
	if err := execute(newCmdToken(noServices(), runF), "--user", user, "--ttl", "-30m"); err != nil {
		t.Fatal(err)
	}
	if o := *got; o.TTL != -30*time.Minute {
		t.Errorf("--ttl -30m: TTL = %s", o.TTL)
	}
	requireUsage(t, execute(newCmdToken(noServices(), nil), "--user", "ada@acme.test"), "--user must be a user id")
	if err := execute(newCmdToken(noServices(), nil), "--user", user, "--ttl", "soon"); err == nil || !strings.Contains(err.Error(), "invalid argument") {
		t.Errorf("--ttl soon: error = %v, want the flag's parse error", err)
	}
}

func TestIDCommandOptions(t *testing.T) {
	runF, got := capture[keysRevokeOptions]()
	if err := execute(newCmdKeysRevoke(noServices(), runF), "K1"); err != nil {
		t.Fatal(err)
	}
	if (*got).ID != "K1" {
		t.Errorf("keys revoke K1: ID = %q", (*got).ID)
	}
	requireUsage(t, execute(newCmdKeysRevoke(noServices(), nil)), "missing ID")
	requireUsage(t, execute(newCmdKeysRevoke(noServices(), nil), "K1", "K2"), "too many arguments")
}

func requireUsage(t *testing.T, err error, want string) {
	t.Helper()
	var u *usageError
	if !errors.As(err, &u) || !strings.Contains(err.Error(), want) {
		t.Errorf("error = %v, want a usage error (exit 2) containing %q", err, want)
	}
}

// fakeBooks is a BookService in memory; the methods a test does not set
// panic through the nil embedded interface.
type fakeBooks struct {
	relaybook.BookService
	books  []*relaybook.Book
	teamID string // what ListBooks was asked for
}

func (f *fakeBooks) ListBooks(_ context.Context, teamID string) ([]*relaybook.Book, error) {
	f.teamID = teamID
	return f.books, nil
}

func TestBooksListRun(t *testing.T) {
	at := relaybook.NewTime(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	fake := &fakeBooks{books: []*relaybook.Book{
		{ID: "b1", TeamID: "T1", Name: "Customers", CreatedAt: at},
		{ID: "b2", TeamID: "T1", Name: "Key suppliers", CreatedAt: at},
	}}
	list := func(format string, tty bool) string {
		t.Helper()
		var out bytes.Buffer
		opts := &booksListOptions{
			printer: printer{IO: &IOStreams{Out: &out, ErrOut: io.Discard, IsTerminal: tty}, Format: format},
			Service: func(context.Context) (relaybook.BookService, error) { return fake, nil },
			TeamID:  "T1",
		}
		if err := booksListRun(context.Background(), opts); err != nil {
			t.Fatal(err)
		}
		return out.String()
	}

	want := "ID  NAME           CREATED\n" +
		"b1  Customers      2026-01-02T03:04:05.000Z\n" +
		"b2  Key suppliers  2026-01-02T03:04:05.000Z\n"
	if got := list("table", true); got != want {
		t.Errorf("table on a terminal:\n%s\nwant:\n%s", got, want)
	}
	want = "b1\tCustomers\t2026-01-02T03:04:05.000Z\n" +
		"b2\tKey suppliers\t2026-01-02T03:04:05.000Z\n"
	if got := list("table", false); got != want {
		t.Errorf("table on a pipe: %q, want %q", got, want)
	}
	want = `[
  {
    "id": "b1",
    "team_id": "T1",
    "name": "Customers",
    "created_at": "2026-01-02T03:04:05.000Z"
  },
  {
    "id": "b2",
    "team_id": "T1",
    "name": "Key suppliers",
    "created_at": "2026-01-02T03:04:05.000Z"
  }
]
`
	if got := list("json", false); got != want {
		t.Errorf("-o json:\n%s\nwant:\n%s", got, want)
	}
	if fake.teamID != "T1" {
		t.Errorf("ListBooks got team %q, want T1", fake.teamID)
	}
}

// fakeKeys creates keys in memory.
type fakeKeys struct {
	relaybook.APIKeyService
}

func (fakeKeys) CreateAPIKey(_ context.Context, teamID, name string) (*relaybook.CreatedAPIKey, error) {
	at := relaybook.NewTime(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	return &relaybook.CreatedAPIKey{
		APIKey: &relaybook.APIKey{ID: "k1", TeamID: teamID, Name: name, Prefix: "rlb_abcd", CreatedAt: at},
		Key:    "rlb_abcd_secret",
	}, nil
}

// A created secret is printed with the object; the table output warns on
// stderr that it is shown once, JSON output keeps stderr quiet.
func TestKeysCreateRun(t *testing.T) {
	for _, c := range []struct {
		format, wantOut, wantErr string
	}{
		{"table",
			"id:           k1\nteam_id:      T1\nname:         CRM Sync\nprefix:       rlb_abcd\ncreated_at:   2026-01-02T03:04:05.000Z\nlast_used_at: -\nrevoked_at:   -\nkey:          rlb_abcd_secret\n",
			"The API key is shown once, now: store it somewhere safe. RelayBook cannot show it again.\n"},
		{"json",
			`{
  "api_key": {
    "id": "k1",
    "team_id": "T1",
    "name": "CRM Sync",
    "prefix": "rlb_abcd",
    "created_at": "2026-01-02T03:04:05.000Z",
    "last_used_at": null,
    "revoked_at": null
  },
  "key": "rlb_abcd_secret"
}
`, ""},
	} {
		var out, errOut bytes.Buffer
		opts := &keysCreateOptions{
			printer: printer{IO: &IOStreams{Out: &out, ErrOut: &errOut}, Format: c.format},
			APIKeys: func(context.Context) (relaybook.APIKeyService, error) { return fakeKeys{}, nil },
			TeamID:  "T1",
			Name:    "CRM Sync",
		}
		if err := keysCreateRun(context.Background(), opts); err != nil {
			t.Fatal(err)
		}
		if out.String() != c.wantOut || errOut.String() != c.wantErr {
			t.Errorf("-o %s: stdout\n%s\nstderr %q\nwant stdout\n%s\nstderr %q", c.format, out.String(), errOut.String(), c.wantOut, c.wantErr)
		}
	}
}

// A service that cannot be reached fails the command with its error, and
// nothing is printed.
func TestRunServiceError(t *testing.T) {
	down := errors.New("database unavailable: connection refused")
	var out bytes.Buffer
	opts := &booksListOptions{
		printer: printer{IO: &IOStreams{Out: &out, ErrOut: io.Discard}, Format: "json"},
		Service: func(context.Context) (relaybook.BookService, error) { return nil, down },
		TeamID:  "T1",
	}
	if err := booksListRun(context.Background(), opts); !errors.Is(err, down) || out.Len() != 0 {
		t.Errorf("error = %v, stdout %q; want the service's error and no output", err, out.String())
	}
}

// The default Factory's getters are wired to every service a command needs.
func TestNewFactoryWiresServices(t *testing.T) {
	f := NewFactory(&IOStreams{Out: io.Discard, ErrOut: io.Discard})
	v := reflect.ValueOf(f).Elem()
	for _, name := range []string{"Teams", "Members", "Books", "APIKeys", "Webhooks", "Deliveries"} {
		if v.FieldByName(name).IsNil() {
			t.Errorf("NewFactory leaves %s nil", name)
		}
	}
}

// serve and worker flags override configuration keys: the flag lands in the
// Options and is registered for config.Load under its key.
func TestProcessFlags(t *testing.T) {
	f := noServices()
	f.ConfigFlags = map[string]*pflag.Flag{}
	serveF, serve := capture[serveOptions]()
	if err := execute(newCmdServe(f, serveF), "--addr", "127.0.0.1:9090"); err != nil {
		t.Fatal(err)
	}
	workerF, worker := capture[workerOptions]()
	if err := execute(newCmdWorker(f, workerF), "--concurrency", "7"); err != nil {
		t.Fatal(err)
	}
	if (*serve).Addr != "127.0.0.1:9090" || (*worker).Concurrency != 7 {
		t.Errorf("serve --addr = %q, worker --concurrency = %d", (*serve).Addr, (*worker).Concurrency)
	}
	for key, want := range map[string]string{"server.addr": "127.0.0.1:9090", "worker.concurrency": "7"} {
		if fl := f.ConfigFlags[key]; fl == nil || !fl.Changed || fl.Value.String() != want {
			t.Errorf("ConfigFlags[%s] = %v, want the flag set to %s", key, fl, want)
		}
	}
}

// fakeMembers knows one user.
type fakeMembers struct {
	relaybook.MemberService
	userID string
}

func (m fakeMembers) FindUser(_ context.Context, id string) (*relaybook.User, error) {
	if id != m.userID {
		return nil, relaybook.NotFound("user", id)
	}
	return &relaybook.User{ID: id}, nil
}

// token mints only for a user that exists, and only with a JWT secret.
func TestTokenRun(t *testing.T) {
	const user = "0b9d4a6e-6f1c-4a51-9a3e-3f2f1d1c0b7a"
	mint := func(userID, secret string) (string, error) {
		var out bytes.Buffer
		opts := &tokenOptions{
			printer: printer{IO: &IOStreams{Out: &out, ErrOut: io.Discard}, Format: "json"},
			Config:  func() (*config.Config, error) { return &config.Config{Auth: config.Auth{JWTSecret: secret}}, nil },
			Members: func(context.Context) (relaybook.MemberService, error) { return fakeMembers{userID: user}, nil },
			UserID:  userID,
			TTL:     time.Hour,
		}
		err := tokenRun(context.Background(), opts)
		return out.String(), err
	}

	out, err := mint(user, "a-test-secret")
	if err != nil {
		t.Fatal(err)
	}
	var minted mintedToken
	if err := json.Unmarshal([]byte(out), &minted); err != nil {
		t.Fatalf("-o json printed %q: %v", out, err)
	}
	if got, err := authtoken.Parse([]byte("a-test-secret"), minted.Token); err != nil || got != user || minted.UserID != user {
		t.Errorf("minted %+v: token for %q (%v), want %s", minted, got, err, user)
	}

	other := "1b9d4a6e-6f1c-4a51-9a3e-3f2f1d1c0b7a"
	if out, err := mint(other, "a-test-secret"); relaybook.ErrorCode(err) != relaybook.ENOTFOUND || out != "" {
		t.Errorf("unknown user: error %v, stdout %q; want ENOTFOUND and nothing printed", err, out)
	}
	var cerr *config.Error
	if out, err := mint(user, ""); !errors.As(err, &cerr) || cerr.Key != "auth.jwt_secret" || out != "" {
		t.Errorf("no secret: error %v, stdout %q; want a config error naming auth.jwt_secret", err, out)
	}
}

// Asynq gets the settings go-redis parsed from redis.url, so the queue and
// the rate limiter reach the same server as the same user.
func TestRedisOpt(t *testing.T) {
	cfg := &config.Config{Redis: config.Redis{URL: "rediss://relay:s3cret@cache.internal:6380/3?dial_timeout=2s"}}
	opt, err := redisOpt(cfg)
	if err != nil {
		t.Fatal(err)
	}
	o, ok := opt.(asynq.RedisClientOpt)
	if !ok || o.Addr != "cache.internal:6380" || o.Username != "relay" || o.Password != "s3cret" || o.DB != 3 ||
		o.DialTimeout != 2*time.Second || o.TLSConfig == nil || o.TLSConfig.ServerName != "cache.internal" {
		t.Errorf("redisOpt = %+v, want the URL's address, ACL user, password, db 3, dial timeout and TLS", opt)
	}
	for _, url := range []string{"redis://cache.internal:6379/zero", "redis://cache.internal:6379/0?pool=9"} {
		var cerr *config.Error
		if _, err := redisOpt(&config.Config{Redis: config.Redis{URL: url}}); !errors.As(err, &cerr) || cerr.Key != "redis.url" {
			t.Errorf("redisOpt(%s) error = %v, want a config error naming redis.url", url, err)
		}
	}
}
