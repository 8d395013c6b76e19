// Package daemon wires the tdmtap gateway together with go.uber.org/fx:
// logging, metrics, the handover (hi/deliver sessions), the bridge core,
// the bearer (span sources into the tdm demultiplexer) and the signalling
// (M3UA linksets into the ss7/call tracker). cmd/tdmtap's run command is a
// thin shell around Run; tests and the demo build a Daemon with New and
// drive it with Start, Reload and Stop.
//
// Shutdown order (fx stops hooks in reverse): the M3UA links go down first
// (no new signalling), then the supervision ticker and the span sources, then
// the bridge (content subscriptions stop; no IRI-END is faked for calls
// still open — it is sent only when a call really ends), then every
// destination's queued IRI is made durable in its spool and the sessions
// close (queued content gets a short grace to reach a connected LEMF, then
// is dropped, counted and audited), then the intercept plane (X1 listener,
// expiry ticker, store; the audit file gets its signed shutdown checkpoint),
// and last the metrics endpoint.
//
// Intercept plane (the config's optional hi1 section; see hi/hi1): the
// durable warrant store's active warrants are merged with the config's
// static ones into the bridge's warrant store (a reload replaces only the
// static ones); the audit chain is the Auditor of the bridge and of the
// delivery sessions; X1 provisioning serves from start to stop; the store's
// expiry ticker retires warrants at their end time (the bridge's own ticker
// ends their live intercepts). The bridge records intercepts in progress in
// the store and allocates CINs from a counter reserved there, so a restart
// (or a crash) picks open intercepts up again on their circuits' next
// message with the same LIID and CIN, sequence numbers continuing; their
// spooled IRI is replayed to the LEMF too. Without the section the node runs
// on the config's warrants only and audit events go to the ordinary log
// (without LIIDs); open intercepts are then not resumed.
//
// Reload (SIGHUP) re-reads the config file, swaps the warrant set and adds,
// removes or updates LEMF destinations; live intercepts keep their warrant
// and destinations, except that a warrant removed from the file ends its
// live intercepts at once (IRI-END, content stopped, audited with reason
// warrant-removed); what changed is logged as counts only. Every change of
// the provisioned set (X1 deactivate, modify, expiry) reconciles the live
// intercepts too (bridge.Reconcile): a deactivation or a modify that no
// longer covers the call ends them, a modify to IRI only stops their content. Links, spans, circuits, node
// identity, the hi1 section and the metrics address need a restart (a reload logs that they
// changed and keeps the running ones).
package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"reflect"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/tdmtap/tdmtap/bridge"
	"github.com/tdmtap/tdmtap/bridge/warrant"
	"github.com/tdmtap/tdmtap/config"
	"github.com/tdmtap/tdmtap/ss7/call"
	"go.uber.org/fx"
)

// Options configure a Daemon.
type Options struct {
	// ConfigPath is the YAML configuration file (required).
	ConfigPath string
	// LogOutput receives the log (default os.Stderr).
	LogOutput io.Writer
	// StartTimeout and StopTimeout bound start and the drain at stop
	// (defaults 15 s and 30 s).
	StartTimeout, StopTimeout time.Duration
	// Started, when set, is called by Run once the daemon is running (its
	// signal handlers are installed by then).
	Started func(*Daemon)
}

// Daemon is one running gateway.
type Daemon struct {
	opts  Options
	app   *fx.App
	log   *slog.Logger
	level *slog.LevelVar
	reg   *prometheus.Registry

	store   *warrant.Store
	bridge  *bridge.Bridge
	sig     *signaling
	bearer  *bearer
	ho      *handover
	ic      *intercept
	metrics *metricsServer

	reloads  *prometheus.CounterVec
	lastLoad prometheus.Gauge

	mu      sync.Mutex // serialises Reload; guards cfg
	cfg     *config.Config
	started time.Time
}

