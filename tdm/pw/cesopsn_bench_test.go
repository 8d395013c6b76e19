package pw

import (
	"testing"

	"github.com/tdmtap/tdmtap/tdm"
)

// BenchmarkCESoPSNPacketize: 8 E1 frames (1 ms) of all 31 timeslots into
// CESoPSN packets of 40 frames, as the switch simulator sends them.
func BenchmarkCESoPSNPacketize(b *testing.B) {
	tx, err := NewCESoPSNPacketizer(Header{}, CESoPSNConfig{FramesPerPacket: 40})
	if err != nil {
		b.Fatal(err)
	}
	slots := make([]byte, 8*tdm.E1Width)
	for i := range slots {
		slots[i] = byte(i)
	}
	send := func([]byte) error { return nil }
	b.SetBytes(int64(len(slots)))
	b.ReportAllocs()
	for b.Loop() {
		if err := tx.WriteFrames(8, slots, tdm.E1Width, send); err != nil {
			b.Fatal(err)
		}
	}
}

// TestCESoPSNSparseSlots: a bundle of non-consecutive timeslots (no
// single-copy fast path) goes through packetizer and receiver intact.
func TestCESoPSNSparseSlots(t *testing.T) {
	for _, slots := range [][]int{{1, 2, 3}, {2, 5, 17, 31}, {16}} {
		cfg := CESoPSNConfig{FramesPerPacket: 8, Slots: slots}
		tx, err := NewCESoPSNPacketizer(Header{}, cfg)
		if err != nil {
			t.Fatal(err)
		}
		frames := make([]byte, 8*tdm.E1Width)
		for i := range frames {
			frames[i] = byte(i*7 + 3)
		}
		var got []byte
		rx, err := NewCESoPSNReceiver("s", CESoPSNConfig{FramesPerPacket: 8, Slots: slots, Depth: 1},
			tdm.FrameSinkFunc(func(_ string, _ uint64, n int, f []byte, w int) { got = append(got, f[:n*w]...) }))
		if err != nil {
			t.Fatal(err)
		}
		for range 3 {
			if err := tx.WriteFrames(8, frames, tdm.E1Width, func(p []byte) error { rx.HandlePacket(p); return nil }); err != nil {
				t.Fatal(err)
			}
		}
		rx.Flush()
		if len(got) < len(frames) {
			t.Fatalf("slots %v: got %d octets, want ≥ %d", slots, len(got), len(frames))
		}
		for f := range 8 {
			for _, ts := range slots {
				if g, w := got[f*tdm.E1Width+ts], frames[f*tdm.E1Width+ts]; g != w {
					t.Fatalf("slots %v: frame %d TS%d = %#x, want %#x", slots, f, ts, g, w)
				}
			}
			if got[f*tdm.E1Width] != 0xFF {
				t.Fatalf("slots %v: frame %d TS0 = %#x, want idle 0xFF", slots, f, got[f*tdm.E1Width])
			}
		}
	}
}
