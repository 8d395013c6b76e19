package hi3

import (
	"testing"
	"time"

	"github.com/tdmtap/tdmtap/hi/psdu"
)

// BenchmarkEncodeCC measures iPMMCC PS-PDU encoding of one 20 ms G.711 RTP
// packet (172 octets) into a reused buffer.
func BenchmarkEncodeCC(b *testing.B) {
	h := testHeader()
	cc := CC{Direction: FromTarget, Time: tEvent, StreamID: "0"}
	rtp := make([]byte, 172)
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	start := time.Now()
	n := 0
	for b.Loop() {
		h.Seq++
		buf = AppendIPMMCC(buf[:0], &h, &cc, rtp)
		n++
	}
	b.ReportMetric(float64(n)/time.Since(start).Seconds(), "pdus/s")
	b.SetBytes(int64(len(buf)))
}

// BenchmarkEncodePstnIsdnCC: 160 raw octets per PDU.
func BenchmarkEncodePstnIsdnCC(b *testing.B) {
	h := testHeader()
	cc := CC{Direction: ToTarget, Time: tEvent, HasCCLinkID: true, CCLinkID: 1}
	oct := make([]byte, 160)
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	start := time.Now()
	n := 0
	for b.Loop() {
		h.Seq++
		buf = AppendPstnIsdnCC(buf[:0], &h, &cc, oct)
		n++
	}
	b.ReportMetric(float64(n)/time.Since(start).Seconds(), "pdus/s")
}

func TestEncodeCCZeroAlloc(t *testing.T) {
	h := testHeader()
	cc := CC{Direction: FromTarget, Time: tEvent, StreamID: "0"}
	rtp := make([]byte, 172)
	buf := make([]byte, 0, 512)
	if a := testing.AllocsPerRun(100, func() { buf = AppendIPMMCC(buf[:0], &h, &cc, rtp) }); a != 0 {
		t.Fatalf("AppendIPMMCC allocates %v", a)
	}
	if a := testing.AllocsPerRun(100, func() { buf = AppendPstnIsdnCC(buf[:0], &h, &cc, rtp[:160]) }); a != 0 {
		t.Fatalf("AppendPstnIsdnCC allocates %v", a)
	}
}

// BenchmarkDecodeCC measures the receiver's path for one iPMMCC PDU:
// PS-PDU parse into a reused PDU plus CCPayload decode into a reused slice.
func BenchmarkDecodeCC(b *testing.B) {
	h := testHeader()
	h.AuthCountry, h.DeliveryCountry, h.NetworkElementID, h.InterceptionPointID = "DE", "DE", "NE1", "TAP1"
	cc := CC{Direction: FromTarget, Time: tEvent, StreamID: "0"}
	pdu := AppendIPMMCC(nil, &h, &cc, make([]byte, 172))
	var p psdu.PDU
	cs := make([]Content, 0, 4)
	b.ReportAllocs()
	start := time.Now()
	n := 0
	for b.Loop() {
		if err := psdu.Parse(pdu, &p); err != nil {
			b.Fatal(err)
		}
		var err error
		if cs, err = DecodePayload(p.Payload, cs[:0]); err != nil || len(cs) != 1 {
			b.Fatal(err)
		}
		n++
	}
	b.ReportMetric(float64(n)/time.Since(start).Seconds(), "pdus/s")
}
