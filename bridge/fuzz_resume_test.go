package bridge

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/tdmtap/tdmtap/bridge/warrant"
	"github.com/tdmtap/tdmtap/hi/hi1/store"
)

// FuzzResume drives calls on a few circuits with arbitrary ISUP messages,
// content, ticks and crashes (the bridge and tracker are dropped and new
// ones come up on the same session store, the Output carrying on), and
// checks the intercept contract across the crashes: per (LIID, CIN) one
// BEGIN, exactly one END once every call is over, nothing after it, IRI
// sequence numbers 0, 1, 2, ... with no gap and no repeat, CC sequence
// numbers never skipping ahead (repeats after a crash are allowed).
func FuzzResume(f *testing.F) {
	f.Add([]byte{0, 0x08, 2, 0x80, 14, 0, 4, 0x80, 10, 7, 7, 0, 8, 1})         // crash between ACM and ANM
	f.Add([]byte{0, 0x08, 4, 0x80, 10, 7, 14, 0, 10, 3, 5, 0, 7, 0, 8, 1})     // crash mid-conversation, SUS, REL
	f.Add([]byte{0, 0x18, 2, 0x80, 14, 0, 0, 0x18, 4, 0x80, 14, 0, 9, 0})      // crash, new IAM, crash, reset
	f.Add([]byte{0, 0x08, 2, 0x80, 14, 0, 12, 0, 4, 0x80, 12, 0, 11, 0xff})    // crash, warrants withdrawn, ANM
	f.Add([]byte{0, 0x08, 14, 0, 13, 0, 11, 0xff, 4, 0x80, 14, 0, 7, 0, 8, 1}) // pending across time
	f.Fuzz(func(t *testing.T, prog []byte) {
		if len(prog) > 200 {
			return
		}
		runResumeProg(t, prog)
	})
}

func runResumeProg(t *testing.T, prog []byte) {
	path := filepath.Join(t.TempDir(), "hi1.db")
	st, err := store.Open(path, store.Options{NoSync: true, Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	out := &recorder{}
	share := func(c *Config) {
		c.Output = out
		var err error
		if c.CIN, err = NewLeasedCIN(func() time.Time { return t0 }, st, 2, nil); err != nil {
			t.Fatal(err)
		}
	}
	var envs []*env
	e := newEnv(t, withSessions(st, 3), share)
	e.o = out
	envs = append(envs, e)
	defer func() {
		e.b.Close()
		st.Close()
	}()
	// Warrants with the same LIIDs across runs (the store is rebuilt per
	// bridge, as a restart would).
	calls := fuzzCalls{redirect: true, tick: time.Minute}
	for s := range fuzzSteps(prog, 15) {
		switch s.op {
		case 12:
			if e.store.Load().Len() == 0 {
				e.store.Swap(warrants(t))
			} else {
				e.b.Reload(emptySet(t))
			}
		case 14: // crash and restart on the same store
			if err := e.b.FlushSessions(context.Background()); err != nil {
				t.Fatal(err)
			}
			e.b.Close()
			prev := e
			e = newEnv(t, withSessions(st, 3), share)
			e.o = out
			e.at, e.clock, e.frame = prev.at, prev.clock, prev.frame
			e.store.Swap(prev.store.Load())
			envs = append(envs, e)
		default:
			calls.drive(e, s)
		}
	}
	// Let every call end.
	e.store.Swap(warrants(t))
	e.endCalls()
	if err := e.b.FlushSessions(context.Background()); err != nil {
		t.Fatal(err)
	}
	if ss, _ := st.Sessions(); len(ss) != 0 {
		t.Errorf("%d session records left after every call ended", len(ss))
	}
	contract{ccRepeats: true}.check(t, e.decoded())
	for _, x := range envs {
		x.wantUnsubscribed()
	}
}

func emptySet(t testing.TB) *warrant.Set {
	s, _ := warrant.NewSet(plan, nil)
	return s
}
