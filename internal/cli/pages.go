package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/relaybook/relaybook/internal/relaybook"
)

// Flags of the paged, time-bounded lists (events list, deliveries list).

func addWindowFlags(cmd *cobra.Command, since, until, cursor *string) {
	cmd.Flags().StringVar(since, "since", "", "from this time: a duration back from now (90m, 24h) or RFC 3339")
	cmd.Flags().StringVar(until, "until", "", "up to this time: a duration back from now or RFC 3339")
	cmd.Flags().StringVar(cursor, "cursor", "", "the next page, as the previous page printed it")
}

// parsePageFlags checks --since, --until and --cursor before any service
// is touched: a bad one is a usage error (exit 2) naming the flag.
func parsePageFlags(cmd *cobra.Command, since, until, cursor string) (relaybook.Window, error) {
	w, err := relaybook.ParseWindow(since, until, time.Now())
	if err == nil {
		_, err = relaybook.ParseCursor(cursor)
	}
	if err != nil {
		return relaybook.Window{}, usagef("%s: --%s", cmd.CommandPath(), err.Error())
	}
	return w, nil
}

// nextPage tells where the next page starts, on stderr: stdout stays the
// table that scripts read. JSON output stays one document and a quiet
// stderr; its pages are walked through the API, whose pagination object
// carries the cursor.
func (p printer) nextPage(cursor string) error {
	if cursor == "" || p.json() {
		return nil
	}
	_, err := fmt.Fprintf(p.IO.ErrOut, "More results: add --cursor %s\n", cursor)
	return err
}
