// Package switchsim is a class 5 switch simulator for end-to-end tests and
// demos of the gateway: it plays both exchanges of a trunk on an M3UA link
// (as ASP or SGP, over TCP or SCTP, RFC 4666 or draft-6 DATA, ITU or ANSI
// ISUP), runs call scenarios at a given rate and concurrency over a CIC
// range, sends the bearer of every call on E1/T1 spans over SAToP or
// CESoPSN with a checkable pattern per direction (see PatternOctet), and
// records everything it sent as a GroundTruth.
//
// Everything is drawn from Config.Seed: call i's scenario, numbers, CIC
// (CICs are used in turn), originating side and choices are a function of
// (seed, i); only times and TDM frame numbers depend on the run.
//
// The bearer runs on one frame clock for all spans (frame 0 = the first frame
// sent, at GroundTruth.BearerEpoch). A call's bearer starts at the frame the
// wall clock gives when ANM (or, with Config.InBand, ACM for the backward
// direction) is sent, and ends just before REL/RSC/GRS; outside its window a
// timeslot carries the idle code. GroundTruth records the windows exactly.
//
// A typical command line (the gateway as SGP listening on 2905, spans and
// circuits from the gateway's own config):
//
//	switchsim --connect 127.0.0.1:2905 --rc 100 --opc 2-200-3 --dpc 2-200-4 \
//	    --config tdmtap.yaml --calls 300 --rate 20 --hold 3s \
//	    --targets +442079460001,+442079460002 --country-code 44 \
//	    --truth truth.json --seed 7
package switchsim

import (
	"context"
	"fmt"
	"net"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/tdmtap/tdmtap/ss7/isup"
	"github.com/tdmtap/tdmtap/ss7/m3ua"
)

// Sim is one simulator run.
type Sim struct {
	cfg     Config
	ls      *m3ua.Linkset
	bearer  *bearer
	targets []NumberTruth
	cics    []uint16
	legs    map[uint16][2]legRef // [0] A→B, [1] B→A
	locks   map[uint16]*sync.Mutex
	addrs   []net.Addr

	mu    sync.Mutex
	calls []*CallTruth
}

type legRef struct {
	span string
	ts   int
}

// New checks cfg and prepares the links and spans (nothing is sent yet).
func New(cfg Config) (*Sim, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	s := &Sim{cfg: cfg, legs: map[uint16][2]legRef{}, locks: map[uint16]*sync.Mutex{}}
	for _, t := range cfg.Targets {
		if d, ok := strings.CutPrefix(t, "+"); ok {
			s.targets = append(s.targets, NumberTruth{Digits: d, NAI: isup.NAIInternational})
		} else {
			s.targets = append(s.targets, NumberTruth{Digits: t, NAI: isup.NAINational})
		}
	}
	for _, cr := range cfg.Circuits {
		for c := int(cr.CICFirst); c <= int(cr.CICLast); c++ {
			cic := uint16(c)
			if _, dup := s.legs[cic]; dup {
				return nil, fmt.Errorf("switchsim: CIC %d mapped twice", cic)
			}
			var l [2]legRef
			i := c - int(cr.CICFirst)
			if cr.AtoB.Span != "" {
				l[0] = legRef{cr.AtoB.Span, cr.AtoB.Timeslots[i]}
			}
			if cr.BtoA.Span != "" {
				l[1] = legRef{cr.BtoA.Span, cr.BtoA.Timeslots[i]}
			}
			s.legs[cic] = l
			s.locks[cic] = &sync.Mutex{}
			s.cics = append(s.cics, cic)
		}
	}
	sort.Slice(s.cics, func(i, j int) bool { return s.cics[i] < s.cics[j] })
	var lcs []m3ua.LinkConfig
	var rcs []uint32
	if cfg.RC != 0 {
		rcs = []uint32{cfg.RC}
	}
	form := m3ua.FormRFC
	if cfg.Draft6 {
		form = m3ua.FormDraft6
	}
	label := m3ua.LabelITU
	if cfg.Variant == isup.ANSI {
		label = m3ua.LabelANSI8
	}
	addrs := cfg.Connect
	if cfg.Role == m3ua.RoleSGP {
		addrs = cfg.Listen
	}
	for i, a := range addrs {
		lc := m3ua.LinkConfig{
			Name: fmt.Sprintf("switchsim-%d", i), Role: cfg.Role, Transport: cfg.Transport,
			RoutingContexts: rcs, Form: form, Label: label,
			PointCodes: []uint32{cfg.OPC, cfg.DPC},
		}
		if cfg.Role == m3ua.RoleSGP {
			lc.LocalAddrs = a
		} else {
			lc.RemoteAddrs = a
			if len(addrs) > 1 {
				lc.TrafficMode = m3ua.TrafficLoadshare
			}
		}
		lcs = append(lcs, lc)
	}
	ls, err := m3ua.NewLinkset("switchsim", lcs, m3ua.HandlerFunc(func(context.Context, *m3ua.Indication) {}), m3ua.Options{Logger: cfg.Logger})
	if err != nil {
		return nil, fmt.Errorf("switchsim: %w", err)
	}
	s.ls = ls
	b, err := newBearer(cfg.Spans, cfg.Speed, cfg.Seed)
	if err != nil {
		return nil, err
	}
	s.bearer = b
	return s, nil
}

