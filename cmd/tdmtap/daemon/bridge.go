package daemon

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/tdmtap/tdmtap/bridge"
	"github.com/tdmtap/tdmtap/bridge/warrant"
	"github.com/tdmtap/tdmtap/config"
	"github.com/tdmtap/tdmtap/hi/deliver"
	"github.com/tdmtap/tdmtap/ss7/call"
	"github.com/tdmtap/tdmtap/tdm/demux"
	"go.uber.org/fx"
)

// bridgeModule provides the bridge core (which is the tracker's call.Sink)
// with the warrant store, the circuit map, the node identity, the content
// start trigger and the hi/deliver sessions as its Output.
func bridgeModule() fx.Option {
	return fx.Module("bridge",
		fx.Provide(newWarrantStore),
		fx.Provide(newBridge),
		fx.Provide(func(b *bridge.Bridge) call.Sink { return b }),
	)
}

func newWarrantStore(cfg *config.Config) (*warrant.Store, error) {
	set, err := cfg.WarrantSet()
	if err != nil {
		return nil, fmt.Errorf("warrants: %w", err)
	}
	st := &warrant.Store{}
	st.Swap(set)
	return st, nil
}

// output puts the handover sessions behind the bridge's Output. Sends never
// block; a PDU for a destination without a session is counted and dropped
// (the error is the session's or the handover's to count, not the
// signalling path's to handle).
type output struct{ h *handover }

func (o output) SendIRI(dest string, pdu []byte) { _ = o.h.Send(dest, deliver.HI2, pdu) }
func (o output) SendCC(dest string, pdu []byte)  { _ = o.h.Send(dest, deliver.HI3, pdu) }

// ccFormats is the CC format of every configured destination.
func ccFormats(cfg *config.Config) map[string]config.CCFormat {
	m := make(map[string]config.CCFormat, len(cfg.Destinations))
	for _, d := range cfg.Destinations {
		m[d.Name] = d.CCFormat
	}
	return m
}

func newBridge(lc fx.Lifecycle, cfg *config.Config, st *warrant.Store, h *handover, ic *intercept, dm *demux.Demux, reg prometheus.Registerer, log *slog.Logger) (*bridge.Bridge, error) {
	bc := bridge.FromConfig(cfg)
	bc.Warrants = st
	bc.Output = output{h}
	bc.Demux = dm
	bc.Auditor = ic.audit
	bc.Sessions = ic.sessions()
	if ic.plane != nil {
		// CINs survive restarts: the counter's reservation is in the store.
		cin, err := bridge.NewLeasedCIN(nil, ic.plane.Store, 1000, log.With("component", "bridge"))
		if err != nil {
			return nil, fmt.Errorf("bridge: %w", err)
		}
		bc.CIN = cin
	}
	bc.Logger = log.With("component", "bridge")
	bc.Registerer = reg
	b, err := bridge.New(bc)
	if err != nil {
		return nil, fmt.Errorf("bridge: %w", err)
	}
	ic.attach(b)
	busy := func() bool { return b.Active() > 0 }
	h.busy.Store(&busy)
	// Ticks warrant expiry; at stop, content subscriptions end and no
	// IRI-END is faked for calls still open.
	bridge.RunWithLifecycle(lc, b, time.Second)
	return b, nil
}
