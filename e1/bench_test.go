package e1

import (
	"testing"
)

// benchE1 deframes one second of an E1 span (8000 frames, CRC-4 and CAS) per
// iteration, starting bitOff bits into the stream.
func benchE1(b *testing.B, cfg E1Config, bitOff int) {
	_, stream, _ := e1Stream(b, cfg, 8000, 3)
	// Rotate the bits so that the stream repeats seamlessly, off by bitOff.
	bs := unpack(stream)
	stream = pack(append(bs[bitOff:], bs[:bitOff]...))
	var sink byte
	d := NewE1Deframer(cfg, func(fn uint64, slots []byte) { sink ^= slots[5] })
	benchDeframe(b, d, stream, E1BitRate, "e1-spans-realtime")
	_ = sink
}

// benchDeframe writes stream, one second of a span that repeats seamlessly,
// into d once to align and then b.N times, and reports spans deframed in real
// time as unit. Fewer than 7990 frames a pass, a lost alignment or a slip
// fails.
func benchDeframe(b *testing.B, d Deframer, stream []byte, bitRate float64, unit string) {
	d.Write(stream)
	b.SetBytes(int64(len(stream)))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		d.Write(stream)
	}
	b.StopTimer()
	if st := d.Stats(); st.Frames < uint64(b.N)*7990 || st.AlignmentLosses > 0 || st.Slips > 0 {
		b.Fatalf("frames %d for %d iterations: %+v", st.Frames, b.N, st)
	}
	bytesPerSec := float64(len(stream)) * float64(b.N) / b.Elapsed().Seconds()
	b.ReportMetric(bytesPerSec/(bitRate/8), unit)
}

func BenchmarkE1Deframe(b *testing.B) {
	b.Run("crc4-cas-octet-aligned", func(b *testing.B) { benchE1(b, E1Config{CRC4: true, CAS: true}, 0) })
	b.Run("crc4-cas-bit-offset-3", func(b *testing.B) { benchE1(b, E1Config{CRC4: true, CAS: true}, 3) })
	b.Run("plain-octet-aligned", func(b *testing.B) { benchE1(b, E1Config{}, 0) })
	b.Run("512-spans-satop-256B", benchE1ManySpans)
}

// benchE1ManySpans is closer to the gateway: 512 spans (CRC-4 and CAS), each
// fed 256-octet SAToP payloads (1 ms) in turn, so per-span state does not
// stay in the L1 cache.
func benchE1ManySpans(b *testing.B) {
	const spans, pkt = 512, 256
	cfg := E1Config{CRC4: true, CAS: true}
	_, stream, _ := e1Stream(b, cfg, 8000, 3)
	var sink byte
	h := func(fn uint64, slots []byte) { sink ^= slots[5] }
	ds := make([]*E1Deframer, spans)
	offs := make([]int, spans)
	for i := range ds {
		ds[i] = NewE1Deframer(cfg, h)
		offs[i] = (i * 7 * pkt) % len(stream)
		ds[i].Write(stream[offs[i] : offs[i]+pkt])
		offs[i] += pkt
	}
	b.SetBytes(spans * pkt)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		for i, d := range ds {
			if offs[i] == len(stream) {
				offs[i] = 0
			}
			d.Write(stream[offs[i] : offs[i]+pkt])
			offs[i] += pkt
		}
	}
	b.StopTimer()
	for _, d := range ds {
		st := d.Stats()
		if st.AlignmentLosses > 0 || st.CRCErrors > st.CRCBlocks/100+1 || st.Frames > 100 && (!st.InFrame || !st.InMultiframe || !st.InCASMultiframe) {
			b.Fatalf("span lost alignment: %+v", st)
		}
	}
	bytesPerSec := float64(spans*pkt) * float64(b.N) / b.Elapsed().Seconds()
	b.ReportMetric(bytesPerSec/(E1BitRate/8), "e1-spans-realtime")
	_ = sink
}

func BenchmarkT1Deframe(b *testing.B) {
	for _, esf := range []bool{false, true} {
		name := "sf"
		if esf {
			name = "esf"
		}
		b.Run(name, func(b *testing.B) {
			cfg := T1Config{ESF: esf, RobbedBit: true}
			_, stream, _ := t1Stream(b, cfg, 8016, 3) // whole superframes: repeats seamlessly
			var sink byte
			d := NewT1Deframer(cfg, func(fn uint64, slots []byte) { sink ^= slots[5] })
			benchDeframe(b, d, stream, T1BitRate, "t1-spans-realtime")
			_ = sink
		})
	}
}

// BenchmarkHuntAIS measures a span in AIS (unframed all ones): the hunt runs
// over every bit and must stay cheap, since idle spans often sit in AIS.
func BenchmarkHuntAIS(b *testing.B) {
	ones := make([]byte, 256*1000)
	for i := range ones {
		ones[i] = 0xff
	}
	for _, tc := range []struct {
		name string
		d    Deframer
		rate float64
	}{
		{"e1-crc4", NewE1Deframer(E1Config{CRC4: true}, nil), E1BitRate / 8},
		{"t1-sf", NewT1Deframer(T1Config{}, nil), T1BitRate / 8},
		{"t1-esf", NewT1Deframer(T1Config{ESF: true}, nil), T1BitRate / 8},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(int64(len(ones)))
			b.ReportAllocs()
			for range b.N {
				tc.d.Write(ones)
			}
			if st := tc.d.Stats(); st.Alarms != AlarmAIS|AlarmLOF || st.Frames != 0 {
				b.Fatalf("alarms %v", st.Alarms)
			}
			b.ReportMetric(float64(len(ones))*float64(b.N)/b.Elapsed().Seconds()/tc.rate, "spans-realtime")
		})
	}
}

func BenchmarkFramer(b *testing.B) {
	slots := make([]byte, 32)
	b.Run("e1-crc4-cas", func(b *testing.B) {
		f := NewE1Framer(E1Config{CRC4: true, CAS: true})
		buf := make([]byte, 0, 32*8)
		b.SetBytes(32 * 8)
		b.ReportAllocs()
		for range b.N {
			buf = buf[:0]
			for range 8 {
				buf = f.AppendFrame(buf, slots)
			}
		}
		b.ReportMetric(float64(32*8)*float64(b.N)/b.Elapsed().Seconds()/(E1BitRate/8), "e1-spans-realtime")
	})
	b.Run("t1-esf", func(b *testing.B) {
		f := NewT1Framer(T1Config{ESF: true, RobbedBit: true})
		buf := make([]byte, 0, 193)
		b.SetBytes(193)
		b.ReportAllocs()
		for range b.N {
			buf = buf[:0]
			for range 8 {
				buf = f.AppendFrame(buf, slots[:24])
			}
		}
		b.ReportMetric(float64(193)*float64(b.N)/b.Elapsed().Seconds()/(T1BitRate/8), "t1-spans-realtime")
	})
}
