package daemon

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tdmtap/tdmtap/config"
	"github.com/tdmtap/tdmtap/hi/hi2"
	"github.com/tdmtap/tdmtap/hi/psdu"
	"github.com/tdmtap/tdmtap/ss7/isup"
	"github.com/tdmtap/tdmtap/ss7/m3ua"
	"github.com/tdmtap/tdmtap/ss7/sigtran"
	"github.com/tdmtap/tdmtap/test/switchsim"
)

// Numbers of the test calls. Called party numbers go out as national
// numbers (NAI 3) under country code 44.
const (
	targetNSN    = "2079460000" // the warrant's target (+442079460000)
	target2NSN   = "2079460077" // the target after the reload
	otherNSN     = "2079461111" // not a target
	callerNSN    = "2079462222" // not a target
	rcSwitch     = 100
	testDeadline = 10 * time.Second
)

// ---- a minimal LEMF: accepts HI2/HI3, answers keep-alives, decodes IRI ----

type iriRec struct {
	LIID string
	CIN  uint32
	Seq  uint32
	Type hi2.IRIType
}

type lemf struct {
	t        *testing.T
	hi2, hi3 net.Listener
	iri      chan iriRec
	cc       chan struct{}
	wg       sync.WaitGroup
	mu       sync.Mutex
	conns    []net.Conn
}

func newLEMF(t *testing.T, addr2 string) *lemf {
	t.Helper()
	if addr2 == "" {
		addr2 = "127.0.0.1:0"
	}
	l2, err := net.Listen("tcp", addr2)
	if err != nil {
		t.Fatal(err)
	}
	l3, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := &lemf{t: t, hi2: l2, hi3: l3, iri: make(chan iriRec, 1000), cc: make(chan struct{}, 100000)}
	l.wg.Add(2)
	go l.accept(l2)
	go l.accept(l3)
	t.Cleanup(l.close)
	return l
}

func (l *lemf) close() {
	_ = l.hi2.Close()
	_ = l.hi3.Close()
	l.mu.Lock()
	for _, c := range l.conns {
		_ = c.Close()
	}
	l.mu.Unlock()
	l.wg.Wait()
}

func (l *lemf) accept(ln net.Listener) {
	defer l.wg.Done()
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		l.mu.Lock()
		l.conns = append(l.conns, c)
		l.mu.Unlock()
		l.wg.Add(1)
		go l.serve(c)
	}
}

func (l *lemf) serve(c net.Conn) {
	defer l.wg.Done()
	defer c.Close()
	sc := bufio.NewScanner(c)
	sc.Buffer(make([]byte, 64<<10), psdu.MaxPDU)
	sc.Split(psdu.Split)
	var p psdu.PDU
	for sc.Scan() {
		if err := psdu.Parse(sc.Bytes(), &p); err != nil {
			l.t.Errorf("LEMF: bad PS-PDU: %v", err)
			return
		}
		switch p.Kind {
		case psdu.KindKeepalive:
			h := p.Header
			if _, err := c.Write(psdu.AppendKeepaliveResponse(nil, &h)); err != nil {
				return
			}
		case psdu.KindIRI:
			recs, err := hi2.DecodePayload(p.Payload, nil)
			if err != nil {
				l.t.Errorf("LEMF: bad IRI payload: %v", err)
				return
			}
			for _, r := range recs {
				if r.Params == nil { // pstnIsdnIRI media information
					continue
				}
				l.iri <- iriRec{LIID: p.Header.LIID, CIN: p.Header.CIN, Seq: p.Header.Seq, Type: r.Type}
			}
		case psdu.KindCC:
			select {
			case l.cc <- struct{}{}:
			default:
			}
		}
	}
}

// next returns the next IRI record or fails after the deadline.
func (l *lemf) next(t *testing.T, what string) iriRec {
	t.Helper()
	select {
	case r := <-l.iri:
		return r
	case <-time.After(testDeadline):
		t.Fatalf("no IRI (%s) within %s", what, testDeadline)
	}
	return iriRec{}
}

