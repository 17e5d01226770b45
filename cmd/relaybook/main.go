// Command relaybook is the RelayBook webhook relay: API server, delivery
// worker and admin CLI in one binary.
package main

import (
	"os"

	"github.com/relaybook/relaybook/internal/cli"
)

func main() { os.Exit(cli.Main()) }
