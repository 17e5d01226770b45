package postgres

import (
	"strings"
	"testing"

	"github.com/lib/pq"

	"github.com/relaybook/relaybook/internal/relaybook"
)

// TestPgBouncerDSNHasNoJit: PgBouncer refuses jit as a startup parameter,
// whether the driver settings add it or the operator's DSN has it; the
// client-side setting binary_parameters stays.
func TestPgBouncerDSNHasNoJit(t *testing.T) {
	cases := map[string]string{
		"postgres://u@h:6432/db?sslmode=disable":        "postgres://u@h:6432/db?binary_parameters=yes&sslmode=disable",
		"postgres://u@h:6432/db?jit=on&sslmode=disable": "postgres://u@h:6432/db?binary_parameters=yes&sslmode=disable",
		"host=h port=6432 dbname=db":                    "host=h port=6432 dbname=db binary_parameters=yes",
	}
	for in, want := range cases {
		if got := newOpenOptions([]Option{PgBouncer()}).dsn(in); got != want {
			t.Errorf("dsn(%q) = %q, want %q", in, got, want)
		}
	}
	if got := newOpenOptions(nil).dsn("postgres://u@h/db"); got != "postgres://u@h/db?binary_parameters=yes&jit=off" {
		t.Errorf("without PgBouncer the driver settings stay: %q", got)
	}
}

// TestPgBouncerRefusalSaysWhatToSet: a pool without PgBouncer() that dials
// PgBouncer meets its refusal of jit; the error keeps PgBouncer's words and
// names the setting that fixes it.
func TestPgBouncerRefusalSaysWhatToSet(t *testing.T) {
	err := Unavailable(&pq.Error{Code: "08P01", Message: "unsupported startup parameter: jit"})
	if relaybook.ErrorCode(err) != relaybook.EUNAVAILABLE || !strings.Contains(err.Error(), "jit") ||
		!strings.Contains(err.Error(), "set database.pgbouncer: true") {
		t.Errorf("got %v, want EUNAVAILABLE with the refused parameter and the fix", err)
	}
	if err := Unavailable(&pq.Error{Code: "08P01", Message: "invalid message length"}); strings.Contains(err.Error(), "pgbouncer") {
		t.Errorf("another protocol violation blames PgBouncer: %v", err)
	}
}