// expectNone fails when an IRI record arrives within d.
func (l *lemf) expectNone(t *testing.T, d time.Duration, what string) {
	t.Helper()
	select {
	case r := <-l.iri:
		t.Fatalf("%s: unexpected IRI %+v", what, r)
	case <-time.After(d):
	}
}

// ---- the switch side: an M3UA SGP the daemon's ASP connects to ----

type sw struct {
	sgp    *m3ua.SGP
	addr   string
	pcA    uint32
	pcB    uint32
	cancel context.CancelFunc
	done   chan struct{}
}

func newSwitch(t *testing.T) *sw {
	t.Helper()
	sgp, err := m3ua.NewSGP(m3ua.LinkConfig{
		Name: "switch", Role: m3ua.RoleSGP, Transport: "tcp",
		LocalAddrs: []string{"127.0.0.1:0"}, RoutingContexts: []uint32{rcSwitch},
		Heartbeat: -1,
	}, m3ua.HandlerFunc(func(context.Context, *m3ua.Indication) {}), m3ua.Options{})
	if err != nil {
		t.Fatal(err)
	}
	a, err := sgp.Listen()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &sw{sgp: sgp, addr: a.String(), cancel: cancel, done: make(chan struct{})}
	s.pcA, _ = config.ParsePointCode("2-200-3", config.ITU)
	s.pcB, _ = config.ParsePointCode("2-200-4", config.ITU)
	go func() { defer close(s.done); _ = sgp.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-s.done })
	return s
}

func (s *sw) waitActive(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testDeadline)
	defer cancel()
	if err := s.sgp.WaitState(ctx, m3ua.StateActive); err != nil {
		t.Fatalf("daemon's ASP did not become active: %v", err)
	}
}

func number(code isup.ParamCode, nsn string) isup.Number {
	var n isup.Number
	if err := n.SetDigits(nsn); err != nil {
		panic(err)
	}
	n.Present, n.Code, n.NAI, n.NPI = true, code, isup.NAINational, 1
	return n
}

// send sends one ISUP message on cic; fromA says which exchange sends it.
func (s *sw) send(t *testing.T, fromA bool, m *isup.Message) {
	t.Helper()
	b, err := m.Append(isup.ITU, nil)
	if err != nil {
		t.Fatalf("encode %s: %v", m.Type, err)
	}
	opc, dpc := s.pcA, s.pcB
	if !fromA {
		opc, dpc = dpc, opc
	}
	pd := m3ua.ProtocolData{OPC: opc, DPC: dpc, SI: 5, NI: 2, SLS: uint8(m.CIC & 0x0f), Payload: b}
	ctx, cancel := context.WithTimeout(context.Background(), testDeadline)
	defer cancel()
	if err := s.sgp.SendData(ctx, rcSwitch, pd); err != nil {
		t.Fatalf("send %s: %v", m.Type, err)
	}
}

func (s *sw) iam(t *testing.T, cic uint16, called, calling string) {
	m := &isup.Message{Type: isup.IAM, CIC: cic}
	m.Called = number(isup.PCalledPartyNumber, called)
	m.Calling = number(isup.PCallingPartyNumber, calling)
	s.send(t, true, m)
}

func (s *sw) msg(t *testing.T, fromA bool, typ isup.MsgType, cic uint16) {
	m := &isup.Message{Type: typ, CIC: cic}
	if typ == isup.REL {
		m.Cause = isup.Cause{Present: true, Location: 2, Value: 16}
	}
	s.send(t, fromA, m)
}

// ---- config ----

func freeUDP(t *testing.T) string {
	t.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().String()
}

type testSetup struct {
	dir, cfgPath, warrantsPath string
	sw                         *sw
	lemf                       *lemf
	hi2Addr                    string // HI2 address in the config
	spanAB, spanBA             string // SAToP listen addresses
	sgpRole                    bool   // the daemon listens (SGP) instead of dialling the test's SGP
	sgpAddr                    string
	destName                   string // default lemf-1
	log                        *syncBuffer
}

func (ts *testSetup) dest() string {
	if ts.destName == "" {
		return "lemf-1"
	}
	return ts.destName
}

func (ts *testSetup) linkYAML() string {
	if ts.sgpRole {
		return "    role: sgp\n    transport: tcp\n    local: " + ts.sgpAddr + "\n"
	}
	return "    role: asp\n    transport: tcp\n    remote: " + ts.sw.addr + "\n"
}

