package switchsim

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tdmtap/tdmtap/config"
	"github.com/tdmtap/tdmtap/ss7/call"
	"github.com/tdmtap/tdmtap/ss7/isup"
	"github.com/tdmtap/tdmtap/ss7/m3ua"
	"github.com/tdmtap/tdmtap/ss7/sigtran"
)

type runOpts struct {
	variant isup.Variant
	draft   bool
	simSGP  bool // the simulator listens as SGP, the test peer connects as ASP
	assocs  int
	framing config.Framing
	cesBA   bool // span "ba" as CESoPSN
	inband  bool
	calls   int
	seed    int64
}

var testTargets = []string{"+442079460001", "+442079460002", "2079460003"}

// runSim runs the simulator against an in-test peer and returns what both
// sides saw.
func runSim(t *testing.T, o runOpts) (*GroundTruth, *peer, map[string]*spanRx) {
	t.Helper()
	if o.assocs == 0 {
		o.assocs = 1
	}
	if o.framing == "" {
		o.framing = config.E1CRC4
	}
	if o.calls == 0 {
		o.calls = 2 * len(Scenarios)
	}
	opc, dpc := uint32(1000), uint32(2000)
	if o.variant == isup.ANSI {
		opc, dpc = 0x010203, 0x010204
	}
	ab := newSpanRx(t, "ab", o.framing, SAToP, nil)
	cesSlots := []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31}
	if o.framing.T1() {
		cesSlots = []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24}
	}
	baKind := SAToP
	if o.cesBA {
		baKind = CESoPSN
	}
	ba := newSpanRx(t, "ba", o.framing, baKind, cesSlots)
	last := uint16(30)
	if o.framing.T1() {
		last = 24
	}
	circuits, spans, err := DefaultBearer(1, last, o.framing, ab.addr(), ba.addr())
	if err != nil {
		t.Fatal(err)
	}
	if o.cesBA {
		spans[1].Kind, spans[1].Timeslots = CESoPSN, cesSlots
	}
	cfg := Config{
		Transport: sigtran.TCP, RC: 7, OPC: opc, DPC: dpc, NI: 2, Variant: o.variant, Draft6: o.draft,
		Calls: o.calls, Rate: 200, Concurrency: 12, Hold: 120 * time.Millisecond, Ring: 20 * time.Millisecond, Gap: 3 * time.Millisecond,
		RoundRobin: true, Targets: testTargets, TargetShare: 0.5, CountryCode: "44", InBand: o.inband, Seed: o.seed,
		Circuits: circuits, Spans: spans, Lead: 60 * time.Millisecond, Tail: 100 * time.Millisecond, LinkTimeout: 10 * time.Second,
	}
	cfg.Mix, _ = ParseMix("all")
	p := newPeer(o.variant)
	form := m3ua.FormRFC
	if o.draft {
		form = m3ua.FormDraft6
	}
	var sim *Sim
	if o.simSGP {
		cfg.Role = m3ua.RoleSGP
		for range o.assocs {
			cfg.Listen = append(cfg.Listen, []string{"127.0.0.1:0"})
		}
		if sim, err = New(cfg); err != nil {
			t.Fatal(err)
		}
		addrs, err := sim.Listen()
		if err != nil {
			t.Fatal(err)
		}
		for i, a := range addrs {
			asp, err := m3ua.NewASP(m3ua.LinkConfig{Name: fmt.Sprintf("gw%d", i), Role: m3ua.RoleASP, Transport: sigtran.TCP,
				RemoteAddrs: []string{a.String()}, RoutingContexts: []uint32{7}, Form: form, Label: linkLabel(o.variant),
				BackoffMin: 20 * time.Millisecond}, p.handler(i), m3ua.Options{})
			if err != nil {
				t.Fatal(err)
			}
			runLink(t, asp)
		}
	} else {
		cfg.Role = m3ua.RoleASP
		for i := range o.assocs {
			sgp, err := m3ua.NewSGP(m3ua.LinkConfig{Name: fmt.Sprintf("gw%d", i), Role: m3ua.RoleSGP, Transport: sigtran.TCP,
				LocalAddrs: []string{"127.0.0.1:0"}, RoutingContexts: []uint32{7}, Form: form, Label: linkLabel(o.variant)}, p.handler(i), m3ua.Options{})
			if err != nil {
				t.Fatal(err)
			}
			a, err := sgp.Listen()
			if err != nil {
				t.Fatal(err)
			}
			runLink(t, sgp)
			cfg.Connect = append(cfg.Connect, []string{a.String()})
		}
		if sim, err = New(cfg); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*waitFor)
	defer cancel()
	gt, err := sim.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	p.waitMsgs(t, gt.Totals.Messages)
	t.Logf("bearer: max lag %d frames, %d late ticks", gt.Totals.BearerMaxLag, gt.Totals.BearerLateTicks)
	rx := map[string]*spanRx{"ab": ab, "ba": ba}
	for _, st := range gt.Spans {
		rx[st.Name].finish(t, st.Packets)
	}
	return gt, p, rx
}

