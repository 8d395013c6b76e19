package m3ua

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"sync"
	"time"

	"github.com/tdmtap/tdmtap/ss7/sigtran"
)

// SGP is the server side of a link: it accepts ASP associations, answers
// ASPUP/ASPAC/ASPIA/ASPDN/BEAT/DAUD, keeps the state of each AS (one per
// configured routing context, or a single default AS), notifies the ASPs
// of AS state changes, delivers DATA from active ASPs to its Handler and
// sends DATA to the active ASP(s) of an AS.
type SGP struct {
	cfg LinkConfig
	h   Handler
	opt Options
	lm  *linkMetrics

	mu      sync.Mutex
	lis     sigtran.Listener
	peers   map[*assoc]*sgpPeer
	as      map[uint32]uint16 // AS (by RC; 0 = default AS) -> ASInactive/ASActive/0 (down)
	changed chan struct{}
	wg      sync.WaitGroup

	activations int // ASPAC counter under mu (override: the latest wins)
}

type sgpPeer struct {
	up     bool
	active map[uint32]bool // ASes this ASP is active in
	order  int             // activation order (override: the latest wins)
	tmt    uint32
}

// NewSGP creates an SGP link; Listen binds it, Run serves.
func NewSGP(cfg LinkConfig, h Handler, opt Options) (*SGP, error) {
	cfg.Role = RoleSGP
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if len(cfg.LocalAddrs) == 0 {
		return nil, fmt.Errorf("m3ua: SGP link %s: no listen address", cfg.Name)
	}
	cfg.defaults()
	opt = opt.norm()
	if h == nil {
		h = HandlerFunc(func(context.Context, *Indication) {})
	}
	s := &SGP{cfg: cfg, h: h, opt: opt, lm: opt.Metrics.forLink(cfg.Name),
		peers: map[*assoc]*sgpPeer{}, as: map[uint32]uint16{}, changed: make(chan struct{})}
	return s, nil
}

// Name returns the link name.
func (s *SGP) Name() string { return s.cfg.Name }

// Role returns RoleSGP.
func (s *SGP) Role() Role { return RoleSGP }

// Listen binds the listening address (if not yet) and returns it.
func (s *SGP) Listen() (net.Addr, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lis == nil {
		l, err := sigtran.Listen(s.cfg.Transport, s.cfg.LocalAddrs, s.cfg.SCTP)
		if err != nil {
			return nil, err
		}
		s.lis = l
	}
	return s.lis.Addr(), nil
}

func (s *SGP) ases() []uint32 {
	if len(s.cfg.RoutingContexts) == 0 {
		return []uint32{0}
	}
	return s.cfg.RoutingContexts
}

// Run accepts and serves ASPs until ctx ends, then closes everything.
func (s *SGP) Run(ctx context.Context) error {
	if _, err := s.Listen(); err != nil {
		return err
	}
	defer s.wg.Wait()
	defer s.lis.Close()
	for {
		c, err := s.lis.Accept(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			s.lm.err("transport")
			if errors.Is(err, sigtran.ErrClosed) {
				return err
			}
			s.opt.Logger.Warn("m3ua SGP accept", "link", s.cfg.Name, "err", err)
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(100 * time.Millisecond):
			}
			continue
		}
		as := newAssoc(c, &s.cfg, s.lm, s.opt.Logger)
		s.mu.Lock()
		s.peers[as] = &sgpPeer{active: map[uint32]bool{}}
		s.mu.Unlock()
		as.setState(StateConnecting)
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.serve(ctx, as)
		}()
	}
}

func (s *SGP) serve(ctx context.Context, as *assoc) {
	actx, cancel := context.WithCancel(ctx)
	go as.heartbeat(actx)
	stopClose := context.AfterFunc(ctx, func() { as.conn.Close() })
	defer func() {
		stopClose()
		cancel()
		as.conn.Close()
		s.mu.Lock()
		delete(s.peers, as)
		notes := s.recomputeLocked()
		s.signalLocked()
		s.mu.Unlock()
		s.notify(context.Background(), notes)
		as.setState(StateDown)
		as.lm.dropPeer(as.peer)
	}()
	dataOK := func() bool { return as.State() == StateActive }
	err := as.readLoop(actx, s.h, dataOK, s.onCtrl)
	if ctx.Err() == nil {
		as.log.Info("m3ua SGP association ended", "err", err)
	}
}

func (s *SGP) signalLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

type asNote struct {
	to   *assoc
	info uint16
	typ  uint16
	rc   uint32
}

