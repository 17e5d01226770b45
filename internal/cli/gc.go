package cli

import (
	"os"
	"runtime/debug"
)

// serverGCPercent is the garbage collector's target for the long-running
// processes (serve, worker), unless GOGC is set. Both keep a small live
// heap (tens of MB) and allocate per request: at Go's default of 100 the
// collector ran so often that it and the memory it returned to the kernel
// cost a fifth of `serve`'s CPU in the list benchmark. At 400 the heap may
// grow to five times the live data, still well under 100 MB, and contact
// lists went from about 2,500 to 3,100 a second (BENCHMARKS.md).
const serverGCPercent = 400

// tuneGC applies serverGCPercent; an operator's GOGC wins.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(serverGCPercent)
	}
}
