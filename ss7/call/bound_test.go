package call

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/tdmtap/tdmtap/ss7/isup"
)

// A flood of REL, RSC, UBL and CGU on random never-seen circuits does not
// grow the circuit table (it used to keep an entry for each forever); BLO
// keeps its blocking state only until UBL.
func TestCircuitTableBounded(t *testing.T) {
	var events int
	tr := NewTracker(Config{}, SinkFunc(func(*Event) { events++ }))
	rnd := rand.New(rand.NewPCG(1, 2))
	at := t0
	for i := 0; i < 20000; i++ {
		at = at.Add(time.Millisecond)
		opc, dpc := rnd.Uint32N(1<<14), rnd.Uint32N(1<<14)
		cic := uint16(rnd.Uint32N(4096))
		var m *isup.Message
		switch i % 4 {
		case 0:
			m = rel(cic, isup.CauseNormalClearing)
		case 1:
			m = msg(isup.RSC, cic)
		case 2:
			m = msg(isup.UBL, cic)
		case 3:
			m = msg(isup.CGU, cic)
			m.RangeStatus.SetRange(7, true)
			for j := 0; j < 8; j++ {
				m.RangeStatus.SetStatus(j, true)
			}
		}
		tr.Handle(at, 2, opc, dpc, m)
	}
	if s := tr.Stats(); s.Circuits != 0 || s.RELWithoutCall != 5000 || s.Resets != 5000 {
		t.Fatalf("after the flood: %+v", s)
	}
	if events != 15000+5000*8 {
		t.Errorf("%d events for 20000 messages: REL/RSC/UBL/CGU must still be reported", events)
	}
	// Blocking state is kept while it matters, then the entry goes.
	blo := func(from uint32, typ isup.MsgType, cic uint16) {
		at = at.Add(time.Millisecond)
		to := uint32(pcB)
		if from == pcB {
			to = pcA
		}
		tr.Handle(at, 2, from, to, msg(typ, cic))
	}
	k := MakeKey(2, pcA, pcB, 9)
	blo(pcA, isup.BLO, 9)
	blo(pcB, isup.BLO, 9)
	if !tr.Blocked(k) || tr.Stats().Circuits != 1 {
		t.Fatalf("BLO: blocked %v, %+v", tr.Blocked(k), tr.Stats())
	}
	blo(pcA, isup.UBL, 9)
	if !tr.Blocked(k) || tr.Stats().Circuits != 1 {
		t.Fatalf("blocked by the other end too: blocked %v, %+v", tr.Blocked(k), tr.Stats())
	}
	blo(pcB, isup.UBL, 9)
	if tr.Blocked(k) || tr.Stats().Circuits != 0 {
		t.Fatalf("UBL by both: blocked %v, %+v", tr.Blocked(k), tr.Stats())
	}
	// A flood of BLO/UBL pairs reuses the removed entries.
	for i := 0; i < 1000; i++ {
		blo(pcA, isup.BLO, uint16(i))
		blo(pcA, isup.UBL, uint16(i))
	}
	if s := tr.Stats(); s.Circuits != 0 || len(tr.free) > 1 {
		t.Fatalf("BLO/UBL pairs: %+v, %d free entries", s, len(tr.free))
	}
}

// The RLC a REL or RSC on a never-seen circuit expects is not reported as an
// orphan although the circuit is not in the table; the circuit then works.
func TestRLCAfterRSCWithoutCircuit(t *testing.T) {
	h := newHarness(t, Config{})
	h.send(pcA, msg(isup.RSC, 11))
	h.send(pcB, msg(isup.RLC, 11))
	h.want("reset#0")
	if s := h.tr.Stats(); s.Resets != 1 || s.RLCWithoutCall != 0 || s.Circuits != 0 {
		t.Errorf("stats %+v", s)
	}
	h.send(pcB, msg(isup.RLC, 11)) // a second one is not expected
	if s := h.tr.Stats(); s.RLCWithoutCall != 1 {
		t.Errorf("stats %+v", s)
	}
	h.send(pcA, iam(11, "5", ""))
	h.send(pcA, msg(isup.RSC, 11)) // mid-call: ends it, awaits RLC on the entry
	h.send(pcB, msg(isup.RLC, 11))
	h.want("reset#0 orphan#0 attempt#1 reset!#1")
	if s := h.tr.Stats(); s.RLCWithoutCall != 1 || s.Active != 0 || s.Circuits != 0 {
		t.Errorf("stats %+v", s)
	}
}
