package call

import (
	"testing"
	"time"

	"github.com/tdmtap/tdmtap/ss7/isup"
)

var fuzzTypes = []isup.MsgType{
	isup.IAM, isup.SAM, isup.ACM, isup.CPG, isup.ANM, isup.CON, isup.SUS, isup.RES,
	isup.REL, isup.RLC, isup.RSC, isup.GRS, isup.BLO, isup.UBL, isup.CGB, isup.CGU, isup.COT, 0,
}

// FuzzTracker drives the tracker with arbitrary message sequences on a few
// circuits of one point-code pair and checks the event contract: every
// call starts with Attempt, ends exactly once (Ends), has no event after
// its end, and no call is left once the supervision timer has run.
func FuzzTracker(f *testing.F) {
	f.Add([]byte{0, 0, 2, 1, 4, 1, 8, 1, 9, 0})               // normal call
	f.Add([]byte{0, 0, 0, 1, 4, 1})                           // dual seizure
	f.Add([]byte{0, 0, 4, 1, 10, 1, 9, 0, 8, 0, 9, 1})        // RSC mid-call, REL without call
	f.Add([]byte{0, 2, 0, 3, 11, 0x31, 14, 0x21, 14, 0xa1})   // GRS, CGB
	f.Add([]byte{0, 0, 1, 0, 1, 0, 6, 0, 17, 0x7f, 17, 0xff}) // SAMs, tick
	f.Fuzz(runProg)
}

func runProg(t *testing.T, prog []byte) {
	started := map[uint64]bool{}
	ended := map[uint64]bool{}
	var bad string
	sink := SinkFunc(func(e *Event) {
		if bad != "" {
			return
		}
		if e.CallID == 0 {
			if e.Ends {
				bad = "Ends on an event without call"
			}
			return
		}
		if ended[e.CallID] {
			bad = e.Kind.String() + " after the call ended"
			return
		}
		if !started[e.CallID] {
			if e.Kind != Attempt {
				bad = "first event " + e.Kind.String()
				return
			}
			started[e.CallID] = true
		}
		if e.Ends {
			ended[e.CallID] = true
		}
	})
	tr := NewTracker(Config{SetupTimeout: time.Minute, AnsweredTimeout: time.Hour, ReleaseTimeout: 10 * time.Second}, sink)
	now := t0
	for i := 0; i+1 < len(prog); i += 2 {
		op, arg := prog[i], prog[i+1]
		mt := fuzzTypes[int(op)%len(fuzzTypes)]
		now = now.Add(time.Duration(arg>>4) * time.Second)
		if mt == 0 {
			tr.Tick(now.Add(time.Duration(arg) * time.Minute))
			continue
		}
		opc, dpc := uint32(pcA), uint32(pcB)
		if arg&1 != 0 {
			opc, dpc = dpc, opc
		}
		m := &isup.Message{Type: mt, CIC: uint16(arg>>1) & 3}
		switch mt {
		case isup.IAM:
			m.Called = num("123")
		case isup.SAM:
			m.Subsequent = num("45")
		case isup.REL:
			m.Cause = isup.Cause{Present: true, Value: 16}
		case isup.GRS, isup.CGB, isup.CGU:
			m.RangeStatus.SetRange(arg>>4&3, mt != isup.GRS && op&0x80 != 0)
			m.RangeStatus.SetStatus(1, true)
			m.CGSMT = isup.CGSupervisionType(op >> 6 & 1)
		}
		tr.Handle(now, 2, opc, dpc, m)
	}
	tr.Tick(now.Add(48 * time.Hour))
	if bad != "" {
		t.Fatal(bad)
	}
	for id := range started {
		if !ended[id] {
			t.Fatalf("call %d never ended", id)
		}
	}
	s := tr.Stats()
	if s.Active != 0 || tr.ActiveCalls() != 0 || s.Calls != s.Ended || s.Calls != uint64(len(started)) {
		t.Fatalf("stats %+v, %d calls seen", s, len(started))
	}

}
