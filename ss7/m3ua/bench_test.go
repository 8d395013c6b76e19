package m3ua

import (
	"context"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tdmtap/tdmtap/ss7/sigtran"
)

// discardConn is a sigtran.Conn that drops what is written to it.
type discardConn struct{ writes int }

func (d *discardConn) ReadMessage(ctx context.Context, buf []byte) (int, uint16, error) {
	<-ctx.Done()
	return 0, 0, ctx.Err()
}
func (d *discardConn) WriteMessage(context.Context, uint16, []byte) error { d.writes++; return nil }
func (d *discardConn) Close() error                                       { return nil }
func (d *discardConn) LocalAddr() net.Addr                                { return &net.TCPAddr{} }
func (d *discardConn) RemoteAddr() net.Addr                               { return &net.TCPAddr{Port: 2905} }

var _ sigtran.Conn = (*discardConn)(nil)

type countHandler struct {
	n   int
	sum uint32
}

func (c *countHandler) HandleData(_ context.Context, ind *Indication) {
	c.n++
	c.sum += ind.PD.OPC + uint32(len(ind.PD.Payload))
}

func benchAssoc(f Form, lf LabelFormat) *assoc {
	cfg := &LinkConfig{Name: "bench", Form: f, Label: lf, RoutingContexts: []uint32{1}}
	return newAssoc(&discardConn{}, cfg, NewMetrics(nil).forLink("bench"), discardLogger().Logger)
}

func discardLogger() *Options {
	o := Options{}.norm()
	return &o
}

// BenchmarkDataDecodeDispatch measures one received DATA message from the
// common header to the Handler call: header check, counters, parameter
// walk, Protocol Data decode, Indication fill, handler dispatch.
func BenchmarkDataDecodeDispatch(b *testing.B) {
	for _, c := range []struct {
		name string
		f    Form
		lf   LabelFormat
	}{{"rfc", FormRFC, LabelITU}, {"draft6-itu", FormDraft6, LabelITU}, {"draft6-ansi", FormDraft6, LabelANSI8}} {
		b.Run(c.name, func(b *testing.B) {
			a := benchAssoc(c.f, c.lf)
			msg, err := AppendData(nil, c.f, c.lf, &DataMsg{HasRC: true, RoutingContext: 1, PD: ProtocolData{OPC: 100, DPC: 200, SI: 5, NI: 2, SLS: 3, Payload: isupIAM}})
			if err != nil {
				b.Fatal(err)
			}
			h := &countHandler{}
			rx := &rxState{}
			ctx := context.Background()
			ok := func() bool { return true }
			b.ReportAllocs()
			b.SetBytes(int64(len(msg)))
			b.ResetTimer()
			start := time.Now()
			for i := 0; i < b.N; i++ {
				if err := a.handleMsg(ctx, h, ok, nil, msg, 1, rx); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
			if h.n != b.N {
				b.Fatalf("handler called %d times of %d", h.n, b.N)
			}
		})
	}
}

// BenchmarkDataSend measures SendData's encode and write (to a discarding
// association).
func BenchmarkDataSend(b *testing.B) {
	a := benchAssoc(FormRFC, LabelITU)
	pd := ProtocolData{OPC: 100, DPC: 200, SI: 5, NI: 2, SLS: 3, Payload: isupIAM}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		if err := a.sendData(ctx, 1, true, &pd); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
}

// BenchmarkLoopbackData sends DATA from an ASP to an SGP over TCP on
// loopback and waits for the SGP handler to see each batch.
func BenchmarkLoopbackData(b *testing.B) {
	got := make(chan struct{}, 1)
	var n, want atomic.Int64
	h := HandlerFunc(func(context.Context, *Indication) {
		if n.Add(1) == want.Load() {
			got <- struct{}{}
		}
	})
	sgp, err := NewSGP(LinkConfig{Name: "s", Transport: sigtran.TCP, LocalAddrs: []string{"127.0.0.1:0"}, Heartbeat: -1}, h, Options{})
	if err != nil {
		b.Fatal(err)
	}
	addr, err := sgp.Listen()
	if err != nil {
		b.Fatal(err)
	}
	asp, err := NewASP(LinkConfig{Name: "a", Transport: sigtran.TCP, RemoteAddrs: []string{addr.String()}, Heartbeat: -1}, nil, Options{})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go sgp.Run(ctx)
	go asp.Run(ctx)
	wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
	defer wcancel()
	if err := asp.WaitState(wctx, StateActive); err != nil {
		b.Fatal(err)
	}
	pd := ProtocolData{OPC: 100, DPC: 200, SI: 5, NI: 2, SLS: 3, Payload: isupIAM}
	want.Store(int64(b.N))
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		if err := asp.SendData(ctx, 0, pd); err != nil {
			b.Fatal(err)
		}
	}
	select {
	case <-got:
	case <-time.After(30 * time.Second):
		b.Fatalf("delivered %d of %d", n.Load(), b.N)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
}
