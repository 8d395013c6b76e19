package bridge

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tdmtap/tdmtap/bridge/warrant"
	"github.com/tdmtap/tdmtap/config"
	"github.com/tdmtap/tdmtap/hi/hi2"
	"github.com/tdmtap/tdmtap/hi/hi3"
	"github.com/tdmtap/tdmtap/hi/psdu"
	"github.com/tdmtap/tdmtap/ss7/call"
	"github.com/tdmtap/tdmtap/ss7/isup"
	"github.com/tdmtap/tdmtap/tdm/demux"
)

// The tests drive the real call tracker with ISUP messages (so the bridge
// sees exactly the events ss7/call produces) and the real demultiplexer with
// frames (so content goes through the real chunking), and decode what the
// bridge hands to its Output with the hi/psdu, hi/hi2 and hi/hi3 decoders.

const (
	pcA = 100 // originating switch in most tests; sends span "a"
	pcB = 200 // sends span "b"

	// Targets (national form; the warrants write them internationally).
	tgt1    = "2079460001"
	tgt2    = "2079460002"
	tgt3    = "2079460003"
	other   = "2079469999"
	other2  = "1619998888"
	width   = 32
	spanAtB = "a" // what pcA sends
	spanBtA = "b" // what pcB sends
)

var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

var plan = warrant.NumberPlan{CountryCode: "44", NationalPrefix: "0", InternationalPrefix: "00"}

var node = config.Node{
	Name: "gw1", OperatorID: "OPR01", NetworkElementID: "tdmtap-gw1",
	AuthorizationCountry: "GB", InterceptionPointID: "IP1",
}

func warrants(t testing.TB) *warrant.Set {
	ws := []warrant.Warrant{
		{LIID: "LIID-ONE", Targets: []warrant.Target{{Number: "+44" + tgt1}}, Roles: warrant.RoleAll,
			Start: t0.Add(-time.Hour), End: t0.Add(24 * time.Hour), Delivery: warrant.IRIAndCC, Destinations: []string{"lemf1"}},
		{LIID: "LIID-TWO", Targets: []warrant.Target{{Number: "0" + tgt2}}, Roles: warrant.RoleAll,
			Start: t0.Add(-time.Hour), End: t0.Add(24 * time.Hour), Delivery: warrant.IRIAndCC, Destinations: []string{"lemf2"}},
		{LIID: "LIID-WIN", Targets: []warrant.Target{{Number: "+44" + tgt3}}, Roles: warrant.RoleAll,
			Start: t0.Add(time.Hour), End: t0.Add(2 * time.Hour), Delivery: warrant.IRIAndCC, Destinations: []string{"lemf1"}},
	}
	s, errs := warrant.NewSet(plan, ws)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	return s
}

// pattern is the octet pcX's span carries in timeslot ts at frame f: a
// different pseudo-random sequence per span, timeslot and frame.
func pattern(span string, ts int, f uint64) byte {
	h := uint32(f)*2654435761 ^ uint32(ts)*0x9E3779B9 ^ uint32(span[0])*0x85EBCA6B
	h ^= h >> 15
	h *= 0x2C1B3C6D
	h ^= h >> 12
	return byte(h)
}

type sent struct {
	dest string
	hi   int
	b    []byte
}

type recorder struct {
	mu  sync.Mutex
	out []sent
}

func (r *recorder) SendIRI(dest string, pdu []byte) { r.add(dest, 2, pdu) }
func (r *recorder) SendCC(dest string, pdu []byte)  { r.add(dest, 3, pdu) }
func (r *recorder) add(dest string, hi int, pdu []byte) {
	r.mu.Lock()
	r.out = append(r.out, sent{dest, hi, bytes.Clone(pdu)})
	r.mu.Unlock()
}

type auditRec struct {
	mu  sync.Mutex
	rec []string
}

func (a *auditRec) Record(kind string, attrs ...slog.Attr) {
	var b strings.Builder
	b.WriteString(kind)
	for _, at := range attrs {
		if at.Key == "time" {
			continue
		}
		fmt.Fprintf(&b, " %s=%v", at.Key, at.Value)
	}
	a.mu.Lock()
	a.rec = append(a.rec, b.String())
	a.mu.Unlock()
}

type env struct {
	t     testing.TB
	tr    *call.Tracker
	b     *Bridge
	dm    *demux.Demux
	o     *recorder
	store *warrant.Store
	audit *auditRec
	reg   *prometheus.Registry
	logs  *bytes.Buffer
	at    time.Time
	frame uint64
	clock time.Time // Bridge.Now
}

