package bridge

import (
	"testing"
	"time"

	"github.com/tdmtap/tdmtap/bridge/warrant"
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
	calls := fuzzCalls{tick: time.Second}
	for s := range fuzzSteps(prog, 14) {
		switch s.op {
		case 1:
			s.op = 9 // RSC here, not SAM
		case 6:
			s.op = 5 // SUS here, not RES
		}
		switch s.op {
		case 12:
			v := int(s.arg) % len(sets)
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
		default:
			calls.drive(e, s)
		}
	}
	e.endCalls()

	c := contract{
		reconciled: func(i int) bool {
			for _, w := range windows {
				if i >= w[0] && i < w[1] {
					return true
				}
			}
			return false
		},
		ccBanned: func(liid string, began, i int) bool {
			for _, b := range bans {
				for _, l := range b.liids {
					if l == liid && began < b.at && i >= b.at {
						return true
					}
				}
			}
			return false
		},
	}
	e.wantAllEnded(c.check(t, e.decoded()))
	e.wantUnsubscribed()
}