// New loads the config and builds the application graph (binding nothing
// yet except the span sources' UDP sockets); Start runs it.
func New(opts Options) (*Daemon, error) {
	if opts.LogOutput == nil {
		opts.LogOutput = os.Stderr
	}
	if opts.StartTimeout <= 0 {
		opts.StartTimeout = 15 * time.Second
	}
	if opts.StopTimeout <= 0 {
		opts.StopTimeout = 30 * time.Second
	}
	cfg, err := config.Load(opts.ConfigPath)
	if err != nil {
		return nil, err
	}
	d := &Daemon{opts: opts, cfg: cfg, level: new(slog.LevelVar)}
	d.log = newLogger(opts.LogOutput, cfg.Log, d.level)
	if d.reg, err = newRegistry(); err != nil {
		return nil, err
	}
	d.reloads = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "tdmtap", Subsystem: "config", Name: "reloads_total",
		Help: "Configuration reloads (SIGHUP), by result (ok, error)."}, []string{"result"})
	d.lastLoad = prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "tdmtap", Subsystem: "config", Name: "last_load_timestamp_seconds",
		Help: "When the running configuration was loaded (Unix time)."})
	d.lastLoad.SetToCurrentTime()
	warrants := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "tdmtap", Name: "warrants",
		Help: "Warrants in the active set."}, func() float64 {
		if d.store == nil {
			return 0
		}
		return float64(d.store.Load().Len())
	})
	for _, c := range []prometheus.Collector{d.reloads, d.lastLoad, warrants} {
		if err := d.reg.Register(c); err != nil {
			return nil, err
		}
	}
	d.app = fx.New(
		loggingModule(d.log),
		fx.Supply(cfg),
		metricsModule(d.reg),
		interceptModule(),
		handoverModule(),
		bridgeModule(),
		bearerModule(),
		signalingModule(),
		// Construction order fixes hook order: metrics, intercept plane,
		// handover, bridge, bearer, signalling start in that order and stop
		// in reverse.
		fx.Populate(&d.metrics, &d.ic, &d.ho, &d.store, &d.bridge, &d.bearer, &d.sig),
		fx.StartTimeout(opts.StartTimeout),
		fx.StopTimeout(opts.StopTimeout),
	)
	if err := d.app.Err(); err != nil {
		return nil, fmt.Errorf("building the daemon: %w", err)
	}
	return d, nil
}

// Start starts every module; on failure what started is stopped again.
func (d *Daemon) Start(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, d.opts.StartTimeout)
	defer cancel()
	if err := d.app.Start(ctx); err != nil {
		return fmt.Errorf("starting: %w", err)
	}
	d.started = time.Now()
	sh := http.HandlerFunc(d.serveStatus)
	d.metrics.status.Store(&sh)
	d.metrics.ready.Store(true)
	cfg := d.config()
	d.log.Info("tdmtap running", "node", cfg.Node.Name, "links", len(cfg.Links), "spans", len(cfg.Spans),
		"destinations", len(cfg.Destinations), "warrants", d.store.Load().Len())
	return nil
}

// Stop drains and stops every module (see the package comment for the
// order), bounded by ctx and Options.StopTimeout.
func (d *Daemon) Stop(ctx context.Context) error {
	d.metrics.ready.Store(false)
	ctx, cancel := context.WithTimeout(ctx, d.opts.StopTimeout)
	defer cancel()
	d.log.Info("tdmtap stopping", "active_intercepts", d.bridge.Active(), "active_calls", d.sig.Tracker.ActiveCalls())
	err := d.app.Stop(ctx)
	if err != nil {
		d.log.Error("stopped with errors", "err", err)
		return err
	}
	d.log.Info("tdmtap stopped")
	return nil
}

func (d *Daemon) config() *config.Config {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.cfg
}

// ReloadResult says what a reload changed, in counts.
type ReloadResult struct {
	WarrantsBefore, WarrantsAfter int
	Destinations                  reloadCounts
	// NeedRestart lists the sections that changed but only take effect
	// after a restart.
	NeedRestart []string
}

// Reload re-reads the config file; on success it installs the new LEMF
// destinations (added ones start, removed ones drain and close, changed ones
// are reopened on the same spool), swaps the warrant set and applies the log
// level. Live intercepts keep their warrant and CC format until their call
// ends, unless their warrant was removed from the file (they end at once).
// A config with problems changes nothing.
func (d *Daemon) Reload(ctx context.Context) (ReloadResult, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var res ReloadResult
	ok := false
	defer func() {
		if ok {
			d.reloads.WithLabelValues("ok").Inc()
			d.lastLoad.SetToCurrentTime()
		} else {
			d.reloads.WithLabelValues("error").Inc()
		}
	}()
	cfg, err := config.Load(d.opts.ConfigPath)
	if err != nil {
		d.log.Error("reload: config rejected; keeping the running configuration", "err", err)
		return res, fmt.Errorf("reload: %w", err)
	}
	set, err := cfg.WarrantSet()
	if err != nil {
		d.log.Error("reload: warrants rejected; keeping the running configuration", "err", err)
		return res, fmt.Errorf("reload: warrants: %w", err)
	}
	res.WarrantsBefore = d.store.Load().Len()
	// New destinations first (new warrants may name them), then the CC
	// formats, then the warrants.
	res.Destinations, err = d.ho.apply(ctx, cfg.Destinations)
	d.bridge.SetDestinations(ccFormats(cfg))
	// The configuration's warrants are replaced; X1-provisioned ones stay.
	res.WarrantsAfter = d.ic.reload(cfg, set, d.store)
	d.level.Set(cfg.Log.Level)
	res.NeedRestart = restartSections(d.cfg, cfg)
	d.cfg = cfg
	d.log.Info("reloaded",
		"warrants_before", res.WarrantsBefore, "warrants_after", res.WarrantsAfter,
		"destinations_added", res.Destinations.Added, "destinations_removed", res.Destinations.Removed,
		"destinations_retiring", res.Destinations.Retiring,
		"destinations_updated", res.Destinations.Updated, "active_intercepts", d.bridge.Active())
	if len(res.NeedRestart) > 0 {
		d.log.Warn("reload: changes that need a restart were not applied", "sections", res.NeedRestart)
	}
	if err != nil {
		d.log.Error("reload: some destinations failed", "err", err)
		return res, fmt.Errorf("reload: %w", err)
	}
	ok = true
	return res, nil
}

