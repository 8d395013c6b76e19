package m3ua

import (
	"context"
	"errors"
	"fmt"

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
// address in use fails the start; a stop without a start returns at once.
func RunWithLifecycle(lc fx.Lifecycle, ls *Linkset) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	started := false
	lc.Append(fx.Hook{
		OnStart: func(context.Context) error {
			for _, l := range ls.Links() {
				if sgp, ok := l.(*SGP); ok {
					if _, err := sgp.Listen(); err != nil {
						return fmt.Errorf("m3ua: linkset %s link %s: listen: %w", ls.Name(), l.Name(), err)
					}
				}
			}
			started = true
			go func() { done <- ls.Run(ctx) }()
			return nil
		},
		OnStop: func(stopCtx context.Context) error {
			cancel()
			if !started {
				return nil
			}
			select {
			case err := <-done:
				if errors.Is(err, context.Canceled) {
					return nil
				}
				return err
			case <-stopCtx.Done():
				return fmt.Errorf("m3ua: linkset %s: %w", ls.Name(), stopCtx.Err())
			}
		},
	})
}
