package daemon

import (
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/tdmtap/tdmtap/config"
	"github.com/tdmtap/tdmtap/ss7/call"
	"github.com/tdmtap/tdmtap/ss7/isup"
	"github.com/tdmtap/tdmtap/ss7/m3ua"
	"github.com/tdmtap/tdmtap/ss7/sigtran"
	"go.uber.org/fx"
)

// signaling is the M3UA side: linksets feeding ISUP adapters feeding one
// call tracker.
type signaling struct {
	Tracker  *call.Tracker
	Linksets []*m3ua.Linkset
	adapters []*call.Adapter
}

// signalingModule builds one m3ua.Linkset per configured linkset, an
// ss7/call adapter per linkset (ISUP variant per link) and the tracker whose
// events go to the call.Sink (the bridge); a ticker drives the supervision
// timer.
func signalingModule() fx.Option {
	return fx.Module("signaling",
		m3ua.Module,
		fx.Provide(newTracker),
		fx.Provide(newSignaling),
	)
}

func newTracker(lc fx.Lifecycle, cfg *config.Config, sink call.Sink, reg prometheus.Registerer) (*call.Tracker, error) {
	t := call.NewTracker(call.Config{
		AnsweredTimeout: cfg.SupervisionTimer,
		Circuits:        cfg.CircuitMap().Len(),
	}, sink)
	if err := t.Register(reg, nil); err != nil {
		return nil, fmt.Errorf("call metrics: %w", err)
	}
	call.TickWithLifecycle(lc, t, time.Second)
	return t, nil
}

func isupVariant(v config.Variant) isup.Variant {
	if v == config.ANSI {
		return isup.ANSI
	}
	return isup.ITU
}

// linkConfig maps one configured link onto the m3ua package's settings.
func linkConfig(l *config.Link) m3ua.LinkConfig {
	lc := m3ua.LinkConfig{
		Name:        l.Name,
		Role:        m3ua.RoleASP,
		Transport:   sigtran.Transport(l.Transport),
		LocalAddrs:  l.Local,
		RemoteAddrs: l.Remote,
	}
	if l.Role == config.SGP {
		lc.Role = m3ua.RoleSGP
		lc.PointCodes = []uint32{l.OwnPC}
	}
	if l.HasRoutingContext {
		lc.RoutingContexts = []uint32{l.RoutingContext}
	}
	switch l.TrafficMode {
	case config.Override:
		lc.TrafficMode = m3ua.TrafficOverride
	case config.Loadshare:
		lc.TrafficMode = m3ua.TrafficLoadshare
	}
	if l.LegacyM3UADraft {
		lc.Form = m3ua.FormDraft6
	}
	if l.Variant == config.ANSI {
		lc.Label = m3ua.LabelANSI8
	}
	return lc
}

func newSignaling(lc fx.Lifecycle, cfg *config.Config, tr *call.Tracker, log *slog.Logger, reg prometheus.Registerer, mm *m3ua.Metrics) (*signaling, error) {
	s := &signaling{Tracker: tr}
	// Group links by linkset, keeping configuration order.
	var order []string
	groups := map[string][]*config.Link{}
	for i := range cfg.Links {
		l := &cfg.Links[i]
		name := l.Linkset
		if name == "" {
			name = l.Name
		}
		if _, ok := groups[name]; !ok {
			order = append(order, name)
		}
		groups[name] = append(groups[name], l)
	}
	for _, name := range order {
		links := groups[name]
		variants := make(map[string]isup.Variant, len(links))
		cfgs := make([]m3ua.LinkConfig, 0, len(links))
		for _, l := range links {
			variants[l.Name] = isupVariant(l.Variant)
			cfgs = append(cfgs, linkConfig(l))
		}
		llog := log.With("linkset", name)
		ad := call.NewAdapter(tr, call.AdapterConfig{
			Variant:  isupVariant(links[0].Variant),
			Variants: variants,
			Logger:   llog,
		})
		if err := ad.Register(reg, prometheus.Labels{"linkset": name}); err != nil {
			return nil, fmt.Errorf("linkset %s: adapter metrics: %w", name, err)
		}
		ls, err := m3ua.NewLinkset(name, cfgs, ad, m3ua.Options{Logger: llog, Metrics: mm})
		if err != nil {
			return nil, fmt.Errorf("linkset %s: %w", name, err)
		}
		s.adapters = append(s.adapters, ad)
		s.Linksets = append(s.Linksets, ls)
		m3ua.RunWithLifecycle(lc, ls, llog)
	}
	return s, nil
}

// linkAddrs returns the bound listening address of every SGP link.
func (s *signaling) linkAddrs() map[string]net.Addr {
	m := map[string]net.Addr{}
	for _, ls := range s.Linksets {
		for _, l := range ls.Links() {
			if sgp, ok := l.(*m3ua.SGP); ok {
				if a, err := sgp.Listen(); err == nil {
					m[l.Name()] = a
				}
			}
		}
	}
	return m
}
