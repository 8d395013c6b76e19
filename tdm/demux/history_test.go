package demux

import (
	"testing"
)

// collect checks chunks of timeslot ts against frames(): contents, length
// and consecutive frame numbers (no gap, no duplicate).
type collect struct {
	t      *testing.T
	ts     int
	firsts []uint64
}

func (c *collect) fn(chunk []byte, first uint64) {
	if len(chunk) != ChunkFrames {
		c.t.Fatalf("chunk of %d octets", len(chunk))
	}
	for i, o := range chunk {
		if want := byte(int(first+uint64(i))*3 + c.ts); o != want {
			c.t.Fatalf("chunk at %d octet %d = %#x, want %#x", first, i, o, want)
		}
	}
	if n := len(c.firsts); n > 0 && first != c.firsts[n-1]+ChunkFrames {
		c.t.Fatalf("chunk at %d after chunk at %d", first, c.firsts[n-1])
	}
	c.firsts = append(c.firsts, first)
}

func feed(sp *Span, from, to uint64) {
	for f := from; f < to; f += 8 {
		sp.Frames(f, 8, frames(f, 8), 32)
	}
}

// TestSubscribeFromHistory: a subscriber starting in the past gets the
// history from its frame (not chunk-aligned with anything else), then live
// chunks, with no gap and no duplicate across the switch.
func TestSubscribeFromHistory(t *testing.T) {
	sp := New().Span("s")
	feed(sp, 1000, 4000)
	live := &collect{t: t, ts: 7}
	sp.Subscribe(7, live.fn)
	c := &collect{t: t, ts: 7}
	sp.SubscribeFrom(7, 2345, c.fn)
	feed(sp, 4000, 5000)
	if len(c.firsts) == 0 || c.firsts[0] != 2345 {
		t.Fatalf("history chunks start at %v, want 2345", c.firsts)
	}
	// 2345..4999: the last complete chunk starts at 4745.
	if last := c.firsts[len(c.firsts)-1]; last != 2345+15*160 {
		t.Fatalf("last chunk at %d, want %d (%d chunks)", last, 2345+15*160, len(c.firsts))
	}
	if live.firsts[0] != 4000 || sp.Shortfall.Load() != 0 {
		t.Fatalf("live subscriber starts at %d, shortfall %d", live.firsts[0], sp.Shortfall.Load())
	}
	// A start still ahead of the span waits for it.
	ahead := &collect{t: t, ts: 9}
	sp.SubscribeFrom(9, 5100, ahead.fn)
	feed(sp, 5000, 5400)
	if len(ahead.firsts) != 1 || ahead.firsts[0] != 5100 {
		t.Fatalf("future start: chunks at %v", ahead.firsts)
	}
}

// TestSubscribeFromBeyondHistory: a start older than the history begins at
// the oldest frame kept and counts the frames it missed.
func TestSubscribeFromBeyondHistory(t *testing.T) {
	sp := New().Span("s")
	feed(sp, 0, 10000) // history: 6000..9999
	c := &collect{t: t, ts: 3}
	sp.SubscribeFrom(3, 5000, c.fn)
	feed(sp, 10000, 10400) // the first batch evicts 6000..6007
	const oldest = 10008 - HistoryFrames
	if len(c.firsts) == 0 || c.firsts[0] != oldest {
		t.Fatalf("starts at %v, want %d", c.firsts, oldest)
	}
	if got := sp.Shortfall.Load(); got != oldest-5000 {
		t.Fatalf("shortfall %d, want %d", got, oldest-5000)
	}
}

// TestHistoryGapFill: a gap inside the history is all ones, frame numbers
// stay on the TDM clock.
func TestHistoryGapFill(t *testing.T) {
	sp := New().Span("s")
	feed(sp, 0, 800)
	feed(sp, 1000, 1600) // 800..999 missing
	var got [][]byte
	var firsts []uint64
	sp.SubscribeFrom(4, 640, func(c []byte, f uint64) { got = append(got, append([]byte(nil), c...)); firsts = append(firsts, f) })
	feed(sp, 1600, 1608)
	if len(firsts) != 6 || firsts[0] != 640 || firsts[5] != 1440 {
		t.Fatalf("chunks at %v", firsts)
	}
	for i, ch := range got {
		for j, o := range ch {
			f := firsts[i] + uint64(j)
			want := byte(int(f)*3 + 4)
			if f >= 800 && f < 1000 {
				want = 0xFF
			}
			if o != want {
				t.Fatalf("frame %d = %#x, want %#x", f, o, want)
			}
		}
	}
}

// BenchmarkFramesHistory: one E1 span, 8-frame batches, 4 subscribers (one
// of them replaying history when subscribed); 0 allocs/op.
func BenchmarkFramesHistory(b *testing.B) {
	sp := New().Span("s")
	buf := frames(0, 8)
	for ts := 1; ts <= 4; ts++ {
		sp.Subscribe(ts, func([]byte, uint64) {})
	}
	f := uint64(0)
	for range 1000 {
		sp.Frames(f, 8, buf, 32)
		f += 8
	}
	sp.SubscribeFrom(5, f-2000, func([]byte, uint64) {})
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		sp.Frames(f, 8, buf, 32)
		f += 8
	}
	b.ReportMetric(float64(b.N)*8/8000/b.Elapsed().Seconds(), "spans-in-real-time")
}
