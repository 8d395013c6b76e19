package m3ua

import (
	"bytes"
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/tdmtap/tdmtap/ss7/sigtran"
)

const waitFor = 10 * time.Second

type collector struct{ ch chan Indication }

func newCollector() *collector { return &collector{ch: make(chan Indication, 64)} }

func (c *collector) HandleData(_ context.Context, ind *Indication) {
	cp := *ind
	cp.PD.Payload = append([]byte(nil), ind.PD.Payload...)
	c.ch <- cp
}

func (c *collector) next(t *testing.T) Indication {
	t.Helper()
	select {
	case ind := <-c.ch:
		return ind
	case <-time.After(waitFor):
		t.Fatal("no DATA delivered")
	}
	return Indication{}
}

func run(t *testing.T, l interface{ Run(context.Context) error }) context.CancelFunc {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = l.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(waitFor):
			t.Error("link did not stop")
		}
	})
	return func() {
		cancel()
		<-done
	}
}

func newSGP(t *testing.T, cfg LinkConfig, h Handler, opt Options) (*SGP, string) {
	t.Helper()
	if cfg.Name == "" {
		cfg.Name = "sgp"
	}
	if cfg.LocalAddrs == nil {
		cfg.LocalAddrs = []string{"127.0.0.1:0"}
	}
	cfg.Transport = sigtran.TCP
	s, err := NewSGP(cfg, h, opt)
	if err != nil {
		t.Fatal(err)
	}
	addr, err := s.Listen()
	if err != nil {
		t.Fatal(err)
	}
	return s, addr.String()
}

func newASP(t *testing.T, cfg LinkConfig, addr string, h Handler, opt Options) *ASP {
	t.Helper()
	if cfg.Name == "" {
		cfg.Name = "asp"
	}
	cfg.Transport = sigtran.TCP
	cfg.RemoteAddrs = []string{addr}
	if cfg.BackoffMin == 0 {
		cfg.BackoffMin, cfg.BackoffMax = 10*time.Millisecond, 100*time.Millisecond
	}
	a, err := NewASP(cfg, h, opt)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func waitCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	t.Cleanup(cancel)
	return ctx
}

func checkPD(t *testing.T, got, want ProtocolData) {
	t.Helper()
	if got.OPC != want.OPC || got.DPC != want.DPC || got.SI != want.SI || got.NI != want.NI || got.MP != want.MP || got.SLS != want.SLS || !bytes.Equal(got.Payload, want.Payload) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
}

