package bridge

import (
	"fmt"
	"testing"
	"time"

	"github.com/tdmtap/tdmtap/bridge/warrant"
	"github.com/tdmtap/tdmtap/ss7/isup"
)

// FuzzBridge drives the tracker and the bridge with arbitrary ISUP message
// sequences, content and ticks on a few circuits, and checks the intercept
// contract on what reaches the Output: per (LIID, CIN) the IRI starts with
// BEGIN, ends with exactly one END once every call is over, nothing follows
// the END but the content tail (at most one chunk per direction here, where
// the bearer has no latency), sequence numbers count 0, 1, 2, ... per HI, CC only between
// BEGIN and END; afterwards no session and no subscription is left.
func FuzzBridge(f *testing.F) {
	f.Add([]byte{0, 0x08, 2, 0x80, 4, 0x80, 10, 7, 7, 0, 8, 1})         // target originates, answered, released
	f.Add([]byte{0, 0x24, 1, 0, 2, 0x83, 10, 3, 4, 0x80, 10, 3, 9, 0})  // overlap, in-band ACM with redirection, reset
	f.Add([]byte{0, 0x18, 4, 0x80, 10, 7, 12, 0, 10, 7, 5, 0, 6, 0})    // two warrants, reload, suspend/resume
	f.Add([]byte{0, 0x3a, 3, 0x81, 11, 0xff, 10, 1, 0, 0x09, 7, 1})     // non-target, CPG, tick, second call
	f.Add([]byte{0, 0x08, 0, 0x48, 4, 0x80, 10, 5, 11, 0x10, 8, 0, 13}) // dual seizure, timeout
	f.Fuzz(func(t *testing.T, prog []byte) {
		if len(prog) > 400 {
			return
		}
		runBridgeProg(t, prog)
	})
}

var fuzzNumbers = [4]string{tgt1, tgt2, other, other2}

func runBridgeProg(t *testing.T, prog []byte) {
	e := newEnv(t)
	full := warrants(t)
	empty, _ := warrant.NewSet(plan, nil)
	reloaded := false
	for i := 0; i+1 < len(prog); i += 2 {
		op, arg := prog[i]%14, prog[i+1]
		cic := uint16(arg&3) + 1
		from, back := uint32(pcA), uint32(pcB)
		if arg&0x40 != 0 {
			from, back = back, from
		}
		switch op {
		case 0:
			e.send(time.Second, from, iam(cic, fuzzNumbers[arg>>4&3], fuzzNumbers[arg>>2&3]))
		case 1:
			m := msg(isup.SAM, cic)
			m.Subsequent = num(isup.PSubsequentNumber, "1")
			e.send(time.Second, from, m)
		case 2, 3:
			m := msg(isup.ACM, cic)
			if op == 3 {
				m.Type = isup.CPG
				m.Event = isup.EventAlerting
			}
			if arg&0x80 != 0 {
				m.OBCI = isup.OptionalBackwardCallIndicators{Present: true, Value: 1}
			}
			if arg&0x20 != 0 {
				m.RedirectionNumber = num(isup.PRedirectionNumber, fuzzNumbers[arg>>2&3])
			}
			e.send(time.Second, back, m)
		case 4:
			e.send(time.Second, back, msg(isup.ANM, cic))
		case 5:
			e.send(time.Second, from, msg(isup.SUS, cic))
		case 6:
			e.send(time.Second, from, msg(isup.RES, cic))
		case 7:
			e.send(time.Second, from, rel(cic, arg>>2))
		case 8:
			e.send(time.Second, from, msg(isup.RLC, cic))
		case 9:
			e.send(time.Second, from, msg(isup.RSC, cic))
		case 10:
			e.feed(int(arg%8+1) * 40)
		case 11:
			e.at = e.at.Add(time.Duration(arg) * time.Second)
			e.tr.Tick(e.at)
			e.b.Tick(e.at)
		case 12:
			if reloaded {
				e.b.Reload(full)
			} else {
				e.b.Reload(empty)
			}
			reloaded = !reloaded
		case 13:
			e.at = e.at.Add(time.Hour)
		}
	}
	// Let every call end.
	e.at = e.at.Add(72 * time.Hour)
	e.tr.Tick(e.at)
	e.b.Tick(e.at)
	e.feed(160)

	type key struct {
		liid string
		cin  uint32
	}
	type state struct {
		begun, ended bool
		seq          [4]uint32
		tail         int // CC PDUs after END
	}
	st := map[key]*state{}
	for i, p := range e.decoded() {
		k := key{p.p.Header.LIID, p.p.Header.CIN}
		s := st[k]
		if s == nil {
			s = &state{}
			st[k] = s
		}
		where := fmt.Sprintf("pdu %d (%s CIN %d HI%d)", i, k.liid, k.cin, p.hi)
		if p.p.Header.Seq != s.seq[p.hi] {
			t.Fatalf("%s: seq %d, want %d", where, p.p.Header.Seq, s.seq[p.hi])
		}
		s.seq[p.hi]++
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
			continue
		}
		switch p.iri.Type {
		case 1: // BEGIN
			if s.begun {
				t.Fatalf("%s: second BEGIN", where)
			}
			s.begun = true
		case 2: // END
			s.ended = true
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
	if s := e.b.Stats(); s.Active != 0 || s.Started != s.Ended || int(s.Started) != len(st) {
		t.Errorf("stats %+v, %d intercepts seen", s, len(st))
	}
	for ts := range 32 {
		if e.dm.Span(spanAtB).Subscribers(ts) != 0 || e.dm.Span(spanBtA).Subscribers(ts) != 0 {
			t.Errorf("timeslot %d still subscribed", ts)
		}
	}
}
