package sccp

import (
	"path/filepath"
	"strconv"
	"testing"

	"github.com/tdmtap/tdmtap/ss7/m3ua"
	"github.com/tdmtap/tdmtap/test/tsharktest"
)

// TestTsharkAgrees wraps SCCP messages built here in M3UA DATA over SCTP
// and compares tshark's view of the party addresses with our decoder's
// (through go-sccp with the point-code correction, and through our own
// parser for the point-code-only address and XUDT).
func TestTsharkAgrees(t *testing.T) {
	tsharktest.Require(t)
	gt := gtAddr(0, 6, "4912345678")
	pcssn := &Address{HasPC: true, PC: 0x2345, HasSSN: true, SSN: 146, RouteOnSSN: true}
	pcOnly := &Address{HasPC: true, PC: 0x0123, RouteOnSSN: true}
	gtpc := gtAddr(0x1234, 8, "491700000")
	gt3 := &Address{GTI: 3, TT: 17, NP: 7, HasSSN: true, SSN: 7}
	gt3.SetDigits("26201123")
	msgs := [][]byte{
		AppendUDT(nil, 0, true, gt, gtpc, []byte{1, 2}, false),
		AppendUDT(nil, 1, false, pcssn, pcOnly, []byte{3}, false),
		AppendXUDT(nil, 1, 12, gt3, gtpc, []byte{4, 5, 6}, []byte{0x12, 0x01, 0x03, 0x00}, false),
	}
	var pkts []tsharktest.SCTPPacket
	for _, m := range msgs {
		d := m3ua.DataMsg{PD: m3ua.ProtocolData{OPC: 1, DPC: 2, SI: 3, NI: 2, Payload: m}}
		b, err := m3ua.AppendData(nil, m3ua.FormRFC, m3ua.LabelITU, &d)
		if err != nil {
			t.Fatal(err)
		}
		pkts = append(pkts, tsharktest.SCTPPacket{PPID: 3, Data: b})
	}
	path := filepath.Join(t.TempDir(), "sccp.pcap")
	if err := tsharktest.WriteSCTPPcap(path, pkts); err != nil {
		t.Fatal(err)
	}
	fields := []string{"sccp.message_type"}
	for _, side := range []string{"called", "calling"} {
		for _, f := range []string{"pc", "ssn", "gti", "tt", "np", "es", "nai", "digits", "ri"} {
			fields = append(fields, "sccp."+side+"."+f)
		}
	}
	rows := tsharktest.Fields(t, path, nil, fields...)
	if len(rows) != len(msgs) {
		t.Fatalf("tshark rows %d, want %d", len(rows), len(msgs))
	}
	var d Decoder
	for i, b := range msgs {
		var m Message
		if err := d.Decode(b, &m); err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		row := rows[i]
		for j := range row {
			if v, err := strconv.ParseUint(row[j], 0, 32); err == nil && len(row[j]) > 2 && row[j][:2] == "0x" {
				row[j] = strconv.FormatUint(v, 10) // tshark shows some fields in hex
			}
		}
		if row[0] != strconv.Itoa(int(m.Type)) {
			t.Errorf("message %d: type %s, tshark %s", i, m.Type, row[0])
		}
		for s, a := range []*Address{&m.Called, &m.Calling} {
			r := row[1+9*s : 1+9*(s+1)]
			ours := []string{opt(a.HasPC, uint32(a.PC)), opt(a.HasSSN, uint32(a.SSN)), strconv.Itoa(int(a.GTI)),
				opt(a.HasTT, uint32(a.TT)), opt(a.HasNP, uint32(a.NP)), opt(a.HasNP, uint32(a.ES)), opt(a.HasNAI, uint32(a.NAI)),
				string(a.Digits()), map[bool]string{true: "1", false: "0"}[a.RouteOnSSN]}
			names := []string{"pc", "ssn", "gti", "tt", "np", "es", "nai", "digits", "ri"}
			for j := range ours {
				if ours[j] != r[j] {
					t.Errorf("message %d (%s, by %s) %s %s: ours %q, tshark %q", i, m.Type, m.By, []string{"called", "calling"}[s], names[j], ours[j], r[j])
				}
			}
		}
	}
	// UDT with GTs and XUDT with Importance through go-sccp (PC corrected);
	// the point-code-only address through our parser.
	if s := d.Stats(); s.ByLibrary != 2 || s.Fallback != 1 || s.LibraryError != 1 {
		t.Errorf("decode paths: %+v", s)
	}
}

func opt(ok bool, v uint32) string {
	if !ok {
		return ""
	}
	return strconv.FormatUint(uint64(v), 10)
}

// TestTsharkAgreesANSI checks the T1.112 address format (SSN before a
// 3-octet point code; GTI 2 = TT only, GTI 1 = TT+NP/ES) against tshark
// with the ANSI MTP3 standard selected.
func TestTsharkAgreesANSI(t *testing.T) {
	tsharktest.Require(t)
	cd := &Address{HasSSN: true, SSN: 254, HasPC: true, PC: 0x0a0b0c, GTI: 2, TT: 9}
	cd.SetDigits("2125551234")
	cg := &Address{HasSSN: true, SSN: 11, HasPC: true, PC: 0x010203, RouteOnSSN: true}
	msg := AppendUDT(nil, 0, false, cd, cg, []byte{1, 2, 3}, true)
	d := m3ua.DataMsg{PD: m3ua.ProtocolData{OPC: 0x010203, DPC: 0x0a0b0c, SI: 3, NI: 2, Payload: msg}}
	b, err := m3ua.AppendData(nil, m3ua.FormRFC, m3ua.LabelITU, &d)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "sccp-ansi.pcap")
	if err := tsharktest.WriteSCTPPcap(path, []tsharktest.SCTPPacket{{PPID: 3, Data: b}}); err != nil {
		t.Fatal(err)
	}
	rows := tsharktest.Fields(t, path, []string{"-o", "mtp3.standard:ANSI"},
		"sccp.called.ssn", "sccp.called.network", "sccp.called.cluster", "sccp.called.member", "sccp.called.tt", "sccp.called.digits",
		"sccp.calling.ssn", "sccp.calling.network", "sccp.calling.cluster", "sccp.calling.member", "sccp.calling.ri")
	if len(rows) != 1 {
		t.Fatalf("rows %v", rows)
	}
	dec := Decoder{ANSI: true}
	var m Message
	if err := dec.Decode(msg, &m); err != nil {
		t.Fatal(err)
	}
	pcParts := func(pc uint32) []string {
		return []string{strconv.Itoa(int(pc >> 16 & 0xff)), strconv.Itoa(int(pc >> 8 & 0xff)), strconv.Itoa(int(pc & 0xff))}
	}
	ours := []string{strconv.Itoa(int(m.Called.SSN))}
	ours = append(ours, pcParts(m.Called.PC)...)
	ours = append(ours, strconv.Itoa(int(m.Called.TT)), string(m.Called.Digits()), strconv.Itoa(int(m.Calling.SSN)))
	ours = append(ours, pcParts(m.Calling.PC)...)
	ours = append(ours, "1")
	if !m.Called.National || !m.Calling.National {
		t.Error("ANSI addresses must carry the national indicator")
	}
	for j, v := range rows[0] {
		if x, err := strconv.ParseUint(v, 0, 32); err == nil && len(v) > 2 && v[:2] == "0x" {
			v = strconv.FormatUint(x, 10)
		}
		if v != ours[j] {
			t.Errorf("field %d: ours %q, tshark %q (row %v)", j, ours[j], v, rows[0])
		}
	}
}
