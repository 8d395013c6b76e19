package trace

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
	"github.com/tdmtap/tdmtap/ss7/isup"
	"github.com/tdmtap/tdmtap/ss7/m3ua"
	"github.com/tdmtap/tdmtap/ss7/sccp"
	"github.com/tdmtap/tdmtap/test/tsharktest"
)

const (
	pcA = 1001
	pcB = 2002
)

var t0 = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

func number(code isup.ParamCode, digits string) isup.Number {
	var n isup.Number
	if err := n.SetDigits(digits); err != nil {
		panic(err)
	}
	n.Present, n.Code, n.NAI, n.NPI = true, code, isup.NAINational, 1
	return n
}

func isupMsg(t testing.TB, v isup.Variant, m *isup.Message) []byte {
	t.Helper()
	if m.Type == isup.IAM && v == isup.ANSI {
		if err := m.USI.Set([]byte{0x80, 0x90, 0xa2}); err != nil {
			t.Fatal(err)
		}
	}
	b, err := m.Append(v, nil)
	if err != nil {
		t.Fatalf("isup %s: %v", m.Type, err)
	}
	return b
}

func data(t testing.TB, form m3ua.Form, lf m3ua.LabelFormat, opc, dpc uint32, si uint8, payload []byte) []byte {
	t.Helper()
	d := m3ua.DataMsg{HasRC: true, RoutingContext: 1, PD: m3ua.ProtocolData{OPC: opc, DPC: dpc, SI: si, NI: 2, SLS: 5, Payload: payload}}
	b, err := m3ua.AppendData(nil, form, lf, &d)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// callMessages returns the M3UA DATA messages of one call and an SCCP UDT.
func callMessages(t testing.TB, v isup.Variant, form m3ua.Form, lf m3ua.LabelFormat) [][]byte {
	iam := &isup.Message{Type: isup.IAM, CIC: 7}
	if v == isup.ANSI {
		iam.CIC = 5000
	}
	iam.Called = number(isup.PCalledPartyNumber, "0301234567")
	iam.Calling = number(isup.PCallingPartyNumber, "0409876543")
	iam.OriginalCalled = number(isup.POriginalCalledNumber, "0301111111")
	iam.Redirecting = number(isup.PRedirectingNumber, "0302222222")
	cic := iam.CIC
	rel := &isup.Message{Type: isup.REL, CIC: cic}
	rel.Cause = isup.Cause{Present: true, Location: 2, Value: isup.CauseNormalClearing}
	cd := &sccp.Address{GTI: 4, TT: 0, NP: 1, NAI: 4, HasSSN: true, SSN: 6}
	cd.SetDigits("4912345678")
	cg := &sccp.Address{GTI: 4, NP: 1, NAI: 4, HasSSN: true, SSN: 8, HasPC: true, PC: 1234}
	cg.SetDigits("491700000")
	ansi := v == isup.ANSI
	if ansi {
		cd.GTI, cg.GTI = 2, 2
	}
	return [][]byte{
		data(t, form, lf, pcA, pcB, 5, isupMsg(t, v, iam)),
		data(t, form, lf, pcB, pcA, 5, isupMsg(t, v, &isup.Message{Type: isup.ACM, CIC: cic})),
		data(t, form, lf, pcB, pcA, 5, isupMsg(t, v, &isup.Message{Type: isup.ANM, CIC: cic})),
		data(t, form, lf, pcB, pcA, 5, isupMsg(t, v, rel)),
		data(t, form, lf, pcA, pcB, 5, isupMsg(t, v, &isup.Message{Type: isup.RLC, CIC: cic})),
		data(t, form, lf, pcA, pcB, 3, sccp.AppendUDT(nil, 0, true, cd, cg, []byte{0xa1, 0x02}, ansi)),
	}
}

func run(t *testing.T, path string, opt Options) (string, Summary) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out bytes.Buffer
	sum, err := Decode(f, &out, opt)
	if err != nil {
		t.Fatalf("decode: %v\n%s", err, out.String())
	}
	return out.String(), sum
}

func jsonLines(t *testing.T, out string) []map[string]any {
	t.Helper()
	var recs []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		recs = append(recs, m)
	}
	return recs
}

