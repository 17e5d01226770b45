package cli

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/spf13/pflag"

	"github.com/relaybook/relaybook/config"
	"github.com/relaybook/relaybook/internal/api"
	"github.com/relaybook/relaybook/internal/delivery"
	"github.com/relaybook/relaybook/internal/postgres"
	"github.com/relaybook/relaybook/internal/relaybook"
	"github.com/relaybook/relaybook/internal/safehttp"
	"github.com/relaybook/relaybook/internal/secretbox"
)

// Factory hands commands what they need, lazily: `relaybook --help` and
// flag errors never touch the configuration, the database or Redis.
//
// Commands get services through the getters, typed as the domain's
// interfaces; NewFactory backs them with PostgreSQL, and a test gives a
// command fakes instead. This is the one file of the package that imports
// internal/postgres: serve and worker, which are wiring themselves, reach
// the concrete database through DB, startProcess and apiServices.
type Factory struct {
	IO *IOStreams

	// ConfigFile is the --config flag.
	ConfigFile string
	// Output is the -o flag: "table" or "json".
	Output string
	// ConfigFlags maps configuration keys to command flags that override
	// them (serve --addr, worker --concurrency).
	ConfigFlags map[string]*pflag.Flag

	// NewDispatcher builds what hands new delivery jobs to the queue once a
	// change commits; nil leaves them to the worker's sweeper.
	NewDispatcher func(cfg *config.Config) (relaybook.Dispatcher, func(), error)

	Teams      func(context.Context) (relaybook.TeamService, error)
	Members    func(context.Context) (relaybook.MemberService, error)
	Books      func(context.Context) (relaybook.BookService, error)
	APIKeys    func(context.Context) (relaybook.APIKeyService, error)
	Webhooks   func(context.Context) (relaybook.WebhookService, error)
	Deliveries func(context.Context) (relaybook.DeliveryService, error)
	Status     func(context.Context) (relaybook.StatusService, error)
	Events     func(context.Context) (relaybook.EventService, error)
	Tester     func(context.Context) (relaybook.WebhookTester, error)
	Pruner     func(context.Context) (relaybook.Pruner, error)

	cfgOnce sync.Once
	cfg     *config.Config
	cfgErr  error

	db       *postgres.DB
	closers  []func()
	closeMux sync.Mutex
}

// NewFactory returns a Factory on the given streams whose services live in
// PostgreSQL.
func NewFactory(io *IOStreams) *Factory {
	f := &Factory{IO: io, Output: "table", ConfigFlags: map[string]*pflag.Flag{}, NewDispatcher: newDispatcher}
	f.Teams = onDB(f, func(db *postgres.DB) relaybook.TeamService { return postgres.NewTeamService(db) })
	f.Members = onDB(f, func(db *postgres.DB) relaybook.MemberService { return postgres.NewMemberService(db) })
	f.Books = onDB(f, func(db *postgres.DB) relaybook.BookService { return postgres.NewBookService(db) })
	f.APIKeys = onDB(f, func(db *postgres.DB) relaybook.APIKeyService { return postgres.NewAPIKeyService(db) })
	f.Webhooks = onDB(f, func(db *postgres.DB) relaybook.WebhookService { return postgres.NewWebhookService(db) })
	f.Deliveries = onDB(f, func(db *postgres.DB) relaybook.DeliveryService { return postgres.NewDeliveryService(db) })
	f.Status = onDB(f, func(db *postgres.DB) relaybook.StatusService { return postgres.NewStatusService(db) })
	f.Events = onDB(f, func(db *postgres.DB) relaybook.EventService { return postgres.NewEventService(db) })
	f.Pruner = onDB(f, func(db *postgres.DB) relaybook.Pruner { return db })
	f.Tester = func(ctx context.Context) (relaybook.WebhookTester, error) {
		cfg, err := requireSetting(f.Config, "security.encryption_key")
		if err != nil {
			return nil, err
		}
		db, err := f.DB(ctx)
		if err != nil {
			return nil, err
		}
		return newTester(db, cfg), nil
	}
	return f
}

// newTester sends test events from this process, with the worker's
// outgoing-request rules.
func newTester(db *postgres.DB, cfg *config.Config) relaybook.WebhookTester {
	return &delivery.Tester{Store: db, Client: safehttp.NewClient(safehttp.Options{
		Timeout:              cfg.Delivery.Timeout,
		AllowPrivateNetworks: cfg.Webhooks.AllowPrivateNetworks,
	})}
}

// retentionCutoff is the time before which prune deletes history.
func (f *Factory) retentionCutoff() (relaybook.Time, error) {
	cfg, err := f.Config()
	if err != nil {
		return relaybook.Time{}, err
	}
	return relaybook.NewTime(time.Now().Add(-cfg.Retention.Period)), nil
}

