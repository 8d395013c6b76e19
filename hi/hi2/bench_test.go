package hi2

import (
	"testing"
	"time"
)

// BenchmarkEncodeIRI measures IRI-Begin PS-PDU encoding (two parties, one
// ISUP parameter) into a reused buffer.
func BenchmarkEncodeIRI(b *testing.B) {
	h := testHeader()
	iri := beginIRI()
	buf := make([]byte, 0, 1024)
	b.ReportAllocs()
	start := time.Now()
	n := 0
	for b.Loop() {
		h.Seq++
		buf = Append(buf[:0], &h, &iri)
		n++
	}
	b.ReportMetric(float64(n)/time.Since(start).Seconds(), "pdus/s")
	b.SetBytes(int64(len(buf)))
}

func TestEncodeIRIZeroAlloc(t *testing.T) {
	h := testHeader()
	iri := beginIRI()
	buf := make([]byte, 0, 1024)
	if a := testing.AllocsPerRun(100, func() { buf = Append(buf[:0], &h, &iri) }); a != 0 {
		t.Fatalf("Append allocates %v per PDU", a)
	}
	m := MediaInfo{Time: tEvent, MediaFormat: 8}
	if a := testing.AllocsPerRun(100, func() { buf = AppendMediaInfo(buf[:0], &h, &m) }); a != 0 {
		t.Fatalf("AppendMediaInfo allocates %v per PDU", a)
	}
}