func writeConfig(t *testing.T, ts *testSetup, hi2Addr, hi3Addr string) {
	t.Helper()
	cfg := fmt.Sprintf(`node:
  name: test-node
  operator_id: OPT
  network_element_id: TDMTAPTEST
  authorization_country: GB
  numbering:
    country_code: "44"
    international_prefix: "00"
    national_prefix: "0"
links:
  - name: to-switch
%s    routing_context: %d
    network_indicator: national
    variant: itu
    own_pc: 2-200-1
    adjacent_pc: 2-200-2
spans:
  - name: tap-ab
    source: satop
    listen: %s
    framing: e1
  - name: tap-ba
    source: satop
    listen: %s
    framing: e1
circuits:
  - between: [2-200-3, 2-200-4]
    cic: 1-30
    a_to_b: {span: tap-ab, timeslots: "1-15,17-31"}
    b_to_a: {span: tap-ba, timeslots: "1-15,17-31"}
destinations:
  - name: %s
    hi2: %s
    hi3: %s
    cc_format: iPMMCC
    spool_dir: spool/%s
    keepalive: 1s
warrants_file: warrants.yaml
content_start: anm
metrics:
  listen: 127.0.0.1:0
log:
  level: debug
  format: json
`, ts.linkYAML(), rcSwitch, ts.spanAB, ts.spanBA, ts.dest(), hi2Addr, hi3Addr, ts.dest())
	if err := os.WriteFile(ts.cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
}

func writeWarrants(t *testing.T, path, liid, target string, dest ...string) {
	t.Helper()
	w := fmt.Sprintf(`warrants:
  - liid: %s
    targets: ["+44%s"]
    valid_from: 2020-01-01T00:00:00Z
    valid_until: 2099-01-01T00:00:00Z
    delivery: iri+cc
    destinations: [%s]
`, liid, target, append(dest, "lemf-1")[0])
	if err := os.WriteFile(path, []byte(w), 0o600); err != nil {
		t.Fatal(err)
	}
}

func setup(t *testing.T, mods ...func(*testSetup)) *testSetup {
	t.Helper()
	dir := t.TempDir()
	ts := &testSetup{dir: dir, cfgPath: filepath.Join(dir, "tdmtap.yaml"), warrantsPath: filepath.Join(dir, "warrants.yaml"), log: &syncBuffer{},
		spanAB: freeUDP(t), spanBA: freeUDP(t)}
	for _, m := range mods {
		m(ts)
	}
	if !ts.sgpRole {
		ts.sw = newSwitch(t)
	} else {
		ts.sgpAddr = freeTCP(t)
	}
	ts.lemf = newLEMF(t, "")
	ts.hi2Addr = ts.lemf.hi2.Addr().String()
	writeConfig(t, ts, ts.hi2Addr, ts.lemf.hi3.Addr().String())
	writeWarrants(t, ts.warrantsPath, "LIID-TEST-1", targetNSN)
	return ts
}

func start(t *testing.T, ts *testSetup) *Daemon {
	t.Helper()
	d, err := New(Options{ConfigPath: ts.cfgPath, LogOutput: ts.log, StopTimeout: testDeadline})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	return d
}

func stop(t *testing.T, d *Daemon) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testDeadline)
	defer cancel()
	if err := d.Stop(ctx); err != nil {
		t.Fatalf("stop: %v", err)
	}
}

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// call runs IAM, ACM, ANM, REL, RLC on cic.
func (s *sw) call(t *testing.T, cic uint16, called, calling string) {
	s.iam(t, cic, called, calling)
	s.msg(t, false, isup.ACM, cic)
	s.msg(t, false, isup.ANM, cic)
	s.msg(t, true, isup.REL, cic)
	s.msg(t, false, isup.RLC, cic)
}

