package cli

import (
	"io"
	"os"
)

// IOStreams are the command's standard streams; tests swap in buffers.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
	// IsTerminal says whether Out is a terminal: tables are aligned for
	// people there and tab-separated for scripts everywhere else.
	IsTerminal bool
	// ErrIsTerminal says whether ErrOut is a terminal: long operations show
	// progress there, and stay quiet for scripts.
	ErrIsTerminal bool
}

// System returns the process's streams.
func System() *IOStreams {
	return &IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr, IsTerminal: isTerminal(os.Stdout),
		ErrIsTerminal: isTerminal(os.Stderr)}
}

func isTerminal(f *os.File) bool {
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}