// recomputeLocked updates AS states from the peers and returns the NTFYs
// to send.
func (s *SGP) recomputeLocked() []asNote {
	var notes []asNote
	for _, rc := range s.ases() {
		var st uint16
		for _, p := range s.peers {
			if p.up && st == 0 {
				st = ASInactive
			}
			if p.active[rc] {
				st = ASActive
			}
		}
		if s.as[rc] == st {
			continue
		}
		s.as[rc] = st
		if st == 0 {
			continue // AS-DOWN: nobody left to tell
		}
		for a, p := range s.peers {
			if p.up {
				notes = append(notes, asNote{to: a, typ: StatusASStateChange, info: st, rc: rc})
			}
		}
	}
	return notes
}

func (s *SGP) rcList(rc uint32) []uint32 {
	if rc == 0 && len(s.cfg.RoutingContexts) == 0 {
		return nil
	}
	return []uint32{rc}
}

func (s *SGP) notify(ctx context.Context, notes []asNote) {
	for _, n := range notes {
		_ = n.to.send(ctx, EncodeNTFY(n.typ, n.info, s.rcList(n.rc)))
	}
}

// onCtrl answers the ASP procedures.
func (s *SGP) onCtrl(ctx context.Context, as *assoc, c *ctrlMsg, raw []byte) error {
	if as.commonCtrl(ctx, c, raw) {
		return nil
	}
	s.mu.Lock()
	p := s.peers[as]
	s.mu.Unlock()
	if p == nil {
		return errors.New("m3ua: SGP peer vanished")
	}
	switch {
	case c.h.Class == ClassASPSM && c.h.Type == TypeASPUP:
		notes := s.change(func() {
			p.up = true
			clear(p.active)
		})
		as.setState(StateInactive)
		if err := as.send(ctx, EncodeASPUPACK()); err != nil {
			return err
		}
		s.notify(ctx, notes)
	case c.h.Class == ClassASPSM && c.h.Type == TypeASPDN:
		notes := s.change(func() {
			p.up = false
			clear(p.active)
		})
		as.setState(StateConnecting)
		if err := as.send(ctx, EncodeASPDNACK()); err != nil {
			return err
		}
		s.notify(ctx, notes)
	case c.h.Class == ClassASPTM && c.h.Type == TypeASPAC:
		return s.aspac(ctx, as, p, c, raw)
	case c.h.Class == ClassASPTM && c.h.Type == TypeASPIA:
		if !s.isUp(p) {
			as.sendERR(ctx, ErrCodeUnexpectedMessage, raw)
			return nil
		}
		rcs, ok := s.checkRCs(c)
		if !ok {
			as.sendERR(ctx, ErrCodeInvalidRoutingContext, raw)
			return nil
		}
		var still bool
		notes := s.change(func() {
			for _, rc := range rcs {
				delete(p.active, rc)
			}
			still = len(p.active) > 0
		})
		if !still {
			as.setState(StateInactive)
		}
		if err := as.send(ctx, EncodeASPIAACK(c.routingContexts())); err != nil {
			return err
		}
		s.notify(ctx, notes)
	case c.h.Class == ClassSSNM && c.h.Type == TypeDAUD:
		s.daud(ctx, as, c)
	case c.h.Class == ClassMGMT && c.h.Type == TypeNTFY,
		c.h.Class == ClassSSNM:
		// An ASP does not send these to an SGP; the RFC lets us ignore
		// NTFY, and SSNM other than DAUD is SGP→ASP only.
		as.sendERR(ctx, ErrCodeUnexpectedMessage, raw)
	default:
		// ASPUP-ACK, ASPAC-ACK etc. are for ASPs.
		as.sendERR(ctx, ErrCodeUnexpectedMessage, raw)
	}
	return nil
}

func (s *SGP) isUp(p *sgpPeer) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return p.up
}

// checkRCs returns the ASes a message's routing contexts name (all served
// ASes when it has none) and whether they are all known.
func (s *SGP) checkRCs(c *ctrlMsg) ([]uint32, bool) {
	if !c.hasRC {
		return s.ases(), true
	}
	if len(s.cfg.RoutingContexts) == 0 {
		return nil, false
	}
	for _, rc := range c.routingContexts() {
		if !containsRC(s.cfg.RoutingContexts, rc) {
			return nil, false
		}
	}
	return c.routingContexts(), true
}

