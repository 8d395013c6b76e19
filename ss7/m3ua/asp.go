package m3ua

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tdmtap/tdmtap/ss7/sigtran"
)

// ASP is the client side of a link: it dials the SGP (the switch or its
// signalling gateway), brings the ASP up and active, keeps it alive with
// heartbeats, delivers DATA to its Handler, and reconnects with
// exponential backoff.
type ASP struct {
	cfg LinkConfig
	h   Handler
	opt Options
	lm  *linkMetrics

	mu      sync.Mutex
	cur     *assoc
	changed chan struct{} // closed and replaced on every state change
	state   State
	asState uint16 // last AS state NTFY (0 unknown)
}

// NewASP creates an ASP link; Run starts it.
func NewASP(cfg LinkConfig, h Handler, opt Options) (*ASP, error) {
	cfg.Role = RoleASP
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if len(cfg.RemoteAddrs) == 0 {
		return nil, fmt.Errorf("m3ua: ASP link %s: no remote address", cfg.Name)
	}
	cfg.defaults()
	opt = opt.norm()
	if h == nil {
		h = HandlerFunc(func(context.Context, *Indication) {})
	}
	a := &ASP{cfg: cfg, h: h, opt: opt, lm: opt.Metrics.forLink(cfg.Name), changed: make(chan struct{})}
	return a, nil
}

// Name returns the link name.
func (a *ASP) Name() string { return a.cfg.Name }

// Role returns RoleASP.
func (a *ASP) Role() Role { return RoleASP }

// State returns the state of the current association.
func (a *ASP) State() State {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.state
}

func (a *ASP) setState(as *assoc, s State) {
	as.setState(s)
	a.mu.Lock()
	if a.state != s {
		a.state = s
		close(a.changed)
		a.changed = make(chan struct{})
	}
	a.mu.Unlock()
}

// WaitState blocks until the link is in state s or ctx ends.
func (a *ASP) WaitState(ctx context.Context, s State) error {
	for {
		a.mu.Lock()
		st, ch := a.state, a.changed
		a.mu.Unlock()
		if st == s {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("m3ua: link %s waiting for %s (now %s): %w", a.cfg.Name, s, st, ctx.Err())
		}
	}
}

