package bridge

import (
	"fmt"
	"iter"
	"testing"
	"time"

	"github.com/tdmtap/tdmtap/ss7/isup"
)

// What the bridge fuzz targets (FuzzBridge, FuzzResume, FuzzReconcile)
// share: the program stepper, the call driver and the intercept contract
// checked on the Output.

var fuzzNumbers = [4]string{tgt1, tgt2, other, other2}

// fuzzStep is one step of a fuzz program: an op (the first byte modulo the
// target's op count) and its argument, whose bits 0-1 pick the circuit and
// bit 6 whether B (rather than A) originates.
type fuzzStep struct {
	op, arg    byte
	cic        uint16
	from, back uint32
}

// fuzzSteps cuts prog into steps of two bytes, a trailing odd byte ignored.
func fuzzSteps(prog []byte, nops byte) iter.Seq[fuzzStep] {
	return func(yield func(fuzzStep) bool) {
		for i := 0; i+1 < len(prog); i += 2 {
			s := fuzzStep{op: prog[i] % nops, arg: prog[i+1]}
			s.cic = uint16(s.arg&3) + 1
			s.from, s.back = pcA, pcB
			if s.arg&0x40 != 0 {
				s.from, s.back = s.back, s.from
			}
			if !yield(s) {
				return
			}
		}
	}
}

// fuzzCalls drives calls for the ops the fuzz targets share: 0 IAM (called
// and calling number from arg bits 4-5 and 2-3), 1 SAM, 2 ACM, 3 CPG
// (alerting), 4 ANM, 5 SUS, 6 RES, 7 REL (cause arg>>2), 8 RLC, 9 RSC,
// 10 content ((arg%8+1)*40 frames), 11 time passes (arg ticks) with Tick,
// 13 an hour passes without. Other ops do nothing.
type fuzzCalls struct {
	obci     bool          // ACM/CPG: OBCI "in-band information" when arg bit 7 is set
	redirect bool          // ACM/CPG: a redirection number (arg bits 2-3) when arg bit 5 is set
	tick     time.Duration // op 11's unit
}

func (c fuzzCalls) drive(e *env, s fuzzStep) {
	switch s.op {
	case 0:
		e.send(time.Second, s.from, iam(s.cic, fuzzNumbers[s.arg>>4&3], fuzzNumbers[s.arg>>2&3]))
	case 1:
		m := msg(isup.SAM, s.cic)
		m.Subsequent = num(isup.PSubsequentNumber, "1")
		e.send(time.Second, s.from, m)
	case 2, 3:
		m := msg(isup.ACM, s.cic)
		if s.op == 3 {
			m.Type = isup.CPG
			m.Event = isup.EventAlerting
		}
		if c.obci && s.arg&0x80 != 0 {
			m.OBCI = isup.OptionalBackwardCallIndicators{Present: true, Value: 1}
		}
		if c.redirect && s.arg&0x20 != 0 {
			m.RedirectionNumber = num(isup.PRedirectionNumber, fuzzNumbers[s.arg>>2&3])
		}
		e.send(time.Second, s.back, m)
	case 4:
		e.send(time.Second, s.back, msg(isup.ANM, s.cic))
	case 5:
		e.send(time.Second, s.from, msg(isup.SUS, s.cic))
	case 6:
		e.send(time.Second, s.from, msg(isup.RES, s.cic))
	case 7:
		e.send(time.Second, s.from, rel(s.cic, s.arg>>2))
	case 8:
		e.send(time.Second, s.from, msg(isup.RLC, s.cic))
	case 9:
		e.send(time.Second, s.from, msg(isup.RSC, s.cic))
	case 10:
		e.feed(int(s.arg%8+1) * 40)
	case 11:
		e.at = e.at.Add(time.Duration(s.arg) * c.tick)
		e.tr.Tick(e.at)
		e.b.Tick(e.at)
	case 13:
		e.at = e.at.Add(time.Hour)
	}
}

// endCalls lets every call end: three days pass, with Tick, and 20 ms of
// content follow.
func (e *env) endCalls() {
	e.at = e.at.Add(72 * time.Hour)
	e.tr.Tick(e.at)
	e.b.Tick(e.at)
	e.feed(160)
}

