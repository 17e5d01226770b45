package cli

import (
	"github.com/relaybook/relaybook/config"
	"github.com/relaybook/relaybook/internal/postgres"
)

// dbOptions are Open's options for the configuration: database.pgbouncer
// drops every bit of session state the pool would otherwise use.
func dbOptions(cfg *config.Config) []postgres.Option {
	if cfg.Database.PgBouncer {
		return []postgres.Option{postgres.PgBouncer()}
	}
	return nil
}

// requireDirectDB refuses a PgBouncer URL for commands that need a session
// of their own: migrate holds an advisory lock across its statements, which
// transaction pooling would hand to other clients' transactions.
func requireDirectDB(f *Factory, command string) error {
	cfg, err := f.Config()
	if err != nil {
		return err
	}
	if cfg.Database.PgBouncer {
		return &config.Error{Key: "database.pgbouncer", Msg: command + " needs PostgreSQL itself, not PgBouncer: run it with database.url pointing at PostgreSQL and database.pgbouncer false"}
	}
	return nil
}