// sctpPcap writes the call over SCTP with a corrupt M3UA message as frame 4
// and an ASPUP (not DATA) as frame 8.
func sctpPcap(t *testing.T, v isup.Variant, form m3ua.Form, lf m3ua.LabelFormat) string {
	msgs := callMessages(t, v, form, lf)
	corrupt := append([]byte(nil), msgs[3]...)
	binary.BigEndian.PutUint32(corrupt[4:], uint32(len(corrupt)+40)) // length beyond the chunk
	var pkts []tsharktest.SCTPPacket
	for i, m := range append(msgs[:3:3], append([][]byte{corrupt}, msgs[3:]...)...) {
		// distinct ports per end, so tshark's TSN analysis tells the
		// directions apart (both start at the same TSN)
		p := tsharktest.SCTPPacket{PPID: 3, Data: m, Stream: 1, Time: t0.Add(time.Duration(i) * time.Second), SrcPort: 40000, DstPort: 2905}
		if i == 1 || i == 2 || i == 4 { // backward messages
			p.SrcIP, p.DstIP = net.IPv4(10, 0, 0, 2), net.IPv4(10, 0, 0, 1)
			p.SrcPort, p.DstPort = 2905, 40000
		}
		pkts = append(pkts, p)
	}
	pkts = append(pkts, tsharktest.SCTPPacket{PPID: 3, Data: m3ua.EncodeASPUP(0, false), Time: t0.Add(10 * time.Second), SrcPort: 40000, DstPort: 2905})
	path := filepath.Join(t.TempDir(), "call.pcap")
	if err := tsharktest.WriteSCTPPcap(path, pkts); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestSCTPText(t *testing.T) {
	path := sctpPcap(t, isup.ITU, m3ua.FormRFC, m3ua.LabelITU)
	out, sum := run(t, path, Options{})
	lines := strings.Split(strings.TrimSpace(out), "\n")
	want := []string{
		"frame 1 2026-01-01T12:00:00.000000Z ni=2 opc=1001 dpc=2002 sls=5 si=5 cic=7 IAM called=0301234567 calling=0409876543 original_called=0301111111 redirecting=0302222222",
		"frame 2 2026-01-01T12:00:01.000000Z ni=2 opc=2002 dpc=1001 sls=5 si=5 cic=7 ACM",
		"frame 3 2026-01-01T12:00:02.000000Z ni=2 opc=2002 dpc=1001 sls=5 si=5 cic=7 ANM",
		"frame 4: error: M3UA: message length",
		"frame 5 2026-01-01T12:00:04.000000Z ni=2 opc=2002 dpc=1001 sls=5 si=5 cic=7 REL cause=16",
		"frame 6 2026-01-01T12:00:05.000000Z ni=2 opc=1001 dpc=2002 sls=5 si=5 cic=7 RLC",
		"frame 7 2026-01-01T12:00:06.000000Z ni=2 opc=1001 dpc=2002 sls=5 si=3 UDT class=0 cdpa=[ssn=6 gt=4912345678(gti=4 tt=0 np=1 es=2 nai=4) route=gt] cgpa=[pc=1234 ssn=8 gt=491700000(gti=4 tt=0 np=1 es=1 nai=4) route=gt] data=2B",
	}
	if len(lines) != len(want) {
		t.Fatalf("got %d lines:\n%s", len(lines), out)
	}
	for i := range want {
		if !strings.HasPrefix(lines[i], want[i]) {
			t.Errorf("line %d\n got  %s\n want %s", i+1, lines[i], want[i])
		}
	}
	if sum.Frames != 8 || sum.Messages != 6 || sum.Errors != 1 || sum.Skipped != 1 {
		t.Errorf("summary %+v", sum)
	}
}

func TestSCTPJSONAndTshark(t *testing.T) {
	path := sctpPcap(t, isup.ITU, m3ua.FormRFC, m3ua.LabelITU)
	out, _ := run(t, path, Options{JSON: true})
	recs := jsonLines(t, out)
	if len(recs) != 7 {
		t.Fatalf("%d records:\n%s", len(recs), out)
	}
	iam := recs[0]
	for k, v := range map[string]any{"frame": 1.0, "opc": 1001.0, "dpc": 2002.0, "sls": 5.0, "si": 5.0, "ni": 2.0, "cic": 7.0, "msg": "IAM",
		"called": "0301234567", "calling": "0409876543", "original_called": "0301111111", "redirecting": "0302222222",
		"time": "2026-01-01T12:00:00Z", "cause": nil} {
		if got, ok := iam[k]; !ok || got != v {
			t.Errorf("IAM %s = %v (present %v), want %v", k, got, ok, v)
		}
	}
	if recs[3]["frame"] != 4.0 || !strings.Contains(recs[3]["error"].(string), "M3UA") {
		t.Errorf("error record %v", recs[3])
	}
	if recs[4]["msg"] != "REL" || recs[4]["cause"] != 16.0 {
		t.Errorf("REL record %v", recs[4])
	}
	udt := recs[6]
	cd, _ := udt["sccp_called"].(map[string]any)
	cg, _ := udt["sccp_calling"].(map[string]any)
	if udt["msg"] != "UDT" || udt["cic"] != nil || cd["digits"] != "4912345678" || cd["ssn"] != 6.0 || cd["tt"] != 0.0 || cd["np"] != 1.0 || cd["nai"] != 4.0 || cg["pc"] != 1234.0 || cg["digits"] != "491700000" {
		t.Errorf("UDT record %v", udt)
	}

	// The outside decoder on the same file.
	rows := tsharktest.Fields(t, path, []string{"-Y", "m3ua"}, "frame.number", "m3ua.protocol_data_opc", "m3ua.protocol_data_dpc",
		"isup.cic", "isup.message_type", "e164.called_party_number.digits", "e164.calling_party_number.digits",
		"isup.cause_indicator", "sccp.called.digits", "sccp.called.ssn", "sccp.calling.pc", "sccp.calling.digits")
	byFrame := map[string][]string{}
	for _, r := range rows {
		byFrame[r[0]] = r
	}
	codes := map[string]string{"IAM": "1", "ACM": "6", "ANM": "9", "REL": "12", "RLC": "16"}
	for _, rec := range recs {
		if rec["error"] != nil {
			continue
		}
		fr := jsonNum(rec["frame"])
		r, ok := byFrame[fr]
		if !ok {
			t.Errorf("tshark has no M3UA row for frame %s", fr)
			continue
		}
		check := func(what, ours, theirs string) {
			if ours != theirs {
				t.Errorf("frame %s %s: tdmtap %q, tshark %q", fr, what, ours, theirs)
			}
		}
		check("opc", jsonNum(rec["opc"]), r[1])
		check("dpc", jsonNum(rec["dpc"]), r[2])
		if rec["si"] == 5.0 {
			check("cic", jsonNum(rec["cic"]), r[3])
			check("message type", codes[rec["msg"].(string)], r[4])
			check("called", rec["called"].(string), r[5])
			check("calling", rec["calling"].(string), r[6])
			if rec["cause"] != nil {
				check("cause", jsonNum(rec["cause"]), r[7])
			}
		} else {
			cd := rec["sccp_called"].(map[string]any)
			cg := rec["sccp_calling"].(map[string]any)
			check("sccp called digits", cd["digits"].(string), r[8])
			check("sccp called ssn", jsonNum(cd["ssn"]), r[9])
			check("sccp calling pc", jsonNum(cg["pc"]), r[10])
			check("sccp calling digits", cg["digits"].(string), r[11])
		}
	}
}

func jsonNum(v any) string {
	if f, ok := v.(float64); ok {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return ""
}

// TestDraftANSI decodes draft-6 DATA (raw MSU, ANSI labels) with --variant ansi.
func TestDraftANSI(t *testing.T) {
	msgs := callMessages(t, isup.ANSI, m3ua.FormDraft6, m3ua.LabelANSI8)
	var pkts []tsharktest.SCTPPacket
	for _, m := range msgs {
		pkts = append(pkts, tsharktest.SCTPPacket{PPID: 3, Data: m})
	}
	path := filepath.Join(t.TempDir(), "draft.pcap")
	if err := tsharktest.WriteSCTPPcap(path, pkts); err != nil {
		t.Fatal(err)
	}
	out, sum := run(t, path, Options{Variant: isup.ANSI, Draft: true, JSON: true})
	recs := jsonLines(t, out)
	if sum.Messages != 6 || sum.Errors != 0 {
		t.Fatalf("summary %+v\n%s", sum, out)
	}
	if recs[0]["cic"] != 5000.0 || recs[0]["called"] != "0301234567" || recs[0]["opc"] != 1001.0 || recs[3]["cause"] != 16.0 {
		t.Errorf("IAM %v / REL %v", recs[0], recs[3])
	}
	cd := recs[5]["sccp_called"].(map[string]any)
	if cd["digits"] != "4912345678" || cd["tt"] != 0.0 || cd["ssn"] != 6.0 {
		t.Errorf("ANSI UDT %v", recs[5])
	}
	// Without --m3ua-draft the same file gives error lines, not garbage.
	_, sum = run(t, path, Options{Variant: isup.ANSI})
	if sum.Messages != 0 || sum.Errors != 6 {
		t.Errorf("RFC decode of draft file: %+v", sum)
	}
}

// sctpChunk returns one DATA chunk (padded), stream sequence number 0.
func sctpChunk(flags uint8, tsn uint32, stream uint16, ppid uint32, payload []byte) []byte {
	return tsharktest.AppendSCTPDataChunk(nil, flags, tsn, stream, 0, ppid, payload)
}

func ipv4Frame(t *testing.T, proto layers.IPProtocol, src, dst net.IP, l4 gopacket.SerializableLayer, payload []byte, eth bool) []byte {
	t.Helper()
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: proto, SrcIP: src, DstIP: dst}
	if tcp, ok := l4.(*layers.TCP); ok {
		if err := tcp.SetNetworkLayerForChecksum(ip); err != nil {
			t.Fatal(err)
		}
	}
	var ls []gopacket.SerializableLayer
	if eth {
		ls = append(ls, &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}, EthernetType: layers.EthernetTypeIPv4})
	}
	ls = append(ls, ip)
	if l4 != nil {
		ls = append(ls, l4)
	}
	ls = append(ls, gopacket.Payload(payload))
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestSCTPMultiChunkAndFragments: a SACK plus two DATA chunks in one packet,
// a user message fragmented over two packets, a chunk of another PPID on
// another port (ignored), raw IP link type, pcapng.
func TestSCTPMultiChunkAndFragments(t *testing.T) {
	msgs := callMessages(t, isup.ITU, m3ua.FormRFC, m3ua.LabelITU)
	hdr := func() []byte {
		h := make([]byte, 12)
		binary.BigEndian.PutUint16(h[0:], 2905)
		binary.BigEndian.PutUint16(h[2:], 2905)
		return h
	}
	sack := []byte{3, 0, 0, 16, 0, 0, 0, 1, 0, 0, 0x10, 0, 0, 0, 0, 0}
	p1 := append(hdr(), sack...)
	p1 = append(p1, sctpChunk(3, 1, 1, 3, msgs[0])...)
	p1 = append(p1, sctpChunk(3, 2, 1, 3, msgs[1])...)
	big := msgs[5]
	p2 := append(hdr(), sctpChunk(2, 3, 2, 3, big[:10])...) // B
	p3 := append(hdr(), sctpChunk(1, 4, 2, 3, big[10:])...) // E
	other := hdr()
	binary.BigEndian.PutUint16(other[0:], 5000)
	binary.BigEndian.PutUint16(other[2:], 5001)
	other = append(other, sctpChunk(3, 1, 0, 46, []byte("diameter-ish"))...)

	path := filepath.Join(t.TempDir(), "multi.pcapng")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w, err := pcapgo.NewNgWriter(f, layers.LinkTypeRaw)
	if err != nil {
		t.Fatal(err)
	}
	src, dst := net.IPv4(10, 1, 0, 1), net.IPv4(10, 1, 0, 2)
	for i, p := range [][]byte{p1, p2, p3, other} {
		frame := ipv4Frame(t, layers.IPProtocolSCTP, src, dst, nil, p, false)
		ci := gopacket.CaptureInfo{Timestamp: t0.Add(time.Duration(i) * time.Millisecond), CaptureLength: len(frame), Length: len(frame)}
		if err := w.WritePacket(ci, frame); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	out, sum := run(t, path, Options{})
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if sum.Messages != 3 || sum.Errors != 0 || len(lines) != 3 {
		t.Fatalf("summary %+v\n%s", sum, out)
	}
	for i, want := range []string{"frame 1 ", "frame 1 ", "frame 3 "} {
		if !strings.HasPrefix(lines[i], want) {
			t.Errorf("line %d: %s", i, lines[i])
		}
	}
	if !strings.Contains(lines[0], " IAM ") || !strings.Contains(lines[1], " ACM") || !strings.Contains(lines[2], " UDT ") {
		t.Errorf("output:\n%s", out)
	}
}

// tcpCapture writes M3UA over TCP with link-layer header sll (nil for
// Ethernet) and link type lt.
func tcpCapture(t *testing.T, path string, lt layers.LinkType, link func([]byte) []byte, port uint16) {
	msgs := callMessages(t, isup.ITU, m3ua.FormRFC, m3ua.LabelITU)
	stream := bytes.Join(msgs[:5], nil)
	cut1 := len(msgs[0]) + 5 // IAM + start of ACM
	cut2 := len(msgs[0]) + len(msgs[1]) + len(msgs[2])
	src, dst := net.IPv4(192, 168, 0, 1), net.IPv4(192, 168, 0, 2)
	const isn = 1_000_000
	type seg struct {
		seq     uint32
		syn     bool
		payload []byte
	}
	segs := []seg{
		{isn, true, nil},
		{isn + 1, false, stream[:cut1]},
		{isn + 1 + uint32(cut1), false, stream[cut1:cut2]},
		{isn + 1 + uint32(cut1), false, stream[cut1:cut2]}, // retransmission
		{isn + 1 + uint32(cut2), false, stream[cut2:]},
		{isn + 1 + uint32(len(stream)) + 100, false, msgs[0]}, // after a gap
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := pcapgo.NewWriter(f)
	if err := w.WriteFileHeader(65535, lt); err != nil {
		t.Fatal(err)
	}
	for i, s := range segs {
		tcp := &layers.TCP{SrcPort: 40000, DstPort: layers.TCPPort(port), Seq: s.seq, SYN: s.syn, ACK: !s.syn, Window: 65535}
		frame := ipv4Frame(t, layers.IPProtocolTCP, src, dst, tcp, s.payload, link == nil)
		if link != nil {
			frame = link(frame)
		}
		ci := gopacket.CaptureInfo{Timestamp: t0.Add(time.Duration(i) * time.Second), CaptureLength: len(frame), Length: len(frame)}
		if err := w.WritePacket(ci, frame); err != nil {
			t.Fatal(err)
		}
	}
	f.Close()
}

func sll(ip []byte) []byte {
	h := make([]byte, 16)
	binary.BigEndian.PutUint16(h[0:], 0) // to us
	binary.BigEndian.PutUint16(h[2:], 1) // ARPHRD_ETHER
	binary.BigEndian.PutUint16(h[4:], 6)
	copy(h[6:], []byte{2, 0, 0, 0, 0, 9})
	binary.BigEndian.PutUint16(h[14:], 0x0800)
	return append(h, ip...)
}

func sll2(ip []byte) []byte {
	h := make([]byte, 20)
	binary.BigEndian.PutUint16(h[0:], 0x0800)
	binary.BigEndian.PutUint32(h[4:], 3) // ifindex
	binary.BigEndian.PutUint16(h[8:], 1) // ARPHRD_ETHER
	h[10], h[11] = 0, 6
	copy(h[12:], []byte{2, 0, 0, 0, 0, 9})
	return append(h, ip...)
}

func TestTCPReassembly(t *testing.T) {
	for _, tc := range []struct {
		name string
		lt   layers.LinkType
		link func([]byte) []byte
		port uint16
	}{
		{"ethernet", layers.LinkTypeEthernet, nil, 2905},
		{"sll", layers.LinkTypeLinuxSLL, sll, 2905},
		{"sll2", layers.LinkTypeLinuxSLL2, sll2, 2905},
		{"raw-other-port", layers.LinkTypeRaw, func(b []byte) []byte { return b }, 12345},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "tcp.pcap")
			tcpCapture(t, path, tc.lt, tc.link, tc.port)
			opt := Options{}
			if tc.port != 2905 {
				// without --port nothing is decoded
				if _, sum := run(t, path, opt); sum.Messages != 0 {
					t.Errorf("port %d decoded without --port: %+v", tc.port, sum)
				}
				opt.Port = tc.port
			}
			out, sum := run(t, path, opt)
			lines := strings.Split(strings.TrimSpace(out), "\n")
			wantPrefix := []string{"frame 2 ", "frame 3 ", "frame 3 ", "frame 5 ", "frame 5 ", "frame 6: error: TCP gap", "frame 6 "}
			wantMsg := []string{"IAM", "ACM", "ANM", "REL", "RLC", "", "IAM"}
			if len(lines) != len(wantPrefix) {
				t.Fatalf("%d lines:\n%s", len(lines), out)
			}
			for i := range lines {
				if !strings.HasPrefix(lines[i], wantPrefix[i]) || (wantMsg[i] != "" && !strings.Contains(lines[i], " cic=7 "+wantMsg[i])) {
					t.Errorf("line %d: %s (want %s… %s)", i, lines[i], wantPrefix[i], wantMsg[i])
				}
			}
			if sum.Messages != 6 || sum.Errors != 1 || sum.Frames != 6 {
				t.Errorf("summary %+v", sum)
			}
		})
	}
}

