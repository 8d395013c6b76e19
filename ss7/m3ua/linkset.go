package m3ua

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// Link is an ASP or SGP link.
type Link interface {
	Name() string
	Role() Role
	Run(ctx context.Context) error
	State() State
	WaitState(ctx context.Context, s State) error
	SendData(ctx context.Context, rc uint32, pd ProtocolData) error
}

var (
	_ Link = (*ASP)(nil)
	_ Link = (*SGP)(nil)
)

// NewLink creates an ASP or SGP link as cfg.Role says.
func NewLink(cfg LinkConfig, h Handler, opt Options) (Link, error) {
	switch cfg.Role {
	case RoleASP, "":
		return NewASP(cfg, h, opt)
	case RoleSGP:
		return NewSGP(cfg, h, opt)
	}
	return nil, fmt.Errorf("m3ua: link %s: unknown role %q", cfg.Name, cfg.Role)
}

// Linkset is several links towards one signalling point, feeding one
// Handler. The Linkset serialises the handler calls of its links, so the
// Handler sees one message at a time (in order per association).
type Linkset struct {
	name  string
	links []Link
}

type serialHandler struct {
	mu sync.Mutex
	h  Handler
}

func (s *serialHandler) HandleData(ctx context.Context, ind *Indication) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.h.HandleData(ctx, ind)
}

// NewLinkset creates the links of cfgs (names must be unique) feeding h.
func NewLinkset(name string, cfgs []LinkConfig, h Handler, opt Options) (*Linkset, error) {
	if len(cfgs) == 0 {
		return nil, fmt.Errorf("m3ua: linkset %s: no links", name)
	}
	sh := &serialHandler{h: h}
	ls := &Linkset{name: name}
	seen := map[string]bool{}
	for _, c := range cfgs {
		if seen[c.Name] {
			return nil, fmt.Errorf("m3ua: linkset %s: duplicate link name %q", name, c.Name)
		}
		seen[c.Name] = true
		l, err := NewLink(c, sh, opt)
		if err != nil {
			return nil, fmt.Errorf("m3ua: linkset %s: %w", name, err)
		}
		ls.links = append(ls.links, l)
	}
	return ls, nil
}

// Name returns the linkset name.
func (ls *Linkset) Name() string { return ls.name }

// Links returns the links, in configuration order.
func (ls *Linkset) Links() []Link { return ls.links }

// Run runs all links until ctx ends; it returns the first error that is
// not ctx's own, or ctx.Err().
func (ls *Linkset) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	errs := make([]error, len(ls.links))
	for i, l := range ls.links {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = l.Run(ctx)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil && !errors.Is(err, ctx.Err()) {
			return err
		}
	}
	return ctx.Err()
}

// SendData sends on an active link: the SLS picks among the active links
// (stable while the set of active links is), so one SLS keeps its order.
func (ls *Linkset) SendData(ctx context.Context, rc uint32, pd ProtocolData) error {
	var act [16]Link
	n := 0
	for _, l := range ls.links {
		if l.State() == StateActive && n < len(act) {
			act[n] = l
			n++
		}
	}
	if n == 0 {
		return fmt.Errorf("m3ua: linkset %s: %w", ls.name, ErrNotActive)
	}
	return act[int(pd.SLS)%n].SendData(ctx, rc, pd)
}
