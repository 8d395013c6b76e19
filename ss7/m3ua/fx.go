package m3ua

import (
	"context"
	"errors"

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
func RunWithLifecycle(lc fx.Lifecycle, ls *Linkset) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	lc.Append(fx.Hook{
		OnStart: func(context.Context) error {
			go func() { done <- ls.Run(ctx) }()
			return nil
		},
		OnStop: func(stopCtx context.Context) error {
			cancel()
			select {
			case err := <-done:
				if errors.Is(err, context.Canceled) {
					return nil
				}
				return err
			case <-stopCtx.Done():
				return stopCtx.Err()
			}
		},
	})
}
