package call

import (
	"context"
	"time"

	"go.uber.org/fx"
)

// TickWithLifecycle drives t's supervision timer every interval (default
// one second) from application start until application stop.
func TickWithLifecycle(lc fx.Lifecycle, t *Tracker, interval time.Duration) {
	if interval <= 0 {
		interval = time.Second
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	started := false
	lc.Append(fx.Hook{
		OnStart: func(context.Context) error {
			started = true
			go func() {
				defer close(done)
				tk := time.NewTicker(interval)
				defer tk.Stop()
				for {
					select {
					case <-ctx.Done():
						return
					case now := <-tk.C:
						t.Tick(now)
					}
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
				return stopCtx.Err()
			}
		},
	})
}