func kindOf(typ string, prev string) (call.EventKind, bool) {
	switch typ {
	case "IAM":
		return call.Attempt, true
	case "SAM":
		return call.SubsequentAddress, true
	case "ACM":
		return call.AddressComplete, true
	case "CPG":
		return call.Progress, true
	case "ANM":
		return call.Answer, true
	case "SUS":
		return call.Suspend, true
	case "RES":
		return call.Resume, true
	case "REL":
		return call.Release, true
	case "RLC":
		return call.ReleaseComplete, prev == "REL"
	case "RSC", "GRS":
		return call.Reset, true
	}
	return 0, false
}

func side(s string) call.Side {
	if s == "term" {
		return call.SideTerm
	}
	return call.SideOrig
}

// checkSignalling compares the peer's decoded messages and tracker events
// with the ground truth, call by call.
func checkSignalling(t *testing.T, gt *GroundTruth, p *peer) {
	t.Helper()
	events, msgs := p.snapshot()
	byCIC := map[uint16][]rawMsg{}
	for _, m := range msgs {
		byCIC[m.CIC] = append(byCIC[m.CIC], m)
	}
	evByCall := map[uint64][]ev{}
	callOfCIC := map[uint16][]uint64{}
	for _, e := range events {
		if e.CallID == 0 {
			continue
		}
		if len(evByCall[e.CallID]) == 0 {
			callOfCIC[e.CIC] = append(callOfCIC[e.CIC], e.CallID)
		}
		evByCall[e.CallID] = append(evByCall[e.CallID], e)
	}
	seen := map[string]int{}
	for _, c := range gt.Calls {
		seen[c.Scenario]++
		if !c.Completed {
			t.Errorf("call %d (%s) not completed: %s", c.ID, c.Scenario, c.Error)
			continue
		}
		// raw messages on the wire, in order
		got := byCIC[c.CIC]
		if len(got) < len(c.Messages) {
			t.Errorf("call %d: %d messages on CIC %d, sent %d", c.ID, len(got), c.CIC, len(c.Messages))
			continue
		}
		for i, m := range c.Messages {
			g := got[i]
			if g.Type.String() != m.Type || g.OPC != m.OPC || g.DPC != m.DPC || g.NI != gt.NI || g.SLS != c.SLS {
				t.Errorf("call %d msg %d: got %s %d→%d NI %d SLS %d, truth %s %d→%d NI %d SLS %d", c.ID, i, g.Type, g.OPC, g.DPC, g.NI, g.SLS, m.Type, m.OPC, m.DPC, gt.NI, c.SLS)
			}
		}
		byCIC[c.CIC] = got[len(c.Messages):]
		// tracker events
		ids := callOfCIC[c.CIC]
		if len(ids) == 0 {
			t.Errorf("call %d: no tracker call on CIC %d", c.ID, c.CIC)
			continue
		}
		callOfCIC[c.CIC] = ids[1:]
		evs := evByCall[ids[0]]
		var want []call.EventKind
		var from []uint32
		var inband []bool
		prev := ""
		for _, m := range c.Messages {
			if k, ok := kindOf(m.Type, prev); ok {
				want = append(want, k)
				from = append(from, m.OPC)
				inband = append(inband, m.InBand)
			}
			prev = m.Type
		}
		if len(evs) != len(want) {
			t.Errorf("call %d (%s): events %v, want %v", c.ID, c.Scenario, kinds(evs), want)
			continue
		}
		for i, e := range evs {
			if e.Kind == call.AddressComplete && e.InBand != inband[i] {
				t.Errorf("call %d: ACM in-band %v, truth %v", c.ID, e.InBand, inband[i])
			}
			if e.Kind != want[i] || e.FromPC != from[i] || e.OrigPC != c.OPC {
				t.Errorf("call %d (%s) event %d: %s from %d orig %d, want %s from %d orig %d", c.ID, c.Scenario, i, e.Kind, e.FromPC, e.OrigPC, want[i], from[i], c.OPC)
			}
		}
		first, last := evs[0], evs[len(evs)-1]
		wantIAMCalled := c.Called.Digits
		if c.CalledInIAM != "" {
			wantIAMCalled = c.CalledInIAM
		}
		if first.Called != wantIAMCalled || first.CalledNAI != c.Called.NAI || first.Calling != c.Calling.Digits || first.CallingNAI != c.Calling.NAI {
			t.Errorf("call %d: attempt called %s/%d calling %s/%d, truth %s/%d %s/%d", c.ID, first.Called, first.CalledNAI, first.Calling, first.CallingNAI, wantIAMCalled, c.Called.NAI, c.Calling.Digits, c.Calling.NAI)
		}
		if last.Called != c.Called.Digits {
			t.Errorf("call %d: final called %s, truth %s", c.ID, last.Called, c.Called.Digits)
		}
		if c.OriginalCalled != nil && (first.OCN != c.OriginalCalled.Digits || first.Redirecting != c.Redirecting.Digits) {
			t.Errorf("call %d: OCN %s redirecting %s, truth %s %s", c.ID, first.OCN, first.Redirecting, c.OriginalCalled.Digits, c.Redirecting.Digits)
		}
		if !last.Ends {
			t.Errorf("call %d: last event %s does not end the call", c.ID, last.Kind)
		}
		for _, e := range evs {
			if e.Kind == call.Release && (e.Cause != c.Cause || e.ReleasedBy != side(c.ReleasedBy)) {
				t.Errorf("call %d: release cause %d by %s, truth %d by %s", c.ID, e.Cause, e.ReleasedBy, c.Cause, c.ReleasedBy)
			}
		}
		// scenario shape
		switch Scenario(c.Scenario) {
		case Busy:
			if c.Cause != isup.CauseUserBusy || c.Answered {
				t.Errorf("call %d busy: cause %d answered %v", c.ID, c.Cause, c.Answered)
			}
		case Unanswered:
			if c.Answered || (c.Cause != isup.CauseNoAnswer && c.Cause != isup.CauseNormalClearing) {
				t.Errorf("call %d unanswered: cause %d answered %v", c.ID, c.Cause, c.Answered)
			}
		case ResetMidCall:
			if c.Reset == "" || !c.Answered {
				t.Errorf("call %d reset: reset %q answered %v", c.ID, c.Reset, c.Answered)
			}
		case Overlap:
			if c.CalledInIAM == "" || !strings.HasPrefix(c.Called.Digits, c.CalledInIAM) || countType(c, "SAM") == 0 {
				t.Errorf("call %d overlap: IAM part %q of %q, %d SAMs", c.ID, c.CalledInIAM, c.Called.Digits, countType(c, "SAM"))
			}
		case SuspendResume:
			if countType(c, "SUS") != 1 || countType(c, "RES") != 1 {
				t.Errorf("call %d suspend: no SUS/RES", c.ID)
			}
		case TargetOrig, TargetTerm, ForwardedFrom, ForwardedTo:
			if !c.Target {
				t.Errorf("call %d %s: no target", c.ID, c.Scenario)
			}
			if (c.Scenario == string(ForwardedFrom) || c.Scenario == string(ForwardedTo)) && (c.OriginalCalled == nil || c.Redirection == nil) {
				t.Errorf("call %d %s: no redirection", c.ID, c.Scenario)
			}
		default:
			if !c.Answered {
				t.Errorf("call %d %s: not answered", c.ID, c.Scenario)
			}
		}
	}
	for _, sc := range Scenarios {
		if seen[string(sc)] == 0 {
			t.Errorf("no call of scenario %s", sc)
		}
	}
}

