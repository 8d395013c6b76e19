package switchsim

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/tdmtap/tdmtap/config"
	"github.com/tdmtap/tdmtap/e1"
	"github.com/tdmtap/tdmtap/ss7/call"
	"github.com/tdmtap/tdmtap/ss7/isup"
	"github.com/tdmtap/tdmtap/ss7/m3ua"
	"github.com/tdmtap/tdmtap/tdm"
	"github.com/tdmtap/tdmtap/tdm/pw"
)

const waitFor = 20 * time.Second

// ev is a copied call event.
type ev struct {
	Kind                              call.EventKind
	CallID                            uint64
	CIC                               uint16
	OrigPC, FromPC                    uint32
	Msg                               isup.MsgType
	Called, Calling, OCN, Redirecting string
	CalledNAI, CallingNAI             uint8
	Cause                             uint8
	By, ReleasedBy                    call.Side
	Ends, InBand                      bool
	ProgressEvent                     uint8
}

type rawMsg struct {
	peer     int
	OPC, DPC uint32
	NI, SLS  uint8
	Type     isup.MsgType
	CIC      uint16
}

// peer is the gateway side of the test: M3UA endpoints feeding an ISUP
// decoder and the call tracker.
type peer struct {
	mu      sync.Mutex
	adapter *call.Adapter
	tracker *call.Tracker
	variant isup.Variant
	events  []ev
	msgs    []rawMsg
	dec     isup.Message
}

func newPeer(v isup.Variant) *peer {
	p := &peer{variant: v}
	p.tracker = call.NewTracker(call.Config{}, call.SinkFunc(func(e *call.Event) {
		p.events = append(p.events, ev{Kind: e.Kind, CallID: e.CallID, CIC: e.Circuit.CIC, OrigPC: e.OrigPC, FromPC: e.FromPC,
			Msg: e.Msg, Called: string(e.Called.Address()), Calling: string(e.Calling.Address()),
			OCN: string(e.OriginalCalled.Address()), Redirecting: string(e.Redirecting.Address()),
			CalledNAI: e.Called.NAI, CallingNAI: e.Calling.NAI,
			Cause: e.Cause.Value, By: e.By, ReleasedBy: e.ReleasedBy, Ends: e.Ends, InBand: e.InBand, ProgressEvent: e.ProgressEvent})
	}))
	p.adapter = call.NewAdapter(p.tracker, call.AdapterConfig{Variant: v})
	return p
}

// handler returns the m3ua.Handler of peer association i.
func (p *peer) handler(i int) m3ua.Handler {
	return m3ua.HandlerFunc(func(ctx context.Context, ind *m3ua.Indication) {
		p.mu.Lock()
		defer p.mu.Unlock()
		if err := p.dec.Decode(p.variant, ind.PD.Payload); err == nil {
			p.msgs = append(p.msgs, rawMsg{peer: i, OPC: ind.PD.OPC, DPC: ind.PD.DPC, NI: ind.PD.NI, SLS: ind.PD.SLS, Type: p.dec.Type, CIC: p.dec.CIC})
		}
		p.adapter.HandleData(ctx, ind)
	})
}

func (p *peer) snapshot() ([]ev, []rawMsg) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]ev(nil), p.events...), append([]rawMsg(nil), p.msgs...)
}

// waitMsgs waits until the peer has n messages.
func (p *peer) waitMsgs(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	for {
		p.mu.Lock()
		got := len(p.msgs)
		p.mu.Unlock()
		if got >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("peer got %d of %d messages", got, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func linkLabel(v isup.Variant) m3ua.LabelFormat {
	if v == isup.ANSI {
		return m3ua.LabelANSI8
	}
	return m3ua.LabelITU
}

// runLink runs l until the test ends.
func runLink(t *testing.T, l interface{ Run(context.Context) error }) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil && !errors.Is(err, context.Canceled) {
				t.Errorf("peer link: %v", err)
			}
		case <-time.After(waitFor):
			t.Error("peer link did not stop")
		}
	})
}

// spanRx receives one span and keeps every frame by frame number.
type spanRx struct {
	name    string
	conn    *net.UDPConn
	width   int
	mu      sync.Mutex
	frames  []byte // frame f at f*width
	have    []bool
	packets uint64
	handle  func([]byte)
	flush   func()
	stats   func() e1.Stats
	done    chan struct{}
}

func newSpanRx(t *testing.T, name string, fr config.Framing, kind SpanKind, cesSlots []int) *spanRx {
	t.Helper()
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadBuffer(4 << 20)
	r := &spanRx{name: name, conn: conn, width: 32, done: make(chan struct{})}
	if fr.T1() {
		r.width = 24
	}
	store := func(frame uint64, slots []byte) {
		end := int(frame+1) * r.width
		for len(r.frames) < end {
			r.frames = append(r.frames, make([]byte, 8000*r.width)...)
			r.have = append(r.have, make([]bool, 8000)...)
		}
		copy(r.frames[int(frame)*r.width:end], slots)
		r.have[frame] = true
	}
	switch {
	case kind == CESoPSN:
		rx, err := pw.NewCESoPSNReceiver(name, pw.CESoPSNConfig{Width: r.width, Slots: cesSlots}, tdm.FrameSinkFunc(func(_ string, first uint64, n int, slots []byte, width int) {
			for i := 0; i < n; i++ {
				store(first+uint64(i), slots[i*width:(i+1)*width])
			}
		}))
		if err != nil {
			t.Fatal(err)
		}
		r.handle, r.flush = rx.HandlePacket, rx.Flush
		r.stats = func() e1.Stats { return e1.Stats{} }
	case fr.T1():
		d := e1.NewT1Deframer(e1.T1Config{ESF: fr == config.T1ESF}, store)
		rx := pw.NewSAToPReceiver(pw.SAToPConfig{PayloadBytes: pw.SAToPT1Payload}, func(p []byte) { _, _ = d.Write(p) })
		r.handle, r.flush, r.stats = rx.HandlePacket, rx.Flush, d.Stats
	default:
		d := e1.NewE1Deframer(e1.E1Config{CRC4: fr == config.E1CRC4}, store)
		rx := pw.NewSAToPReceiver(pw.SAToPConfig{}, func(p []byte) { _, _ = d.Write(p) })
		r.handle, r.flush, r.stats = rx.HandlePacket, rx.Flush, d.Stats
	}
	go func() {
		defer close(r.done)
		buf := make([]byte, 2048)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				return
			}
			r.mu.Lock()
			r.packets++
			r.handle(buf[:n])
			r.mu.Unlock()
		}
	}()
	t.Cleanup(func() { _ = conn.Close(); <-r.done })
	return r
}

func (r *spanRx) addr() string { return r.conn.LocalAddr().String() }

// finish waits for n packets, flushes the jitter buffer and stops.
func (r *spanRx) finish(t *testing.T, n uint64) {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	for {
		r.mu.Lock()
		got := r.packets
		r.mu.Unlock()
		if got >= n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("span %s: got %d of %d packets", r.name, got, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
	_ = r.conn.Close()
	<-r.done
	r.flush()
}

// octet returns the octet of timeslot ts in frame f, and whether that frame
// was received.
func (r *spanRx) octet(f uint64, ts int) (byte, bool) {
	if int(f) >= len(r.have) || !r.have[f] {
		return 0, false
	}
	return r.frames[int(f)*r.width+SlotIndex(r.width == 24, ts)], true
}
