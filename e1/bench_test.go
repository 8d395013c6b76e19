package e1

import (
	"testing"
)

// benchE1 deframes one second of an E1 span (8000 frames, CRC-4 and CAS) per
// iteration, starting bitOff bits into the stream.
func benchE1(b *testing.B, cfg E1Config, bitOff int) {
	_, stream, _ := e1Stream(b, cfg, 8000+16, 3)
	stream = shiftBits(stream, bitOff)
	stream = stream[:8000*32]
	var sink byte
	d := NewE1Deframer(cfg, func(fn uint64, slots []byte) { sink ^= slots[5] })
	d.Write(stream)
	b.SetBytes(int64(len(stream)))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		d.Write(stream)
	}
	b.StopTimer()
	if d.Stats().Frames < uint64(b.N)*7990 {
		b.Fatalf("frames %d for %d iterations: %+v", d.Stats().Frames, b.N, d.Stats())
	}
	bytesPerSec := float64(len(stream)) * float64(b.N) / b.Elapsed().Seconds()
	b.ReportMetric(bytesPerSec/(E1BitRate/8), "e1-spans-realtime")
	_ = sink
}

func BenchmarkE1Deframe(b *testing.B) {
	b.Run("crc4-cas-octet-aligned", func(b *testing.B) { benchE1(b, E1Config{CRC4: true, CAS: true}, 0) })
	b.Run("crc4-cas-bit-offset-3", func(b *testing.B) { benchE1(b, E1Config{CRC4: true, CAS: true}, 3) })
	b.Run("plain-octet-aligned", func(b *testing.B) { benchE1(b, E1Config{}, 0) })
}

func BenchmarkT1Deframe(b *testing.B) {
	for _, esf := range []bool{false, true} {
		name := "sf"
		if esf {
			name = "esf"
		}
		b.Run(name, func(b *testing.B) {
			cfg := T1Config{ESF: esf, RobbedBit: true}
			_, stream, _ := t1Stream(b, cfg, 8000, 3)
			var sink byte
			d := NewT1Deframer(cfg, func(fn uint64, slots []byte) { sink ^= slots[5] })
			d.Write(stream)
			b.SetBytes(int64(len(stream)))
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				d.Write(stream)
			}
			b.StopTimer()
			if d.Stats().Frames < uint64(b.N)*7990 {
				b.Fatalf("frames %d: %+v", d.Stats().Frames, d.Stats())
			}
			bytesPerSec := float64(len(stream)) * float64(b.N) / b.Elapsed().Seconds()
			b.ReportMetric(bytesPerSec/(T1BitRate/8), "t1-spans-realtime")
			_ = sink
		})
	}
}
