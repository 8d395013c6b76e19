package lemf

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/tdmtap/tdmtap/hi/hi2"
	"github.com/tdmtap/tdmtap/hi/hi3"
	"github.com/tdmtap/tdmtap/hi/psdu"
	"github.com/tdmtap/tdmtap/test/tsharktest"
)

const nPkts = 50 // per direction: 1 s of content

// sendCall writes a whole call (BEGIN, content both ways, CONTINUE, END)
// and a keep-alive to w; it returns the PDUs in order.
func callPDUs(g *gen, liid string, cin uint32) [][]byte {
	var pdus [][]byte
	pdus = append(pdus, g.iri(liid, cin, hi2.Begin, t0, 0))
	for i := 0; i < nPkts; i++ {
		tm := t0.Add(time.Duration(i) * 20 * time.Millisecond)
		pdus = append(pdus, g.ccRTP(liid, cin, hi3.FromTarget, tm, 8, mwALaw))
		pdus = append(pdus, g.ccRTP(liid, cin, hi3.ToTarget, tm, 8, mwALaw[:80]))
		if i == 10 {
			pdus = append(pdus, g.iri(liid, cin, hi2.Continue, tm, 0))
		}
	}
	pdus = append(pdus, g.iri(liid, cin, hi2.End, t0.Add(2*time.Second), 16))
	return pdus
}

func readLines(t *testing.T, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("iri.jsonl line %q: %v", sc.Text(), err)
		}
		out = append(out, m)
	}
	return out
}

func TestReceiverTCPOutputs(t *testing.T) {
	dir := t.TempDir()
	r, addr, _ := startReceiver(t, dir, nil)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	g := newGen()
	pdus := callPDUs(g, "LI-1", 7)
	for _, p := range pdus {
		if _, err := c.Write(p); err != nil {
			t.Fatal(err)
		}
	}
	// Keep-alive → keep-alive response on the same connection.
	c.Write(psdu.AppendKeepalive(nil, &psdu.Header{LIID: "KA", OperatorID: "OP1", OmitCIN: true, Seq: 9}))
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	sc := bufio.NewScanner(c)
	sc.Split(psdu.Split)
	if !sc.Scan() {
		t.Fatalf("no keep-alive response: %v", sc.Err())
	}
	var resp psdu.PDU
	if err := psdu.Parse(sc.Bytes(), &resp); err != nil || resp.Kind != psdu.KindKeepaliveResponse {
		t.Fatalf("answer %x: kind %v err %v", sc.Bytes(), resp.Kind, err)
	}
	c.Close()
	waitFor(t, 5*time.Second, "all PDUs", func() bool { return pduCount(r) >= uint64(len(pdus)+1) })
	sum, err := r.Close()
	if err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	sum.WriteText(&sb)
	t.Log(sb.String())
	if len(sum.SeqErrors) != 0 || sum.DecodeErrors != 0 {
		t.Fatalf("errors: %v decode %d", sum.SeqErrors, sum.DecodeErrors)
	}
	if sum.PDUs["IRI-BEGIN"] != 1 || sum.PDUs["IRI-CONTINUE"] != 1 || sum.PDUs["IRI-END"] != 1 || sum.PDUs["CC"] != 2*nPkts || sum.PDUs["KEEPALIVE"] != 1 {
		t.Fatalf("counts %v", sum.PDUs)
	}
	if l := sum.LIIDs["LI-1"]; l == nil || l.IRI != 3 || l.CC != 2*nPkts {
		t.Fatalf("per LIID %+v", sum.LIIDs)
	}
	if s := sum.ContentSeconds["LI-1-7-from-target"]; s != 1.0 {
		t.Fatalf("from-target seconds %v", s)
	}
	if s := sum.ContentSeconds["LI-1-7-to-target"]; s != 0.5 {
		t.Fatalf("to-target seconds %v", s)
	}

	// iri.jsonl
	lines := readLines(t, filepath.Join(dir, "iri.jsonl"))
	if len(lines) != 3 {
		t.Fatalf("%d IRI lines", len(lines))
	}
	for i, want := range []string{"BEGIN", "CONTINUE", "END"} {
		l := lines[i]
		if l["type"] != want || l["liid"] != "LI-1" || l["cin"] != 7.0 || l["seq"] != float64(i) || l["time"] == nil {
			t.Fatalf("line %d: %v", i, l)
		}
	}
	end := lines[2]
	if end["cause"] != 16.0 || end["conversationDuration"] != "00:01:05" || end["state"] != "idle" || end["direction"] != "originating-Target" {
		t.Fatalf("END line: %v", end)
	}
	pj, _ := json.Marshal(end["parties"])
	var parties []PartyLine
	json.Unmarshal(pj, &parties)
	for _, want := range []PartyLine{{"originating-Party", "calling", "4930123456", 4},
		{"terminating-Party", "called", "040987654", 3},
		{"terminating-Party", "originalCalledNumber", "0301111", 3}} {
		if !slices.Contains(parties, want) {
			t.Fatalf("parties %+v lack %+v", parties, want)
		}
	}

	// cc.pcap read back
	checkPcap(t, filepath.Join(dir, "cc.pcap"), sum, pdus)

	// WAV
	checkWAV(t, filepath.Join(dir, "LI-1-7-from-target.wav"), wavALaw, bytes.Repeat(mwALaw, nPkts))
	checkWAV(t, filepath.Join(dir, "LI-1-7-to-target.wav"), wavALaw, bytes.Repeat(mwALaw[:80], nPkts))
}

