package switchsim

import (
	"net"
	"testing"

	"github.com/tdmtap/tdmtap/config"
)

// BenchmarkBearerBatch generates 1 ms (8 frames) of two E1 CRC-4 spans with
// every bearer timeslot carrying a pattern, framed and sent as SAToP over
// loopback UDP. e1-spans-realtime is how many spans one core could keep at
// 8000 frames/s.
func BenchmarkBearerBatch(b *testing.B) {
	sink, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		b.Fatal(err)
	}
	defer sink.Close()
	go func() {
		buf := make([]byte, 2048)
		for {
			if _, err := sink.Read(buf); err != nil {
				return
			}
		}
	}()
	circuits, spans, err := DefaultBearer(1, 30, config.E1CRC4, sink.LocalAddr().String(), sink.LocalAddr().String())
	if err != nil {
		b.Fatal(err)
	}
	g, err := newBearer(spans, 1, 1)
	if err != nil {
		b.Fatal(err)
	}
	cr := circuits[0]
	for i, ts := range cr.AtoB.Timeslots {
		g.start(&BearerTruth{Span: "ab", Timeslot: ts, Seed: PatternSeed(uint16(i+1), Forward)})
		g.start(&BearerTruth{Span: "ba", Timeslot: ts, Seed: PatternSeed(uint16(i+1), Backward)})
	}
	g.batch()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		g.batch()
	}
	b.StopTimer()
	perBatch := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(float64(len(spans))*0.001/perBatch, "e1-spans-realtime")
	g.finish()
}
