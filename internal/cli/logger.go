package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/redis/go-redis/v9"

	"github.com/relaybook/relaybook/config"
)

// newLogger returns the process logger for serve and worker on stderr, in
// log.format (text or json) at log.level. Nothing logs secrets, keys or
// payloads. Before the configuration is read, Run uses text at info.
func newLogger(w io.Writer, cfg config.Log) *slog.Logger {
	opts := &slog.HandlerOptions{Level: logLevel(cfg.Level)}
	var h slog.Handler = slog.NewTextHandler(w, opts)
	if cfg.Format == "json" {
		h = slog.NewJSONHandler(w, opts)
	}
	l := slog.New(h)
	// go-redis prints every failed dial on its own (several a second while
	// Redis is down). Our code says once that Redis is unreachable and once
	// that it is back; the driver's lines go to debug level.
	redis.SetLogger(redisLogger{l})
	return l
}

// logLevel maps log.level, which config has checked, to slog's level.
func logLevel(s string) slog.Level {
	switch s {
	case "debug":
		return slog.LevelDebug
	case "warn":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	default:
		return slog.LevelInfo
	}
}

type redisLogger struct{ l *slog.Logger }

func (r redisLogger) Printf(ctx context.Context, format string, v ...any) {
	r.l.DebugContext(ctx, "redis: "+fmt.Sprintf(format, v...))
}
