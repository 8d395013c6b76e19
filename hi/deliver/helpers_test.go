package deliver

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"encoding/pem"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tdmtap/tdmtap/hi/psdu"
)

// testPDU is a minimal BER SEQUENCE { INTEGER seq } padded to size: the
// session treats PDUs as opaque, only the outer length matters.
func testPDU(seq uint32, size int) []byte {
	if size < 14 {
		size = 14
	}
	pad := size - 14
	body := size - 4
	b := make([]byte, 0, size)
	b = append(b, 0x30, 0x82, byte(body>>8), byte(body), 0x02, 0x04)
	b = binary.BigEndian.AppendUint32(b, seq)
	b = append(b, 0x04, 0x82, byte(pad>>8), byte(pad))
	return append(b, make([]byte, pad)...)
}

func seqOf(pdu []byte) uint32 { return binary.BigEndian.Uint32(pdu[6:10]) }

var kaHeader = psdu.Header{LIID: "KA", OperatorID: "OP", OmitCIN: true}

// testLEMF is a loopback LEMF for the delivery tests.
type testLEMF struct {
	t        testing.TB
	ln       net.Listener
	addr     string
	tls      *tls.Config
	answerKA atomic.Bool
	stall    atomic.Bool // accept, never read

	mu            sync.Mutex
	got           [][]uint32 // per connection, data PDU sequence numbers
	keepalives    int
	conns         []net.Conn
	handshakeErrs int
	bytes         atomic.Int64
	notify        chan struct{}
	wg            sync.WaitGroup
}

