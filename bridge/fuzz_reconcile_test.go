package bridge

import (
	"fmt"
	"testing"
	"time"

	"github.com/tdmtap/tdmtap/bridge/warrant"
	"github.com/tdmtap/tdmtap/ss7/isup"
)

// FuzzReconcile drives calls, content, ticks and warrant changes followed
// by Reconcile (LIID-ONE provisioned, LIID-TWO from the configuration
// file) and checks, besides FuzzBridge's per-intercept contract: an
// intercept ended by Reconcile gets nothing at all after its IRI-END (no
// content tail), and once LIID-ONE is deactivated or made IRI-only (or
// LIID-TWO removed), no content or media information reaches the Output
// for any of its intercepts that existed then.
func FuzzReconcile(f *testing.F) {
	f.Add([]byte{0, 0x08, 4, 0x80, 10, 7, 12, 1, 10, 7, 7, 0, 8, 0})          // answered, deactivated, released
	f.Add([]byte{0, 0x08, 4, 0x80, 10, 7, 7, 0, 12, 2, 10, 7, 8, 0})          // released, tail, IRI-only
	f.Add([]byte{0, 0x18, 4, 0x80, 10, 7, 12, 3, 10, 3, 12, 5, 12, 0, 11, 9}) // retarget, extend, restore
	f.Add([]byte{0, 0x24, 0, 0x11, 4, 0x81, 10, 7, 12, 4, 10, 7, 0, 0x24, 4, 0x80, 12, 0})
	f.Fuzz(func(t *testing.T, prog []byte) {
		if len(prog) > 400 {
			return
		}
		runReconcileProg(t, prog)
	})
}

func reconcileSets(t *testing.T) [6]*warrant.Set {
	two := warrant.Warrant{LIID: "LIID-TWO", Targets: []warrant.Target{{Number: "0" + tgt2}}, Roles: warrant.RoleAll,
		Start: t0.Add(-time.Hour), End: t0.Add(24 * time.Hour), Delivery: warrant.IRIAndCC, Destinations: []string{"lemf2"}}
	mk := func(mod func(w *warrant.Warrant) bool, withTwo bool) *warrant.Set {
		s := provSet(t, mod)
		ws := make([]warrant.Warrant, 0, 2)
		for _, w := range s.Warrants() {
			ws = append(ws, *w)
		}
		if withTwo {
			ws = append(ws, two)
		}
		out, errs := warrant.NewSet(plan, ws)
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		return out
	}
	return [6]*warrant.Set{
		mk(nil, true), // 0: both
		mk(func(*warrant.Warrant) bool { return false }, true),                                      // 1: LIID-ONE deactivated
		mk(func(w *warrant.Warrant) bool { w.Delivery = warrant.IRIOnly; return true }, true),       // 2: LIID-ONE IRI only
		mk(func(w *warrant.Warrant) bool { w.Targets[0].Number = "+44" + tgt3; return true }, true), // 3: LIID-ONE retargeted
		mk(func(*warrant.Warrant) bool { return false }, false),                                     // 4: both gone
		mk(func(w *warrant.Warrant) bool {
			w.End = t0.Add(48 * time.Hour)
			w.Targets = append(w.Targets, warrant.Target{Number: "+44" + other2})
			return true
		}, true), // 5: LIID-ONE extended, a target added
	}
}

type reconcileBan struct {
	at    int // output index after the Reconcile
	liids []string
}

func runReconcileProg(t *testing.T, prog []byte) {
	e := newEnv(t)
	sets := reconcileSets(t)
	e.store.Swap(sets[0])
	var windows [][2]int
	var bans []reconcileBan
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
		case 1, 9:
			e.send(time.Second, from, msg(isup.RSC, cic))
		case 2, 3:
			m := msg(isup.ACM, cic)
			if op == 3 {
				m.Type = isup.CPG
				m.Event = isup.EventAlerting
			}
			e.send(time.Second, back, m)
		case 4:
			e.send(time.Second, back, msg(isup.ANM, cic))
		case 5, 6:
			e.send(time.Second, from, msg(isup.SUS, cic))
		case 7:
			e.send(time.Second, from, rel(cic, arg>>2))
		case 8:
			e.send(time.Second, from, msg(isup.RLC, cic))
		case 10:
			e.feed(int(arg%8+1) * 40)
		case 11:
			e.at = e.at.Add(time.Duration(arg) * time.Second)
			e.tr.Tick(e.at)
			e.b.Tick(e.at)
		case 12:
			v := int(arg) % len(sets)
			e.o.mu.Lock()
			start := len(e.o.out)
			e.o.mu.Unlock()
			e.store.Swap(sets[v])
			e.b.Reconcile(nil)
			e.o.mu.Lock()
			end := len(e.o.out)
			e.o.mu.Unlock()
			windows = append(windows, [2]int{start, end})
			switch v {
			case 1, 2:
				bans = append(bans, reconcileBan{end, []string{"LIID-ONE"}})
			case 4:
				bans = append(bans, reconcileBan{end, []string{"LIID-ONE", "LIID-TWO"}})
			}
		case 13:
			e.at = e.at.Add(time.Hour)
		}
	}
	e.at = e.at.Add(72 * time.Hour)
	e.tr.Tick(e.at)
	e.b.Tick(e.at)
	e.feed(160)

	type key struct {
		liid string
		cin  uint32
	}
	type state struct {
		begun, ended, strict bool
		beganAt              int
		seq                  [4]uint32
		tail                 int
	}
	inWindow := func(i int) bool {
		for _, w := range windows {
			if i >= w[0] && i < w[1] {
				return true
			}
		}
		return false
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
		if s.strict {
			t.Fatalf("%s: after the IRI-END of an intercept ended by Reconcile", where)
		}
		if s.ended {
			if s.tail++; p.hi != 3 || s.tail > 2 {
				t.Fatalf("%s: after END", where)
			}
		}
		if p.hi == 3 || p.iri.Contents == "pstnIsdnIRI" {
			if !s.begun {
				t.Fatalf("%s: content before BEGIN", where)
			}
			for _, b := range bans {
				for _, l := range b.liids {
					if l == k.liid && s.beganAt < b.at && i >= b.at {
						t.Fatalf("%s: content after its warrant lost CC or ended", where)
					}
				}
			}
			continue
		}
		switch p.iri.Type {
		case 1:
			if s.begun {
				t.Fatalf("%s: second BEGIN", where)
			}
			s.begun, s.beganAt = true, i
		case 2:
			s.ended = true
			s.strict = inWindow(i)
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
