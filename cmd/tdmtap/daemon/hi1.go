package daemon

import (
	"context"
	"log/slog"
	"net"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/tdmtap/tdmtap/bridge"
	"github.com/tdmtap/tdmtap/bridge/warrant"
	"github.com/tdmtap/tdmtap/config"
	"github.com/tdmtap/tdmtap/hi/hi1"
	"github.com/tdmtap/tdmtap/hi/hi1/store"
	"go.uber.org/fx"
)

// auditor is the audit hook the bridge and the delivery sessions share.
type auditor = bridge.Auditor

// intercept is the intercept plane (hi/hi1) when the configuration has an
// hi1 section: the durable warrant store (provisioned warrants are merged
// with the configuration's static ones into the bridge's warrant store),
// the audit chain (the bridge's and the delivery sessions' Auditor), X1
// provisioning and the expiry ticker. Without the section it is a stand-in
// that writes audit events to the ordinary log (without LIIDs).
type intercept struct {
	plane *hi1.Plane // nil without an hi1 section
	audit auditor
	// dests are the configured LEMF destination names X1 destinations may
	// name (replaced on reload).
	dests atomic.Pointer[map[string]bool]
	// crash makes the stop hook abandon the plane as a crash would (tests).
	crash atomic.Bool
	// br is the bridge whose live intercepts follow warrant changes.
	br atomic.Pointer[bridge.Bridge]
}

// attach makes every change of the active warrant set (X1 activate,
// modify, deactivate, expiry; a reload's static warrants) reconcile the
// bridge's live intercepts with it (bridge.Reconcile): a deactivated,
// removed or no longer covering warrant ends them at once, an IRI-only
// modify stops their content.
func (ic *intercept) attach(b *bridge.Bridge) {
	ic.br.Store(b)
	if ic.plane != nil {
		ic.plane.Publisher.SetOnInstall(func() { b.Reconcile(ic.why) })
	}
}

// why names the reason a provisioned LIID left the active set, from its
// latest task: deactivated, expired, or (still active, so its validity was
// modified to end) modified; no task: removed.
func (ic *intercept) why(liid string) string {
	ts, err := ic.plane.Store.Tasks()
	if err != nil {
		return ""
	}
	var last *store.Task
	for i := range ts {
		if ts[i].LIID == liid && (last == nil || ts[i].Modified.After(last.Modified)) {
			last = &ts[i]
		}
	}
	switch {
	case last == nil:
		return bridge.ReasonWarrantRemoved
	case last.State == store.StateDeactivated:
		return bridge.ReasonWarrantDeactivated
	case last.State == store.StateExpired:
		return bridge.ReasonWarrantExpired
	}
	return bridge.ReasonWarrantModified
}

func interceptModule() fx.Option {
	return fx.Module("hi1", fx.Provide(newIntercept))
}

func destNames(cfg *config.Config) *map[string]bool {
	m := make(map[string]bool, len(cfg.Destinations))
	for _, d := range cfg.Destinations {
		m[d.Name] = true
	}
	return &m
}

func planConfig(h *config.HI1) hi1.Config {
	c := hi1.Config{StoreFile: h.Store, AuditFile: h.AuditFile, NodeKey: h.NodeKey, AuditEvery: h.CheckpointEvery}
	if x := h.X1; x != nil {
		c.X1 = hi1.X1Config{Listen: x.Listen, Cert: x.Cert, Key: x.Key, ClientCA: x.ClientCA, Allow: x.Allow,
			Keyring: x.Keyring, TwoPerson: x.TwoPerson, NE: x.NEIdentifier, ADMF: x.ADMFIdentifier,
			SignatureWindow: x.SignatureWindow}
	}
	return c
}

// newIntercept opens the plane at construction, so the provisioned
// warrants are in the warrant store before the bridge loads the recorded
// intercepts and before signalling starts. Its hooks come before the
// handover's and the bridge's: X1 starts first and the plane stops last,
// after everything that writes audit records (its stop writes the audit
// file's signed shutdown checkpoint).
func newIntercept(lc fx.Lifecycle, cfg *config.Config, st *warrant.Store, log *slog.Logger, reg prometheus.Registerer, ms *metricsServer) (*intercept, error) {
	ic := &intercept{}
	ic.dests.Store(destNames(cfg))
	if cfg.HI1 == nil {
		ic.audit = auditLog{log.With("component", "audit")}
		return ic, nil
	}
	pl, err := hi1.Open(planConfig(cfg.HI1), hi1.Deps{
		Warrants: st, Plan: cfg.Node.Numbering, Static: cfg.Warrants,
		LEMF:     func(name string) bool { return (*ic.dests.Load())[name] },
		NodeName: cfg.Node.Name, Logger: log.With("component", "hi1"), Metrics: reg,
	})
	if err != nil {
		return nil, err
	}
	ic.plane, ic.audit = pl, pl.Audit
	health := pl.Audit.Err // a failed audit chain makes /healthz fail
	ms.health.Store(&health)
	lc.Append(fx.Hook{
		OnStart: pl.Start,
		OnStop: func(ctx context.Context) error {
			if ic.crash.Load() {
				return pl.Abort()
			}
			return pl.Stop(ctx)
		},
	})
	return ic, nil
}

// reload installs a reloaded configuration's static warrants next to the
// provisioned ones (without the plane: the whole set) and destination
// names. It returns the size of the new active set.
func (ic *intercept) reload(cfg *config.Config, set *warrant.Set, st *warrant.Store) int {
	ic.dests.Store(destNames(cfg))
	if ic.plane == nil {
		st.Swap(set)
		if b := ic.br.Load(); b != nil {
			b.Reconcile(nil) // a warrant removed from the file ends its intercepts
		}
		return set.Len()
	}
	ic.plane.Publisher.SetStatic(cfg.Node.Numbering, cfg.Warrants)
	return st.Load().Len()
}

// sessions is the bridge's session recorder (nil without the plane).
func (ic *intercept) sessions() bridge.SessionRecorder {
	if ic.plane == nil {
		return nil
	}
	return ic.plane.Store
}

// X1Addr returns the X1 listener's bound address (nil without X1).
func (d *Daemon) X1Addr() net.Addr {
	if d.ic == nil || d.ic.plane == nil {
		return nil
	}
	return d.ic.plane.Addr()
}

// Plane returns the intercept plane (nil without an hi1 section).
func (d *Daemon) Plane() *hi1.Plane {
	if d.ic == nil {
		return nil
	}
	return d.ic.plane
}

// hi1Key is the hi1 section without line numbers, for comparing two
// configurations (a change needs a restart).
func hi1Key(h *config.HI1) hi1Cmp {
	var k hi1Cmp
	if h == nil {
		return k
	}
	k.Has, k.H = true, *h
	k.H.Line = 0
	if h.X1 != nil {
		k.HasX, k.X = true, *h.X1
		k.X.Line = 0
	}
	k.H.X1 = nil
	return k
}

type hi1Cmp struct {
	Has, HasX bool
	H         config.HI1
	X         config.X1
}