// restartSections names the config sections that differ between a and b
// and are not applied by a reload.
func restartSections(a, b *config.Config) []string {
	var out []string
	for _, s := range []struct {
		name string
		x, y any
	}{
		{"node", a.Node, b.Node},
		{"links", a.Links, b.Links},
		{"spans", a.Spans, b.Spans},
		{"circuits", a.Circuits, b.Circuits},
		{"content_start", a.ContentStart, b.ContentStart},
		{"supervision_timer", a.SupervisionTimer, b.SupervisionTimer},
		{"metrics", a.Metrics, b.Metrics},
		{"log.format", a.Log.Format, b.Log.Format},
		{"hi1", hi1Key(a.HI1), hi1Key(b.HI1)},
	} {
		if !reflect.DeepEqual(stripLines(s.x), stripLines(s.y)) {
			out = append(out, s.name)
		}
	}
	return out
}

// stripLines zeroes the Line fields (which move when unrelated parts of the
// file change) in a copy of a config section.
func stripLines(v any) any {
	rv := reflect.ValueOf(v)
	cp := reflect.New(rv.Type()).Elem()
	cp.Set(rv)
	if cp.Kind() == reflect.Slice {
		n := reflect.MakeSlice(cp.Type(), cp.Len(), cp.Len())
		reflect.Copy(n, cp)
		cp = n
	}
	zeroLines(cp)
	return cp.Interface()
}

func zeroLines(v reflect.Value) {
	switch v.Kind() {
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			zeroLines(v.Index(i))
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			f := v.Field(i)
			name := v.Type().Field(i).Name
			if (name == "Line" || name == "SpanLine") && f.CanSet() && f.Kind() == reflect.Int {
				f.SetInt(0)
				continue
			}
			if f.CanSet() {
				if f.Kind() == reflect.Slice {
					n := reflect.MakeSlice(f.Type(), f.Len(), f.Len())
					reflect.Copy(n, f)
					f.Set(n)
				}
				zeroLines(f)
			}
		}
	}
}

// Logger returns the daemon's logger.
func (d *Daemon) Logger() *slog.Logger { return d.log }

// Registry returns the daemon's Prometheus registry.
func (d *Daemon) Registry() *prometheus.Registry { return d.reg }

// MetricsAddr returns the bound address of the metrics endpoint ("" when
// off or not started).
func (d *Daemon) MetricsAddr() string {
	if a := d.metrics.addr.Load(); a != nil {
		return a.String()
	}
	return ""
}

// LinkAddr returns the bound listening address of SGP link name (nil for
// ASP links and unknown names).
func (d *Daemon) LinkAddr(name string) net.Addr { return d.sig.linkAddrs()[name] }

// SpanAddr returns the bound UDP address of pseudowire span name.
func (d *Daemon) SpanAddr(name string) net.Addr { return d.bearer.spanAddrs()[name] }

// Tracker returns the call tracker.
func (d *Daemon) Tracker() *call.Tracker { return d.sig.Tracker }

// Bridge returns the bridge core.
func (d *Daemon) Bridge() *bridge.Bridge { return d.bridge }

// Warrants returns the warrant store.
func (d *Daemon) Warrants() *warrant.Store { return d.store }

// Run builds and starts a daemon and runs it until ctx ends or SIGINT or
// SIGTERM arrives, reloading on SIGHUP; then it drains and stops. It returns
// nil after a clean stop.
func Run(ctx context.Context, opts Options) error {
	d, err := New(opts)
	if err != nil {
		return err
	}
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigs)
	if err := d.Start(ctx); err != nil {
		return err
	}
	if opts.Started != nil {
		opts.Started(d)
	}
	for {
		select {
		case <-ctx.Done():
			return d.Stop(context.Background())
		case s := <-sigs:
			if s == syscall.SIGHUP {
				d.log.Info("SIGHUP: reloading")
				_, _ = d.Reload(ctx)
				continue
			}
			d.log.Info("signal: draining (a second signal stops at once)", "signal", s.String())
			stopped := make(chan error, 1)
			go func() { stopped <- d.Stop(context.Background()) }()
			for {
				select {
				case err := <-stopped:
					if errors.Is(err, context.DeadlineExceeded) {
						return fmt.Errorf("drain did not finish within %s: %w", d.opts.StopTimeout, err)
					}
					return err
				case s := <-sigs:
					if s == syscall.SIGHUP {
						continue
					}
					d.log.Warn("second signal: stopping without finishing the drain", "signal", s.String())
					return errors.New("drain interrupted by a second signal")
				}
			}
		}
	}
}
