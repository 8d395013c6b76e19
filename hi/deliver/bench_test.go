package deliver

import (
	"context"

	"net"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkDeliveryLoopback measures Send → LEMF socket throughput over
// loopback: HI2 through the durable spool (group-committed fsyncs), HI3
// through the content ring. PDUs are 200 bytes (a typical IRI; a 20 ms
// G.711 RTP CC PDU is ~230).
func BenchmarkDeliveryLoopback(b *testing.B) {
	for _, hi := range []HI{HI2, HI3} {
		b.Run(hi.String(), func(b *testing.B) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			defer ln.Close()
			var got atomic.Int64
			go func() {
				for {
					c, err := ln.Accept()
					if err != nil {
						return
					}
					go func() {
						buf := make([]byte, 256<<10)
						for {
							n, err := c.Read(buf)
							got.Add(int64(n))
							if err != nil {
								return
							}
						}
					}()
				}
			}()
			s, err := New(Config{Name: "bench", HI: hi, Addr: ln.Addr().String(),
				SpoolPath: filepath.Join(b.TempDir(), "s.db"), CCSpoolBytes: 64 << 20})
			if err != nil {
				b.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			s.Start(ctx)
			defer s.Close()
			pdu := testPDU(1, 200)
			b.SetBytes(int64(len(pdu)))
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			for i := 0; i < b.N; i++ {
				if hi == HI3 && i%4096 == 4095 {
					// keep within the content bound: this measures
					// throughput, not drops
					for s.Stats().SpoolBytes > 32<<20 {
						time.Sleep(time.Millisecond)
					}
				}
				s.Send(pdu)
			}
			want := int64(b.N) * int64(len(pdu))
			for got.Load() < want {
				time.Sleep(200 * time.Microsecond)
			}
			el := time.Since(start).Seconds()
			b.StopTimer()
			cancel()
			s.Close()
			if d := s.Stats().Dropped; d != 0 {
				b.Fatalf("%d dropped", d)
			}
			b.ReportMetric(float64(b.N)/el, "pdus/s")
			b.ReportMetric(float64(want)/el/1e6, "MB/s")
		})
	}
}
