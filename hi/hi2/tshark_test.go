package hi2_test

import (
	"encoding/hex"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tdmtap/tdmtap/hi/ber"
	"github.com/tdmtap/tdmtap/hi/hi2"
	"github.com/tdmtap/tdmtap/hi/hi3"
	"github.com/tdmtap/tdmtap/hi/psdu"
	"github.com/tdmtap/tdmtap/test/tsharktest"
)

var tsTime = time.Date(2026, 11, 26, 1, 2, 3, 456789000, time.UTC)

func tsHeader(seq uint32) psdu.Header {
	return psdu.Header{LIID: "LIID-7", AuthCountry: "DE", OperatorID: "OPER1", NetworkElementID: "SW1",
		CIN: 12345678, DeliveryCountry: "DE", Seq: seq, Time: tsTime, InterceptionPointID: "TAP1",
		Qualifier: psdu.QualifierTimeOfInterception}
}

var (
	calling = []byte{0x03, 0x11, 0x12, 0x52, 0x55, 0x21, 0x43}       // national "2125551234"
	called  = []byte{0x83, 0x10, 0x13, 0x50, 0x55, 0x00}             // national, odd "3105550"
	ocn     = []byte{0x03, 0x10, 0x21, 0x43}                         // "1234"
	netElem = []byte{0x04, 0x11, 0x94, 0x03, 0x21, 0x43, 0x65, 0x87} // intl "493012345678"
)

// iris returns one IRI of each type, as the bridge would fill them.
func iris() []hi2.IRI {
	base := func(t hi2.IRIType) hi2.IRI {
		iri := hi2.IRI{Type: t, Time: tsTime, Direction: hi2.DirOriginatingTarget, CountryCode: "DE"}
		iri.NetworkElement.Set(netElem)
		a := iri.AddParty(hi2.Originating)
		a.Calling.Set(calling)
		b := iri.AddParty(hi2.Terminating)
		b.Called.Set(called)
		b.AddParam(hi2.ParamOriginalCalledNum, ocn)
		return iri
	}
	begin := base(hi2.Begin)
	begin.State = hi2.StateSetUpInProcess
	cont := base(hi2.Continue)
	cont.State = hi2.StateConnected
	cont.Ringing, cont.HasRinging = 7*time.Second, true
	end := base(hi2.End)
	end.UTCTime = true
	end.State = hi2.StateIdle
	end.Conversation, end.HasConversation = 83*time.Second, true
	end.Cause, end.HasCause = hi2.Q850(0, 2, 16), true
	rep := base(hi2.Report)
	rep.Direction = hi2.DirTerminatingTarget
	return []hi2.IRI{begin, cont, end, rep}
}

// TestTsharkHI2Operations: the IRI-Parameters taken out of each IRI PS-PDU
// (through our own decoder) and wrapped as a TS 101 671 IRIsContent decode
// in tshark's HI2Operations dissector with the expected values and nothing
// malformed.
func TestTsharkHI2Operations(t *testing.T) {
	tsharktest.Require(t)
	var payloads [][]byte
	for i, iri := range iris() {
		h := tsHeader(uint32(i))
		pdu := hi2.Append(nil, &h, &iri)
		var p psdu.PDU
		if err := psdu.Parse(pdu, &p); err != nil {
			t.Fatal(err)
		}
		recs, err := hi2.DecodePayload(p.Payload, nil)
		if err != nil || len(recs) != 1 {
			t.Fatalf("%v %d", err, len(recs))
		}
		payloads = append(payloads, hi2.AppendIRIsContent(nil, recs[0].Type, recs[0].ParamsRaw))
	}
	path := filepath.Join(t.TempDir(), "hi2.pcap")
	if err := tsharktest.WriteExportPDUPcap(path, "HI2Operations", payloads); err != nil {
		t.Fatal(err)
	}
	rows := tsharktest.Fields(t, path, nil,
		"HI2Operations.iRIContent", "HI2Operations.lawfulInterceptionIdentifier", "HI2Operations.communication_Identity_Number",
		"HI2Operations.intercepted_Call_Direct", "HI2Operations.intercepted_Call_State", "HI2Operations.party_Qualifier",
		"HI2Operations.iSUP_Format", "HI2Operations.ISUP_parameters_item", "HI2Operations.release_Reason_Of_Intercepted_Call",
		"HI2Operations.ringingDuration", "HI2Operations.conversationDuration", "HI2Operations.countryCode",
		"HI2Operations.domainID", "e164.calling_party_number.digits", "_ws.malformed", "_ws.expert")
	if len(rows) != 4 {
		t.Fatalf("%d rows: %v", len(rows), rows)
	}
	hx := hex.EncodeToString
	want := [][]string{
		{"1", hx([]byte("LIID-7")), hx([]byte("12345678")), "1", "2", "0,1", hx(calling) + "," + hx(called), "28" + "04" + hx(ocn), "", "", "", "DE", "0.4.0.2.2.1.18", "493012345678", "", ""},
		{"3", hx([]byte("LIID-7")), hx([]byte("12345678")), "1", "3", "0,1", hx(calling) + "," + hx(called), "28" + "04" + hx(ocn), "", "000007", "", "DE", "0.4.0.2.2.1.18", "493012345678", "", ""},
		{"2", hx([]byte("LIID-7")), hx([]byte("12345678")), "1", "1", "0,1", hx(calling) + "," + hx(called), "28" + "04" + hx(ocn), "8290", "", "000123", "DE", "0.4.0.2.2.1.18", "493012345678", "", ""},
		{"4", hx([]byte("LIID-7")), hx([]byte("12345678")), "2", "", "0,1", hx(calling) + "," + hx(called), "28" + "04" + hx(ocn), "", "", "", "DE", "0.4.0.2.2.1.18", "493012345678", "", ""},
	}
	for i, r := range rows {
		for len(r) < len(want[i]) {
			r = append(r, "")
		}
		for j := range want[i] {
			if r[j] != want[i][j] {
				t.Errorf("IRI %d field %d: tshark %q, want %q\nrow %q", i, j, r[j], want[i][j], r)
			}
		}
	}
}

