package relaybook

import "errors"

// Innermost returns the message of the last error in err's chain: the
// cause without the layers of context (a URL, "dial tcp") above it, for
// one readable log line.
func Innermost(err error) string {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err.Error()
		}
		err = next
	}
}
