package call

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tdmtap/tdmtap/ss7/isup"
)

const (
	pcA = 100 // lower point code
	pcB = 200 // higher point code
)

var t0 = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

type rec struct{ ev []Event }

func (r *rec) CallEvent(e *Event) { r.ev = append(r.ev, *e) }

func (r *rec) kinds() string {
	var s []string
	for _, e := range r.ev {
		x := e.Kind.String()
		if e.Ends {
			x += "!"
		}
		s = append(s, fmt.Sprintf("%s#%d", x, e.CallID))
	}
	return strings.Join(s, " ")
}

func num(digits string) isup.Number {
	var n isup.Number
	if err := n.SetDigits(digits); err != nil {
		panic(err)
	}
	n.Present = true
	n.Code = isup.PCalledPartyNumber
	n.NAI = isup.NAINational
	return n
}

func msg(t isup.MsgType, cic uint16) *isup.Message {
	return &isup.Message{Type: t, CIC: cic}
}

func iam(cic uint16, called, calling string) *isup.Message {
	m := msg(isup.IAM, cic)
	m.Called = num(called)
	if calling != "" {
		m.Calling = num(calling)
		m.Calling.Code = isup.PCallingPartyNumber
	}
	return m
}

func rel(cic uint16, cause uint8) *isup.Message {
	m := msg(isup.REL, cic)
	m.Cause = isup.Cause{Present: true, Location: 2, Value: cause}
	return m
}

type harness struct {
	t  *testing.T
	tr *Tracker
	r  *rec
	at time.Time
}

func newHarness(t *testing.T, cfg Config) *harness {
	r := &rec{}
	return &harness{t: t, tr: NewTracker(cfg, r), r: r, at: t0}
}

// send feeds m from pc "from" to the other point code, one second later.
func (h *harness) send(from uint32, m *isup.Message) {
	h.at = h.at.Add(time.Second)
	to := uint32(pcB)
	if from == pcB {
		to = pcA
	}
	h.tr.Handle(h.at, 2, from, to, m)
}

func (h *harness) want(kinds string) {
	h.t.Helper()
	if got := h.r.kinds(); got != kinds {
		h.t.Errorf("events\n got  %s\n want %s", got, kinds)
	}
}

func TestNormalCallBothDirectionsMeet(t *testing.T) {
	h := newHarness(t, Config{})
	h.send(pcB, iam(7, "0301234567", "0409876543"))
	acm := msg(isup.ACM, 7)
	acm.OBCI = isup.OptionalBackwardCallIndicators{Present: true, Value: 1}
	h.send(pcA, acm)
	cpg := msg(isup.CPG, 7)
	cpg.Event = isup.EventAlerting
	h.send(pcA, cpg)
	anm := msg(isup.ANM, 7)
	anm.Connected = num("0301234567")
	h.send(pcA, anm)
	h.send(pcA, rel(7, isup.CauseNormalClearing))
	h.send(pcB, msg(isup.RLC, 7))
	h.want("attempt#1 address-complete#1 progress#1 answer#1 release#1 release-complete!#1")

	ev := h.r.ev
	if k := ev[0].Circuit; k != (CircuitKey{NI: 2, CIC: 7, PCA: pcA, PCB: pcB}) {
		t.Errorf("key %+v", k)
	}
	for i, e := range ev {
		if e.OrigPC != pcB || e.Called.String() != "0301234567" || e.Calling.String() != "0409876543" {
			t.Errorf("event %d: orig %d called %s calling %s", i, e.OrigPC, e.Called.String(), e.Calling.String())
		}
		if want := t0.Add(time.Duration(i+1) * time.Second); !e.Time.Equal(want) {
			t.Errorf("event %d time %v want %v", i, e.Time, want)
		}
	}
	if ev[0].By != SideOrig || ev[1].By != SideTerm || !ev[1].InBand {
		t.Errorf("attempt by %s, acm by %s inband %v", ev[0].By, ev[1].By, ev[1].InBand)
	}
	if ev[2].ProgressEvent != isup.EventAlerting {
		t.Errorf("progress event %d", ev[2].ProgressEvent)
	}
	if !ev[3].Connected.Present || ev[3].AnsweredAt.IsZero() || !ev[3].AlertedAt.Equal(t0.Add(2*time.Second)) {
		t.Errorf("answer: connected %v answered %v alerted %v", ev[3].Connected.Present, ev[3].AnsweredAt, ev[3].AlertedAt)
	}
	r := ev[4]
	if r.ReleasedBy != SideTerm || !r.Cause.Present || r.Cause.Value != isup.CauseNormalClearing || r.FromPC != pcA {
		t.Errorf("release by %s cause %+v from %d", r.ReleasedBy, r.Cause, r.FromPC)
	}
	if ev[5].Cause.Value != isup.CauseNormalClearing || ev[5].ReleasedBy != SideTerm {
		t.Errorf("RLC event keeps the release cause/side: %+v %s", ev[5].Cause, ev[5].ReleasedBy)
	}
	s := h.tr.Stats()
	if s.Calls != 1 || s.Ended != 1 || s.Active != 0 || s.Messages != 6 || s.Circuits != 1 {
		t.Errorf("stats %+v", s)
	}
}