// TestTsharkPSPDUStructure sends every PDU kind over TCP, one per segment,
// and checks that tshark's generic BER dissector (-d tcp.port==N,ber) sees
// exactly the element tree our decoder sees, with nothing malformed.
func TestTsharkPSPDUStructure(t *testing.T) {
	tsharktest.Require(t)
	var pdus [][]byte
	for i, iri := range iris() {
		h := tsHeader(uint32(i))
		pdus = append(pdus, hi2.Append(nil, &h, &iri))
	}
	h := tsHeader(4)
	pdus = append(pdus, hi2.AppendMediaInfo(nil, &h, &hi2.MediaInfo{Time: tsTime, PayloadDirection: hi3.FromTarget, CCLinkID: 1, MediaFormat: 8}))
	rtp := append([]byte{0x80, 0x08, 0x00, 0x01, 0x00, 0x00, 0x00, 0xA0, 0x12, 0x34, 0x56, 0x78}, make([]byte, 160)...)
	h3 := tsHeader(0)
	pdus = append(pdus, hi3.AppendIPMMCC(nil, &h3, &hi3.CC{Direction: hi3.FromTarget, Time: tsTime, StreamID: "0"}, rtp))
	h3.Seq = 1
	pdus = append(pdus, hi3.AppendPstnIsdnCC(nil, &h3, &hi3.CC{Direction: hi3.ToTarget, Time: tsTime, HasCCLinkID: true, CCLinkID: 1,
		Supplementary: &hi2.MediaInfo{PayloadDirection: hi3.ToTarget, CCLinkID: 1, MediaFormat: 8}}, rtp[12:]))
	ka := psdu.Header{LIID: "-", OperatorID: "OPER1", OmitCIN: true, Seq: 0, Time: tsTime, Qualifier: 1}
	pdus = append(pdus, psdu.AppendKeepalive(nil, &ka), psdu.AppendKeepaliveResponse(nil, &ka))

	path := filepath.Join(t.TempDir(), "pspdu.pcap")
	if d := os.Getenv("H6KEEP"); d != "" {
		path = d
	}
	if err := tsharktest.WriteTCPPcap(path, tsharktest.TCPFlow{DstPort: 5000, Segments: pdus}); err != nil {
		t.Fatal(err)
	}
	dec := []string{"-d", "tcp.port==5000,ber"}
	rows := tsharktest.Fields(t, path, dec, "frame.number", "_ws.malformed", "_ws.expert.severity")
	if len(rows) != 3+len(pdus) {
		t.Fatalf("%d frames", len(rows))
	}
	for _, r := range rows {
		// Only the handshake's Chat-level notes (severity 2097152) are expected.
		if len(r) > 1 && r[1] != "" || len(r) > 2 && r[2] != "" && r[2] != "2097152" {
			t.Errorf("frame %s: malformed/expert: %q", r[0], r[1:])
		}
	}
	out := string(tsharktest.Run(t, append([]string{"-r", path, "-V"}, dec...)...))
	frames := strings.Split(out, "\nFrame ")
	if len(frames) != 3+len(pdus) {
		t.Fatalf("%d frames", len(frames))
	}
	for i, pdu := range pdus {
		got := tsharkTree(frames[3+i])
		want := ourTree(t, pdu)
		if !sameTree(got, want) {
			t.Errorf("PDU %d: tshark BER tree differs\n--- tshark\n%s\n--- ours\n%s", i, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
}

var treeLine = regexp.MustCompile(`^(\s*)(SEQUENCE|\[CONTEXT (\d+)\]|OCTETSTRING:)\s*([0-9a-f]*)(…?)`)

// sameTree compares line by line; tshark cuts a tree line at 240
// characters (sometimes marking it "…"), so a long value's hex only has to
// be a prefix of ours.
func sameTree(got, want []string) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		g, cut := strings.CutSuffix(got[i], "…")
		if g != want[i] && !((cut || len(g) >= 200) && strings.HasPrefix(want[i], g)) {
			return false
		}
	}
	return true
}

// tsharkTree extracts "depth label hex" lines from tshark's BER tree.
func tsharkTree(frame string) []string {
	var out []string
	in := false
	for _, line := range strings.Split(frame, "\n") {
		if strings.HasPrefix(line, "SEQUENCE") {
			in = true
		}
		if !in {
			continue
		}
		m := treeLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		label := m[2]
		if label == "OCTETSTRING:" {
			label = "UNIVERSAL 4"
		} else if label == "SEQUENCE" {
			label = "UNIVERSAL 16"
		} else {
			label = "[" + m[3] + "]"
		}
		out = append(out, strings.Repeat(" ", len(m[1])/4)+label+" "+m[4]+m[5])
	}
	return out
}

func ourTree(t *testing.T, b []byte) []string {
	var out []string
	var walk func(b []byte, depth int)
	walk = func(b []byte, depth int) {
		r := ber.NewReader(b)
		var e ber.TLV
		for r.Next(&e) {
			val := ""
			if !e.Constructed {
				val = hex.EncodeToString(e.Value)
			}
			out = append(out, strings.Repeat(" ", depth)+hi2.TagName(&e)+" "+val)
			if e.Constructed {
				walk(e.Value, depth+1)
			}
		}
		if r.Err() != nil {
			t.Fatal(r.Err())
		}
	}
	walk(b, 0)
	return out
}
