package demux

import (
	"sync"
	"sync/atomic"
	"testing"
)

// frames returns n E1 frames where slot ts of frame f holds byte(f*3+ts).
func frames(first uint64, n int) []byte {
	b := make([]byte, n*32)
	for f := range n {
		for ts := range 32 {
			b[f*32+ts] = byte(int(first+uint64(f))*3 + ts)
		}
	}
	return b
}

func TestChunksAndSharing(t *testing.T) {
	d := New()
	type got struct {
		first uint64
		ptr   *byte
		ok    bool
	}
	var a, b []got
	check := func(ts int) func(chunk []byte, first uint64) got {
		return func(chunk []byte, first uint64) got {
			ok := len(chunk) == 160
			for i, c := range chunk {
				ok = ok && c == byte(int(first+uint64(i))*3+ts)
			}
			return got{first, &chunk[0], ok}
		}
	}
	ca, cb := check(5), check(5)
	cancelA := d.Subscribe("s1", 5, func(c []byte, f uint64) { a = append(a, ca(c, f)) })
	d.Subscribe("s1", 5, func(c []byte, f uint64) { b = append(b, cb(c, f)) })
	var other int
	d.Subscribe("s1", 6, func(c []byte, f uint64) { other++ })
	d.Subscribe("s2", 5, func(c []byte, f uint64) { t.Error("span s2 got s1's frames") })
	for first := uint64(1000); first < 1000+8*100; first += 8 {
		d.Frames("s1", first, 8, frames(first, 8), 32)
	}
	if len(a) != 5 || len(b) != 5 || other != 5 {
		t.Fatalf("chunks a=%d b=%d other=%d", len(a), len(b), other)
	}
	for i := range a {
		if !a[i].ok || !b[i].ok || a[i].first != 1000+uint64(i)*160 || a[i].ptr != b[i].ptr {
			t.Fatalf("chunk %d: %+v %+v", i, a[i], b[i])
		}
	}
	cancelA()
	cancelA() // idempotent
	for first := uint64(1800); first < 1800+160; first += 8 {
		d.Frames("s1", first, 8, frames(first, 8), 32)
	}
	if len(a) != 5 || len(b) != 6 {
		t.Fatalf("after cancel a=%d b=%d", len(a), len(b))
	}
	if d.Span("s1").Subscribers(5) != 1 {
		t.Fatal("subscriber count")
	}
}

func TestGapFilledOnClock(t *testing.T) {
	d := New()
	var firsts []uint64
	var chunk1 []byte
	d.Subscribe("s", 1, func(c []byte, f uint64) {
		firsts = append(firsts, f)
		if len(firsts) == 1 {
			chunk1 = append([]byte(nil), c...)
		}
	})
	d.Frames("s", 0, 100, frames(0, 100), 32)
	d.Frames("s", 110, 100, frames(110, 100), 32) // frames 100..109 missing
	if len(firsts) != 1 || firsts[0] != 0 {
		t.Fatalf("firsts %v", firsts)
	}
	for i := 100; i < 110; i++ {
		if chunk1[i] != 0xFF {
			t.Fatalf("gap octet %d = %#x", i, chunk1[i])
		}
	}
	if want := 110*3 + 1; chunk1[110] != byte(want) || d.Span("s").Gaps.Load() != 1 {
		t.Fatalf("after gap %#x gaps %d", chunk1[110], d.Span("s").Gaps.Load())
	}
	d.Frames("s", 1_000_000, 160, frames(1_000_000, 160), 32) // huge jump: restart
	if len(firsts) != 2 || firsts[1] != 1_000_000 {
		t.Fatalf("firsts %v", firsts)
	}
}

func TestT1Width(t *testing.T) {
	d := New()
	n := 0
	d.Subscribe("t", 24, func(c []byte, f uint64) { // T1 channel 24: the last octet
		n++
		if c[0] != 23 {
			t.Errorf("octet %d", c[0])
		}
	})
	d.Subscribe("t", 0, func(c []byte, f uint64) { t.Error("T1 channel 0 delivered") })
	d.Subscribe("t", 25, func(c []byte, f uint64) { t.Error("T1 channel 25 delivered") })
	fr := make([]byte, 24*160)
	for i := range fr {
		fr[i] = byte(i % 24)
	}
	d.Frames("t", 0, 160, fr, 24)
	if n != 1 {
		t.Fatalf("%d chunks", n)
	}
}

// Subscribing and cancelling from other goroutines while frames flow (run
// with -race).
func TestConcurrentSubscribe(t *testing.T) {
	d := New()
	sp := d.Span("s")
	var stop atomic.Bool
	var wg sync.WaitGroup
	var delivered atomic.Uint64
	for g := range 4 {
		wg.Go(func() {
			for i := 0; !stop.Load(); i++ {
				c := d.Subscribe("s", (g*7+i)%32, func(c []byte, f uint64) { delivered.Add(1) })
				c()
			}
		})
	}
	keep := d.Subscribe("s", 3, func(c []byte, f uint64) { delivered.Add(1) })
	fr := frames(0, 8)
	for first := uint64(0); first < 8*20000; first += 8 {
		sp.Frames(first, 8, fr, 32)
	}
	stop.Store(true)
	wg.Wait()
	keep()
	if delivered.Load() < 8*20000/160 {
		t.Fatalf("delivered %d", delivered.Load())
	}
}

func TestZeroAllocs(t *testing.T) {
	d := New()
	for ts := range 32 {
		d.Subscribe("s", ts, func(c []byte, f uint64) {})
		d.Subscribe("s", ts, func(c []byte, f uint64) {})
	}
	fr := frames(0, 8)
	var first uint64
	allocs := testing.AllocsPerRun(1000, func() {
		d.Frames("s", first, 8, fr, 32)
		first += 8
	})
	if allocs != 0 {
		t.Fatalf("%v allocs per packet", allocs)
	}
}

// BenchmarkDemuxE1Packet: one SAToP packet's worth (8 frames) of an E1 with
// all 30 bearer timeslots subscribed twice.
func BenchmarkDemuxE1Packet(b *testing.B) {
	d := New()
	for ts := 1; ts < 32; ts++ {
		if ts == 16 {
			continue
		}
		d.Subscribe("s", ts, func(c []byte, f uint64) {})
		d.Subscribe("s", ts, func(c []byte, f uint64) {})
	}
	sp := d.Span("s")
	fr := frames(0, 8)
	b.ReportAllocs()
	b.SetBytes(int64(len(fr)))
	var first uint64
	for b.Loop() {
		sp.Frames(first, 8, fr, 32)
		first += 8
	}
}