func TestBadFiles(t *testing.T) {
	var out bytes.Buffer
	if _, err := Decode(strings.NewReader("not a capture at all"), &out, Options{}); err == nil {
		t.Error("garbage accepted as a capture")
	}
	// A capture whose last record is cut short: frames before it decode,
	// then an error line.
	path := sctpPcap(t, isup.ITU, m3ua.FormRFC, m3ua.LabelITU)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(t.TempDir(), "cut.pcap")
	if err := os.WriteFile(cut, b[:len(b)-20], 0o644); err != nil {
		t.Fatal(err)
	}
	out2, sum := run(t, cut, Options{})
	if sum.Messages != 6 || !strings.Contains(out2, "frame 8: error: reading frame") {
		t.Errorf("summary %+v\n%s", sum, out2)
	}
	// A frame truncated inside the IP header: error line from the packet
	// decoder, and the next frame still decodes.
	path2 := filepath.Join(t.TempDir(), "trunc.pcap")
	f, _ := os.Create(path2)
	w := pcapgo.NewWriter(f)
	_ = w.WriteFileHeader(65535, layers.LinkTypeEthernet)
	good := ipv4Frame(t, layers.IPProtocolTCP, net.IPv4(1, 1, 1, 1), net.IPv4(1, 1, 1, 2),
		&layers.TCP{SrcPort: 2905, DstPort: 2905, Seq: 1, ACK: true}, callMessages(t, isup.ITU, m3ua.FormRFC, m3ua.LabelITU)[0], true)
	for _, fr := range [][]byte{good[:20], good} {
		_ = w.WritePacket(gopacket.CaptureInfo{Timestamp: t0, CaptureLength: len(fr), Length: len(fr)}, fr)
	}
	f.Close()
	out3, sum := run(t, path2, Options{JSON: true})
	recs := jsonLines(t, out3)
	if len(recs) != 2 || recs[0]["frame"] != 1.0 || recs[0]["error"] == nil || recs[1]["msg"] != "IAM" || sum.Errors != 1 {
		t.Errorf("truncated frame:\n%s", out3)
	}
}