// Listen binds the SGP listening sockets now (SGP role; nothing for an
// ASP) and returns their addresses, e.g. to learn port 0's choice.
func (s *Sim) Listen() ([]net.Addr, error) {
	if s.addrs != nil {
		return s.addrs, nil
	}
	var out []net.Addr
	for _, l := range s.ls.Links() {
		if sgp, ok := l.(*m3ua.SGP); ok {
			a, err := sgp.Listen()
			if err != nil {
				return nil, fmt.Errorf("switchsim: %w", err)
			}
			out = append(out, a)
		}
	}
	s.addrs = out
	return out, nil
}

// Run is New followed by Sim.Run.
func Run(ctx context.Context, cfg Config) (*GroundTruth, error) {
	s, err := New(cfg)
	if err != nil {
		return nil, err
	}
	return s.Run(ctx)
}

// Run starts the bearer, brings the M3UA links up, runs the calls, lets the
// bearer play out, takes the links down and returns the ground truth. The
// error is non-nil when a call could not complete (the truth is returned
// anyway) or the links did not come up.
func (s *Sim) Run(ctx context.Context) (*GroundTruth, error) {
	cfg := &s.cfg
	log := cfg.Logger
	gt := &GroundTruth{Version: TruthVersion, Seed: cfg.Seed, Variant: "itu", Form: "rfc4666", NI: cfg.NI,
		PCA: cfg.OPC, PCB: cfg.DPC, Law: "alaw", IdleCode: IdleALaw, InBand: cfg.InBand}
	if cfg.Variant == isup.ANSI {
		gt.Variant = "ansi"
	}
	if cfg.Draft6 {
		gt.Form = "draft6"
	}
	if len(cfg.Spans) > 0 && cfg.Spans[0].Framing.T1() {
		gt.Law, gt.IdleCode = "ulaw", IdleULaw
	}
	if _, err := s.Listen(); err != nil {
		return nil, err
	}
	gt.Started = time.Now().UTC()
	s.bearer.begin(gt.Started)
	gt.BearerEpoch, gt.FrameRate = gt.Started, 8000*cfg.Speed
	bctx, bcancel := context.WithCancel(context.WithoutCancel(ctx))
	bdone := make(chan struct{})
	go func() { defer close(bdone); s.bearer.run(bctx) }()
	lctx, lcancel := context.WithCancel(context.WithoutCancel(ctx))
	ldone := make(chan error, 1)
	go func() { ldone <- s.ls.Run(lctx) }()
	stop := func() {
		bcancel()
		<-bdone
		lcancel()
		<-ldone
	}

	wctx, wcancel := context.WithTimeout(ctx, cfg.LinkTimeout)
	for _, l := range s.ls.Links() {
		if err := l.WaitState(wctx, m3ua.StateActive); err != nil {
			wcancel()
			stop()
			return nil, fmt.Errorf("switchsim: link %s not active: %w", l.Name(), err)
		}
	}
	wcancel()
	log.Info("links active", "links", len(s.ls.Links()))
	if err := sleep(ctx, cfg.Lead); err != nil {
		stop()
		return nil, err
	}

	sem := make(chan struct{}, cfg.Concurrency)
	var wg sync.WaitGroup
	t0 := time.Now()
	interval := time.Duration(float64(time.Second) / cfg.Rate)
	var deadline time.Time
	if cfg.Duration > 0 {
		deadline = t0.Add(cfg.Duration)
	}
	for i := 0; cfg.Calls <= 0 || i < cfg.Calls; i++ {
		at := t0.Add(time.Duration(i) * interval)
		if !deadline.IsZero() && !at.Before(deadline) {
			break
		}
		if err := sleep(ctx, time.Until(at)); err != nil {
			break
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		p := s.plan(i)
		ct := s.newCall(p)
		s.mu.Lock()
		s.calls = append(s.calls, ct)
		s.mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := s.runCall(ctx, p, ct); err != nil {
				ct.Error = err.Error()
			}
		}()
	}
	wg.Wait()
	_ = sleep(ctx, cfg.Tail)
	stop()
	gt.Finished = time.Now().UTC()
	gt.Spans = s.bearer.truth()
	gt.Totals = Totals{ByScenario: map[string]int{}, ByMessage: map[string]int{}, BearerFrames: s.bearer.carried,
		BearerMaxLag: s.bearer.maxLag, BearerLateTicks: s.bearer.late,
		BearerLagP50: s.bearer.lagPercentile(0.5), BearerLagP99: s.bearer.lagPercentile(0.99)}
	var failed error
	for _, c := range s.calls {
		gt.Calls = append(gt.Calls, *c)
		t := &gt.Totals
		t.Calls++
		t.ByScenario[c.Scenario]++
		if c.Completed {
			t.Completed++
		} else {
			t.Failed++
			if failed == nil {
				failed = fmt.Errorf("switchsim: call %d did not complete: %s", c.ID, c.Error)
			}
		}
		if c.Answered {
			t.Answered++
		}
		if c.Target {
			t.TargetCalls++
		}
		for _, m := range c.Messages {
			t.Messages++
			t.ByMessage[m.Type]++
		}
	}
	log.Info("run done", "calls", gt.Totals.Calls, "completed", gt.Totals.Completed, "messages", gt.Totals.Messages)
	if failed == nil && ctx.Err() != nil {
		failed = fmt.Errorf("switchsim: run interrupted: %w", ctx.Err())
	}
	return gt, failed
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *Sim) newCall(p *plan) *CallTruth {
	ct := &CallTruth{ID: p.id, Scenario: string(p.scenario), CIC: p.cic, OPC: s.cfg.OPC, DPC: s.cfg.DPC,
		SLS: s.sls(p.cic), Target: len(p.roles) > 0, TargetRoles: p.roles}
	if !p.origA {
		ct.OPC, ct.DPC = ct.DPC, ct.OPC
	}
	calling, called := p.calling, p.called
	ct.Calling, ct.Called = &calling, &called
	ct.OriginalCalled, ct.Redirecting, ct.Redirection = p.ocn, p.rdn, p.rinfo
	if p.scenario == Overlap {
		ct.CalledInIAM = p.called.Digits[:p.iamPart]
	}
	legs := s.legs[p.cic]
	fwd, bwd := legs[0], legs[1]
	if !p.origA {
		fwd, bwd = bwd, fwd
	}
	ct.Bearer[0] = BearerTruth{Dir: Forward.String(), FromPC: ct.OPC, Span: fwd.span, Timeslot: fwd.ts, Seed: PatternSeed(p.cic, Forward)}
	ct.Bearer[1] = BearerTruth{Dir: Backward.String(), FromPC: ct.DPC, Span: bwd.span, Timeslot: bwd.ts, Seed: PatternSeed(p.cic, Backward)}
	return ct
}

func (s *Sim) sls(cic uint16) uint8 {
	if s.cfg.Variant == isup.ANSI {
		return uint8(cic & 0x1F)
	}
	return uint8(cic & 0x0F)
}
