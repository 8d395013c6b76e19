package daemon

import (
	"io"
	"log/slog"

	"github.com/tdmtap/tdmtap/config"
	"go.uber.org/fx"
	"go.uber.org/fx/fxevent"
)

// newLogger builds the daemon's logger: JSON or text to w, at a level that a
// reload can change (the format cannot).
func newLogger(w io.Writer, lc config.Log, level *slog.LevelVar) *slog.Logger {
	level.Set(lc.Level)
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler
	if lc.Format == "json" {
		h = slog.NewJSONHandler(w, opts)
	} else {
		h = slog.NewTextHandler(w, opts)
	}
	return slog.New(h)
}

// fxLogger routes fx's own events to slog at debug level (errors stay
// errors).
func fxLogger(log *slog.Logger) fxevent.Logger {
	l := &fxevent.SlogLogger{Logger: log.With("component", "fx")}
	l.UseLogLevel(slog.LevelDebug)
	l.UseErrorLevel(slog.LevelError)
	return l
}

// loggingModule provides *slog.Logger and routes fx's events to it (at the
// top level: fx.WithLogger inside a module would cover that module only).
func loggingModule(log *slog.Logger) fx.Option {
	return fx.Options(
		fx.Module("logging", fx.Supply(log)),
		fx.WithLogger(func() fxevent.Logger { return fxLogger(log) }),
	)
}