type opt func(*Config)

func newEnv(t testing.TB, opts ...opt) *env {
	e := &env{t: t, o: &recorder{}, store: &warrant.Store{}, audit: &auditRec{}, reg: prometheus.NewRegistry(),
		logs: &bytes.Buffer{}, at: t0, frame: 1000, dm: demux.New()}
	e.store.Swap(warrants(t))
	e.clock = t0
	circ := config.Circuit{NI: 2, A: pcA, B: pcB, CICFirst: 1, CICLast: 15,
		AtoB: config.Leg{Span: spanAtB}, BtoA: config.Leg{Span: spanBtA}}
	for ts := 1; ts <= 15; ts++ {
		circ.AtoB.Timeslots = append(circ.AtoB.Timeslots, ts)
		circ.BtoA.Timeslots = append(circ.BtoA.Timeslots, ts+16)
	}
	cfg := Config{
		Node:         node,
		Warrants:     e.store,
		Output:       e.o,
		Circuits:     config.NewCircuitMap([]config.Circuit{circ}),
		Demux:        e.dm,
		Destinations: map[string]config.CCFormat{"lemf1": config.IPMMCC, "lemf2": config.PstnIsdnCC},
		Auditor:      e.audit,
		Logger:       slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Registerer:   e.reg,
		Now:          func() time.Time { return e.clock },
	}
	for _, o := range opts {
		o(&cfg)
	}
	var err error
	if e.b, err = New(cfg); err != nil {
		t.Fatal(err)
	}
	e.tr = call.NewTracker(call.Config{SetupTimeout: 30 * time.Second}, e.b)
	t.Cleanup(func() {
		// Ordinary logs never carry numbers or LIIDs.
		for _, s := range []string{tgt1, tgt2, tgt3, other, "LIID"} {
			if strings.Contains(e.logs.String(), s) {
				t.Errorf("logs mention %q:\n%s", s, e.logs.String())
			}
		}
		checkInterceptLogsNoCircuit(t, e.logs.String())
	})
	return e
}

func num(code isup.ParamCode, digits string) isup.Number {
	var n isup.Number
	if err := n.SetDigits(digits); err != nil {
		panic(err)
	}
	n.Present = true
	n.Code = code
	n.NAI = isup.NAINational
	n.NPI = 1
	return n
}

func iam(cic uint16, called, calling string) *isup.Message {
	m := &isup.Message{Type: isup.IAM, CIC: cic}
	m.Called = num(isup.PCalledPartyNumber, called)
	if calling != "" {
		m.Calling = num(isup.PCallingPartyNumber, calling)
	}
	return m
}

func msg(t isup.MsgType, cic uint16) *isup.Message { return &isup.Message{Type: t, CIC: cic} }

func rel(cic uint16, cause uint8) *isup.Message {
	m := msg(isup.REL, cic)
	m.Cause = isup.Cause{Present: true, Location: 2, Value: cause}
	return m
}

// send feeds m from point code from, d after the previous message.
func (e *env) send(d time.Duration, from uint32, m *isup.Message) {
	e.at = e.at.Add(d)
	to := uint32(pcB)
	if from == pcB {
		to = pcA
	}
	e.tr.Handle(e.at, 2, from, to, m)
}

// feed puts n frames on both spans (all 32 timeslots carry the pattern)
// in blocks of 8 frames (1 ms, as the span sources deliver them), each
// block after the wall clock has advanced by its duration: the bearer
// reaches the bridge as it happens, without latency (e.latency adds some).
func (e *env) feed(n int) {
	for n > 0 {
		k := min(n, 8)
		e.clock = e.clock.Add(time.Duration(k) * frameDur)
		for _, span := range []string{spanAtB, spanBtA} {
			slots := make([]byte, k*width)
			for f := range k {
				for ts := range width {
					slots[f*width+ts] = pattern(span, ts, e.frame+uint64(f))
				}
			}
			e.dm.Frames(span, e.frame, k, slots, width)
		}
		e.frame += uint64(k)
		n -= k
	}
}

// pdu is one decoded PDU the bridge produced.
type pdu struct {
	dest string
	hi   int
	p    psdu.PDU
	iri  hi2.Record
	cc   hi3.Content
}

