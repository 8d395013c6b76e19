package e1

import (
	"math/rand/v2"
	"testing"
)

// chunked writes p in pieces chosen by seed.
func chunked(w interface{ Write([]byte) (int, error) }, p []byte, seed uint64) {
	r := rand.New(rand.NewPCG(seed, 0))
	for len(p) > 0 {
		n := min(1+r.IntN(300), len(p))
		w.Write(p[:n])
		p = p[n:]
	}
}

// sane checks invariants of Stats after n input octets; AIS is raised
// between writes, so it may depend on how the input was cut.
func sane(t *testing.T, st Stats, n int, frameBits uint64) {
	t.Helper()
	if st.Bits != uint64(n)*8 {
		t.Fatalf("bits %d for %d octets", st.Bits, n)
	}
	if st.Frames > st.Bits/(frameBits-slipBack)+1 {
		t.Fatalf("%d frames from %d bits", st.Frames, st.Bits)
	}
	if st.CRCErrors > st.CRCBlocks || st.Alarms&^st.AlarmsSeen != 0 || (st.InMultiframe && !st.InFrame) ||
		(st.InCASMultiframe && !st.InFrame) {
		t.Fatalf("inconsistent: %+v", st)
	}
	if st.Frames > 0 && !st.FrameAlignedAt.Valid {
		t.Fatalf("frames without alignment: %+v", st)
	}
	if st.Slips > st.AlignmentLosses+st.CRCResearches {
		t.Fatalf("more slips than realignments: %+v", st)
	}
}

func withoutAIS(st Stats) Stats {
	st.Alarms &^= AlarmAIS
	st.AlarmsSeen &^= AlarmAIS
	st.AlarmEvents[2] = 0
	return st
}

func fuzzSeedsE1(f *testing.F) {
	_, s1, _ := e1Stream(f, E1Config{CRC4: true, CAS: true}, 48, 1)
	f.Add(s1[5:], uint8(3), uint64(1))
	_, s2, _ := e1Stream(f, E1Config{}, 8, 2)
	f.Add(s2, uint8(0), uint64(2))
	f.Add(make([]byte, 200), uint8(1), uint64(3))
}

func FuzzE1Deframer(f *testing.F) {
	fuzzSeedsE1(f)
	f.Fuzz(func(t *testing.T, data []byte, flags uint8, seed uint64) {
		cfg := E1Config{CRC4: flags&1 != 0, CAS: flags&2 != 0}
		fuzzDeframer(t, data, seed, E1Timeslots, E1FrameBits, func(h FrameHandler) Deframer { return NewE1Deframer(cfg, h) })
	})
}

// fuzzDeframer checks one input on deframers from mk: frame numbers rise,
// every frame has slots octets, the counters are sane and agree with the
// handler, and writing data in pieces (from seed) changes nothing.
func fuzzDeframer(t *testing.T, data []byte, seed uint64, slots int, frameBits uint64, mk func(FrameHandler) Deframer) {
	var last uint64
	n := 0
	h := func(fn uint64, s []byte) {
		if len(s) != slots || (n > 0 && fn <= last) {
			t.Fatalf("frame %d after %d, %d slots", fn, last, len(s))
		}
		last = fn
		n++
	}
	d := mk(h)
	d.Write(data)
	whole := d.Stats()
	sane(t, whole, len(data), frameBits)
	if whole.Frames != uint64(n) {
		t.Fatalf("stats say %d frames, handler saw %d", whole.Frames, n)
	}
	n = 0
	d2 := mk(h)
	chunked(d2, data, seed)
	if a, b := withoutAIS(whole), withoutAIS(d2.Stats()); a != b {
		t.Fatalf("depends on chunking:\n%+v\n%+v", a, b)
	}
}

func FuzzT1Deframer(f *testing.F) {
	_, s1, _ := t1Stream(f, T1Config{ESF: true, RobbedBit: true}, 100, 1)
	f.Add(s1[3:], uint8(1), uint64(1))
	_, s2, _ := t1Stream(f, T1Config{}, 30, 2)
	f.Add(s2, uint8(0), uint64(2))
	f.Add([]byte{0xff, 0, 0xff}, uint8(0), uint64(3))
	f.Fuzz(func(t *testing.T, data []byte, flags uint8, seed uint64) {
		cfg := T1Config{ESF: flags&1 != 0}
		fuzzDeframer(t, data, seed, T1Channels, T1FrameBits, func(h FrameHandler) Deframer { return NewT1Deframer(cfg, h) })
	})
}

// TestChunkingInvariance: the same impaired stream written at once, octet
// by octet and in random pieces gives the same frames and the same Stats
// (AIS aside, which is raised between writes).
func TestChunkingInvariance(t *testing.T) {
	type run struct {
		frames []uint64
		sum    uint64
		st     Stats
	}
	feed := func(mk func(FrameHandler) Deframer, p []byte, how int) run {
		var r run
		d := mk(func(fn uint64, slots []byte) {
			r.frames = append(r.frames, fn)
			for _, x := range slots {
				r.sum = r.sum*31 + uint64(x)
			}
		})
		switch how {
		case 0:
			d.Write(p)
		case 1:
			for i := range p {
				d.Write(p[i : i+1])
			}
		default:
			chunked(d, p, uint64(how))
		}
		r.st = withoutAIS(d.Stats())
		return r
	}
	// E1 with CRC-4 and CAS: slips, FAS and CRC errors, a burst of ones.
	e1cfg := E1Config{CRC4: true, CAS: true}
	_, e1s, _ := e1Stream(t, e1cfg, 3000, 50)
	e1s = editBit(e1s, 500*256+3, true)
	e1s = editBit(e1s, 1500*256+100, false)
	for i := 2000 * 32; i < 2010*32; i++ {
		e1s[i] = 0xff
	}
	e1s = shiftBits(e1s, 1001)
	// T1 ESF with a slip and a burst.
	_, t1s, _ := t1Stream(t, T1Config{ESF: true, RobbedBit: true}, 3000, 51)
	t1s = editBit(t1s, 700*193+9, false)
	for i := 193 * 200; i < 193*205; i++ {
		t1s[i] ^= 0x5a
	}
	t1s = shiftBits(t1s, 77)
	_, sfs, _ := t1Stream(t, T1Config{}, 3000, 52)
	sfs = editBit(sfs, 1000*193, true)
	for _, tc := range []struct {
		name string
		mk   func(FrameHandler) Deframer
		p    []byte
	}{
		{"e1", func(h FrameHandler) Deframer { return NewE1Deframer(e1cfg, h) }, e1s},
		{"t1-esf", func(h FrameHandler) Deframer { return NewT1Deframer(T1Config{ESF: true}, h) }, t1s},
		{"t1-sf", func(h FrameHandler) Deframer { return NewT1Deframer(T1Config{}, h) }, sfs},
	} {
		ref := feed(tc.mk, tc.p, 0)
		if ref.st.AlignmentLosses < 1 || ref.st.Frames < 2500 {
			t.Fatalf("%s: impairments not seen: %+v", tc.name, ref.st)
		}
		for how := 1; how < 5; how++ {
			got := feed(tc.mk, tc.p, how)
			if got.st != ref.st || got.sum != ref.sum || len(got.frames) != len(ref.frames) {
				t.Fatalf("%s: writing mode %d differs:\n%+v\n%+v", tc.name, how, got.st, ref.st)
			}
		}
	}
}
