package e1

import (
	"math/rand/v2"
	"testing"
)

func t1Stream(t testing.TB, cfg T1Config, n int, seed uint64) (payload [][]byte, stream []byte, f *T1Framer) {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 2))
	f = NewT1Framer(cfg)
	for range n {
		s := make([]byte, T1Channels)
		for i := range s {
			s[i] = byte(r.Uint32())
		}
		stream = f.AppendFrame(stream, s)
		payload = append(payload, s)
	}
	stream = f.Flush(stream)
	return payload, stream, f
}

func TestT1RoundTrip(t *testing.T) {
	for _, cfg := range []T1Config{{}, {ESF: true}} {
		payload, stream, _ := t1Stream(t, cfg, 4000, 9)
		var c collected
		d := NewT1Deframer(cfg, c.handler())
		for i := 0; i < len(stream); i += 100 {
			d.Write(stream[i:min(i+100, len(stream))])
		}
		st := d.Stats()
		t.Logf("%+v: %+v", cfg, st)
		if st.Frames != 4000 || st.FrameAlignedAt.Frame != 0 || st.AlignmentLosses != 0 || st.CRCErrors != 0 || st.Slips != 0 {
			t.Fatalf("%+v: stats %+v", cfg, st)
		}
		for fn, got := range c.frames {
			if string(got) != string(payload[fn]) {
				t.Fatalf("frame %d: %x want %x", fn, got, payload[fn])
			}
		}
	}
}