func checkPcap(t *testing.T, path string, sum *Summary, pdus [][]byte) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rd, err := pcapgo.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	ports := map[layers.UDPPort]string{}
	for _, st := range sum.Streams {
		ports[layers.UDPPort(st.Port)] = st.Direction
	}
	// The RTP packets as sent, in order.
	var want [][]byte
	for _, p := range pdus {
		var pp psdu.PDU
		psdu.Parse(p, &pp)
		if pp.Kind == psdu.KindCC {
			cs, _ := hi3.DecodePayload(pp.Payload, nil)
			want = append(want, cs[0].Data)
		}
	}
	n := 0
	for {
		data, ci, err := rd.ReadPacketData()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		pkt := gopacket.NewPacket(data, layers.LayerTypeEthernet, gopacket.Default)
		ip, _ := pkt.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
		udp, _ := pkt.Layer(layers.LayerTypeUDP).(*layers.UDP)
		if ip == nil || udp == nil {
			t.Fatalf("packet %d: not IPv4/UDP", n)
		}
		if pkt.ErrorLayer() != nil {
			t.Fatalf("packet %d: %v", n, pkt.ErrorLayer().Error())
		}
		dir := ports[udp.DstPort]
		if (dir == "fromTarget") != ip.SrcIP.Equal(TargetIP) {
			t.Fatalf("packet %d: %s from %v", n, dir, ip.SrcIP)
		}
		if !bytes.Equal(udp.Payload, want[n]) {
			t.Fatalf("packet %d: payload differs", n)
		}
		if ci.Timestamp.Before(t0) || ci.Timestamp.After(t0.Add(time.Second)) {
			t.Fatalf("packet %d: timestamp %v", n, ci.Timestamp)
		}
		n++
	}
	if n != len(want) {
		t.Fatalf("%d packets in cc.pcap, want %d", n, len(want))
	}
}

func checkWAV(t *testing.T, path string, tag uint16, want []byte) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < wavHeaderLen || string(b[0:4]) != "RIFF" || string(b[8:12]) != "WAVE" || string(b[12:16]) != "fmt " {
		t.Fatalf("%s: not a WAVE file", path)
	}
	le16 := func(o int) uint16 { return binary.LittleEndian.Uint16(b[o:]) }
	le32 := func(o int) uint32 { return binary.LittleEndian.Uint32(b[o:]) }
	if int(le32(4)) != len(b)-8 {
		t.Fatalf("RIFF size %d, file %d", le32(4), len(b))
	}
	if le16(20) != tag || le16(22) != 1 || le32(24) != 8000 || le32(28) != 8000 || le16(32) != 1 || le16(34) != 8 {
		t.Fatalf("fmt chunk: tag %d ch %d rate %d bps %d align %d bits %d", le16(20), le16(22), le32(24), le32(28), le16(32), le16(34))
	}
	if string(b[38:42]) != "fact" || le32(46) != uint32(len(want)) {
		t.Fatalf("fact chunk: %q %d", b[38:42], le32(46))
	}
	if string(b[50:54]) != "data" || le32(54) != uint32(len(want)) {
		t.Fatalf("data chunk: %q %d want %d", b[50:54], le32(54), len(want))
	}
	if !bytes.Equal(b[58:58+len(want)], want) {
		t.Fatal("WAV samples differ from the content sent")
	}
}

