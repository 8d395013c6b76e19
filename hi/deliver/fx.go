package deliver

import (
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/fx"
)

// Module provides the delivery *Metrics from the application's
// prometheus.Registerer. Sessions are created from configuration by their
// owner (the daemon), which also starts, flushes and closes them: sessions
// come and go with configuration reloads, so they are not tied to the
// application lifecycle one by one.
var Module = fx.Module("deliver",
	fx.Provide(func(reg prometheus.Registerer) *Metrics { return NewMetrics(reg) }),
)
