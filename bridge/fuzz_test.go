package bridge

import (
	"testing"
	"time"

	"github.com/tdmtap/tdmtap/bridge/warrant"
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

func runBridgeProg(t *testing.T, prog []byte) {
	e := newEnv(t)
	full := warrants(t)
	empty, _ := warrant.NewSet(plan, nil)
	reloaded := false
	calls := fuzzCalls{obci: true, redirect: true, tick: time.Second}
	for s := range fuzzSteps(prog, 14) {
		switch s.op {
		case 12:
			if reloaded {
				e.b.Reload(full)
			} else {
				e.b.Reload(empty)
			}
			reloaded = !reloaded
		default:
			calls.drive(e, s)
		}
	}
	e.endCalls()
	e.wantAllEnded(contract{}.check(t, e.decoded()))
	e.wantUnsubscribed()
}