func TestPcapDecodesAsRTPInTshark(t *testing.T) {
	tsharktest.Require(t)
	dir := t.TempDir()
	r, err := New(Config{Out: dir, PcapBasePort: 42000})
	if err != nil {
		t.Fatal(err)
	}
	g := newGen()
	var resp []byte
	for i := 0; i < 5; i++ {
		tm := t0.Add(time.Duration(i) * 20 * time.Millisecond)
		r.HandlePDU(g.ccRTP("LI-9", 3, hi3.FromTarget, tm, 8, mwALaw), 1, resp)
	}
	// pstnIsdnCC µ-law raw octets: synthetic RTP header, PT 0.
	for i := 0; i < 5; i++ {
		tm := t0.Add(time.Duration(i) * 20 * time.Millisecond)
		r.HandlePDU(g.ccRaw("LI-9", 3, hi3.ToTarget, tm, 0, mwMuLaw, i == 0), 1, resp)
	}
	sum, err := r.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.SeqErrors) != 0 || sum.DecodeErrors != 0 {
		t.Fatalf("%v %d", sum.SeqErrors, sum.DecodeErrors)
	}
	pcap := filepath.Join(dir, "cc.pcap")
	rows := tsharktest.Fields(t, pcap, []string{"-d", "udp.port==42000,rtp", "-d", "udp.port==42002,rtp"},
		"udp.dstport", "rtp.version", "rtp.p_type", "rtp.seq", "rtp.timestamp", "_ws.malformed")
	if len(rows) != 10 {
		t.Fatalf("%d rows: %v", len(rows), rows)
	}
	for i, row := range rows {
		wantPort, wantPT := "42000", "8"
		if i >= 5 {
			wantPort, wantPT = "42002", "0"
		}
		if row[0] != wantPort || row[1] != "2" || row[2] != wantPT || row[3] != strconv.Itoa(i%5) || row[4] != strconv.Itoa(i%5*160) || row[5] != "" {
			t.Fatalf("row %d: %v", i, row)
		}
	}
	checkWAV(t, filepath.Join(dir, "LI-9-3-to-target.wav"), wavMuLaw, bytes.Repeat(mwMuLaw, 5))
}

