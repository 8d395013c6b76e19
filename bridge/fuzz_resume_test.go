package bridge

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/tdmtap/tdmtap/bridge/warrant"
	"github.com/tdmtap/tdmtap/hi/hi1/store"
	"github.com/tdmtap/tdmtap/ss7/isup"
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
	for i := 0; i+1 < len(prog); i += 2 {
		op, arg := prog[i]%15, prog[i+1]
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
			e.at = e.at.Add(time.Duration(arg) * time.Minute)
			e.tr.Tick(e.at)
			e.b.Tick(e.at)
		case 12:
			if e.store.Load().Len() == 0 {
				e.store.Swap(warrants(t))
			} else {
				e.b.Reload(emptySet(t))
			}
		case 13:
			e.at = e.at.Add(time.Hour)
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
		}
	}
	// Let every call end.
	e.store.Swap(warrants(t))
	e.at = e.at.Add(72 * time.Hour)
	e.tr.Tick(e.at)
	e.b.Tick(e.at)
	e.feed(160)
	if err := e.b.FlushSessions(context.Background()); err != nil {
		t.Fatal(err)
	}
	if ss, _ := st.Sessions(); len(ss) != 0 {
		t.Errorf("%d session records left after every call ended", len(ss))
	}

	type key struct {
		liid string
		cin  uint32
	}
	type state struct {
		begun, ended bool
		seq          [4]uint32
		tail         int // CC PDUs after END
	}
	sts := map[key]*state{}
	for i, p := range e.decoded() {
		k := key{p.p.Header.LIID, p.p.Header.CIN}
		s := sts[k]
		if s == nil {
			s = &state{}
			sts[k] = s
		}
		where := fmt.Sprintf("pdu %d (%s CIN %d HI%d)", i, k.liid, k.cin, p.hi)
		seq := p.p.Header.Seq
		if p.hi == 2 && seq != s.seq[2] || p.hi == 3 && seq > s.seq[3] {
			t.Fatalf("%s: seq %d, want %d", where, seq, s.seq[p.hi])
		}
		s.seq[p.hi] = max(s.seq[p.hi], seq+1)
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
		case 1:
			if s.begun {
				t.Fatalf("%s: second BEGIN", where)
			}
			s.begun = true
		case 2:
			s.ended = true
		default:
			if !s.begun {
				t.Fatalf("%s: %s before BEGIN", where, p.iri.Type)
			}
		}
	}
	for k, s := range sts {
		if !s.ended {
			t.Errorf("%s CIN %d: no END", k.liid, k.cin)
		}
	}
	for _, x := range envs {
		for ts := range 32 {
			if x.dm.Span(spanAtB).Subscribers(ts) != 0 || x.dm.Span(spanBtA).Subscribers(ts) != 0 {
				t.Errorf("timeslot %d still subscribed", ts)
			}
		}
	}
}

func emptySet(t testing.TB) *warrant.Set {
	s, _ := warrant.NewSet(plan, nil)
	return s
}
