package daemon

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/tdmtap/tdmtap/config"
	"github.com/tdmtap/tdmtap/hi/deliver"
	"github.com/tdmtap/tdmtap/hi/psdu"
	"go.uber.org/fx"
)

// SpoolFile is the name of the durable IRI spool inside a destination's
// spool directory.
const SpoolFile = "hi2.spool"

// destination is one LEMF: an HI2 session and (when configured) an HI3
// session.
type destination struct {
	cfg      config.Destination
	hi2, hi3 *deliver.Session
	// retired: removed from the configuration while intercepts were live;
	// still routable (those intercepts keep delivering) until no intercept
	// is active, then closed.
	retired bool
}

// handover owns the hi/deliver sessions: one per destination and HI. It is
// the bridge's output. Destinations are added, removed and updated on reload
// while the rest keep running.
type handover struct {
	log     *slog.Logger
	metrics *deliver.Metrics
	node    config.Node
	audit   auditor

	mu       sync.RWMutex
	dests    map[string]*destination
	ctx      context.Context // sessions run under it; nil until started
	stop     context.CancelFunc
	reap     chan struct{} // closed when the reaper goroutine ends
	reapStop context.CancelFunc

	// busy reports whether intercepts are live (the bridge's Active() > 0);
	// set once the bridge exists. Nil: never busy.
	busy atomic.Pointer[func() bool]

	// unknownDest counts PDUs for destinations that are not configured
	// (removed by a reload while an intercept still names them).
	unknownDest atomic.Uint64
	unknownCtr  prometheus.Counter
}

func handoverModule() fx.Option {
	return fx.Module("handover",
		deliver.Module,
		fx.Provide(newHandover),
	)
}

func newHandover(lc fx.Lifecycle, cfg *config.Config, m *deliver.Metrics, ic *intercept, reg prometheus.Registerer, log *slog.Logger) (*handover, error) {
	h := &handover{
		log:     log.With("component", "handover"),
		metrics: m,
		node:    cfg.Node,
		audit:   ic.audit,
		dests:   map[string]*destination{},
		unknownCtr: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "tdmtap", Subsystem: "deliver", Name: "unknown_destination_total",
			Help: "PDUs addressed to a destination that is not configured (dropped).",
		}),
	}
	if err := reg.Register(h.unknownCtr); err != nil {
		return nil, err
	}
	for i := range cfg.Destinations {
		d, err := h.open(&cfg.Destinations[i])
		if err != nil {
			h.closeAll()
			return nil, err
		}
		h.dests[d.cfg.Name] = d
	}
	lc.Append(fx.Hook{
		OnStart: func(context.Context) error {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.ctx, h.stop = context.WithCancel(context.Background())
			for _, d := range h.dests {
				d.start(h.ctx)
			}
			var rctx context.Context
			rctx, h.reapStop = context.WithCancel(h.ctx)
			h.reap = make(chan struct{})
			go h.reaper(rctx)
			return nil
		},
		OnStop: h.drain,
	})
	return h, nil
}

// open creates (without starting) the sessions of destination dc.
func (h *handover) open(dc *config.Destination) (*destination, error) {
	d := &destination{cfg: *dc}
	var tcfg *tls.Config
	if dc.TLS != nil {
		tc := deliver.TLSConfig{CertFile: dc.TLS.Cert, KeyFile: dc.TLS.Key, CAFile: dc.TLS.CA, ServerName: dc.TLS.ServerName}
		if len(dc.TLS.PinnedSHA256) == 32 {
			var p deliver.Pin
			p.Kind = deliver.PinCert
			copy(p.Hash[:], dc.TLS.PinnedSHA256)
			tc.Pins = []deliver.Pin{p}
		}
		var err error
		if tcfg, err = tc.Build(); err != nil {
			return nil, fmt.Errorf("destination %s: tls: %w", dc.Name, err)
		}
	}
	ka, isKA := deliver.KeepaliveFor(&psdu.Header{
		LIID:                "KEEPALIVE",
		AuthCountry:         h.node.AuthorizationCountry,
		OperatorID:          h.node.OperatorID,
		NetworkElementID:    h.node.NetworkElementID,
		DeliveryCountry:     h.node.DeliveryCountry,
		InterceptionPointID: h.node.InterceptionPointID,
	})
	if err := os.MkdirAll(dc.SpoolDir, 0o700); err != nil {
		return nil, fmt.Errorf("destination %s: spool: %w", dc.Name, err)
	}
	log := h.log
	base := deliver.Config{
		Name:                dc.Name,
		TLS:                 tcfg,
		Keepalive:           ka,
		IsKeepaliveResponse: isKA,
		KeepaliveInterval:   dc.Keepalive,
		Metrics:             h.metrics,
		Logger:              log,
		Auditor:             h.audit,
	}
	c2 := base
	c2.HI, c2.Addr, c2.SpoolPath = deliver.HI2, dc.HI2, filepath.Join(dc.SpoolDir, SpoolFile)
	var err error
	if d.hi2, err = deliver.New(c2); err != nil {
		return nil, fmt.Errorf("destination %s: hi2: %w", dc.Name, err)
	}
	if dc.HI3 != "" {
		c3 := base
		c3.HI, c3.Addr, c3.CCSpoolBytes = deliver.HI3, dc.HI3, int(dc.CCSpoolBytes)
		if d.hi3, err = deliver.New(c3); err != nil {
			_ = d.hi2.Close()
			return nil, fmt.Errorf("destination %s: hi3: %w", dc.Name, err)
		}
	}
	return d, nil
}