func TestOriginatingRelease(t *testing.T) {
	h := newHarness(t, Config{})
	h.send(pcA, iam(1, "1", ""))
	h.send(pcA, rel(1, isup.CauseNormalUnspec))
	h.send(pcB, msg(isup.RLC, 1))
	if h.r.ev[1].ReleasedBy != SideOrig || h.r.ev[1].OrigPC != pcA {
		t.Errorf("released by %s orig %d", h.r.ev[1].ReleasedBy, h.r.ev[1].OrigPC)
	}
}

func TestOverlapSAM(t *testing.T) {
	h := newHarness(t, Config{})
	h.send(pcA, iam(3, "0301", "555"))
	sam := msg(isup.SAM, 3)
	sam.Subsequent = num("234")
	h.send(pcA, sam)
	sam2 := msg(isup.SAM, 3)
	sam2.Subsequent = num("567F")
	h.send(pcA, sam2)
	h.send(pcB, msg(isup.ACM, 3))
	h.want("attempt#1 subsequent-address#1 subsequent-address#1 address-complete#1")
	ev := h.r.ev
	if ev[0].Called.String() != "0301" || ev[1].Called.String() != "0301234" || ev[1].Subsequent.String() != "234" {
		t.Errorf("after SAM 1: called %s subsequent %s", ev[1].Called.String(), ev[1].Subsequent.String())
	}
	if ev[2].Called.String() != "0301234567F" || ev[3].Called.String() != "0301234567F" {
		t.Errorf("after SAM 2: %s; on ACM: %s", ev[2].Called.String(), ev[3].Called.String())
	}
	if !ev[3].Called.Odd || ev[3].Called.NAI != isup.NAINational || !ev[3].Called.Present {
		t.Errorf("called flags odd=%v nai=%d", ev[3].Called.Odd, ev[3].Called.NAI)
	}
	// A SAM from the terminating side, or after answer, is not appended.
	h.send(pcB, sam)
	if got := h.r.ev[len(h.r.ev)-1].Kind; got != AddressComplete || h.tr.Stats().Orphans != 1 {
		t.Errorf("backward SAM: last %s orphans %d", got, h.tr.Stats().Orphans)
	}
}

// Dual seizure, Q.764 §2.10.1.4: the higher point code controls even CICs.
func TestDualSeizure(t *testing.T) {
	for _, tc := range []struct {
		name       string
		cic        uint16
		first      uint32
		want       string
		winnerOrig uint32
		winnerCall uint64
		answerCall uint64
	}{
		// even CIC: pcB (higher) wins
		{"even/winner-first", 10, pcB, "attempt#1 attempt#2 dual-seizure!#2 answer#1", pcB, 1, 1},
		{"even/loser-first", 10, pcA, "attempt#1 dual-seizure!#1 attempt#2 answer#2", pcB, 2, 2},
		// odd CIC: pcA (lower) wins
		{"odd/winner-first", 11, pcA, "attempt#1 attempt#2 dual-seizure!#2 answer#1", pcA, 1, 1},
		{"odd/loser-first", 11, pcB, "attempt#1 dual-seizure!#1 attempt#2 answer#2", pcA, 2, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, Config{})
			second := uint32(pcA)
			if tc.first == pcA {
				second = pcB
			}
			h.send(tc.first, iam(tc.cic, fmt.Sprint(tc.first), ""))
			h.send(second, iam(tc.cic, fmt.Sprint(second), ""))
			// the non-controlling exchange answers the controlling one's call
			other := uint32(pcA)
			if tc.winnerOrig == pcA {
				other = pcB
			}
			h.send(other, msg(isup.ANM, tc.cic))
			h.want(tc.want)
			last := h.r.ev[len(h.r.ev)-1]
			if last.OrigPC != tc.winnerOrig || last.CallID != tc.answerCall || last.Called.String() != fmt.Sprint(tc.winnerOrig) {
				t.Errorf("surviving call orig %d id %d called %s", last.OrigPC, last.CallID, last.Called.String())
			}
			for _, e := range h.r.ev {
				if e.Kind == DualSeizure && (e.OrigPC == tc.winnerOrig || e.Called.String() == fmt.Sprint(tc.winnerOrig)) {
					t.Errorf("dual-seizure event names the winner: %+v", e.OrigPC)
				}
			}
			if s := h.tr.Stats(); s.DualSeizures != 1 || s.Active != 1 || s.Calls != 2 || s.Ended != 1 {
				t.Errorf("stats %+v", s)
			}
		})
	}
}