func (e *env) decoded() []pdu {
	e.t.Helper()
	e.o.mu.Lock()
	defer e.o.mu.Unlock()
	var out []pdu
	for _, s := range e.o.out {
		var x pdu
		x.dest, x.hi = s.dest, s.hi
		if err := psdu.Parse(s.b, &x.p); err != nil {
			e.t.Fatalf("psdu.Parse: %v", err)
		}
		switch s.hi {
		case 2:
			if x.p.Kind != psdu.KindIRI {
				e.t.Fatalf("HI2 PDU of kind %v", x.p.Kind)
			}
			rs, err := hi2.DecodePayload(x.p.Payload, nil)
			if err != nil || len(rs) != 1 {
				e.t.Fatalf("hi2.DecodePayload: %v (%d records)", err, len(rs))
			}
			x.iri = rs[0]
		case 3:
			if x.p.Kind != psdu.KindCC {
				e.t.Fatalf("HI3 PDU of kind %v", x.p.Kind)
			}
			cs, err := hi3.DecodePayload(x.p.Payload, nil)
			if err != nil || len(cs) != 1 {
				e.t.Fatalf("hi3.DecodePayload: %v (%d contents)", err, len(cs))
			}
			x.cc = cs[0]
		}
		out = append(out, x)
	}
	return out
}

// iriTypes renders the HI2 PDUs of liid: BEGIN, CONTINUE, END, and MEDIA
// for pstnIsdnIRI supplementary information.
func iriTypes(ps []pdu, liid string) string {
	var s []string
	for _, p := range ps {
		if p.hi != 2 || p.p.Header.LIID != liid {
			continue
		}
		if p.iri.Contents == "pstnIsdnIRI" {
			s = append(s, "MEDIA")
			continue
		}
		s = append(s, p.iri.Type.String())
	}
	return strings.Join(s, " ")
}

func only(ps []pdu, liid string, hi int) []pdu {
	var out []pdu
	for _, p := range ps {
		if p.hi == hi && p.p.Header.LIID == liid {
			out = append(out, p)
		}
	}
	return out
}

func (e *env) wantTypes(ps []pdu, liid, want string) {
	e.t.Helper()
	if got := iriTypes(ps, liid); got != want {
		e.t.Errorf("%s IRI\n got  %s\n want %s", liid, got, want)
	}
}

// checkHeaders checks the PS-PDU headers of one intercept: LIID, node
// identity, one CIN, and sequence numbers 0,1,2,... per HI.
func checkHeaders(t *testing.T, ps []pdu, liid string) uint32 {
	t.Helper()
	var cin uint32
	var next [4]uint32
	for i, p := range ps {
		if p.p.Header.LIID != liid {
			continue
		}
		h := &p.p.Header
		if h.OperatorID != node.OperatorID || h.NetworkElementID != node.NetworkElementID ||
			h.AuthCountry != "GB" || h.DeliveryCountry != "GB" || h.InterceptionPointID != "IP1" {
			t.Errorf("pdu %d: header identity %+v", i, h)
		}
		if !p.p.HasCIN || h.CIN == 0 || h.CIN >= MaxCIN {
			t.Errorf("pdu %d: CIN %d (present %v)", i, h.CIN, p.p.HasCIN)
		}
		if cin == 0 {
			cin = h.CIN
		} else if h.CIN != cin {
			t.Errorf("pdu %d: CIN %d, intercept started with %d", i, h.CIN, cin)
		}
		if h.Seq != next[p.hi] {
			t.Errorf("pdu %d (HI%d): seq %d, want %d", i, p.hi, h.Seq, next[p.hi])
		}
		next[p.hi] = h.Seq + 1
		if p.hi == 2 && p.iri.Params != nil && p.iri.Params.CIN != fmt.Sprint(cin) {
			t.Errorf("pdu %d: IRI communication-Identity-Number %q, header CIN %d", i, p.iri.Params.CIN, cin)
		}
	}
	return cin
}

type partyWant struct {
	role, calling, called string
	params                []byte // ISUP parameter codes in services-information
}

func parties(r hi2.Record) []partyWant {
	var out []partyWant
	if r.Params == nil {
		return nil
	}
	for _, p := range r.Params.Parties {
		w := partyWant{role: p.Role}
		if p.Calling != nil {
			w.calling = p.Calling.Digits
		}
		if p.Called != nil {
			w.called = p.Called.Digits
		}
		for _, ip := range p.ISUPParams {
			w.params = append(w.params, ip.Code)
		}
		out = append(out, w)
	}
	return out
}

func (e *env) wantParties(r hi2.Record, want ...partyWant) {
	e.t.Helper()
	got := parties(r)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		e.t.Errorf("%s parties\n got  %v\n want %v", r.Type, got, want)
	}
}