func startLEMF(t testing.TB, addr string, tlsCfg *tls.Config) *testLEMF {
	t.Helper()
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	var ln net.Listener
	var err error
	for i := 0; i < 50; i++ { // re-listening on a just-closed port
		ln, err = net.Listen("tcp", addr)
		if err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	l := &testLEMF{t: t, ln: ln, addr: ln.Addr().String(), tls: tlsCfg, notify: make(chan struct{}, 1)}
	l.answerKA.Store(true)
	l.wg.Add(1)
	go l.accept()
	t.Cleanup(l.close)
	return l
}

func (l *testLEMF) accept() {
	defer l.wg.Done()
	for {
		c, err := l.ln.Accept()
		if err != nil {
			return
		}
		l.mu.Lock()
		l.conns = append(l.conns, c)
		idx := len(l.got)
		l.got = append(l.got, nil)
		l.mu.Unlock()
		l.wg.Add(1)
		go l.serve(c, idx)
	}
}

func (l *testLEMF) serve(c net.Conn, idx int) {
	defer l.wg.Done()
	if l.stall.Load() {
		<-make(chan struct{}) // never read; closed by close()
	}
	if l.tls != nil {
		tc := tls.Server(c, l.tls)
		if err := tc.Handshake(); err != nil {
			l.mu.Lock()
			l.handshakeErrs++
			l.mu.Unlock()
			c.Close()
			return
		}
		c = tc
	}
	sc := bufio.NewScanner(c)
	sc.Buffer(make([]byte, 4096), psdu.MaxPDU)
	sc.Split(psdu.Split)
	resp := psdu.AppendKeepaliveResponse(nil, &kaHeader)
	for sc.Scan() {
		b := sc.Bytes()
		l.bytes.Add(int64(len(b)))
		var p psdu.PDU
		if psdu.Parse(b, &p) == nil && p.Kind == psdu.KindKeepalive {
			l.mu.Lock()
			l.keepalives++
			l.mu.Unlock()
			if l.answerKA.Load() {
				c.Write(resp)
			}
			continue
		}
		l.mu.Lock()
		l.got[idx] = append(l.got[idx], seqOf(b))
		l.mu.Unlock()
		select {
		case l.notify <- struct{}{}:
		default:
		}
	}
	c.Close()
}

// close stops the LEMF and drops every connection.
func (l *testLEMF) close() {
	l.ln.Close()
	l.mu.Lock()
	for _, c := range l.conns {
		c.Close()
	}
	l.mu.Unlock()
}

func (l *testLEMF) snapshot() (perConn [][]uint32, keepalives int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, g := range l.got {
		perConn = append(perConn, append([]uint32(nil), g...))
	}
	return perConn, l.keepalives
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timeout waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }

func newSession(t testing.TB, cfg Config) *Session {
	t.Helper()
	if cfg.Name == "" {
		cfg.Name = "lemf1"
	}
	if cfg.HI == 0 {
		cfg.HI = HI2
	}
	if cfg.HI == HI2 && cfg.SpoolPath == "" {
		cfg.SpoolPath = filepath.Join(t.TempDir(), "spool.db")
	}
	if cfg.Keepalive == nil {
		cfg.Keepalive, cfg.IsKeepaliveResponse = KeepaliveFor(&kaHeader)
	}
	if cfg.KeepaliveInterval == 0 {
		cfg.KeepaliveInterval = 40 * time.Millisecond
	}
	if cfg.BackoffMin == 0 {
		cfg.BackoffMin = 10 * time.Millisecond
		cfg.BackoffMax = 50 * time.Millisecond
	}
	if cfg.Logger == nil {
		cfg.Logger = testLogger(t)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.Start(ctx)
	t.Cleanup(func() { cancel(); s.Close() })
	return s
}

// checkNoGaps asserts the arrival order is gap-free: within one connection
// sequence numbers rise by exactly one; a new connection may restart at or
// before the last number seen (resync duplicates) but never after it+1; and
// every number 0..n-1 arrived.
func checkNoGaps(t testing.TB, perConn [][]uint32, n int) (dups int) {
	t.Helper()
	seen := make([]bool, n)
	next := uint32(0) // highest seen + 1
	for ci, g := range perConn {
		for i, s := range g {
			if i > 0 && s != g[i-1]+1 {
				t.Fatalf("conn %d: %d after %d within one connection", ci, s, g[i-1])
			}
			if s > next {
				t.Fatalf("conn %d: gap: %d arrived, expected <= %d", ci, s, next)
			}
			if int(s) >= n {
				t.Fatalf("conn %d: unexpected seq %d", ci, s)
			}
			if seen[s] {
				dups++
			}
			seen[s] = true
			if s+1 > next {
				next = s + 1
			}
		}
	}
	for i, ok := range seen {
		if !ok {
			t.Fatalf("seq %d never arrived", i)
		}
	}
	return dups
}

// --- certificates ---

type testPKI struct {
	caFile, serverCert, serverKey, clientCert, clientKey string
	server                                               *x509.Certificate
	caPool                                               *x509.CertPool
}

func newPKI(t testing.TB, dir, name string) *testPKI {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name + " CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	p := &testPKI{caPool: x509.NewCertPool()}
	p.caPool.AddCert(ca)
	p.caFile = filepath.Join(dir, name+"-ca.pem")
	writePEM(t, p.caFile, "CERTIFICATE", caDER)
	leaf := func(cn string, serial int64, usage x509.ExtKeyUsage) (string, string, *x509.Certificate) {
		k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
			ExtKeyUsage: []x509.ExtKeyUsage{usage}, KeyUsage: x509.KeyUsageDigitalSignature,
			IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &k.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		kd, _ := x509.MarshalECPrivateKey(k)
		cf, kf := filepath.Join(dir, name+"-"+cn+".pem"), filepath.Join(dir, name+"-"+cn+".key")
		writePEM(t, cf, "CERTIFICATE", der)
		writePEM(t, kf, "EC PRIVATE KEY", kd)
		c, _ := x509.ParseCertificate(der)
		return cf, kf, c
	}
	p.serverCert, p.serverKey, p.server = leaf("server", 2, x509.ExtKeyUsageServerAuth)
	p.clientCert, p.clientKey, _ = leaf("client", 3, x509.ExtKeyUsageClientAuth)
	return p
}

func writePEM(t testing.TB, path, typ string, der []byte) {
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// serverTLS requires client certificates signed by clientCA.
func (p *testPKI) serverTLS(t testing.TB, clientCA *x509.CertPool) *tls.Config {
	cert, err := tls.LoadX509KeyPair(p.serverCert, p.serverKey)
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Config{MinVersion: tls.VersionTLS13, Certificates: []tls.Certificate{cert},
		ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: clientCA}
}
