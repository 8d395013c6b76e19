package pw

import (
	"encoding/binary"
	"testing"

	"github.com/tdmtap/tdmtap/tdm"
)

func FuzzSAToPParse(f *testing.F) {
	f.Add([]byte{0, 0, 0, 1, 0xFF, 0xFF})
	f.Add((&Header{RTP: true, PT: 96}).appendPacket(nil, CW{R: true, Seq: 9}, 8, make([]byte, 32)))
	f.Add([]byte{0x08, 0x04, 0, 7})
	f.Fuzz(func(t *testing.T, b []byte) {
		// A fresh receiver per input, so that a failure reproduces from
		// its input alone.
		r := NewSAToPReceiver(SAToPConfig{PayloadBytes: 32, RTP: RTPAuto, Depth: 2}, func(p []byte) {
			if len(p) != 32 {
				t.Fatalf("played %d octets", len(p))
			}
		})
		var p Packet
		for _, m := range []RTPMode{RTPNone, RTPPresent, RTPAuto} {
			if err := Parse(b, m, &p); err == nil {
				if len(p.Payload) > len(b) {
					t.Fatal("payload beyond packet")
				}
				var cw [4]byte
				p.CW.Put(cw[:])
				if back, _ := ParseCW(cw[:]); back != p.CW {
					t.Fatalf("CW round trip %+v %+v", p.CW, back)
				}
			}
		}
		r.HandlePacket(b)
		r.Flush()
	})
}

func FuzzCESoPSNParse(f *testing.F) {
	cfg := CESoPSNConfig{Slots: []int{1, 2, 3}, FramesPerPacket: 8, CAS: true, RTP: RTPAuto}
	tx, _ := NewCESoPSNPacketizer(Header{}, cfg)
	fr := make([]byte, 16*32)
	_ = tx.WriteFrames(16, fr, 32, func(p []byte) error { f.Add(append([]byte(nil), p...)); return nil })
	f.Add([]byte{0x03, 0x00, 0, 1})
	f.Add([]byte{0x08, 0x00, 0, 2})
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := NewCESoPSNReceiver("s", cfg, tdm.FrameSinkFunc(func(_ string, _ uint64, n int, slots []byte, w int) {
			if n != 8 || w != 32 || len(slots) < n*w {
				t.Fatalf("frame geometry n=%d w=%d len=%d", n, w, len(slots))
			}
		}))
		if err != nil {
			t.Fatal(err)
		}
		r.HandlePacket(b)
		r.Flush()
	})
}

// FuzzJitter pushes arbitrary sequence numbers: play-out is always in strict
// sequence order with no repeats.
func FuzzJitter(f *testing.F) {
	f.Add([]byte{0, 1, 0, 2, 0, 4, 0, 3})
	f.Add([]byte{0xFF, 0xFF, 0, 0, 0x80, 0, 0, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		var st Stats
		var last uint64
		n := 0
		j := NewJitter(JitterConfig{Depth: 3, MaxSize: 2, MaxFill: 100}, &st, func(seq uint64, cw CW, p []byte, lost bool) {
			if n > 0 && seq <= last {
				t.Fatalf("seq %d after %d", seq, last)
			}
			if !lost && uint16(seq) != cw.Seq {
				t.Fatalf("slot mixup %d %d", seq, cw.Seq)
			}
			last = seq
			n++
		})
		for i := 0; i+1 < len(b); i += 2 {
			s := binary.BigEndian.Uint16(b[i:])
			j.Push(CW{Seq: s}, b[i:i+2])
		}
		j.Flush()
		if st.Played.Load() != uint64(n) {
			t.Fatalf("played %d counted %d", n, st.Played.Load())
		}
	})
}