func (d *destination) start(ctx context.Context) {
	d.hi2.Start(ctx)
	if d.hi3 != nil {
		d.hi3.Start(ctx)
	}
}

// close makes the queued IRI durable in the spool (bounded by ctx), gives
// queued content until ccWait to reach the socket, and closes both
// sessions. Content still queued after that is discarded by the session
// (counted and audited).
func (d *destination) close(ctx context.Context, ccWait time.Duration) error {
	var errs []error
	if d.hi3 != nil {
		if d.hi3.Stats().Connected && ccWait > 0 {
			cctx, cancel := context.WithTimeout(ctx, ccWait)
			_ = d.hi3.Flush(cctx)
			cancel()
		}
		errs = append(errs, d.hi3.Close())
	}
	if err := d.hi2.Flush(ctx); err != nil {
		errs = append(errs, fmt.Errorf("hi2 flush: %w", err))
	}
	errs = append(errs, d.hi2.Close())
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("destination %s: %w", d.cfg.Name, err)
	}
	return nil
}

// Send hands one PS-PDU for hi to destination dest. It never blocks on the
// network or the disk.
func (h *handover) Send(dest string, hi deliver.HI, pdu []byte) error {
	h.mu.RLock()
	d := h.dests[dest]
	var s *deliver.Session
	if d != nil {
		s = d.hi2
		if hi == deliver.HI3 {
			s = d.hi3
		}
	}
	h.mu.RUnlock()
	if s == nil {
		h.unknownDest.Add(1)
		h.unknownCtr.Inc()
		return fmt.Errorf("handover: no %s session for destination %q", hi, dest)
	}
	return s.Send(pdu)
}

// reloadCounts says what a reload changed. Retiring counts removed
// destinations kept open for live intercepts (also counted in Removed).
type reloadCounts struct{ Added, Removed, Updated, Unchanged, Retiring int }

func (h *handover) isBusy() bool {
	f := h.busy.Load()
	return f != nil && (*f)()
}

// apply installs a new destination list: new ones are opened and started;
// removed ones are drained and closed, or, while intercepts are live (they
// keep the destinations they started with), retired: kept routable until no
// intercept is active; changed ones are closed and reopened (the IRI spool
// carries over, so queued records go to the new address). Sends to a
// destination being replaced wait for the swap.
func (h *handover) apply(ctx context.Context, dcs []config.Destination) (reloadCounts, error) {
	var rc reloadCounts
	h.mu.Lock()
	defer h.mu.Unlock()
	want := map[string]*config.Destination{}
	for i := range dcs {
		want[dcs[i].Name] = &dcs[i]
	}
	busy := h.isBusy()
	var errs []error
	for name, d := range h.dests {
		if _, ok := want[name]; ok || d.retired {
			continue
		}
		rc.Removed++
		if busy {
			d.retired = true
			rc.Retiring++
			continue
		}
		if err := d.close(ctx, time.Second); err != nil {
			errs = append(errs, err)
		}
		delete(h.dests, name)
	}
	for name, dc := range want {
		old, ok := h.dests[name]
		if ok && sameDestination(&old.cfg, dc) {
			if old.retired {
				old.retired = false
				rc.Added++
			} else {
				rc.Unchanged++
			}
			continue
		}
		wasLive := ok && !old.retired
		if ok {
			if err := old.close(ctx, time.Second); err != nil {
				errs = append(errs, err)
			}
			delete(h.dests, name)
		}
		d, err := h.open(dc)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if h.ctx != nil {
			d.start(h.ctx)
		}
		h.dests[name] = d
		if wasLive {
			rc.Updated++
		} else {
			rc.Added++
		}
	}
	return rc, errors.Join(errs...)
}

