package bridge

import (
	"context"
	"time"

	"go.uber.org/fx"
)

// RunWithLifecycle drives b's warrant-expiry Tick every interval (default one
// second) from application start, and at application stop ends the tick and
// closes b (content stops; no IRI-END is faked for calls still open).
func RunWithLifecycle(lc fx.Lifecycle, b *Bridge, interval time.Duration) {
	if interval <= 0 {
		interval = time.Second
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	lc.Append(fx.Hook{
		OnStart: func(context.Context) error {
			go func() {
				defer close(done)
				tk := time.NewTicker(interval)
				defer tk.Stop()
				for {
					select {
					case <-ctx.Done():
						return
					case <-tk.C:
						b.Tick(b.now())
					}
				}
			}()
			return nil
		},
		OnStop: func(stopCtx context.Context) error {
			cancel()
			defer b.Close()
			select {
			case <-done:
				return nil
			case <-stopCtx.Done():
				return stopCtx.Err()
			}
		},
	})
}
