package source

import (
	"context"
	"errors"
	"log/slog"

	"go.uber.org/fx"
)

// RunWithLifecycle runs s from application start until application stop.
// A source that fails while running is logged (it does not stop the
// application: the other spans keep going); a file source that reaches the
// end of its recording just stops.
func RunWithLifecycle(lc fx.Lifecycle, s *Source, log *slog.Logger) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	started := false
	lc.Append(fx.Hook{
		OnStart: func(context.Context) error {
			started = true
			go func() {
				defer close(done)
				if err := s.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
					log.Error("span source stopped", "span", s.Stats().Span, "err", err)
				}
			}()
			return nil
		},
		OnStop: func(stopCtx context.Context) error {
			cancel()
			if !started {
				s.Close()
				return nil
			}
			select {
			case <-done:
				return nil
			case <-stopCtx.Done():
				return stopCtx.Err()
			}
		},
	})
}