func (s *SGP) aspac(ctx context.Context, as *assoc, p *sgpPeer, c *ctrlMsg, raw []byte) error {
	if !s.isUp(p) {
		as.sendERR(ctx, ErrCodeUnexpectedMessage, raw)
		return nil
	}
	tmt := s.cfg.TrafficMode
	if tmt == 0 {
		tmt = TrafficOverride
	}
	if c.hasTMT {
		if c.tmt != TrafficOverride && c.tmt != TrafficLoadshare {
			as.sendERR(ctx, ErrCodeUnsupportedTrafficMode, raw)
			return nil
		}
		if s.cfg.TrafficMode != 0 && c.tmt != s.cfg.TrafficMode {
			as.sendERR(ctx, ErrCodeUnsupportedTrafficMode, raw)
			return nil
		}
		tmt = c.tmt
	}
	rcs, ok := s.checkRCs(c)
	if !ok {
		as.sendERR(ctx, ErrCodeInvalidRoutingContext, raw)
		return nil
	}
	var displaced []*assoc
	var still []bool
	s.mu.Lock()
	s.activations++
	p.order = s.activations
	p.tmt = tmt
	for _, rc := range rcs {
		p.active[rc] = true
		if tmt == TrafficOverride {
			for a2, p2 := range s.peers {
				if p2 != p && p2.active[rc] {
					delete(p2.active, rc)
					if !slices.Contains(displaced, a2) {
						displaced = append(displaced, a2)
					}
				}
			}
		}
	}
	for _, a2 := range displaced {
		still = append(still, len(s.peers[a2].active) > 0)
	}
	notes := s.recomputeLocked()
	s.signalLocked()
	s.mu.Unlock()
	as.setState(StateActive)
	var tmtOut uint32
	if c.hasTMT {
		tmtOut = c.tmt
	}
	if err := as.send(ctx, EncodeASPACACK(tmtOut, c.routingContexts())); err != nil {
		return err
	}
	for i, a2 := range displaced {
		if !still[i] {
			a2.setState(StateInactive)
		}
		_ = a2.send(ctx, EncodeNTFY(StatusOther, OtherAlternateASPActive, nil))
	}
	s.notify(ctx, notes)
	return nil
}

// change applies f to the peers under the lock, recomputes the AS states
// in the same critical section (so State and ASState agree at all times)
// and returns the NTFYs to send once the procedure's ack is out.
func (s *SGP) change(f func()) []asNote {
	s.mu.Lock()
	defer s.mu.Unlock()
	f()
	notes := s.recomputeLocked()
	s.signalLocked()
	return notes
}

func (s *SGP) daud(ctx context.Context, as *assoc, c *ctrlMsg) {
	var avail, unavail []uint32
	for _, apc := range c.apcs[:c.napc] {
		pc := apc & 0xffffff // mask octet ignored: exact point codes only
		if containsRC(s.cfg.PointCodes, pc) {
			avail = append(avail, pc)
		} else {
			unavail = append(unavail, pc)
		}
	}
	rcs := c.routingContexts()
	if len(avail) > 0 {
		_ = as.send(ctx, EncodeDAVA(rcs, avail))
	}
	if len(unavail) > 0 {
		_ = as.send(ctx, EncodeDUNA(rcs, unavail))
	}
}

// ASState returns the state of the AS with routing context rc (0 for the
// default AS): ASActive, ASInactive, or 0 (down).
func (s *SGP) ASState(rc uint32) uint16 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.as[rc]
}

// State returns StateActive when some AS is active, StateInactive when an
// ASP is up, StateDown otherwise.
func (s *SGP) State() State {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := StateDown
	for _, p := range s.peers {
		if len(p.active) > 0 {
			return StateActive
		}
		if p.up {
			st = StateInactive
		}
	}
	return st
}

// WaitState blocks until State() is st or ctx ends.
func (s *SGP) WaitState(ctx context.Context, st State) error {
	for {
		s.mu.Lock()
		ch := s.changed
		s.mu.Unlock()
		if cur := s.State(); cur == st {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("m3ua: link %s waiting for %s: %w", s.cfg.Name, st, ctx.Err())
		}
	}
}

// SendData sends DATA to the AS with routing context rc (0: the first
// configured, or the default AS): override mode to its active ASP,
// loadshare by SLS over its active ASPs.
func (s *SGP) SendData(ctx context.Context, rc uint32, pd ProtocolData) error {
	if rc == 0 && len(s.cfg.RoutingContexts) > 0 {
		rc = s.cfg.RoutingContexts[0]
	}
	type cand struct {
		a     *assoc
		order int
	}
	var (
		pick  *assoc
		n     int
		best  int
		cands [8]cand
	)
	s.mu.Lock()
	for a, p := range s.peers {
		if !p.active[rc] {
			continue
		}
		if p.tmt == TrafficLoadshare {
			if n < len(cands) {
				cands[n] = cand{a, p.order}
				n++
			}
		} else if p.order > best {
			best, pick = p.order, a
		}
	}
	s.mu.Unlock()
	if n > 0 {
		// Map iteration order is random: sort the candidates by activation
		// order for a stable SLS mapping.
		for i := 1; i < n; i++ {
			for j := i; j > 0 && cands[j].order < cands[j-1].order; j-- {
				cands[j], cands[j-1] = cands[j-1], cands[j]
			}
		}
		pick = cands[int(pd.SLS)%n].a
	}
	if pick == nil {
		return fmt.Errorf("m3ua: link %s AS %d: %w", s.cfg.Name, rc, ErrNotActive)
	}
	return pick.sendData(ctx, rc, rc != 0, &pd)
}
