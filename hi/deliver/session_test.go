package deliver

import (
	"context"
	"crypto/x509"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestIRIOutageNoLossInOrder(t *testing.T) {
	lemf := startLEMF(t, "", nil)
	s := newSession(t, Config{Addr: lemf.addr})
	const first, total = 100, 400
	for i := 0; i < first; i++ {
		if err := s.Send(testPDU(uint32(i), 64+i%50)); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, 10*time.Second, "first batch", func() bool {
		g, _ := lemf.snapshot()
		n := 0
		for _, c := range g {
			n += len(c)
		}
		return n >= first
	})
	addr := lemf.addr
	lemf.close()
	waitFor(t, 5*time.Second, "disconnect", func() bool { return !s.Stats().Connected })
	for i := first; i < total; i++ {
		if err := s.Send(testPDU(uint32(i), 64+i%50)); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if st := s.Stats(); st.Queued < total-first {
		t.Fatalf("spool holds %d records while the LEMF is away, want >= %d", st.Queued, total-first)
	}
	lemf2 := startLEMF(t, addr, nil)
	if err := s.WaitDelivered(ctx); err != nil {
		t.Fatalf("not delivered: %v (stats %+v)", err, s.Stats())
	}
	g1, _ := lemf.snapshot()
	g2, _ := lemf2.snapshot()
	dups := checkNoGaps(t, append(g1, g2...), total)
	st := s.Stats()
	t.Logf("duplicates at resync: %d; stats %+v", dups, st)
	if st.Queued != 0 || st.Reconnects == 0 {
		t.Fatalf("after delivery: %+v", st)
	}
}

func TestRestartReplaysSpool(t *testing.T) {
	dir := t.TempDir()
	spoolPath := filepath.Join(dir, "hi2.db")
	// Nothing listens here: reserve a port and close it.
	l := startLEMF(t, "", nil)
	addr := l.addr
	l.close()

	s1, err := New(Config{Name: "lemf1", HI: HI2, Addr: addr, SpoolPath: spoolPath,
		BackoffMin: 10 * time.Millisecond, BackoffMax: 20 * time.Millisecond, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s1.Start(ctx)
	const n = 250
	for i := 0; i < n; i++ {
		if err := s1.Send(testPDU(uint32(i), 100)); err != nil {
			t.Fatal(err)
		}
	}
	// Close commits what is pending (a crash would lose only what the
	// group commit had not yet fsync'd).
	if err := s1.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s1.Send(testPDU(0, 100)); err != ErrClosed {
		t.Fatalf("Send after Close: %v", err)
	}

	lemf := startLEMF(t, addr, nil)
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	s2 := newSession(t, Config{Addr: addr, SpoolPath: spoolPath, Metrics: m})
	if st := s2.Stats(); st.Queued != n {
		t.Fatalf("reopened spool holds %d, want %d", st.Queued, n)
	}
	if err := s2.WaitDelivered(ctx); err != nil {
		t.Fatal(err)
	}
	g, _ := lemf.snapshot()
	checkNoGaps(t, g, n)
	if got := testutil.ToFloat64(m.Replayed.WithLabelValues("lemf1", "hi2")); got < n {
		t.Fatalf("replayed metric %v, want >= %d", got, n)
	}
	if got := testutil.ToFloat64(m.Queued.WithLabelValues("lemf1", "hi2")); got != 0 {
		t.Fatalf("queued metric %v after delivery", got)
	}
}

func TestTLSMutualAuthAndPinning(t *testing.T) {
	dir := t.TempDir()
	good := newPKI(t, dir, "good")
	rogue := newPKI(t, dir, "rogue")

	cases := []struct {
		name    string
		client  TLSConfig
		wantOK  bool
		serverH bool // refused by the server (handshake or first read)
	}{
		{"ok-ca", TLSConfig{CertFile: good.clientCert, KeyFile: good.clientKey, CAFile: good.caFile}, true, false},
		{"ok-pin-spki", TLSConfig{CertFile: good.clientCert, KeyFile: good.clientKey, Pins: []Pin{PinOf(PinSPKI, good.server)}}, true, false},
		{"ok-ca+pin-cert", TLSConfig{CertFile: good.clientCert, KeyFile: good.clientKey, CAFile: good.caFile, Pins: []Pin{PinOf(PinCert, good.server)}}, true, false},
		{"wrong-client-cert", TLSConfig{CertFile: rogue.clientCert, KeyFile: rogue.clientKey, CAFile: good.caFile}, false, true},
		{"no-client-cert", TLSConfig{CAFile: good.caFile}, false, true},
		{"wrong-pin", TLSConfig{CertFile: good.clientCert, KeyFile: good.clientKey, CAFile: good.caFile, Pins: []Pin{PinOf(PinSPKI, rogue.server)}}, false, false},
		{"wrong-ca", TLSConfig{CertFile: good.clientCert, KeyFile: good.clientKey, CAFile: rogue.caFile}, false, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			lemf := startLEMF(t, "", good.serverTLS(t, good.caPool))
			cfg, err := tc.client.Build()
			if err != nil {
				t.Fatal(err)
			}
			s := newSession(t, Config{Addr: lemf.addr, TLS: cfg})
			for i := 0; i < 20; i++ {
				s.Send(testPDU(uint32(i), 80))
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if tc.wantOK {
				if err := s.WaitDelivered(ctx); err != nil {
					t.Fatal(err)
				}
				g, _ := lemf.snapshot()
				checkNoGaps(t, g, 20)
				return
			}
			// Refused: let it retry a few times, nothing may arrive and the
			// spool must keep everything.
			waitFor(t, 5*time.Second, "several attempts", func() bool { return s.Stats().Reconnects >= 3 })
			g, _ := lemf.snapshot()
			for _, c := range g {
				if len(c) > 0 {
					t.Fatalf("LEMF received %d PDUs over a connection that must be refused", len(c))
				}
			}
			if st := s.Stats(); st.Queued != 20 || st.Confirmed != 0 {
				t.Fatalf("refused link confirmed data: %+v", st)
			}
			if tc.serverH {
				lemf.mu.Lock()
				he := lemf.handshakeErrs
				lemf.mu.Unlock()
				if he == 0 {
					t.Fatal("server saw no handshake failure")
				}
			}
		})
	}
}

func TestParsePin(t *testing.T) {
	p, err := ParsePin("spki:" + "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff")
	if err != nil || p.Kind != PinSPKI || p.Hash[1] != 0x11 {
		t.Fatalf("%v %v", p, err)
	}
	if q, err := ParsePin(p.String()); err != nil || q != p {
		t.Fatalf("round trip %v %v", q, err)
	}
	for _, bad := range []string{"", "spki", "sha1:00", "cert:0011", "cert:zz112233445566778899aabbccddeeff00112233445566778899aabbccddee"} {
		if _, err := ParsePin(bad); err == nil {
			t.Errorf("ParsePin(%q) accepted", bad)
		}
	}
	if _, err := (TLSConfig{}).Build(); err == nil {
		t.Error("TLS config without CA or pin accepted")
	}
}

func TestStalledLEMFDoesNotBlockSend(t *testing.T) {
	for _, hi := range []HI{HI2, HI3} {
		t.Run(hi.String(), func(t *testing.T) {
			lemf := startLEMF(t, "", nil)
			lemf.stall.Store(true)
			s := newSession(t, Config{Addr: lemf.addr, HI: hi, CCSpoolBytes: 1 << 20, WriteTimeout: 5 * time.Second})
			waitFor(t, 5*time.Second, "connect", func() bool { return s.Stats().Connected })
			pdu := testPDU(0, 1400)
			var worst time.Duration
			start := time.Now()
			const n = 20000 // 28 MB: far beyond the socket buffers
			for i := 0; i < n; i++ {
				t0 := time.Now()
				if err := s.Send(pdu); err != nil {
					t.Fatal(err)
				}
				if d := time.Since(t0); d > worst {
					worst = d
				}
			}
			total := time.Since(start)
			t.Logf("%d Sends in %v, slowest %v, stats %+v", n, total, worst, s.Stats())
			// A Send that waited for the socket would hang here (the LEMF
			// never reads 28 MB) or take the 5 s write timeout. The bound
			// is loose because the test machine is shared (GC pauses under
			// load reach a few hundred ms).
			if worst > time.Second || total > 5*time.Second {
				t.Fatalf("Send blocked against a stalled LEMF: slowest %v, total %v", worst, total)
			}
			if hi == HI3 && s.Stats().Dropped == 0 {
				t.Fatal("1 MiB CC spool took 28 MB without dropping")
			}
		})
	}
}

type recAuditor struct {
	mu    sync.Mutex
	kinds []string
	attrs [][]slog.Attr
}

func (a *recAuditor) Record(kind string, attrs ...slog.Attr) {
	a.mu.Lock()
	a.kinds = append(a.kinds, kind)
	a.attrs = append(a.attrs, attrs)
	a.mu.Unlock()
}

func (a *recAuditor) find(kind string) []slog.Attr {
	a.mu.Lock()
	defer a.mu.Unlock()
	for i, k := range a.kinds {
		if k == kind {
			return a.attrs[i]
		}
	}
	return nil
}

func TestCCOverflowCountedAndAudited(t *testing.T) {
	l := startLEMF(t, "", nil)
	addr := l.addr
	l.close()
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	aud := &recAuditor{}
	s := newSession(t, Config{Addr: addr, HI: HI3, CCSpoolBytes: 4096, Metrics: m, Auditor: aud})
	const size, n = 200, 100
	fit := 4096 / (size + ccRecHeader)
	for i := 0; i < n; i++ {
		s.Send(testPDU(uint32(i), size))
	}
	st := s.Stats()
	if st.Dropped != uint64(n-fit) || st.Queued != fit {
		t.Fatalf("dropped %d queued %d, want %d and %d", st.Dropped, st.Queued, n-fit, fit)
	}
	if got := testutil.ToFloat64(m.Dropped.WithLabelValues("lemf1", "hi3")); got != float64(n-fit) {
		t.Fatalf("dropped metric %v", got)
	}
	if aud.find("deliver.cc_drop_start") == nil {
		t.Fatal("drop not audited")
	}
	// The LEMF comes back: the queue drains in order, and the next accepted
	// PDU closes the drop episode with its counts.
	lemf := startLEMF(t, addr, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	s.Send(testPDU(uint32(fit), size))
	attrs := aud.find("deliver.cc_drop_end")
	if attrs == nil {
		t.Fatal("end of drop episode not audited")
	}
	var dropped uint64
	for _, a := range attrs {
		if a.Key == "dropped_pdus" {
			dropped = a.Value.Uint64()
		}
	}
	if dropped != uint64(n-fit) {
		t.Fatalf("audited %d dropped, want %d", dropped, n-fit)
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "content", func() bool { g, _ := lemf.snapshot(); return len(g) > 0 && len(g[0]) == fit+1 })
	g, _ := lemf.snapshot()
	checkNoGaps(t, g, fit+1)
}

func TestKeepaliveIdleAndDeadLink(t *testing.T) {
	lemf := startLEMF(t, "", nil)
	// 250 ms × 4 misses (a keep-alive is dead after 1 s unanswered): one
	// answered late on a loaded 2-core machine must not count as a dead
	// link in the first half.
	s := newSession(t, Config{Addr: lemf.addr, KeepaliveInterval: 250 * time.Millisecond, KeepaliveMisses: 4})
	waitFor(t, 5*time.Second, "idle keep-alives answered", func() bool {
		_, ka := lemf.snapshot()
		return ka >= 3 && s.Stats().KAResponses >= 3
	})
	if s.Stats().Reconnects != 0 {
		t.Fatalf("reconnected while keep-alives were answered: %+v", s.Stats())
	}
	// Written but unacknowledged IRI stays in the spool.
	// A response still in flight answers a keep-alive sent before the
	// record, so it cannot confirm the record; every keep-alive sent after
	// it reaches the LEMF after this point and goes unanswered.
	lemf.answerKA.Store(false)
	conf := s.Stats().Confirmed
	s.Send(testPDU(0, 64))
	fctx, fcancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer fcancel()
	if err := s.Flush(fctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "written, then dead link detected", func() bool {
		st := s.Stats()
		return st.Sent >= 1 && st.Reconnects >= 1
	})
	if st := s.Stats(); st.Confirmed != conf || st.Queued != 1 {
		t.Fatalf("unacknowledged record confirmed: %+v", st)
	}
	lemf.answerKA.Store(true)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.WaitDelivered(ctx); err != nil {
		t.Fatal(err)
	}
	g, _ := lemf.snapshot()
	if checkNoGaps(t, g, 1) == 0 {
		t.Log("record delivered once (the dead connection's copy was not counted as delivered)")
	}
}

func TestNoKeepaliveConfirmsOnWrite(t *testing.T) {
	lemf := startLEMF(t, "", nil)
	s, err := New(Config{Name: "x", HI: HI2, Addr: lemf.addr, SpoolPath: filepath.Join(t.TempDir(), "s.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s.Start(ctx)
	for i := 0; i < 10; i++ {
		s.Send(testPDU(uint32(i), 50))
	}
	if err := s.WaitDelivered(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ka := lemf.snapshot(); ka != 0 {
		t.Fatalf("%d keep-alives sent with keep-alives off", ka)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, c := range []Config{
		{},
		{Name: "a"},
		{Name: "a", Addr: "x:1"},
		{Name: "a", Addr: "x:1", HI: HI2},
		{Name: "a", Addr: "x:1", HI: HI3, Keepalive: []byte{0x30, 0}},
	} {
		if _, err := New(c); err == nil {
			t.Errorf("New(%+v) accepted", c)
		}
	}
	_ = x509.Certificate{}
}

// TestFlappingLinkNoGaps cuts the LEMF's connections every few
// milliseconds while IRI flows: whatever the cut points (mid-PDU
// included), the LEMF sees every record, with duplicates only at resyncs.
func TestFlappingLinkNoGaps(t *testing.T) {
	lemf := startLEMF(t, "", nil)
	s := newSession(t, Config{Addr: lemf.addr, KeepaliveInterval: 10 * time.Millisecond, BatchBytes: 2048})
	stop := make(chan struct{})
	flapped := make(chan int)
	go func() {
		n := 0
		tk := time.NewTicker(7 * time.Millisecond)
		defer tk.Stop()
		for {
			select {
			case <-stop:
				flapped <- n
				return
			case <-tk.C:
				lemf.mu.Lock()
				for _, c := range lemf.conns {
					c.Close()
				}
				lemf.conns = nil
				lemf.mu.Unlock()
				n++
			}
		}
	}()
	const total = 3000
	for i := 0; i < total; i++ {
		s.Send(testPDU(uint32(i), 100+i%200))
		if i%100 == 99 {
			time.Sleep(2 * time.Millisecond)
		}
	}
	time.Sleep(50 * time.Millisecond)
	close(stop)
	n := <-flapped
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.WaitDelivered(ctx); err != nil {
		t.Fatalf("%v %+v", err, s.Stats())
	}
	g, _ := lemf.snapshot()
	dups := checkNoGaps(t, g, total)
	st := s.Stats()
	t.Logf("%d cuts, %d connections, %d duplicates at resync, stats %+v", n, len(g), dups, st)
	if st.Reconnects < 2 {
		t.Fatalf("the link never flapped: %+v", st)
	}
}
