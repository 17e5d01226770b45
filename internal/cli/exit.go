package cli

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/relaybook/relaybook/config"
	"github.com/relaybook/relaybook/internal/relaybook"
)

// Exit codes are part of the scripting contract.
const (
	ExitOK    = 0
	ExitError = 1 // the operation failed: not found, validation, conflict, a service down
	ExitUsage = 2 // the command line or the configuration is wrong
)

// usageError marks errors in how the command was called.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// usagef returns a usage error (exit 2).
func usagef(format string, args ...any) error {
	return &usageError{fmt.Errorf(format, args...)}
}

// exitCode maps an error to the process exit code.
func exitCode(err error) int {
	var u *usageError
	var c *config.Error
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &u), errors.As(err, &c):
		return ExitUsage
	default:
		return ExitError
	}
}

// printError writes one line for err to stderr. Errors without a relaybook
// code are shown in full: on the command line the operator is the one who
// needs the detail.
func printError(w io.Writer, err error) {
	if errors.Is(err, context.Canceled) {
		fmt.Fprintln(w, "relaybook: interrupted")
		return
	}
	var rb *relaybook.Error
	if errors.As(err, &rb) {
		fmt.Fprintf(w, "relaybook: %s\n", rb.Error())
		return
	}
	fmt.Fprintf(w, "relaybook: %v\n", err)
}