// checkContent checks the CC of one intercept: both directions present, each
// an RTP stream (iPMMCC) or raw octets (pstnIsdnCC) whose octets equal the
// span pattern of its bearer frame by frame, from frame first on.
func checkContent(t *testing.T, ps []pdu, liid string, fromSpan, toSpan string, ts [2]int, first uint64, chunks int, pt uint8) {
	t.Helper()
	spans := [2]string{fromSpan, toSpan}
	var n [2]int
	var seq0 [2]uint16
	var ts0 [2]uint32
	var ssrc [2]uint32
	rtpSeen := false
	for _, p := range only(ps, liid, 3) {
		c := p.cc
		d := int(c.Direction)
		if d > 1 {
			t.Fatalf("payload direction %d", d)
		}
		var payload []byte
		switch c.Kind {
		case hi3.ContentsIPMMCC:
			pk := c.Data
			if len(pk) != rtpPacketLen || pk[0] != 0x80 {
				t.Fatalf("RTP packet len %d first octet %#x", len(pk), pk[0])
			}
			marker := pk[1]&0x80 != 0
			if pk[1]&0x7f != pt {
				t.Errorf("RTP PT %d, want %d", pk[1]&0x7f, pt)
			}
			if marker != (n[d] == 0) {
				t.Errorf("dir %d packet %d: marker %v", d, n[d], marker)
			}
			sq := binary.BigEndian.Uint16(pk[2:])
			tsv := binary.BigEndian.Uint32(pk[4:])
			ss := binary.BigEndian.Uint32(pk[8:])
			if n[d] == 0 {
				seq0[d], ts0[d], ssrc[d] = sq, tsv, ss
			} else if sq != seq0[d]+uint16(n[d]) || tsv != ts0[d]+uint32(160*n[d]) || ss != ssrc[d] {
				t.Errorf("dir %d packet %d: seq %d ts %d ssrc %x; first seq %d ts %d ssrc %x", d, n[d], sq, tsv, ss, seq0[d], ts0[d], ssrc[d])
			}
			if string(c.StreamID) != streamIDs[d] || c.FrameType != hi3.FrameRTP {
				t.Errorf("stream id %q frame type %d", c.StreamID, c.FrameType)
			}
			payload = pk[12:]
			rtpSeen = true
		case hi3.ContentsPstnIsdnCC:
			payload = c.Data
			if !c.HasCCLinkID || c.CCLinkID != uint64(d+1) {
				t.Errorf("cCLinkID %d (present %v)", c.CCLinkID, c.HasCCLinkID)
			}
			if (c.Media != nil) != (n[d] == 0) {
				t.Errorf("dir %d pdu %d: supplementary info present %v", d, n[d], c.Media != nil)
			}
			if c.Media != nil && (c.Media.MediaFormat != int(pt) || c.Media.PayloadDirection != d) {
				t.Errorf("supplementary info %+v", c.Media)
			}
		default:
			t.Fatalf("CC contents [%d]", c.Kind)
		}
		if len(payload) != 160 {
			t.Fatalf("payload %d octets", len(payload))
		}
		for i, b := range payload {
			f := first + uint64(n[d]*160+i)
			if w := pattern(spans[d], ts[d], f); b != w {
				t.Fatalf("dir %d chunk %d octet %d: %#x, want %#x (span %s ts %d frame %d)", d, n[d], i, b, w, spans[d], ts[d], f)
			}
		}
		n[d]++
	}
	if n[0] != chunks || n[1] != chunks {
		t.Errorf("%s: %d/%d chunks from/to target, want %d each", liid, n[0], n[1], chunks)
	}
	if rtpSeen && ssrc[0] == ssrc[1] {
		t.Errorf("both directions share SSRC %x", ssrc[0])
	}
}

const rtpPacketLen = 172

// checkInterceptLogsNoCircuit fails when a log line about an intercept
// names its circuit (CIC or point codes): a circuit and a time let anyone
// with the switch's call records find the target.
func checkInterceptLogsNoCircuit(t testing.TB, logs string) {
	t.Helper()
	pcs := fmt.Sprintf("%d/%d", pcA, pcB)
	pcsRev := fmt.Sprintf("%d/%d", pcB, pcA)
	for _, line := range strings.Split(logs, "\n") {
		if !strings.Contains(line, "intercept") && !strings.Contains(line, "cin=") {
			continue
		}
		for _, s := range []string{"cic=", "circuit=", "pcs=", "opc=", "dpc=", pcs, pcsRev} {
			if strings.Contains(line, s) {
				t.Errorf("a log line about an intercept names its circuit (%q): %s", s, line)
			}
		}
	}
}
