package e1

import (
	"math/rand/v2"
	"testing"
)

// e1Frames generates n random frames of timeslot content (TS0 and, with CAS,
// TS16 are overwritten by the framer) and their framed bitstream.
func e1Stream(t testing.TB, cfg E1Config, n int, seed uint64) (payload [][]byte, stream []byte, f *E1Framer) {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 1))
	f = NewE1Framer(cfg)
	for range n {
		s := make([]byte, E1Timeslots)
		for i := range s {
			s[i] = byte(r.Uint32())
		}
		stream = f.AppendFrame(stream, s)
		payload = append(payload, s)
	}
	return payload, stream, f
}

type collected struct {
	frames map[uint64][]byte
	order  []uint64
}

func (c *collected) handler() FrameHandler {
	c.frames = map[uint64][]byte{}
	return func(fn uint64, slots []byte) {
		c.frames[fn] = append([]byte(nil), slots...)
		c.order = append(c.order, fn)
	}
}

func TestE1RoundTrip(t *testing.T) {
	for _, cfg := range []E1Config{{}, {CRC4: true}, {CAS: true}, {CRC4: true, CAS: true}} {
		payload, stream, _ := e1Stream(t, cfg, 4000, 7)
		var c collected
		d := NewE1Deframer(cfg, c.handler())
		// write in odd-sized pieces
		for i := 0; i < len(stream); i += 333 {
			d.Write(stream[i:min(i+333, len(stream))])
		}
		st := d.Stats()
		t.Logf("%+v: %+v", cfg, st)
		if st.Frames != 4000 || st.FrameAlignedAt.Frame != 0 || st.AlignmentLosses != 0 || st.CRCErrors != 0 || st.Slips != 0 {
			t.Fatalf("%+v: stats %+v", cfg, st)
		}
		for fn, got := range c.frames {
			want := payload[fn]
			for ts := 1; ts < 32; ts++ {
				if ts == 16 && cfg.CAS {
					continue
				}
				if got[ts] != want[ts] {
					t.Fatalf("frame %d ts %d: %02x want %02x", fn, ts, got[ts], want[ts])
				}
			}
		}
	}
}