func TestRSCMidCall(t *testing.T) {
	h := newHarness(t, Config{})
	h.send(pcA, iam(5, "1", ""))
	h.send(pcB, msg(isup.ANM, 5))
	h.send(pcB, msg(isup.RSC, 5))
	h.send(pcA, msg(isup.RLC, 5)) // the answer to RSC: expected, no event
	h.want("attempt#1 answer#1 reset!#1")
	if s := h.tr.Stats(); s.Resets != 1 || s.RLCWithoutCall != 0 || s.RLCWithoutREL != 0 || s.Active != 0 {
		t.Errorf("stats %+v", s)
	}
	if h.r.ev[2].Msg != isup.RSC || h.r.ev[2].By != SideTerm {
		t.Errorf("reset msg %s by %s", h.r.ev[2].Msg, h.r.ev[2].By)
	}
	// RSC on an idle, unknown circuit: a circuit event without call.
	h.send(pcA, msg(isup.RSC, 99))
	if e := h.r.ev[3]; e.Kind != Reset || e.CallID != 0 || e.Ends || e.Circuit.CIC != 99 {
		t.Errorf("idle reset %+v", e)
	}
}

func TestGRSMidCall(t *testing.T) {
	h := newHarness(t, Config{})
	h.send(pcA, iam(10, "1", ""))
	h.send(pcA, iam(20, "2", ""))
	h.send(pcB, msg(isup.ANM, 10))
	grs := msg(isup.GRS, 8)
	grs.RangeStatus.SetRange(3, false) // CIC 8..11
	h.send(pcB, grs)
	h.want("attempt#1 attempt#2 answer#1 reset!#1")
	if s := h.tr.Stats(); s.Active != 1 || s.Resets != 1 {
		t.Errorf("stats %+v", s)
	}
	// call on 20 unaffected
	h.send(pcB, msg(isup.ACM, 20))
	if e := h.r.ev[len(h.r.ev)-1]; e.Kind != AddressComplete || e.CallID != 2 {
		t.Errorf("CIC 20 after GRS: %s #%d", e.Kind, e.CallID)
	}
	// GRA is an acknowledgement: nothing happens
	gra := msg(isup.GRA, 8)
	gra.RangeStatus.SetRange(3, true)
	n := len(h.r.ev)
	h.send(pcA, gra)
	if len(h.r.ev) != n {
		t.Error("GRA produced events")
	}
}

func TestRELWithoutCall(t *testing.T) {
	h := newHarness(t, Config{})
	h.send(pcA, rel(4, isup.CauseNormalClearing))
	h.send(pcB, msg(isup.RLC, 4))
	h.want("orphan#0") // the REL; its RLC is expected, not reported
	if s := h.tr.Stats(); s.RELWithoutCall != 1 || s.RLCWithoutCall != 0 || s.Ended != 0 {
		t.Errorf("stats %+v", s)
	}
	// the circuit is usable afterwards
	h.send(pcA, iam(4, "9", ""))
	h.want("orphan#0 attempt#1")
}

func TestRLCWithoutREL(t *testing.T) {
	h := newHarness(t, Config{})
	h.send(pcA, iam(6, "1", ""))
	h.send(pcB, msg(isup.ANM, 6))
	h.send(pcB, msg(isup.RLC, 6))
	h.want("attempt#1 answer#1 release-complete!#1")
	h.send(pcB, msg(isup.RLC, 6)) // nothing to complete
	if s := h.tr.Stats(); s.RLCWithoutREL != 1 || s.RLCWithoutCall != 1 || s.Active != 0 {
		t.Errorf("stats %+v", s)
	}
}

