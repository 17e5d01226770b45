package cli

import (
	"context"
	"sync"

	"github.com/spf13/pflag"

	"github.com/relaybook/relaybook/config"
	"github.com/relaybook/relaybook/internal/postgres"
	"github.com/relaybook/relaybook/internal/relaybook"
	"github.com/relaybook/relaybook/internal/secretbox"
)

// Factory hands commands what they need, lazily: `relaybook --help` and
// flag errors never touch the configuration, the database or Redis.
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

	cfgOnce sync.Once
	cfg     *config.Config
	cfgErr  error

	db       *postgres.DB
	closers  []func()
	closeMux sync.Mutex
}

// NewFactory returns a Factory on the given streams.
func NewFactory(io *IOStreams) *Factory {
	return &Factory{IO: io, Output: "table", ConfigFlags: map[string]*pflag.Flag{}, NewDispatcher: newDispatcher}
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
	db, err := postgres.Open(ctx, cfg.Database.URL, cfg.Database.MaxConns, dbOptions(cfg)...)
	if err != nil {
		return nil, err
	}
	f.onClose(func() { db.Close() })
	db.URLPolicy = relaybook.URLPolicy{AllowHTTP: cfg.Webhooks.AllowHTTP}
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
