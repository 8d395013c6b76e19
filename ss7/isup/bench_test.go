package isup

import (
	"testing"
	"time"
)

func encodedSamples(b *testing.B, v Variant, types ...MsgType) [][]byte {
	if len(types) == 0 {
		types = allTypes(v)
	}
	var out [][]byte
	for _, typ := range types {
		p, err := sample(b, v, typ, 7).Append(v, nil)
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

func benchDecode(b *testing.B, v Variant, msgs [][]byte) {
	var m Message
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		if err := m.Decode(v, msgs[i%len(msgs)]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
}

// BenchmarkDecodeIAMITU decodes a full ITU IAM (called, calling, original
// called, redirecting, redirection info, location, generic number and
// digits, USI, access transport).
func BenchmarkDecodeIAMITU(b *testing.B) { benchDecode(b, ITU, encodedSamples(b, ITU, IAM)) }

// BenchmarkDecodeIAMANSI decodes a full ANSI IAM.
func BenchmarkDecodeIAMANSI(b *testing.B) { benchDecode(b, ANSI, encodedSamples(b, ANSI, IAM)) }

// BenchmarkDecodeCallMixITU decodes a typical call's messages in turn.
func BenchmarkDecodeCallMixITU(b *testing.B) {
	benchDecode(b, ITU, encodedSamples(b, ITU, IAM, ACM, CPG, ANM, REL, RLC))
}

// BenchmarkDecodeAllTypesANSI cycles through every ANSI message type.
func BenchmarkDecodeAllTypesANSI(b *testing.B) { benchDecode(b, ANSI, encodedSamples(b, ANSI)) }

// BenchmarkAppendIAMITU re-encodes a decoded IAM into a reused buffer.
func BenchmarkAppendIAMITU(b *testing.B) {
	var m Message
	if err := m.Decode(ITU, encodedSamples(b, ITU, IAM)[0]); err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		var err error
		if buf, err = m.Append(ITU, buf[:0]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
}

func TestDecodeAllocs(t *testing.T) {
	for _, v := range []Variant{ITU, ANSI} {
		for _, typ := range allTypes(v) {
			p, err := sample(t, v, typ, 3).Append(v, nil)
			if err != nil {
				t.Fatal(err)
			}
			var m Message
			if n := testing.AllocsPerRun(100, func() { _ = m.Decode(v, p) }); n != 0 {
				t.Errorf("%v %v: %v allocs per decode", v, typ, n)
			}
		}
	}
}
