package postgres

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/lib/pq"

	"github.com/relaybook/relaybook/internal/relaybook"
)

// Unavailable wraps a connection failure as EUNAVAILABLE with one readable
// line instead of a stack of driver noise.
func Unavailable(err error) error {
	if e := setupError(err); e != nil {
		return e
	}
	msg := err.Error()
	var opErr *net.OpError
	if errors.As(err, &opErr) {
		msg = opErr.Op + " " + addrString(opErr.Addr) + ": " + relaybook.Innermost(opErr.Err)
	}
	return &relaybook.Error{Code: relaybook.EUNAVAILABLE, Message: "database unavailable: " + msg}
}

func addrString(a net.Addr) string {
	if a == nil {
		return ""
	}
	return a.String()
}

// setupError recognises the errors of a database that was never set up,
// or of a pool that dials PgBouncer without database.pgbouncer, and says,
// in one line, what to do; nil for any other error.
func setupError(err error) error {
	var pqErr *pq.Error
	if !errors.As(err, &pqErr) {
		return nil
	}
	switch pqErr.Code {
	case "08P01": // protocol_violation: PgBouncer refuses jit, a startup parameter it does not know
		if strings.Contains(pqErr.Message, "unsupported startup parameter") {
			return &relaybook.Error{Code: relaybook.EUNAVAILABLE, Message: pqErr.Message +
				": if database.url is PgBouncer, set database.pgbouncer: true"}
		}
	case "3D000": // invalid_catalog_name
		return &relaybook.Error{Code: relaybook.EUNAVAILABLE, Message: pqErr.Message +
			": create it (`make run` or scripts/services.sh create the relaybook database), then run `relaybook migrate`"}
	case "42P01": // undefined_table
		return &relaybook.Error{Code: relaybook.EUNAVAILABLE, Message: "the database has no RelayBook schema (" + pqErr.Message +
			"): run `relaybook migrate` (`make run` does it)"}
	}
	return nil
}

// mapError turns driver errors that have a meaning for callers into
// *relaybook.Error and leaves the rest (bugs) as they are.
func mapError(err error) error {
	if err == nil {
		return nil
	}
	var rbErr *relaybook.Error
	if errors.As(err, &rbErr) {
		return err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if e := setupError(err); e != nil {
		return e
	}
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		switch {
		case pqErr.Code == "23505":
			return &relaybook.Error{Code: relaybook.ECONFLICT, Message: "already exists"}
		case pqErr.Code.Class() == "08", pqErr.Code.Class() == "57", pqErr.Code.Class() == "53":
			// connection exceptions, operator intervention (shutdown), out of resources
			return Unavailable(err)
		}
		return err
	}
	if isConnectionError(err) {
		return Unavailable(err)
	}
	return err
}

func isConnectionError(err error) bool {
	var netErr net.Error
	return errors.As(err, &netErr) ||
		errors.Is(err, driver.ErrBadConn) ||
		errors.Is(err, sql.ErrConnDone) ||
		errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.ECONNRESET) ||
		strings.Contains(err.Error(), "bad connection")
}