// reaper closes retired destinations once no intercept is active.
func (h *handover) reaper(ctx context.Context) {
	defer close(h.reap)
	tk := time.NewTicker(time.Second)
	defer tk.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tk.C:
		}
		if h.isBusy() {
			continue
		}
		h.mu.Lock()
		n := 0
		for name, d := range h.dests {
			if !d.retired {
				continue
			}
			if err := d.close(ctx, time.Second); err != nil {
				h.log.Warn("closing a retired destination", "destination", name, "err", err)
			}
			delete(h.dests, name)
			n++
		}
		h.mu.Unlock()
		if n > 0 {
			h.log.Info("retired destinations closed", "count", n)
		}
	}
}

func sameDestination(a, b *config.Destination) bool {
	if a.HI2 != b.HI2 || a.HI3 != b.HI3 || a.CCFormat != b.CCFormat || a.SpoolDir != b.SpoolDir ||
		a.CCSpoolBytes != b.CCSpoolBytes || a.Keepalive != b.Keepalive {
		return false
	}
	if (a.TLS == nil) != (b.TLS == nil) {
		return false
	}
	if a.TLS == nil {
		return true
	}
	return a.TLS.Cert == b.TLS.Cert && a.TLS.Key == b.TLS.Key && a.TLS.CA == b.TLS.CA &&
		a.TLS.ServerName == b.TLS.ServerName && bytes.Equal(a.TLS.PinnedSHA256, b.TLS.PinnedSHA256) &&
		reflect.DeepEqual(a.TLS, b.TLS)
}

// drain runs at shutdown: every destination's IRI becomes durable in its
// spool and the sessions close.
func (h *handover) drain(ctx context.Context) error {
	if h.reapStop != nil {
		h.reapStop()
		<-h.reap
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	var errs []error
	for name, d := range h.dests {
		if err := d.close(ctx, 2*time.Second); err != nil {
			errs = append(errs, err)
		}
		delete(h.dests, name)
	}
	if h.stop != nil {
		h.stop()
	}
	return errors.Join(errs...)
}

func (h *handover) closeAll() {
	for name, d := range h.dests {
		_ = d.hi2.Close()
		if d.hi3 != nil {
			_ = d.hi3.Close()
		}
		delete(h.dests, name)
	}
}

// destStats is one destination's session counters.
type destStats struct {
	st      [2]deliver.Stats // HI2, HI3
	hasHI3  bool
	retired bool
}

// stats returns each destination's session counters.
func (h *handover) stats() map[string]destStats {
	h.mu.RLock()
	defer h.mu.RUnlock()
	m := map[string]destStats{}
	for name, d := range h.dests {
		var s destStats
		s.st[0], s.retired = d.hi2.Stats(), d.retired
		if d.hi3 != nil {
			s.st[1], s.hasHI3 = d.hi3.Stats(), true
		}
		m[name] = s
	}
	return m
}

// auditLog records audit events in the ordinary log when the node runs
// without the intercept plane (no hi1 section). The log never carries LIIDs, numbers or the
// intercepted call's circuit (CIC, point codes), so attributes that may hold them are left out
// (the CIN identifies the intercept).
type auditLog struct{ log *slog.Logger }

func (a auditLog) Record(kind string, attrs ...slog.Attr) {
	kept := make([]slog.Attr, 0, len(attrs))
	for _, at := range attrs {
		switch strings.ToLower(at.Key) {
		case "liid", "target", "targets", "number", "called", "calling", "circuit", "cic", "opc", "dpc", "pcs":
			continue
		}
		kept = append(kept, at)
	}
	level := slog.LevelInfo
	if strings.HasPrefix(kind, "deliver.") {
		level = slog.LevelWarn
	}
	a.log.LogAttrs(context.Background(), level, "audit: "+kind, kept...)
}
