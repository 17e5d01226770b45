package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/redis/go-redis/v9"
)

// newLogger returns the process logger for serve and worker: text lines on
// stderr. Nothing logs secrets, keys or payloads.
func newLogger(w io.Writer) *slog.Logger {
	l := slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo}))
	// go-redis prints every failed dial on its own (several a second while
	// Redis is down). Our code says once that Redis is unreachable and once
	// that it is back; the driver's lines go to debug level.
	redis.SetLogger(redisLogger{l})
	return l
}

type redisLogger struct{ l *slog.Logger }

func (r redisLogger) Printf(ctx context.Context, format string, v ...any) {
	r.l.DebugContext(ctx, "redis: "+fmt.Sprintf(format, v...))
}
