package hi1

import (
	"log/slog"

	"go.uber.org/fx"

	"github.com/tdmtap/tdmtap/bridge/warrant"
	"github.com/tdmtap/tdmtap/config"
)

// Params are the plane's fx inputs. The daemon provides Config (from its
// configuration file's hi1 section) besides the shared values.
type Params struct {
	fx.In
	Lifecycle fx.Lifecycle
	Config    Config
	Node      *config.Config
	Warrants  *warrant.Store
	Logger    *slog.Logger
}

// Module provides the *Plane and its audit chain (as *audit.Auditor via
// Plane.Audit) with the application lifecycle: opened at construction (so
// the active warrants are installed before signaling starts), X1 served on
// start, audit shutdown checkpoint on stop.
var Module = fx.Module("hi1",
	fx.Provide(New),
)

// New opens the plane and ties it to the lifecycle.
func New(p Params) (*Plane, error) {
	lemf := map[string]bool{}
	for _, d := range p.Node.Destinations {
		lemf[d.Name] = true
	}
	pl, err := Open(p.Config, Deps{
		Warrants: p.Warrants, Plan: p.Node.Node.Numbering, Static: p.Node.Warrants,
		LEMF: func(n string) bool { return lemf[n] }, NodeName: p.Node.Node.Name,
		Logger: p.Logger.With("component", "hi1"),
	})
	if err != nil {
		return nil, err
	}
	p.Lifecycle.Append(fx.Hook{OnStart: pl.Start, OnStop: pl.Stop})
	return pl, nil
}