// onDB makes a service getter: it opens the database on first use and
// builds the service on it.
func onDB[S any](f *Factory, newService func(*postgres.DB) S) func(context.Context) (S, error) {
	return func(ctx context.Context) (S, error) {
		db, err := f.DB(ctx)
		if err != nil {
			var zero S
			return zero, err
		}
		return newService(db), nil
	}
}

// apiServices are the API's services on db, for serve.
func apiServices(db *postgres.DB, cfg *config.Config) api.Services {
	return api.Services{
		Events:     postgres.NewEventService(db),
		Tester:     newTester(db, cfg),
		Contacts:   postgres.NewContactService(db),
		Books:      postgres.NewBookService(db),
		APIKeys:    postgres.NewAPIKeyService(db),
		Webhooks:   postgres.NewWebhookService(db),
		Deliveries: postgres.NewDeliveryService(db),
		Members:    postgres.NewMemberService(db),
	}
}

// migrate applies the schema, for the migrate command. It refuses
// database.pgbouncer: migrate holds an advisory lock across its statements,
// which transaction pooling would hand to other clients' transactions.
func (f *Factory) migrate(ctx context.Context) (*migration, error) {
	cfg, err := f.Config()
	if err != nil {
		return nil, err
	}
	if cfg.Database.PgBouncer {
		return nil, &config.Error{Key: "database.pgbouncer", Msg: "migrate needs PostgreSQL itself, not PgBouncer: run it with database.url pointing at PostgreSQL and database.pgbouncer false"}
	}
	db, err := f.DB(ctx)
	if err != nil {
		return nil, err
	}
	res, err := db.Migrate(ctx)
	if err != nil {
		return nil, err
	}
	return &migration{Applied: res.Applied, Version: res.Version}, nil
}

// startProcess does what serve and worker do first, once their settings
// are complete: the GC target, the logger, pprof, and the database with its
// connections already open, so the first requests do not queue behind dials.
func (f *Factory) startProcess(ctx context.Context, cfg *config.Config) (*postgres.DB, *slog.Logger, error) {
	tuneGC()
	log := newLogger(f.IO.ErrOut, cfg.Log)
	startPprof(cfg.Debug.PprofAddr, log)
	db, err := f.DB(ctx)
	if err != nil {
		return nil, nil, err
	}
	if err := db.Warm(ctx, cfg.Database.MaxConns); err != nil {
		return nil, nil, err
	}
	return db, log, nil
}

// Config loads the configuration once.
func (f *Factory) Config() (*config.Config, error) {
	f.cfgOnce.Do(func() {
		f.cfg, f.cfgErr = config.Load(config.Options{
			File:        f.ConfigFile,
			SearchPaths: config.DefaultSearchPaths,
			Flags:       f.ConfigFlags,
		})
	})
	return f.cfg, f.cfgErr
}

// DB opens the database once, wired with the webhook-secret cipher (when an
// encryption key is configured), the URL policy and the dispatcher.
func (f *Factory) DB(ctx context.Context) (*postgres.DB, error) {
	if f.db != nil {
		return f.db, nil
	}
	cfg, err := f.Config()
	if err != nil {
		return nil, err
	}
	var opts []postgres.Option
	if cfg.Database.PgBouncer {
		// No session state, so serve and worker run through PgBouncer in
		// transaction pooling mode.
		opts = append(opts, postgres.PgBouncer())
	}
	db, err := postgres.Open(ctx, cfg.Database.URL, cfg.Database.MaxConns, opts...)
	if err != nil {
		return nil, err
	}
	f.onClose(func() { db.Close() })
	db.URLPolicy = relaybook.URLPolicy{AllowHTTP: cfg.Webhooks.AllowHTTP}
	db.AutoDisable = relaybook.AutoDisable{Failures: cfg.Webhooks.DisableAfterFailures, After: cfg.Webhooks.DisableAfter}
	if cfg.Security.EncryptionKey != "" {
		box, err := secretbox.New(cfg.Security.EncryptionKey)
		if err != nil {
			return nil, &config.Error{Key: "security.encryption_key", Msg: err.Error()}
		}
		db.Cipher = box
	}
	if f.NewDispatcher != nil {
		d, closeFn, err := f.NewDispatcher(cfg)
		if err != nil {
			return nil, err
		}
		db.Dispatcher = d
		if closeFn != nil {
			f.onClose(closeFn)
		}
	}
	f.db = db
	return db, nil
}

func (f *Factory) onClose(fn func()) {
	f.closeMux.Lock()
	defer f.closeMux.Unlock()
	f.closers = append(f.closers, fn)
}

// Close releases what the factory opened, newest first.
func (f *Factory) Close() {
	f.closeMux.Lock()
	defer f.closeMux.Unlock()
	for i := len(f.closers) - 1; i >= 0; i-- {
		f.closers[i]()
	}
	f.closers = nil
}
