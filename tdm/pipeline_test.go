package tdm_test

import (
	"encoding/binary"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/tdmtap/tdmtap/e1"
	"github.com/tdmtap/tdmtap/tdm"
	"github.com/tdmtap/tdmtap/tdm/demux"
	"github.com/tdmtap/tdmtap/tdm/pw"
	"golang.org/x/sys/unix"
)

// cpuTime returns the CPU time used by the calling OS thread (the caller
// locks itself to its thread).
func cpuTime() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return 0
	}
	return time.Duration(ts.Nano())
}

// pipeline is the gateway's bearer path for one E1 span: SAToP packet →
// jitter buffer → E1 deframer (CRC-4) → batcher → demultiplexer → subscribers.
type pipeline struct {
	rx      *pw.SAToPReceiver
	d       *e1.E1Deframer
	pkts    [][]byte
	chunks  int
	seq     uint16
	samples uint64
}

func newPipeline(tb testing.TB, subscribed int) *pipeline {
	p := &pipeline{}
	dm := demux.New()
	sp := dm.Span("span0")
	for i := range subscribed {
		ts := 1 + i
		if ts >= 16 {
			ts++
		}
		for range 2 { // two subscribers per timeslot (e.g. HI3 and a recorder)
			sp.Subscribe(ts, func(chunk []byte, first uint64) { p.chunks++; p.samples += uint64(chunk[0]) })
		}
	}
	batch := tdm.NewBatcher("span0", tdm.E1Width, 8, tdm.FrameSinkFunc(func(_ string, first uint64, n int, slots []byte, w int) {
		sp.Frames(first, n, slots, w)
	}))
	p.d = e1.NewE1Deframer(e1.E1Config{CRC4: true}, batch.Frame)
	p.rx = pw.NewSAToPReceiver(pw.SAToPConfig{PayloadBytes: 256, Depth: 4}, func(b []byte) { _, _ = p.d.Write(b) })

	// One second of E1 (1000 packets), the second of two generated with
	// content periodic in 8000 frames: replaying it in a loop keeps the
	// CRC-4 (sent one sub-multiframe late) valid across the seam.
	fr := e1.NewE1Framer(e1.E1Config{CRC4: true})
	var stream []byte
	slots := make([]byte, 32)
	for f := range 16000 {
		for i := range slots {
			slots[i] = byte(f%8000*7 + i)
		}
		stream = fr.AppendFrame(stream, slots)
	}
	stream = stream[8000*32:]
	pk := pw.NewSAToPPacketizer(pw.Header{}, 256)
	_ = pk.Write(stream, func(b []byte) error { p.pkts = append(p.pkts, append([]byte(nil), b...)); return nil })
	return p
}

func (p *pipeline) packet(i int) {
	b := p.pkts[i%len(p.pkts)]
	binary.BigEndian.PutUint16(b[2:], p.seq)
	p.seq++
	p.rx.HandlePacket(b)
}

func TestPipelineBitExactAndZeroAlloc(t *testing.T) {
	p := newPipeline(t, 30)
	for i := range 3000 {
		p.packet(i)
	}
	st := p.d.Stats()
	if st.CRCErrors != 0 || st.AlignmentLosses != 0 || !st.InMultiframe || p.rx.Stats.Lost.Load() != 0 {
		t.Fatalf("deframer %+v", st)
	}
	if p.chunks < 2*30*(3000*8/160-2) {
		t.Fatalf("chunks %d", p.chunks)
	}
	i := 3000
	if a := testing.AllocsPerRun(2000, func() { p.packet(i); i++ }); a != 0 {
		t.Fatalf("%v allocs per packet", a)
	}
}

// BenchmarkSAToPToDemux measures the bearer path per SAToP packet (8 E1
// frames) and reports how many E1 spans one core handles in real time
// (1000 packets per second per span).
func BenchmarkSAToPToDemux(b *testing.B) {
	for _, subs := range []int{2, 30} {
		b.Run(fmt.Sprintf("%d-timeslots-subscribed", subs), func(b *testing.B) {
			p := newPipeline(b, subs)
			for i := range 2000 { // reach alignment
				p.packet(i)
			}
			frames0, chunks0 := p.d.Stats().Frames, p.chunks
			b.ReportAllocs()
			b.SetBytes(256)
			b.ResetTimer()
			i := 0
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			cpu0 := cpuTime()
			for b.Loop() {
				p.packet(i)
				i++
			}
			cpu := cpuTime() - cpu0
			b.StopTimer()
			if st := p.d.Stats(); st.AlignmentLosses != 0 || st.CRCErrors != 0 || st.Frames-frames0 < uint64(b.N)*8-64 {
				b.Fatalf("deframer %+v after %d packets", st, b.N)
			}
			if want := (b.N*8/160 - 1) * 2 * subs; p.chunks-chunks0 < want {
				b.Fatalf("%d chunks, want ≥ %d", p.chunks-chunks0, want)
			}
			// Spans per core from the CPU time the loop's thread used
			// (robust when other processes share the machine), and from
			// wall-clock time (equal on an idle machine).
			b.ReportMetric(float64(b.N)/(cpu.Seconds()*1000), "e1-spans-realtime")
			b.ReportMetric(float64(b.N)/(b.Elapsed().Seconds()*1000), "e1-spans-wall")
		})
	}
}