// Run keeps the link up until ctx ends: dial, ASPUP, ASPAC, serve, and on
// any failure reconnect after a growing delay. On ctx end it sends ASPDN
// (best effort), closes the association and returns ctx.Err().
func (a *ASP) Run(ctx context.Context) error {
	var delay time.Duration
	for {
		reachedActive, err := a.once(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if reachedActive {
			delay = 0
		}
		delay = backoff(delay, a.cfg.BackoffMin, a.cfg.BackoffMax)
		a.opt.Logger.Warn("m3ua ASP association ended; reconnecting", "link", a.cfg.Name, "err", err, "in", delay)
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// once runs one association to its end.
func (a *ASP) once(ctx context.Context) (reachedActive bool, err error) {
	conn, err := sigtran.Dial(ctx, a.cfg.Transport, a.cfg.LocalAddrs, a.cfg.RemoteAddrs, a.cfg.SCTP)
	if err != nil {
		a.lm.err("transport")
		return false, err
	}
	as := newAssoc(conn, &a.cfg, a.lm, a.opt.Logger)
	// The ASP's gauge is keyed by the configured peer (stable across
	// reconnects, so "down" stays visible).
	as.peer = strings.Join(a.cfg.RemoteAddrs, ",")
	a.mu.Lock()
	a.cur = as
	a.mu.Unlock()
	a.setState(as, StateConnecting)

	actx, cancel := context.WithCancel(ctx)
	defer func() {
		cancel()
		if ctx.Err() != nil {
			// Orderly stop: tell the SGP.
			sctx, c2 := context.WithTimeout(context.Background(), 500*time.Millisecond)
			_ = as.send(sctx, EncodeASPDN())
			c2()
		}
		conn.Close()
		a.mu.Lock()
		if a.cur == as {
			a.cur = nil
		}
		a.mu.Unlock()
		a.setState(as, StateDown)
	}()

	if err := as.send(actx, EncodeASPUP(a.cfg.ASPIdentifier, a.cfg.HasASPID)); err != nil {
		return false, err
	}
	// Acknowledgement supervision: the association must reach ASP-ACTIVE
	// within AckTimeout of each step, else it is dropped and redialled.
	var reached atomic.Bool // ASP-ACTIVE reached once: supervision over
	ackTimer := time.AfterFunc(a.cfg.AckTimeout, func() {
		if !reached.Load() {
			as.log.Warn("m3ua ASP: no ASPUP-ACK/ASPAC-ACK in time; closing", "timeout", a.cfg.AckTimeout)
			as.lm.err("ack_timeout")
			conn.Close()
		}
	})
	defer ackTimer.Stop()
	go as.heartbeat(actx)

	aspacSent := false
	var active bool
	onCtrl := func(ctx context.Context, as *assoc, c *ctrlMsg, raw []byte) error {
		if as.commonCtrl(ctx, c, raw) {
			return nil
		}
		switch {
		case c.h.Class == ClassASPSM && c.h.Type == TypeASPUPACK:
			if as.State() == StateConnecting {
				a.setState(as, StateInactive)
			}
			// ASPAC exactly once per association, on ASPUP-ACK only:
			// an NTFY (osmo-stp sends AS-INACTIVE right after ASPUP-ACK)
			// must not trigger a second one.
			if !aspacSent {
				aspacSent = true
				ackTimer.Reset(a.cfg.AckTimeout)
				return as.send(ctx, EncodeASPAC(a.cfg.TrafficMode, a.cfg.RoutingContexts))
			}
		case c.h.Class == ClassASPTM && c.h.Type == TypeASPACACK:
			if as.State() < StateInactive {
				as.sendERR(ctx, ErrCodeUnexpectedMessage, raw)
				return nil
			}
			active = true
			reached.Store(true)
			a.setState(as, StateActive)
		case c.h.Class == ClassASPTM && c.h.Type == TypeASPIAACK:
			if as.State() == StateActive {
				a.setState(as, StateInactive)
			}
		case c.h.Class == ClassASPSM && c.h.Type == TypeASPDNACK:
			a.setState(as, StateConnecting)
		case c.h.Class == ClassMGMT && c.h.Type == TypeNTFY:
			a.ntfy(as, c)
		case c.h.Class == ClassSSNM:
			// DUNA/DAVA/DUPU/SCON/DRST/DAUD: network management from the
			// SG; recorded by the counters. (go-m3ua's Conn answers these
			// with ERR; they are legitimate.)
			as.log.Debug("m3ua SSNM received", "msg", MessageName(c.h.Class, c.h.Type))
		default:
			// ASPUP/ASPDN/ASPAC/ASPIA are sent to an SGP, not an ASP.
			as.sendERR(ctx, ErrCodeUnexpectedMessage, raw)
		}
		return nil
	}
	dataOK := func() bool { return as.State() >= StateInactive }
	err = as.readLoop(actx, a.h, dataOK, onCtrl)
	return active, err
}

func (a *ASP) ntfy(as *assoc, c *ctrlMsg) {
	as.log.Info("m3ua NTFY", "status_type", c.statusType, "status_info", c.statusInfo)
	if !c.hasStatus {
		return
	}
	switch c.statusType {
	case StatusASStateChange:
		a.mu.Lock()
		a.asState = c.statusInfo
		a.mu.Unlock()
	case StatusOther:
		if c.statusInfo == OtherAlternateASPActive && as.State() == StateActive {
			// Override mode: another ASP took over; we are inactive now.
			a.setState(as, StateInactive)
		}
	}
}

// ASState returns the AS state last notified by the SGP (ASInactive,
// ASActive, ASPending, or 0 if none was).
func (a *ASP) ASState() uint16 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.asState
}

func (a *ASP) current() *assoc {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.cur
}

// SendData sends one DATA message with routing context rc (0: the first
// configured RC, or none). It fails with ErrNotActive unless ASP-ACTIVE.
func (a *ASP) SendData(ctx context.Context, rc uint32, pd ProtocolData) error {
	as := a.current()
	if as == nil || as.State() != StateActive {
		return fmt.Errorf("m3ua: link %s: %w", a.cfg.Name, ErrNotActive)
	}
	if rc == 0 && len(a.cfg.RoutingContexts) > 0 {
		rc = a.cfg.RoutingContexts[0]
	}
	hasRC := rc != 0
	return as.sendData(ctx, rc, hasRC, &pd)
}

// Deactivate sends ASPIA; the link goes ASP-INACTIVE on its ack. Activate
// sends ASPAC again.
func (a *ASP) Deactivate(ctx context.Context) error {
	as := a.current()
	if as == nil {
		return fmt.Errorf("m3ua: link %s: %w", a.cfg.Name, ErrNotActive)
	}
	return as.send(ctx, EncodeASPIA(a.cfg.RoutingContexts))
}

// Activate sends ASPAC on an ASP-INACTIVE association.
func (a *ASP) Activate(ctx context.Context) error {
	as := a.current()
	if as == nil || as.State() != StateInactive {
		return fmt.Errorf("m3ua: link %s: not ASP-INACTIVE", a.cfg.Name)
	}
	return as.send(ctx, EncodeASPAC(a.cfg.TrafficMode, a.cfg.RoutingContexts))
}