func TestSequenceChecks(t *testing.T) {
	r, err := New(Config{Out: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	g := newGen()
	p0 := g.iri("L", 1, hi2.Begin, t0, 0)
	p1 := g.iri("L", 1, hi2.Continue, t0, 0)
	p2 := g.iri("L", 1, hi2.Continue, t0, 0)
	p3 := g.iri("L", 1, hi2.End, t0, 16)
	c0 := g.ccRTP("L", 1, hi3.FromTarget, t0, 8, mwALaw)
	c1 := g.ccRTP("L", 1, hi3.ToTarget, t0, 8, mwALaw)
	// conn 1: 0, 1; conn 2 (resync): 1 again (allowed), 3 (gap: 2 missing)
	// then 3 again on the same connection (error).
	for _, x := range []struct {
		p    []byte
		conn uint64
	}{{p0, 1}, {c0, 1}, {p1, 1}, {p1, 2}, {p3, 2}, {p3, 2}, {c1, 2}} {
		r.HandlePDU(x.p, x.conn, nil)
	}
	_ = p2
	s := r.Summary()
	if s.ResyncDuplicates != 1 || s.Duplicates != 1 || len(s.SeqErrors) != 2 {
		t.Fatalf("resync %d dup %d errors %v", s.ResyncDuplicates, s.Duplicates, s.SeqErrors)
	}
	if !strings.Contains(s.SeqErrors[0], "gap: 3 after 1 (1 missing)") || !strings.Contains(s.SeqErrors[1], "duplicate 3 on the same connection") {
		t.Fatalf("errors %q", s.SeqErrors)
	}
	if s.PDUs["IRI-CONTINUE"] != 1 || s.PDUs["IRI-END"] != 1 || s.PDUs["CC"] != 2 {
		t.Fatalf("duplicates were counted as new: %v", s.PDUs)
	}
	// A call whose first IRI is not 0 misses its start.
	g2 := newGen()
	g2.iri("M", 2, hi2.Begin, t0, 0)
	r.HandlePDU(g2.iri("M", 2, hi2.End, t0, 16), 3, nil)
	if s := r.Summary(); len(s.SeqErrors) != 3 || !strings.Contains(s.SeqErrors[2], "first sequence number 1") {
		t.Fatalf("%q", s.SeqErrors)
	}
}

func TestIndefiniteLengthAccepted(t *testing.T) {
	dir := t.TempDir()
	r, addr, _ := startReceiver(t, dir, nil)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	g := newGen()
	var stream []byte
	pdus := callPDUs(g, "LI-IND", 1)
	for i, p := range pdus {
		if i%2 == 0 {
			p = indefinite(t, p)
			if p[1] != 0x80 {
				t.Fatal("not indefinite")
			}
		}
		stream = append(stream, p...)
	}
	// Write in odd-sized pieces so PDUs straddle reads.
	for len(stream) > 0 {
		n := min(len(stream), 777)
		c.Write(stream[:n])
		stream = stream[n:]
	}
	c.Close()
	waitFor(t, 5*time.Second, "PDUs", func() bool { return pduCount(r) >= uint64(len(pdus)) })
	sum, _ := r.Close()
	if sum.DecodeErrors != 0 || sum.FramingErrors != 0 || len(sum.SeqErrors) != 0 {
		t.Fatalf("%+v", sum)
	}
	if sum.PDUs["CC"] != 2*nPkts || sum.PDUs["IRI-END"] != 1 {
		t.Fatalf("%v", sum.PDUs)
	}
	checkWAV(t, filepath.Join(dir, "LI-IND-1-from-target.wav"), wavALaw, bytes.Repeat(mwALaw, nPkts))
}

func expectationFor(from, to []byte, types ...string) string {
	hf := sha256.Sum256(from)
	return fmt.Sprintf(`{
  "iri": [{"liid": "LI-1", "cin": 7, "types": %s,
           "parties": [{"role": "originating-Party", "field": "calling", "number": "4930123456"},
                       {"role": "terminating-Party", "number": "040987654"}],
           "cause": 16}],
  "cc": [{"liid": "LI-1", "cin": 7, "direction": "from-target", "octets": %d, "sha256": "%s"},
         {"liid": "LI-1", "cin": 7, "direction": "to-target", "min_octets": %d}]
}`, mustJSON(types), len(from), hex.EncodeToString(hf[:]), len(to))
}

func mustJSON(v any) string { b, _ := json.Marshal(v); return string(b) }

func TestExpectation(t *testing.T) {
	r, err := New(Config{Out: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	g := newGen()
	for _, p := range callPDUs(g, "LI-1", 7) {
		if _, err := r.HandlePDU(p, 1, nil); err != nil {
			t.Fatal(err)
		}
	}
	from, to := bytes.Repeat(mwALaw, nPkts), bytes.Repeat(mwALaw[:80], nPkts)
	e, err := ParseExpectation([]byte(expectationFor(from, to, "BEGIN", "CONTINUE", "END")))
	if err != nil {
		t.Fatal(err)
	}
	if d := r.Check(e); len(d) != 0 {
		t.Fatalf("differences on a matching run: %q", d)
	}
	cases := map[string]string{
		"types":   expectationFor(from, to, "BEGIN", "END"),
		"sha":     expectationFor(append(bytes.Clone(from[:len(from)-1]), 0), to, "BEGIN", "CONTINUE", "END"),
		"min":     expectationFor(from, append(to, 0), "BEGIN", "CONTINUE", "END"),
		"party":   strings.Replace(expectationFor(from, to, "BEGIN", "CONTINUE", "END"), "4930123456", "4930999999", 1),
		"cause":   strings.Replace(expectationFor(from, to, "BEGIN", "CONTINUE", "END"), `"cause": 16`, `"cause": 17`, 1),
		"missing": strings.Replace(expectationFor(from, to, "BEGIN", "CONTINUE", "END"), `"cin": 7, "types"`, `"cin": 8, "types"`, 1),
	}
	for name, js := range cases {
		e, err := ParseExpectation([]byte(js))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		d := r.Check(e)
		if len(d) == 0 {
			t.Errorf("%s: mismatch not detected", name)
		}
		t.Logf("%s: %q", name, d)
	}
	if _, err := ParseExpectation([]byte(`{"iri": [], "bogus": 1}`)); err == nil {
		t.Error("unknown field accepted")
	}
	if _, err := ParseExpectation([]byte(`{"cc": [{"liid": "a", "direction": "sideways"}]}`)); err == nil {
		t.Error("bad direction accepted")
	}
	// A sequence gap fails a run unless allowed.
	r.HandlePDU(newGenAt(5).iri("LI-1", 7, hi2.Report, t0, 0), 1, nil)
	e, _ = ParseExpectation([]byte(expectationFor(from, to, "BEGIN", "CONTINUE", "END", "REPORT")))
	if d := r.Check(e); len(d) != 1 || !strings.Contains(d[0], "gap") {
		t.Fatalf("gap: %q", d)
	}
	e.AllowSequenceErrors = true
	if d := r.Check(e); len(d) != 0 {
		t.Fatalf("allowed gap: %q", d)
	}
}

func newGenAt(seq uint32) *gen {
	g := newGen()
	g.seqIRI[[2]any{"LI-1", uint32(7)}] = seq
	return g
}

func TestWAVFillsLostRTP(t *testing.T) {
	dir := t.TempDir()
	r, err := New(Config{Out: dir})
	if err != nil {
		t.Fatal(err)
	}
	g := newGen()
	var want []byte
	for i := 0; i < 10; i++ {
		p := g.ccRTP("L", 1, hi3.FromTarget, t0.Add(time.Duration(i)*20*time.Millisecond), 8, mwALaw)
		if i == 4 || i == 5 {
			want = append(want, bytes.Repeat([]byte{0xD5}, len(mwALaw))...)
			continue // lost
		}
		want = append(want, mwALaw...)
		r.HandlePDU(p, 1, nil)
	}
	sum, err := r.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.SeqErrors) != 1 || sum.Streams[0].Octets != 8*160 || sum.Streams[0].FilledOctets != 2*160 {
		t.Fatalf("%q %+v", sum.SeqErrors, sum.Streams)
	}
	checkWAV(t, filepath.Join(dir, "L-1-from-target.wav"), wavALaw, want)
}

// TestCloseWhileConnecting closes the receiver while a client keeps
// connecting and sending: no connection is added to the wait group Close
// waits on (the race detector catches that misuse), and a PDU handled after
// Close is refused instead of written to a closed file.
func TestCloseWhileConnecting(t *testing.T) {
	r, addr, stop := startReceiver(t, t.TempDir(), nil)
	g := newGen()
	pdu := g.iri("L", 1, hi2.Begin, t0, 0)
	quit := make(chan struct{})
	dialed := make(chan struct{}, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-quit:
				return
			default:
			}
			c, err := net.Dial("tcp", addr)
			if err != nil {
				continue
			}
			c.Write(pdu)
			c.Close()
			select {
			case dialed <- struct{}{}:
			default:
			}
		}
	}()
	<-dialed
	if _, err := r.Close(); err != nil {
		t.Fatal(err)
	}
	close(quit)
	<-done
	stop()
	if _, err := r.HandlePDU(pdu, 99, nil); !errors.Is(err, errClosed) {
		t.Fatalf("PDU after Close: %v, want refused", err)
	}
}