// contract is the intercept contract checked on the Output: per (LIID, CIN)
// the IRI starts with BEGIN, ends with exactly one END once every call is
// over, nothing follows the END but the content tail (at most one chunk
// per direction, the bearer having no latency here), sequence numbers
// count 0, 1, 2, ... per HI, CC only between BEGIN and END.
type contract struct {
	// ccRepeats: CC sequence numbers may repeat (as after a crash) but
	// never skip ahead.
	ccRepeats bool
	// reconciled, if set, reports whether an END at output index i came
	// from a Reconcile: nothing at all may follow it.
	reconciled func(i int) bool
	// ccBanned, if set, reports whether content of an intercept of liid
	// begun at output index began may not stand at output index i.
	ccBanned func(liid string, began, i int) bool
}

type interceptKey struct {
	liid string
	cin  uint32
}

type interceptState struct {
	begun, ended, quiet bool
	beganAt             int
	seq                 [4]uint32
	tail                int // CC PDUs after END
}

// check checks ps against the contract and returns the number of
// intercepts seen.
func (c contract) check(t *testing.T, ps []pdu) int {
	t.Helper()
	st := map[interceptKey]*interceptState{}
	for i, p := range ps {
		k := interceptKey{p.p.Header.LIID, p.p.Header.CIN}
		s := st[k]
		if s == nil {
			s = &interceptState{}
			st[k] = s
		}
		where := fmt.Sprintf("pdu %d (%s CIN %d HI%d)", i, k.liid, k.cin, p.hi)
		if seq := p.p.Header.Seq; c.ccRepeats && p.hi == 3 {
			if seq > s.seq[3] {
				t.Fatalf("%s: seq %d, want %d", where, seq, s.seq[3])
			}
			s.seq[3] = max(s.seq[3], seq+1)
		} else {
			if seq != s.seq[p.hi] {
				t.Fatalf("%s: seq %d, want %d", where, seq, s.seq[p.hi])
			}
			s.seq[p.hi]++
		}
		if s.quiet {
			t.Fatalf("%s: after the IRI-END of an intercept ended by Reconcile", where)
		}
		if s.ended {
			// Only the content tail may follow the END: the chunk of
			// each direction that held the release point (no bearer
			// latency here).
			if s.tail++; p.hi != 3 || s.tail > 2 {
				t.Fatalf("%s: after END", where)
			}
		}
		if p.hi == 3 || p.iri.Contents == "pstnIsdnIRI" {
			if !s.begun {
				t.Fatalf("%s: content before BEGIN", where)
			}
			if c.ccBanned != nil && c.ccBanned(k.liid, s.beganAt, i) {
				t.Fatalf("%s: content after its warrant lost CC or ended", where)
			}
			continue
		}
		switch p.iri.Type {
		case 1: // BEGIN
			if s.begun {
				t.Fatalf("%s: second BEGIN", where)
			}
			s.begun, s.beganAt = true, i
		case 2: // END
			s.ended = true
			s.quiet = c.reconciled != nil && c.reconciled(i)
		default:
			if !s.begun {
				t.Fatalf("%s: %s before BEGIN", where, p.iri.Type)
			}
		}
	}
	for k, s := range st {
		if !s.ended {
			t.Errorf("%s CIN %d: no END", k.liid, k.cin)
		}
	}
	return len(st)
}

// wantAllEnded checks that the bridge saw the n intercepts start and end
// and has none active.
func (e *env) wantAllEnded(n int) {
	e.t.Helper()
	if s := e.b.Stats(); s.Active != 0 || s.Started != s.Ended || int(s.Started) != n {
		e.t.Errorf("stats %+v, %d intercepts seen", s, n)
	}
}

// wantUnsubscribed checks that no timeslot of either span is subscribed.
func (e *env) wantUnsubscribed() {
	e.t.Helper()
	for ts := range 32 {
		if e.dm.Span(spanAtB).Subscribers(ts) != 0 || e.dm.Span(spanBtA).Subscribers(ts) != 0 {
			e.t.Errorf("timeslot %d still subscribed", ts)
		}
	}
}