func TestBringUpAndDataRoundTrip(t *testing.T) {
	reg := prometheus.NewRegistry()
	opt := Options{Metrics: NewMetrics(reg)}
	sh, ah := newCollector(), newCollector()
	sgp, addr := newSGP(t, LinkConfig{RoutingContexts: []uint32{100}}, sh, opt)
	asp := newASP(t, LinkConfig{RoutingContexts: []uint32{100}, TrafficMode: TrafficOverride}, addr, ah, opt)
	run(t, sgp)
	run(t, asp)
	ctx := waitCtx(t)
	if err := asp.WaitState(ctx, StateActive); err != nil {
		t.Fatal(err)
	}
	if err := sgp.WaitState(ctx, StateActive); err != nil {
		t.Fatal(err)
	}
	if sgp.ASState(100) != ASActive {
		t.Fatalf("AS state %d", sgp.ASState(100))
	}

	pd := ProtocolData{OPC: 1001, DPC: 2002, SI: 5, NI: 2, MP: 1, SLS: 13, Payload: isupIAM}
	before := time.Now()
	if err := asp.SendData(ctx, 0, pd); err != nil {
		t.Fatal(err)
	}
	got := sh.next(t)
	checkPD(t, got.PD, pd)
	if got.Link != "sgp" || got.RoutingContext != 100 || got.Received.Before(before) {
		t.Fatalf("indication %+v", got)
	}

	pd2 := ProtocolData{OPC: 2002, DPC: 1001, SI: 5, NI: 3, MP: 3, SLS: 4, Payload: []byte{1, 2, 3}}
	if err := sgp.SendData(ctx, 100, pd2); err != nil {
		t.Fatal(err)
	}
	got = ah.next(t)
	checkPD(t, got.PD, pd2)
	if got.Link != "asp" || got.RoutingContext != 100 {
		t.Fatalf("indication %+v", got)
	}
	// Order is kept per association.
	for i := 0; i < 50; i++ {
		pd.SLS = uint8(i % 16)
		pd.Payload = []byte{byte(i)}
		if err := asp.SendData(ctx, 100, pd); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 50; i++ {
		if g := sh.next(t); g.PD.Payload[0] != byte(i) {
			t.Fatalf("message %d arrived as %d", i, g.PD.Payload[0])
		}
	}
	if v := testutil.ToFloat64(opt.Metrics.messages.WithLabelValues("sgp", "in", "XFER", "DATA")); v != 51 {
		t.Errorf("sgp DATA in counter %v, want 51", v)
	}
	if v := testutil.ToFloat64(opt.Metrics.messages.WithLabelValues("asp", "out", "ASPTM", "ASPAC")); v != 1 {
		t.Errorf("asp ASPAC out counter %v, want 1", v)
	}
	if v := testutil.ToFloat64(opt.Metrics.state.WithLabelValues("asp", asp.current().peer)); v != float64(StateActive) {
		t.Errorf("link state gauge %v", v)
	}
	// The ASP heard the AS go active.
	deadline := time.Now().Add(waitFor)
	for asp.ASState() != ASActive && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if asp.ASState() != ASActive {
		t.Errorf("ASP saw AS state %d", asp.ASState())
	}
}

func TestSendDataNotActive(t *testing.T) {
	asp := newASP(t, LinkConfig{}, "127.0.0.1:1", newCollector(), Options{})
	if err := asp.SendData(context.Background(), 0, ProtocolData{}); !errors.Is(err, ErrNotActive) {
		t.Fatalf("err %v", err)
	}
}

// fakePeer is a raw association for scripting the other side.
type fakePeer struct {
	t    *testing.T
	conn sigtran.Conn
	buf  []byte
}

func (f *fakePeer) read() (Header, ctrlMsg, []byte) {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	n, _, err := f.conn.ReadMessage(ctx, f.buf)
	if err != nil {
		f.t.Fatalf("fake peer read: %v", err)
	}
	raw := append([]byte(nil), f.buf[:n]...)
	h, err := ParseHeader(raw)
	if err != nil {
		f.t.Fatalf("fake peer got bad message % x: %v", raw, err)
	}
	var c ctrlMsg
	if !(h.Class == ClassXFER && h.Type == TypeDATA) {
		if err := parseCtrl(raw, h, &c); err != nil {
			f.t.Fatalf("fake peer: %v", err)
		}
	}
	return h, c, raw
}

// expect reads until a message of class/type arrives, answering BEATs.
func (f *fakePeer) expect(class, typ uint8) ctrlMsg {
	f.t.Helper()
	for {
		h, c, _ := f.read()
		if h.Class == class && h.Type == typ {
			return c
		}
		if h.Class == ClassASPSM && h.Type == TypeBEAT {
			f.write(EncodeBEATACK(c.hbData, c.hasHB))
			continue
		}
		f.t.Fatalf("fake peer expected %s, got %s", MessageName(class, typ), MessageName(h.Class, h.Type))
	}
}

func (f *fakePeer) write(m []byte) {
	f.t.Helper()
	if err := f.conn.WriteMessage(context.Background(), 0, m); err != nil {
		f.t.Fatalf("fake peer write: %v", err)
	}
}

func fakeListener(t *testing.T) (sigtran.Listener, func() *fakePeer) {
	l, err := sigtran.ListenTCP("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l, func() *fakePeer {
		t.Helper()
		c, err := l.Accept(waitCtx(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return &fakePeer{t: t, conn: c, buf: make([]byte, sigtran.ReadBufferSize)}
	}
}

func fakeDial(t *testing.T, addr string) *fakePeer {
	c, err := sigtran.DialTCP(waitCtx(t), "", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &fakePeer{t: t, conn: c, buf: make([]byte, sigtran.ReadBufferSize)}
}

// osmo-stp sends NTFY (AS-INACTIVE) right after ASPUP-ACK; go-m3ua's Conn
// answers it with a second ASPAC. Ours must send exactly one.
func TestNTFYAfterASPUPACKSingleASPAC(t *testing.T) {
	l, accept := fakeListener(t)
	reg := prometheus.NewRegistry()
	opt := Options{Metrics: NewMetrics(reg)}
	asp := newASP(t, LinkConfig{RoutingContexts: []uint32{5}}, l.Addr().String(), newCollector(), opt)
	run(t, asp)
	f := accept()
	f.expect(ClassASPSM, TypeASPUP)
	f.write(EncodeASPUPACK())
	f.write(EncodeNTFY(StatusASStateChange, ASInactive, []uint32{5}))
	c := f.expect(ClassASPTM, TypeASPAC)
	if c.nrc != 1 || c.rcs[0] != 5 {
		t.Fatalf("ASPAC routing contexts %v", c.routingContexts())
	}
	f.write(EncodeNTFY(StatusASStateChange, ASInactive, []uint32{5}))
	f.write(EncodeASPACACK(0, []uint32{5}))
	f.write(EncodeNTFY(StatusASStateChange, ASActive, []uint32{5}))
	// Synchronise: the ASP handles messages in order, so once it answers
	// this BEAT it has processed every NTFY above.
	f.write(EncodeBEAT([]byte("sync")))
	for {
		h, c, _ := f.read()
		if h.Class == ClassASPTM && h.Type == TypeASPAC {
			t.Fatal("second ASPAC sent after NTFY")
		}
		if h.Class == ClassASPSM && h.Type == TypeBEATACK && string(c.hbData) == "sync" {
			break
		}
	}
	if err := asp.WaitState(waitCtx(t), StateActive); err != nil {
		t.Fatal(err)
	}
	if v := testutil.ToFloat64(opt.Metrics.messages.WithLabelValues("asp", "out", "ASPTM", "ASPAC")); v != 1 {
		t.Fatalf("ASPAC sent %v times", v)
	}
}

func TestHeartbeatLossDetection(t *testing.T) {
	l, accept := fakeListener(t)
	opt := Options{Metrics: NewMetrics(nil)}
	asp := newASP(t, LinkConfig{Heartbeat: 30 * time.Millisecond, HeartbeatTimeout: 60 * time.Millisecond}, l.Addr().String(), newCollector(), opt)
	run(t, asp)
	f := accept()
	f.expect(ClassASPSM, TypeASPUP)
	f.write(EncodeASPUPACK())
	f.expect(ClassASPTM, TypeASPAC)
	f.write(EncodeASPACACK(0, nil))
	if err := asp.WaitState(waitCtx(t), StateActive); err != nil {
		t.Fatal(err)
	}
	// The fake peer now swallows BEATs: the ASP must declare it lost,
	// drop the association and dial again.
	f.expect(ClassASPSM, TypeBEAT)
	f2 := accept()
	f2.expect(ClassASPSM, TypeASPUP)
	if v := testutil.ToFloat64(opt.Metrics.errors.WithLabelValues("asp", "heartbeat_lost")); v < 1 {
		t.Fatalf("heartbeat_lost counter %v", v)
	}
}

func TestHeartbeatKeepsLinkUp(t *testing.T) {
	opt := Options{Metrics: NewMetrics(nil)}
	sgp, addr := newSGP(t, LinkConfig{Heartbeat: -1}, newCollector(), opt)
	// The timeout is generous (a loaded CI may delay the echo); each BEAT
	// waits it out, so three acknowledged BEATs take about 3 s.
	asp := newASP(t, LinkConfig{Heartbeat: 10 * time.Millisecond, HeartbeatTimeout: time.Second}, addr, newCollector(), opt)
	run(t, sgp)
	run(t, asp)
	if err := asp.WaitState(waitCtx(t), StateActive); err != nil {
		t.Fatal(err)
	}
	const wantAcks = 3
	acks := func() float64 {
		return testutil.ToFloat64(opt.Metrics.messages.WithLabelValues("asp", "in", "ASPSM", "BEAT_ACK"))
	}
	deadline := time.Now().Add(waitFor)
	for acks() < wantAcks && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if v := acks(); v < wantAcks {
		t.Fatalf("%v BEAT-ACKs received, want %d", v, wantAcks)
	}
	if v := testutil.ToFloat64(opt.Metrics.errors.WithLabelValues("asp", "heartbeat_lost")); v != 0 {
		t.Fatalf("heartbeat lost %v times with an answering peer", v)
	}
	if asp.State() != StateActive {
		t.Fatalf("state %s", asp.State())
	}
}

func TestPeerRestartReconnect(t *testing.T) {
	sh := newCollector()
	sgp, addr := newSGP(t, LinkConfig{}, sh, Options{})
	asp := newASP(t, LinkConfig{}, addr, newCollector(), Options{})
	stopSGP := run(t, sgp)
	run(t, asp)
	ctx := waitCtx(t)
	if err := asp.WaitState(ctx, StateActive); err != nil {
		t.Fatal(err)
	}
	stopSGP()
	if err := asp.WaitState(ctx, StateDown); err != nil {
		t.Fatal(err)
	}
	// The SGP comes back on the same address.
	var sgp2 *SGP
	deadline := time.Now().Add(waitFor)
	for {
		var err error
		sgp2, err = NewSGP(LinkConfig{Name: "sgp", Transport: sigtran.TCP, LocalAddrs: []string{addr}}, sh, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err = sgp2.Listen(); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	run(t, sgp2)
	if err := asp.WaitState(ctx, StateActive); err != nil {
		t.Fatal(err)
	}
	pd := samplePD()
	if err := asp.SendData(ctx, 0, pd); err != nil {
		t.Fatal(err)
	}
	checkPD(t, sh.next(t).PD, pd)
}

func TestSGPAnswersGarbageWithERR(t *testing.T) {
	sh := newCollector()
	sgp, addr := newSGP(t, LinkConfig{RoutingContexts: []uint32{7}, PointCodes: []uint32{1001}}, sh, Options{})
	run(t, sgp)
	f := fakeDial(t, addr)
	errCode := func(m []byte, want uint32) {
		t.Helper()
		f.write(m)
		c := f.expect(ClassMGMT, TypeERR)
		if c.errCode != want {
			t.Fatalf("message % x: ERR code %#x, want %#x", m, c.errCode, want)
		}
	}
	hdr := func(ver, class, typ uint8, body ...byte) []byte {
		m := append([]byte{ver, 0, class, typ, 0, 0, 0, byte(8 + len(body))}, body...)
		return m
	}
	// DATA before ASPUP/ASPAC is unexpected.
	data, _ := AppendData(nil, FormRFC, LabelITU, &DataMsg{HasRC: true, RoutingContext: 7, PD: samplePD()})
	errCode(data, ErrCodeUnexpectedMessage)
	errCode(EncodeASPAC(0, nil), ErrCodeUnexpectedMessage)
	errCode(hdr(2, ClassASPSM, TypeASPUP), ErrCodeInvalidVersion)
	errCode(hdr(1, 5, 1), ErrCodeUnsupportedClass)
	errCode(hdr(1, ClassASPSM, 9), ErrCodeUnsupportedType)
	errCode(hdr(1, ClassRKM, TypeREGREQ), ErrCodeUnsupportedType)
	errCode(hdr(1, ClassASPSM, TypeASPUP, 0, 0x11, 0, 3, 0, 0, 0, 0), ErrCodeParameterFieldError)
	errCode(hdr(1, ClassASPSM, TypeASPUP, 0, 0x11, 0, 6, 0, 0, 0, 0), ErrCodeParameterFieldError) // ASP id of 2 bytes
	// The link is still up: BEAT is echoed unchanged, bring-up works.
	hb := []byte{9, 8, 7, 6, 5}
	f.write(EncodeBEAT(hb))
	if c := f.expect(ClassASPSM, TypeBEATACK); !bytes.Equal(c.hbData, hb) {
		t.Fatalf("BEAT-ACK data % x, want % x", c.hbData, hb)
	}
	// A draft-style BEAT (heartbeat data tag 8) comes back byte for byte.
	draftBeat := []byte{1, 0, ClassASPSM, TypeBEAT, 0, 0, 0, 16, 0, 8, 0, 7, 1, 2, 3, 0}
	f.write(draftBeat)
	_, _, raw := f.read()
	want := append([]byte(nil), draftBeat...)
	want[3] = TypeBEATACK
	if !bytes.Equal(raw, want) {
		t.Fatalf("draft BEAT-ACK % x, want % x", raw, want)
	}
	f.write(EncodeASPUP(0, false))
	f.expect(ClassASPSM, TypeASPUPACK)
	if c := f.expect(ClassMGMT, TypeNTFY); c.statusInfo != ASInactive {
		t.Fatalf("NTFY %d", c.statusInfo)
	}
	errCode(EncodeASPAC(TrafficBroadcast, nil), ErrCodeUnsupportedTrafficMode)
	errCode(EncodeASPAC(0, []uint32{8}), ErrCodeInvalidRoutingContext)
	f.write(EncodeASPAC(0, []uint32{7}))
	f.expect(ClassASPTM, TypeASPACACK)
	if c := f.expect(ClassMGMT, TypeNTFY); c.statusInfo != ASActive {
		t.Fatalf("NTFY %d", c.statusInfo)
	}
	// Garbage DATA once active: ERR, and good DATA still flows.
	bad := append([]byte(nil), data...)
	bad[len(bad)-1] = 0
	bad = bad[:16]
	bad[10], bad[11] = 0, 12
	bad[7] = 16
	errCode(bad, ErrCodeParameterFieldError)
	wrongRC, _ := AppendData(nil, FormRFC, LabelITU, &DataMsg{HasRC: true, RoutingContext: 9, PD: samplePD()})
	errCode(wrongRC, ErrCodeInvalidRoutingContext)
	f.write(data)
	checkPD(t, sh.next(t).PD, samplePD())
	// DAUD: known PC → DAVA, unknown → DUNA.
	f.write(EncodeDAUD([]uint32{7}, []uint32{1001, 999}))
	if c := f.expect(ClassSSNM, TypeDAVA); c.napc != 1 || c.apcs[0] != 1001 {
		t.Fatalf("DAVA %v", c.apcs[:c.napc])
	}
	if c := f.expect(ClassSSNM, TypeDUNA); c.napc != 1 || c.apcs[0] != 999 {
		t.Fatalf("DUNA %v", c.apcs[:c.napc])
	}
	// ASPIA, ASPDN.
	f.write(EncodeASPIA([]uint32{7}))
	f.expect(ClassASPTM, TypeASPIAACK)
	if c := f.expect(ClassMGMT, TypeNTFY); c.statusInfo != ASInactive {
		t.Fatalf("NTFY %d", c.statusInfo)
	}
	f.write(EncodeASPDN())
	f.expect(ClassASPSM, TypeASPDNACK)
	if err := sgp.WaitState(waitCtx(t), StateDown); err != nil {
		t.Fatal(err)
	}
}

func TestASPAnswersGarbageWithERR(t *testing.T) {
	l, accept := fakeListener(t)
	ah := newCollector()
	asp := newASP(t, LinkConfig{}, l.Addr().String(), ah, Options{})
	run(t, asp)
	f := accept()
	f.expect(ClassASPSM, TypeASPUP)
	f.write([]byte{1, 0, 3, 3, 0, 0, 0, 9, 0}) // length 9, odd garbage parameter
	if c := f.expect(ClassMGMT, TypeERR); c.errCode != ErrCodeParameterFieldError {
		t.Fatalf("code %#x", c.errCode)
	}
	f.write(EncodeASPUP(0, false)) // an ASP does not take ASPUP
	if c := f.expect(ClassMGMT, TypeERR); c.errCode != ErrCodeUnexpectedMessage {
		t.Fatalf("code %#x", c.errCode)
	}
	f.write(EncodeASPUPACK())
	f.expect(ClassASPTM, TypeASPAC)
	f.write(EncodeASPACACK(0, nil))
	f.write(EncodeDUNA(nil, []uint32{5})) // SSNM is legitimate: no ERR
	data, _ := AppendData(nil, FormRFC, LabelITU, &DataMsg{PD: samplePD()})
	f.write(data)
	checkPD(t, ah.next(t).PD, samplePD())
	f.write(EncodeBEAT([]byte("after")))
	if c := f.expect(ClassASPSM, TypeBEATACK); string(c.hbData) != "after" {
		t.Fatalf("BEAT-ACK %q", c.hbData)
	}
}

func TestDraft6DataBothWays(t *testing.T) {
	for _, lf := range []LabelFormat{LabelITU, LabelANSI5, LabelANSI8} {
		sh, ah := newCollector(), newCollector()
		cfg := LinkConfig{Form: FormDraft6, Label: lf}
		sgp, addr := newSGP(t, cfg, sh, Options{})
		asp := newASP(t, cfg, addr, ah, Options{})
		stop1 := run(t, sgp)
		stop2 := run(t, asp)
		ctx := waitCtx(t)
		if err := asp.WaitState(ctx, StateActive); err != nil {
			t.Fatal(err)
		}
		if err := sgp.WaitState(ctx, StateActive); err != nil {
			t.Fatal(err)
		}
		pd := ProtocolData{OPC: 0x1234, DPC: 0x0321, SI: 5, NI: 2, MP: 0, SLS: 11, Payload: isupIAM}
		if lf != LabelITU {
			pd.MP = 2
		}
		if err := asp.SendData(ctx, 0, pd); err != nil {
			t.Fatal(err)
		}
		checkPD(t, sh.next(t).PD, pd)
		pd.OPC, pd.DPC = pd.DPC, pd.OPC
		if err := sgp.SendData(ctx, 0, pd); err != nil {
			t.Fatal(err)
		}
		checkPD(t, ah.next(t).PD, pd)
		stop2()
		stop1()
	}
}

// A draft-6 peer sending to an RFC link (misconfiguration) gets ERR
// Missing Parameter, and the link stays up.
func TestDraftToRFCLinkGetsERR(t *testing.T) {
	l, accept := fakeListener(t)
	ah := newCollector()
	asp := newASP(t, LinkConfig{}, l.Addr().String(), ah, Options{})
	run(t, asp)
	f := accept()
	f.expect(ClassASPSM, TypeASPUP)
	f.write(EncodeASPUPACK())
	f.expect(ClassASPTM, TypeASPAC)
	f.write(EncodeASPACACK(0, nil))
	draft, _ := AppendData(nil, FormDraft6, LabelITU, &DataMsg{PD: samplePD()})
	f.write(draft)
	if c := f.expect(ClassMGMT, TypeERR); c.errCode != ErrCodeMissingParameter {
		t.Fatalf("code %#x", c.errCode)
	}
}

func TestLinksetTwoAssociations(t *testing.T) {
	h := newCollector()
	s1h, s2h := newCollector(), newCollector()
	sgp1, addr1 := newSGP(t, LinkConfig{Name: "sgp1"}, s1h, Options{})
	sgp2, addr2 := newSGP(t, LinkConfig{Name: "sgp2"}, s2h, Options{})
	run(t, sgp1)
	run(t, sgp2)
	bo := 10 * time.Millisecond
	ls, err := NewLinkset("to-switch", []LinkConfig{
		{Name: "a", Role: RoleASP, Transport: sigtran.TCP, RemoteAddrs: []string{addr1}, BackoffMin: bo},
		{Name: "b", Role: RoleASP, Transport: sigtran.TCP, RemoteAddrs: []string{addr2}, BackoffMin: bo},
	}, h, Options{})
	if err != nil {
		t.Fatal(err)
	}
	run(t, ls)
	ctx := waitCtx(t)
	for _, l := range ls.Links() {
		if err := l.WaitState(ctx, StateActive); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range []*SGP{sgp1, sgp2} {
		if err := s.WaitState(ctx, StateActive); err != nil {
			t.Fatal(err)
		}
	}
	p1, p2 := samplePD(), samplePD()
	p2.OPC = 4242
	if err := sgp1.SendData(ctx, 0, p1); err != nil {
		t.Fatal(err)
	}
	if err := sgp2.SendData(ctx, 0, p2); err != nil {
		t.Fatal(err)
	}
	got := map[string]uint32{}
	for i := 0; i < 2; i++ {
		ind := h.next(t)
		got[ind.Link] = ind.PD.OPC
	}
	if got["a"] != p1.OPC || got["b"] != 4242 {
		t.Fatalf("linkset delivered %v", got)
	}
	// Sending through the linkset uses an active link; each SLS sticks.
	for sls := uint8(0); sls < 4; sls++ {
		p := samplePD()
		p.SLS = sls
		if err := ls.SendData(ctx, 0, p); err != nil {
			t.Fatal(err)
		}
	}
	n := 0
	timeout := time.After(waitFor)
	for n < 4 {
		select {
		case <-s1h.ch:
			n++
		case <-s2h.ch:
			n++
		case <-timeout:
			t.Fatalf("only %d of 4 arrived", n)
		}
	}
}

// Override: a second ASP going active takes the AS over; the first gets
// NTFY Alternate ASP Active and turns inactive.
func TestOverrideTakeover(t *testing.T) {
	sh := newCollector()
	sgp, addr := newSGP(t, LinkConfig{TrafficMode: TrafficOverride}, sh, Options{})
	run(t, sgp)
	a1 := newASP(t, LinkConfig{Name: "a1"}, addr, newCollector(), Options{})
	run(t, a1)
	ctx := waitCtx(t)
	if err := a1.WaitState(ctx, StateActive); err != nil {
		t.Fatal(err)
	}
	h2 := newCollector()
	a2 := newASP(t, LinkConfig{Name: "a2"}, addr, h2, Options{})
	run(t, a2)
	if err := a2.WaitState(ctx, StateActive); err != nil {
		t.Fatal(err)
	}
	if err := a1.WaitState(ctx, StateInactive); err != nil {
		t.Fatal(err)
	}
	if err := sgp.SendData(ctx, 0, samplePD()); err != nil {
		t.Fatal(err)
	}
	if ind := h2.next(t); ind.Link != "a2" {
		t.Fatalf("delivered on %s", ind.Link)
	}
}

func TestLoadshareSpreadsBySLS(t *testing.T) {
	sgp, addr := newSGP(t, LinkConfig{TrafficMode: TrafficLoadshare}, newCollector(), Options{})
	run(t, sgp)
	var mu sync.Mutex
	per := map[string]int{}
	h := HandlerFunc(func(_ context.Context, ind *Indication) {
		mu.Lock()
		per[ind.Link]++
		mu.Unlock()
	})
	ctx := waitCtx(t)
	for _, name := range []string{"l1", "l2"} {
		a := newASP(t, LinkConfig{Name: name, TrafficMode: TrafficLoadshare}, addr, h, Options{})
		run(t, a)
		if err := a.WaitState(ctx, StateActive); err != nil {
			t.Fatal(err)
		}
	}
	for sls := uint8(0); sls < 16; sls++ {
		p := samplePD()
		p.SLS = sls
		if err := sgp.SendData(ctx, 0, p); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(waitFor)
	for {
		mu.Lock()
		total, a, b := per["l1"]+per["l2"], per["l1"], per["l2"]
		mu.Unlock()
		if total == 16 {
			if a != 8 || b != 8 {
				t.Fatalf("loadshare split %d/%d", a, b)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("got %d of 16", total)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestHandlerPanicDoesNotKillLink(t *testing.T) {
	var calls int
	var mu sync.Mutex
	h := HandlerFunc(func(_ context.Context, ind *Indication) {
		mu.Lock()
		calls++
		mu.Unlock()
		panic("boom")
	})
	sgp, addr := newSGP(t, LinkConfig{}, h, Options{})
	run(t, sgp)
	asp := newASP(t, LinkConfig{}, addr, newCollector(), Options{})
	run(t, asp)
	ctx := waitCtx(t)
	if err := asp.WaitState(ctx, StateActive); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if err := asp.SendData(ctx, 0, samplePD()); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(waitFor)
	for {
		mu.Lock()
		c := calls
		mu.Unlock()
		if c == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("handler called %d times", c)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if asp.State() != StateActive {
		t.Fatal("link dropped after handler panic")
	}
}

var _ = net.IPv4len
