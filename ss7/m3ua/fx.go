package m3ua

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/fx"
)

// Module provides *Metrics from the application's prometheus.Registerer.
// Linksets are built from configuration by their owner and started with
// RunWithLifecycle.
var Module = fx.Module("m3ua",
	fx.Provide(func(reg prometheus.Registerer) *Metrics { return NewMetrics(reg) }),
)

// RunWithLifecycle runs ls from application start until application stop.
// The SGP links bind their listening addresses in the start hook, so an
// address in use fails the start (each bound address is logged); a stop
// without a start returns at once. A linkset that fails while running is
// logged when it fails and does not stop the application (nor fail its
// stop). log (nil discards) should name the linkset.
func RunWithLifecycle(lc fx.Lifecycle, ls *Linkset, log *slog.Logger) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	started := false
	lc.Append(fx.Hook{
		OnStart: func(context.Context) error {
			for _, l := range ls.Links() {
				if sgp, ok := l.(*SGP); ok {
					a, err := sgp.Listen()
					if err != nil {
						return fmt.Errorf("m3ua: linkset %s link %s: listen: %w", ls.Name(), l.Name(), err)
					}
					log.Info("link listening", "link", l.Name(), "addr", a.String())
				}
			}
			started = true
			go func() {
				defer close(done)
				if err := ls.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
					log.Error("linkset stopped", "err", err)
				}
			}()
			return nil
		},
		OnStop: func(stopCtx context.Context) error {
			cancel()
			if !started {
				return nil
			}
			select {
			case <-done:
				return nil
			case <-stopCtx.Done():
				return fmt.Errorf("m3ua: linkset %s: %w", ls.Name(), stopCtx.Err())
			}
		},
	})
}