// expectCall reads the IRI of one intercepted call: BEGIN, CONTINUEs, END,
// all for one LIID and CIN.
func (l *lemf) expectCall(t *testing.T, liid string) []hi2.IRIType {
	t.Helper()
	first := l.next(t, "BEGIN")
	if first.Type != hi2.Begin || first.LIID != liid {
		t.Fatalf("first IRI %+v, want BEGIN for %s", first, liid)
	}
	types := []hi2.IRIType{first.Type}
	for {
		r := l.next(t, "END")
		if r.LIID != liid || r.CIN != first.CIN {
			t.Fatalf("IRI %+v of another intercept (want %s CIN %d)", r, liid, first.CIN)
		}
		types = append(types, r.Type)
		if r.Type == hi2.End {
			return types
		}
		if r.Type != hi2.Continue {
			t.Fatalf("IRI %+v between BEGIN and END", r)
		}
	}
}

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestDaemonEndToEnd: a target call gives IRI BEGIN..END at the LEMF, a
// non-target call gives nothing, metrics are served, and the log carries
// no numbers.
func TestDaemonEndToEnd(t *testing.T) {
	ts := setup(t)
	d := start(t, ts)
	defer stop(t, d)
	ts.sw.waitActive(t)

	ts.sw.call(t, 5, otherNSN, callerNSN) // not a target: nothing
	ts.sw.call(t, 6, targetNSN, callerNSN)
	types := ts.lemf.expectCall(t, "LIID-TEST-1")
	if len(types) < 3 {
		t.Errorf("IRI types %v: want BEGIN, CONTINUE (ACM/ANM), END", types)
	}
	ts.lemf.expectNone(t, 300*time.Millisecond, "after the target call")

	code, body := httpGet(t, "http://"+d.MetricsAddr()+"/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics: %d", code)
	}
	for _, want := range []string{
		`tdmtap_m3ua_link_state{link="to-switch"`,
		"tdmtap_m3ua_messages_total",
		"tdmtap_call_calls_total 2",
		"tdmtap_call_active 0",
		"tdmtap_call_adapter_",
		"tdmtap_bridge_intercepts_started_total 1",
		"tdmtap_bridge_intercepts_active 0",
		`tdmtap_span_frames_total{span="tap-ab"}`,
		`tdmtap_span_alarm{alarm=`,
		`tdmtap_pw_lost_packets_total{kind="satop",span="tap-ba"}`,
		`tdmtap_deliver_connected{dest="lemf-1",hi="hi2"} 1`,
		"tdmtap_deliver_queued",
		"go_goroutines",
		"process_",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if code, body := httpGet(t, "http://"+d.MetricsAddr()+"/healthz"); code != http.StatusOK || !strings.Contains(body, "ok") {
		t.Errorf("/healthz: %d %q", code, body)
	}
	st, err := FetchStatus(context.Background(), d.MetricsAddr())
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Links) != 1 || st.Links[0].State != m3ua.StateActive.String() || st.Calls.Total != 2 ||
		st.Intercepts.Started != 1 || st.Intercepts.Ended != 1 || len(st.Spans) != 2 || len(st.Destinations) != 2 ||
		!st.Destinations[0].Connected || st.Warrants != 1 {
		t.Errorf("status %+v", st)
	}
	var text bytes.Buffer
	if err := st.WriteText(&text); err != nil || !strings.Contains(text.String(), "to-switch") || !strings.Contains(text.String(), "lemf-1") {
		t.Errorf("status text (%v):\n%s", err, text.String())
	}
	stop(t, d)
	logs := ts.log.String()
	for _, n := range []string{targetNSN, otherNSN, callerNSN, "LIID-TEST-1"} {
		if strings.Contains(logs, n) {
			i := strings.Index(logs, n)
			t.Errorf("the daemon log contains %q: ...%s...", n, logs[max(0, i-300):min(len(logs), i+100)])
		}
	}
	if !strings.Contains(logs, `"msg":"tdmtap stopped"`) {
		t.Errorf("no clean stop in the log:\n%s", logs)
	}
}