func TestRELCollision(t *testing.T) {
	h := newHarness(t, Config{})
	h.send(pcA, iam(6, "1", ""))
	h.send(pcA, rel(6, 16))
	h.send(pcB, rel(6, 31))
	h.send(pcB, msg(isup.RLC, 6))
	h.want("attempt#1 release#1 release-complete!#1")
	if e := h.r.ev[2]; e.Cause.Value != 16 || e.ReleasedBy != SideOrig {
		t.Errorf("first REL must count: cause %d by %s", e.Cause.Value, e.ReleasedBy)
	}
}

func TestBlocking(t *testing.T) {
	h := newHarness(t, Config{})
	h.send(pcA, msg(isup.BLO, 30))
	k := MakeKey(2, pcA, pcB, 30)
	if !h.tr.Blocked(k) {
		t.Error("BLO did not block")
	}
	h.send(pcB, msg(isup.BLA, 30))
	h.send(pcA, msg(isup.UBL, 30))
	if h.tr.Blocked(k) {
		t.Error("UBL did not unblock")
	}
	h.want("blocked#0 unblocked#0")

	// CGB maintenance with status: only flagged circuits; a call survives.
	h.r.ev = nil
	h.send(pcA, iam(41, "1", ""))
	cgb := msg(isup.CGB, 40)
	cgb.RangeStatus.SetRange(3, true) // 40..43
	cgb.RangeStatus.SetStatus(1, true)
	cgb.RangeStatus.SetStatus(3, true)
	h.send(pcB, cgb)
	h.want("attempt#1 blocked#1 blocked#0")
	if h.r.ev[2].Circuit.CIC != 43 || h.r.ev[1].Hardware || h.tr.Blocked(MakeKey(2, pcA, pcB, 42)) || !h.tr.Blocked(MakeKey(2, pcA, pcB, 43)) {
		t.Errorf("CGB maintenance: %+v", h.r.ev[2].Circuit)
	}
	// CGB hardware failure ends the call on 41.
	h.r.ev = nil
	cgb.CGSMT = 1
	h.send(pcB, cgb)
	h.want("blocked!#1 blocked#0")
	if !h.r.ev[0].Hardware || h.tr.ActiveCalls() != 0 {
		t.Errorf("hardware CGB: hw %v active %d", h.r.ev[0].Hardware, h.tr.ActiveCalls())
	}
	cgu := msg(isup.CGU, 40)
	cgu.RangeStatus.SetRange(3, true)
	cgu.RangeStatus.SetStatus(1, true)
	cgu.RangeStatus.SetStatus(3, true)
	h.r.ev = nil
	h.send(pcB, cgu)
	h.want("unblocked#0 unblocked#0")
	if h.tr.Blocked(MakeKey(2, pcA, pcB, 43)) {
		t.Error("CGU did not unblock 43")
	}
}

func TestSuspendResumeAndTimers(t *testing.T) {
	h := newHarness(t, Config{SetupTimeout: time.Minute, AnsweredTimeout: time.Hour, ReleaseTimeout: 30 * time.Second})
	h.send(pcA, iam(1, "1", ""))
	h.send(pcB, msg(isup.ANM, 1))
	h.send(pcA, msg(isup.SUS, 1))
	h.send(pcA, msg(isup.RES, 1))
	h.send(pcA, msg(isup.SUS, 1))
	h.want("attempt#1 answer#1 suspend#1 resume#1 suspend#1")
	if h.r.ev[2].By != SideOrig {
		t.Errorf("suspend by %s", h.r.ev[2].By)
	}

	h.send(pcA, iam(2, "2", "")) // setup, never answered
	h.send(pcA, iam(3, "3", ""))
	h.send(pcA, rel(3, 16)) // released, RLC lost
	h.r.ev = nil
	last := h.at
	h.tr.Tick(last.Add(29 * time.Second))
	h.want("")
	h.tr.Tick(last.Add(31 * time.Second))
	h.want("ended-unseen!#3")
	h.tr.Tick(last.Add(61 * time.Second))
	h.want("ended-unseen!#3 ended-unseen!#2")
	if e := h.r.ev[1]; !e.Time.Equal(last.Add(61*time.Second)) || e.Msg != 0 || e.Called.String() != "2" {
		t.Errorf("timer event %+v", e)
	}
	h.tr.Tick(last.Add(59 * time.Minute))
	h.want("ended-unseen!#3 ended-unseen!#2")
	h.tr.Tick(last.Add(time.Hour))
	h.want("ended-unseen!#3 ended-unseen!#2 ended-unseen!#1")
	if s := h.tr.Stats(); s.TimedOut != 3 || s.Active != 0 || h.tr.ActiveCalls() != 0 {
		t.Errorf("stats %+v", s)
	}
}

