package cli

import (
	"io"
	"log/slog"
)

// newLogger returns the process logger for serve and worker: text lines on
// stderr. Nothing logs secrets, keys or payloads.
func newLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo}))
}