func countType(c CallTruth, typ string) int {
	n := 0
	for _, m := range c.Messages {
		if m.Type == typ {
			n++
		}
	}
	return n
}

func kinds(evs []ev) []call.EventKind {
	out := make([]call.EventKind, len(evs))
	for i, e := range evs {
		out[i] = e.Kind
	}
	return out
}

// checkBearer scans every received frame of every mapped timeslot: the
// pattern inside the truth's windows, the idle code outside.
func checkBearer(t *testing.T, gt *GroundTruth, rx map[string]*spanRx, tsUsed []int) {
	t.Helper()
	type key struct {
		span string
		ts   int
	}
	wins := map[key][]BearerTruth{}
	for _, c := range gt.Calls {
		for d, bt := range c.Bearer {
			if c.Answered && !bt.Carried {
				t.Errorf("call %d: answered but %s carried nothing", c.ID, bt.Dir)
			}
			if !c.Answered && bt.Carried && !(gt.InBand && d == int(Backward)) {
				t.Errorf("call %d (%s): not answered but %s carried a pattern", c.ID, c.Scenario, bt.Dir)
			}
			if bt.Seed != PatternSeed(c.CIC, Direction(d)) {
				t.Errorf("call %d: seed", c.ID)
			}
			if bt.Carried {
				wins[key{bt.Span, bt.Timeslot}] = append(wins[key{bt.Span, bt.Timeslot}], bt)
			}
		}
	}
	for _, st := range gt.Spans {
		r := rx[st.Name]
		var checked, pattern uint64
		var firstBad string
		bad := 0
		for f := uint64(0); f < st.Frames; f++ {
			for _, ts := range tsUsed {
				got, ok := r.octet(f, ts)
				if !ok {
					continue
				}
				want := byte(gt.IdleCode)
				for _, w := range wins[key{st.Name, ts}] {
					if f >= w.FirstFrame && f <= w.LastFrame {
						want = PatternOctet(w.Seed, f)
						pattern++
						break
					}
				}
				checked++
				if got != want {
					if bad == 0 {
						firstBad = fmt.Sprintf("frame %d ts %d: %#02x, want %#02x", f, ts, got, want)
					}
					bad++
				}
			}
		}
		if bad > 0 {
			t.Errorf("span %s: %d of %d octets wrong, first %s", st.Name, bad, checked, firstBad)
		}
		if pattern == 0 {
			t.Errorf("span %s: no pattern octet checked", st.Name)
		}
		if r.have == nil || !r.have[st.Frames-1] {
			t.Errorf("span %s: last frame %d not received", st.Name, st.Frames-1)
		}
		s := r.stats()
		if s.CRCErrors != 0 || s.AlignmentLosses != 0 || s.Slips != 0 {
			t.Errorf("span %s: deframer %+v", st.Name, s)
		}
		t.Logf("span %s: %d frames, %d octets checked, %d pattern octets", st.Name, st.Frames, checked, pattern)
	}
	for k, ws := range wins {
		for _, w := range ws {
			if _, ok := rx[k.span].octet(w.FirstFrame, k.ts); !ok {
				t.Errorf("span %s ts %d: window start %d not received", k.span, k.ts, w.FirstFrame)
			}
		}
	}
}