func TestIAMOnBusyCircuitAndOrphans(t *testing.T) {
	h := newHarness(t, Config{})
	h.send(pcA, msg(isup.ANM, 9)) // no call
	h.send(pcA, msg(isup.ACM, 9))
	h.send(pcA, iam(9, "1", ""))
	h.send(pcB, msg(isup.ACM, 9))
	h.send(pcA, iam(9, "2", "")) // same side again: the old call's end was lost
	h.want("orphan#0 orphan#0 attempt#1 address-complete#1 ended-unseen!#1 attempt#2")
	if s := h.tr.Stats(); s.Orphans != 2 || s.Superseded != 1 {
		t.Errorf("stats %+v", s)
	}
}

func TestHotPathNoAllocs(t *testing.T) {
	tr := NewTracker(Config{Circuits: 64}, SinkFunc(func(*Event) {}))
	msgs := callMessages(5)
	now := t0
	allocs := testing.AllocsPerRun(200, func() {
		for _, s := range msgs {
			now = now.Add(time.Millisecond)
			tr.Handle(now, 2, s.opc, s.dpc, s.m)
		}
	})
	if allocs != 0 {
		t.Errorf("%.1f allocs per call cycle, want 0", allocs)
	}
}

type step struct {
	opc, dpc uint32
	m        *isup.Message
}

func callMessages(cic uint16) []step {
	acm := msg(isup.ACM, cic)
	sam := msg(isup.SAM, cic)
	sam.Subsequent = num("89")
	return []step{
		{pcA, pcB, iam(cic, "03012345", "040987654")},
		{pcA, pcB, sam},
		{pcB, pcA, acm},
		{pcB, pcA, msg(isup.ANM, cic)},
		{pcB, pcA, rel(cic, 16)},
		{pcA, pcB, msg(isup.RLC, cic)},
	}
}

func BenchmarkTracker(b *testing.B) {
	const circuits = 1024
	tr := NewTracker(Config{Circuits: circuits}, SinkFunc(func(*Event) {}))
	var all []step
	for c := 0; c < circuits; c++ {
		all = append(all, callMessages(uint16(c))...)
	}
	now := t0
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s := &all[i%len(all)]
		now = now.Add(time.Microsecond)
		tr.Handle(now, 2, s.opc, s.dpc, s.m)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// TestOrphanEvents: call-control messages on a circuit without a call are
// reported as Orphan events with the message type, the sender, the circuit
// and the message's cause / connected number, and no call.
func TestOrphanEvents(t *testing.T) {
	h := newHarness(t, Config{})
	anm := msg(isup.ANM, 12)
	anm.Connected = num("4711")
	anm.Connected.Code = isup.PConnectedNumber
	h.send(pcB, anm)
	h.send(pcB, msg(isup.SUS, 12))
	h.send(pcA, rel(12, isup.CauseNormalClearing))
	h.send(pcB, msg(isup.RLC, 12)) // expected after the REL: no event
	h.send(pcB, msg(isup.RLC, 13)) // unexpected: reported
	h.want("orphan#0 orphan#0 orphan#0 orphan#0")
	want := []struct {
		mt   isup.MsgType
		from uint32
		cic  uint16
	}{{isup.ANM, pcB, 12}, {isup.SUS, pcB, 12}, {isup.REL, pcA, 12}, {isup.RLC, pcB, 13}}
	for i, w := range want {
		e := h.r.ev[i]
		if e.Msg != w.mt || e.FromPC != w.from || e.Circuit != MakeKey(2, pcA, pcB, w.cic) || e.Ends || e.OrigPC != 0 {
			t.Errorf("event %d: %+v, want %s from %d on CIC %d", i, e, w.mt, w.from, w.cic)
		}
	}
	if e := h.r.ev[0]; string(e.Connected.Digits()) != "4711" {
		t.Errorf("orphan ANM connected number %q", e.Connected.Digits())
	}
	if e := h.r.ev[2]; !e.Cause.Present || e.Cause.Value != isup.CauseNormalClearing {
		t.Errorf("orphan REL cause %+v", e.Cause)
	}
	if s := h.tr.Stats(); s.Orphans != 2 || s.RELWithoutCall != 1 || s.RLCWithoutCall != 1 || s.Calls != 0 || s.Active != 0 {
		t.Errorf("stats %+v", s)
	}
	// A later IAM starts a normal call.
	h.send(pcA, iam(12, "1", ""))
	if e := h.r.ev[len(h.r.ev)-1]; e.Kind != Attempt || e.CallID == 0 {
		t.Errorf("after orphans: %+v", e)
	}
}