func TestISUPErrorLineKeepsLabel(t *testing.T) {
	bad := data(t, m3ua.FormRFC, m3ua.LabelITU, pcA, pcB, 5, []byte{7, 0, 1, 0}) // IAM cut short
	path := filepath.Join(t.TempDir(), "bad.pcap")
	if err := tsharktest.WriteSCTPPcap(path, []tsharktest.SCTPPacket{{PPID: 3, Data: bad}}); err != nil {
		t.Fatal(err)
	}
	out, sum := run(t, path, Options{})
	if !strings.HasPrefix(out, "frame 1 ") || !strings.Contains(out, "opc=1001 dpc=2002") || !strings.Contains(out, "IAM error: ") || sum.Errors != 1 {
		t.Errorf("%+v %s", sum, out)
	}
}

// TestSCTPReassemblyBounded: a user message whose fragments never end is
// dropped with one error line once it passes maxM3UA, instead of growing
// without bound; the next whole message on the stream decodes.
func TestSCTPReassemblyBounded(t *testing.T) {
	msgs := callMessages(t, isup.ITU, m3ua.FormRFC, m3ua.LabelITU)
	pkt := func(flags uint8, tsn uint32, payload []byte) []byte {
		hdr := make([]byte, 12)
		binary.BigEndian.PutUint16(hdr[0:], 2905)
		binary.BigEndian.PutUint16(hdr[2:], 2905)
		return ethIPv4(132, append(hdr, sctpChunk(flags, tsn, 1, 3, payload)...))
	}
	chunk := make([]byte, 1400)
	frames := [][]byte{pkt(2, 1, chunk)} // B
	for total := len(chunk); total <= maxM3UA; total += len(chunk) {
		frames = append(frames, pkt(0, uint32(len(frames)+1), chunk)) // middle
	}
	frames = append(frames, pkt(3, 1000, msgs[0]))
	var out bytes.Buffer
	sum, err := Decode(bytes.NewReader(memPcap(t, frames...)), &out, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Errors != 1 || sum.Messages != 1 || !strings.Contains(out.String(), "fragments dropped") || !strings.Contains(out.String(), " IAM ") {
		t.Fatalf("summary %+v\n%s", sum, out.String())
	}
}
