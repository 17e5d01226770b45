package cli

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/relaybook/relaybook/config"
)

// migrate refuses database.pgbouncer before it dials anything: its advisory
// lock is session state that transaction pooling would not keep.
func TestMigrateRefusesPgBouncer(t *testing.T) {
	path := filepath.Join(t.TempDir(), "relaybook.yaml")
	yaml := "database:\n  url: postgres://127.0.0.1:1/nowhere\n  pgbouncer: true\n"
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	f := NewFactory(&IOStreams{Out: io.Discard, ErrOut: io.Discard})
	f.ConfigFile = path
	defer f.Close()
	_, err := f.migrate(context.Background())
	var cerr *config.Error
	if !errors.As(err, &cerr) || cerr.Key != "database.pgbouncer" {
		t.Fatalf("migrate with database.pgbouncer: error %v, want a config error naming database.pgbouncer", err)
	}
	if f.db != nil {
		t.Error("migrate opened the database before refusing")
	}
}