func e1Slots(n int) []int {
	var s []int
	for ts := 1; len(s) < n; ts++ {
		if ts != 16 {
			s = append(s, ts)
		}
	}
	return s
}

func TestScenariosITU(t *testing.T) {
	gt, p, rx := runSim(t, runOpts{variant: isup.ITU, seed: 3, calls: 3 * len(Scenarios)})
	checkSignalling(t, gt, p)
	checkBearer(t, gt, rx, e1Slots(30))
	// Windows sit on the frame clock where the signalling put them.
	frameAt := func(tm time.Time) int64 { return int64(tm.Sub(gt.BearerEpoch).Seconds() * gt.FrameRate) }
	for _, c := range gt.Calls {
		var anm, end time.Time
		for _, m := range c.Messages {
			switch m.Type {
			case "ANM":
				anm = m.Time
			case "REL", "RSC", "GRS":
				if end.IsZero() {
					end = m.Time
				}
			}
		}
		for _, b := range c.Bearer {
			if !b.Carried {
				continue
			}
			if d := int64(b.FirstFrame) - frameAt(anm); d < -8 || d > 400 {
				t.Errorf("call %d %s: first frame %d is %d frames from ANM", c.ID, b.Dir, b.FirstFrame, d)
			}
			// A generator running late holds the release back by up
			// to its lag (see bearer.stop).
			if d := int64(b.LastFrame) - frameAt(end); d > 8 || d < -400-int64(gt.Totals.BearerMaxLag) {
				t.Errorf("call %d %s: last frame %d is %d frames from the release", c.ID, b.Dir, b.LastFrame, d)
			}
		}
	}
	resets := map[string]int{}
	for _, c := range gt.Calls {
		resets[c.Reset]++
	}
	if resets["RSC"] == 0 || resets["GRS"] == 0 {
		t.Errorf("resets %v: want both RSC and GRS", resets)
	}
	if gt.Totals.Calls != 3*len(Scenarios) || gt.Totals.Completed != gt.Totals.Calls || gt.Totals.TargetCalls < 8 {
		t.Errorf("totals %+v", gt.Totals)
	}
}