// TestDaemonReload: a reload swaps the warrants while an intercepted call is
// up; the removed warrant's live intercept ends with IRI-END (at once: see
// TestDaemonReloadRemovedWarrantEnds), the old target is no longer
// intercepted and the new one is.
func TestDaemonReload(t *testing.T) {
	ts := setup(t)
	d := start(t, ts)
	defer stop(t, d)
	ts.sw.waitActive(t)

	ts.sw.iam(t, 7, targetNSN, callerNSN)
	ts.sw.msg(t, false, isup.ACM, 7)
	ts.sw.msg(t, false, isup.ANM, 7)
	begin := ts.lemf.next(t, "BEGIN")
	if begin.Type != hi2.Begin || begin.LIID != "LIID-TEST-1" {
		t.Fatalf("first IRI %+v", begin)
	}

	writeWarrants(t, ts.warrantsPath, "LIID-TEST-2", target2NSN)
	res, err := d.Reload(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.WarrantsBefore != 1 || res.WarrantsAfter != 1 || res.Destinations.Unchanged != 1 || len(res.NeedRestart) != 0 {
		t.Errorf("reload result %+v", res)
	}
	if d.Bridge().Active() != 0 {
		t.Errorf("active intercepts after reload: %d, want 0 (the warrant was removed)", d.Bridge().Active())
	}
	ts.sw.msg(t, true, isup.REL, 7)
	ts.sw.msg(t, false, isup.RLC, 7)
	for {
		r := ts.lemf.next(t, "END of the live intercept")
		if r.LIID != "LIID-TEST-1" || r.CIN != begin.CIN {
			t.Fatalf("IRI %+v, want the live intercept's", r)
		}
		if r.Type == hi2.End {
			break
		}
	}
	ts.sw.call(t, 8, targetNSN, callerNSN) // the old target: nothing now
	ts.sw.call(t, 9, target2NSN, callerNSN)
	ts.lemf.expectCall(t, "LIID-TEST-2")

	// A config with a problem changes nothing.
	if err := os.WriteFile(ts.warrantsPath, []byte("warrants: [{liid: x}]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Reload(context.Background()); err == nil {
		t.Error("reload of a bad warrants file succeeded")
	}
	if d.Warrants().Load().Len() != 1 {
		t.Errorf("warrants after a failed reload: %d", d.Warrants().Load().Len())
	}
	if strings.Contains(ts.log.String(), target2NSN) || strings.Contains(ts.log.String(), "LIID-TEST-2") {
		t.Error("the reload logged a target or LIID")
	}
}

// TestDaemonReloadDestinations: destinations are added, updated and removed
// by a reload; the IRI spool of an updated destination carries over.
func TestDaemonReloadDestinations(t *testing.T) {
	ts := setup(t)
	d := start(t, ts)
	defer stop(t, d)
	ts.sw.waitActive(t)

	// Move lemf-1 to a second LEMF.
	l2 := newLEMF(t, "")
	ts.spanAB = freeUDP(t) // a span change: only after a restart
	writeConfig(t, ts, l2.hi2.Addr().String(), l2.hi3.Addr().String())
	res, err := d.Reload(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.Destinations.Updated != 1 || res.Destinations.Added != 0 || res.Destinations.Removed != 0 {
		t.Errorf("reload: %+v", res.Destinations)
	}
	if strings.Join(res.NeedRestart, ",") != "spans" {
		t.Errorf("need restart: %v", res.NeedRestart)
	}
	ts.sw.call(t, 10, targetNSN, callerNSN)
	l2.expectCall(t, "LIID-TEST-1")
	ts.lemf.expectNone(t, 200*time.Millisecond, "old LEMF after the move")
}

// TestDaemonShutdownSpools: with the LEMF away, IRI of a call stays in the
// spool over a stop (which finishes within its deadline) and reaches the
// LEMF after a restart.
func TestDaemonShutdownSpools(t *testing.T) {
	ts := setup(t)
	// HI2 goes to a port nobody listens on yet.
	away := freeTCP(t)
	writeConfig(t, ts, away, ts.lemf.hi3.Addr().String())
	d := start(t, ts)
	ts.sw.waitActive(t)
	ts.sw.iam(t, 11, targetNSN, callerNSN)
	ts.sw.msg(t, false, isup.ACM, 11)
	waitFor(t, "intercept started", func() bool { return d.Bridge().Stats().IRI >= 2 })
	t0 := time.Now()
	stop(t, d)
	if el := time.Since(t0); el > 5*time.Second {
		t.Errorf("stop took %s", el)
	}
	if fi, err := os.Stat(filepath.Join(ts.dir, "spool", "lemf-1", SpoolFile)); err != nil || fi.Size() == 0 {
		t.Fatalf("spool: %v", err)
	}
	// The LEMF comes back at that address; a new run replays the spool.
	l := newLEMF(t, away)
	d2 := start(t, ts)
	defer stop(t, d2)
	r := l.next(t, "replayed BEGIN")
	if r.Type != hi2.Begin || r.LIID != "LIID-TEST-1" {
		t.Fatalf("replayed %+v", r)
	}
	// No IRI-END was faked at shutdown.
	for {
		select {
		case r := <-l.iri:
			if r.Type == hi2.End {
				t.Fatalf("IRI-END %+v sent for a call that did not end", r)
			}
			continue
		case <-time.After(500 * time.Millisecond):
		}
		break
	}
}

// TestRunSignals: Run reloads on SIGHUP and drains on SIGTERM, returning
// nil.
func TestRunSignals(t *testing.T) {
	ts := setup(t)
	started := make(chan *Daemon, 1)
	done := make(chan error, 1)
	go func() {
		done <- Run(context.Background(), Options{ConfigPath: ts.cfgPath, LogOutput: ts.log, Started: func(d *Daemon) { started <- d }})
	}()
	select {
	case <-started:
	case err := <-done:
		t.Fatalf("Run: %v", err)
	case <-time.After(testDeadline):
		t.Fatal("Run did not start")
	}
	_ = syscall.Kill(os.Getpid(), syscall.SIGHUP)
	waitFor(t, "reload logged", func() bool { return strings.Contains(ts.log.String(), `"msg":"reloaded"`) })
	_ = syscall.Kill(os.Getpid(), syscall.SIGTERM)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(testDeadline):
		t.Fatal("Run did not stop on SIGTERM")
	}
}

// TestExampleConfigStartsWithoutPeers: the bundled example starts and
// stops cleanly with no switch and no LEMF around.
func TestExampleConfigStartsWithoutPeers(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"example.yaml", "warrants.yaml"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "..", "config", "testdata", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	log := &syncBuffer{}
	before := runtime.NumGoroutine()
	d, err := New(Options{ConfigPath: filepath.Join(dir, "example.yaml"), LogOutput: log})
	if err != nil {
		if strings.Contains(err.Error(), "address already in use") {
			t.Skipf("example ports in use here: %v", err)
		}
		t.Fatal(err)
	}
	if err := d.Start(context.Background()); err != nil {
		if strings.Contains(err.Error(), "address already in use") {
			_ = d.Stop(context.Background())
			t.Skipf("example ports in use here: %v", err)
		}
		t.Fatal(err)
	}
	waitFor(t, "a link retry", func() bool { return strings.Contains(log.String(), "reconnecting") })
	if code, _ := httpGet(t, "http://"+d.MetricsAddr()+"/healthz"); code != http.StatusOK {
		t.Errorf("/healthz: %d", code)
	}
	http.DefaultClient.CloseIdleConnections()
	stop(t, d)
	if !strings.Contains(log.String(), "tdmtap stopped") {
		t.Errorf("no clean stop:\n%s", log.String())
	}
	// Every goroutine the daemon started has ended.
	deadline := time.Now().Add(testDeadline)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines before, %d after stop:\n%s", before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func freeTCP(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(testDeadline)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// targetCallSim is a switchsim (as ASP, dialling the daemon's SGP) on the
// circuits and spans of the daemon's configuration that places one call to
// target nsn, answered and held for hold, with its bearer over SAToP.
func targetCallSim(t *testing.T, ts *testSetup, d *Daemon, nsn string, hold time.Duration) *switchsim.Sim {
	t.Helper()
	gc, err := config.Load(ts.cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	pcA, _ := config.ParsePointCode("2-200-3", config.ITU)
	pcB, _ := config.ParsePointCode("2-200-4", config.ITU)
	circuits, spans, err := switchsim.FromGatewayConfig(gc, pcA, pcB)
	if err != nil {
		t.Fatal(err)
	}
	sim, err := switchsim.New(switchsim.Config{
		Role: m3ua.RoleASP, Transport: sigtran.TCP, Connect: [][]string{{d.LinkAddr("to-switch").String()}},
		RC: rcSwitch, OPC: pcA, DPC: pcB, NI: 2, Variant: isup.ITU,
		Calls: 1, Rate: 100, Concurrency: 1, Hold: hold, Ring: 20 * time.Millisecond, Gap: 3 * time.Millisecond,
		Mix: map[switchsim.Scenario]float64{switchsim.TargetTerm: 1}, Targets: []string{"+44" + nsn}, CountryCode: "44",
		Seed: 1, Circuits: circuits, Spans: spans, Lead: 100 * time.Millisecond, Tail: 100 * time.Millisecond, LinkTimeout: testDeadline,
	})
	if err != nil {
		t.Fatal(err)
	}
	return sim
}

// TestDaemonContent: switchsim (as ASP, dialling the daemon's SGP) places
// one answered call to the target with its bearer over SAToP; the LEMF gets
// IRI BEGIN..END and HI3 content.
func TestDaemonContent(t *testing.T) {
	ts := setup(t, func(ts *testSetup) { ts.sgpRole = true })
	d := start(t, ts)
	defer stop(t, d)
	sim := targetCallSim(t, ts, d, targetNSN, 400*time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 2*testDeadline)
	defer cancel()
	if _, err := sim.Run(ctx); err != nil {
		t.Fatal(err)
	}
	ts.lemf.expectCall(t, "LIID-TEST-1")
	waitFor(t, "content at the LEMF", func() bool { return len(ts.lemf.cc) >= 10 })
	if st := d.Status(); st.Intercepts.CC == 0 || st.Spans[0].Frames == 0 {
		t.Errorf("status %+v", st)
	}
	stop(t, d)
	if strings.Contains(ts.log.String(), targetNSN) {
		t.Error("the daemon log contains the target number")
	}
}

// TestDaemonReloadRetiresDestination: a destination removed while an
// intercept to it is live stays open until that call ends (its IRI-END
// arrives there), then closes; the new destination takes new intercepts.
// The warrant stays in the file (now naming the new destination): a
// configuration warrant still in the file keeps its live intercepts.
func TestDaemonReloadRetiresDestination(t *testing.T) {
	ts := setup(t)
	d := start(t, ts)
	defer stop(t, d)
	ts.sw.waitActive(t)

	ts.sw.iam(t, 12, targetNSN, callerNSN)
	begin := ts.lemf.next(t, "BEGIN")

	l2 := newLEMF(t, "")
	ts.destName = "lemf-2"
	writeConfig(t, ts, l2.hi2.Addr().String(), l2.hi3.Addr().String())
	writeWarrants(t, ts.warrantsPath, "LIID-TEST-1", targetNSN, "lemf-2")
	res, err := d.Reload(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.Destinations.Removed != 1 || res.Destinations.Retiring != 1 || res.Destinations.Added != 1 {
		t.Errorf("reload: %+v", res.Destinations)
	}
	ts.sw.msg(t, false, isup.ACM, 12)
	ts.sw.msg(t, false, isup.ANM, 12)
	ts.sw.msg(t, true, isup.REL, 12)
	ts.sw.msg(t, false, isup.RLC, 12)
	for {
		r := ts.lemf.next(t, "END at the retired destination")
		if r.CIN != begin.CIN || r.LIID != "LIID-TEST-1" {
			t.Fatalf("IRI %+v", r)
		}
		if r.Type == hi2.End {
			break
		}
	}
	waitFor(t, "the retired destination to close", func() bool {
		for _, x := range d.Status().Destinations {
			if x.Name == "lemf-1" {
				return false
			}
		}
		return true
	})
	ts.sw.call(t, 13, targetNSN, callerNSN)
	l2.expectCall(t, "LIID-TEST-1")
	ts.lemf.expectNone(t, 200*time.Millisecond, "retired destination after close")
	_, body := httpGet(t, "http://"+d.MetricsAddr()+"/metrics")
	for _, want := range []string{`tdmtap_config_reloads_total{result="ok"} 1`, "tdmtap_warrants 1", "tdmtap_config_last_load_timestamp_seconds"} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}
