package daemon

import (
	"fmt"
	"log/slog"
	"net"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/tdmtap/tdmtap/config"
	"github.com/tdmtap/tdmtap/tdm/demux"
	"github.com/tdmtap/tdmtap/tdm/source"
	"go.uber.org/fx"
)

// bearer is the TDM side: one source per span feeding one demultiplexer.
type bearer struct {
	Demux   *demux.Demux
	Sources map[string]*source.Source
}

// bearerModule provides the demultiplexer and runs one span source per
// configured span (SAToP/CESoPSN UDP listener, file or DAHDI; e1/t1
// deframing inside the source where the framing needs it).
func bearerModule() fx.Option {
	return fx.Module("bearer",
		fx.Provide(demux.New),
		fx.Provide(newBearer),
	)
}

// spanJitterDefault is used when a span leaves the jitter buffer unset.
const spanJitterDefault = config.DefaultJitterBuffer

func sourceConfig(sp *config.Span) source.Config {
	sc := source.Config{
		Name:         sp.Name,
		Kind:         string(sp.Source),
		Framing:      string(sp.Framing),
		Listen:       sp.Listen,
		PayloadSize:  sp.PayloadSize,
		Timeslots:    sp.Timeslots,
		RTP:          sp.RTPHeader,
		Jitter:       sp.JitterBuffer,
		Path:         sp.Path,
		DAHDIChannel: sp.DAHDIChannel,
	}
	if sc.Jitter == 0 {
		sc.Jitter = spanJitterDefault
	}
	if sp.Source == config.File {
		// A recording replays at line rate so that its content keeps the
		// TDM clock relative to the signalling.
		sc.Pace = true
	}
	return sc
}

func newBearer(lc fx.Lifecycle, cfg *config.Config, dm *demux.Demux, reg prometheus.Registerer, log *slog.Logger) (*bearer, error) {
	b := &bearer{Demux: dm, Sources: map[string]*source.Source{}}
	for i := range cfg.Spans {
		sp := &cfg.Spans[i]
		sl := log
		src, err := source.New(sourceConfig(sp), dm, reg, sl)
		if err != nil {
			for _, s := range b.Sources {
				s.Close()
			}
			return nil, fmt.Errorf("span %s: %w", sp.Name, err)
		}
		b.Sources[sp.Name] = src
		source.RunWithLifecycle(lc, src, sl)
	}
	return b, nil
}

// spanAddrs returns the bound UDP address of every pseudowire span.
func (b *bearer) spanAddrs() map[string]net.Addr {
	m := map[string]net.Addr{}
	for name, s := range b.Sources {
		if a := s.Addr(); a != nil {
			m[name] = a
		}
	}
	return m
}