func TestANSIDraft6SGPT1(t *testing.T) {
	gt, p, rx := runSim(t, runOpts{variant: isup.ANSI, draft: true, simSGP: true, framing: config.T1ESF, cesBA: true, seed: 5, inband: true})
	checkSignalling(t, gt, p)
	var ts []int
	for i := 1; i <= 24; i++ {
		ts = append(ts, i)
	}
	checkBearer(t, gt, rx, ts)
	if gt.Variant != "ansi" || gt.Form != "draft6" || gt.Law != "ulaw" {
		t.Errorf("truth header %s %s %s", gt.Variant, gt.Form, gt.Law)
	}
	inband := 0
	for _, c := range gt.Calls {
		if !c.Answered && c.Bearer[Backward].Carried {
			inband++
		}
	}
	if inband == 0 {
		t.Error("no unanswered call carried in-band backward bearer")
	}
}

func TestLinksetSpreadBySLS(t *testing.T) {
	gt, p, _ := runSim(t, runOpts{variant: isup.ITU, assocs: 2, seed: 9})
	checkSignalling(t, gt, p)
	_, msgs := p.snapshot()
	per := map[int]int{}
	slsPeer := map[uint8]int{}
	for _, m := range msgs {
		per[m.peer]++
		if q, ok := slsPeer[m.SLS]; ok && q != m.peer {
			t.Errorf("SLS %d on associations %d and %d", m.SLS, q, m.peer)
		}
		slsPeer[m.SLS] = m.peer
	}
	if per[0] == 0 || per[1] == 0 {
		t.Errorf("messages per association %v: not spread", per)
	}
}
