package daemon

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/tdmtap/tdmtap/config"
	"go.uber.org/fx"
)

// metricsServer serves /metrics, /healthz and /status.
type metricsServer struct {
	addr   atomic.Pointer[net.TCPAddr]
	ready  atomic.Bool
	status atomic.Pointer[http.HandlerFunc] // GET /status, set by the Daemon
	health atomic.Pointer[func() error]     // non-nil error: /healthz fails (the audit chain's)
}

// metricsModule provides the daemon's own registry (never the global one)
// as *prometheus.Registry and prometheus.Registerer, with the Go and process
// collectors, and serves it over HTTP when the config asks for it.
func metricsModule(reg *prometheus.Registry) fx.Option {
	return fx.Module("metrics",
		fx.Supply(reg),
		fx.Provide(func(r *prometheus.Registry) prometheus.Registerer { return r }),
		fx.Provide(newMetricsServer),
	)
}

func newRegistry() (*prometheus.Registry, error) {
	reg := prometheus.NewRegistry()
	if err := reg.Register(collectors.NewGoCollector()); err != nil {
		return nil, err
	}
	if err := reg.Register(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})); err != nil {
		return nil, err
	}
	return reg, nil
}

func newMetricsServer(lc fx.Lifecycle, cfg *config.Config, reg *prometheus.Registry, log *slog.Logger) *metricsServer {
	ms := &metricsServer{}
	if cfg.Metrics.Listen == "" {
		return ms
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		if !ms.ready.Load() {
			http.Error(w, "starting or stopping", http.StatusServiceUnavailable)
			return
		}
		if h := ms.health.Load(); h != nil {
			if err := (*h)(); err != nil {
				http.Error(w, "audit chain failed: "+err.Error(), http.StatusServiceUnavailable)
				return
			}
		}
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("/status", func(w http.ResponseWriter, r *http.Request) {
		h := ms.status.Load()
		if h == nil || !ms.ready.Load() {
			http.Error(w, "starting or stopping", http.StatusServiceUnavailable)
			return
		}
		(*h)(w, r)
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	done := make(chan struct{})
	lc.Append(fx.Hook{
		OnStart: func(ctx context.Context) error {
			var lcfg net.ListenConfig
			l, err := lcfg.Listen(ctx, "tcp", cfg.Metrics.Listen)
			if err != nil {
				return err
			}
			ms.addr.Store(l.Addr().(*net.TCPAddr))
			log.Info("metrics listening", "addr", l.Addr().String())
			go func() {
				defer close(done)
				if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
					log.Error("metrics server stopped", "err", err)
				}
			}()
			return nil
		},
		OnStop: func(ctx context.Context) error {
			err := srv.Shutdown(ctx)
			<-done
			return err
		},
	})
	return ms
}
